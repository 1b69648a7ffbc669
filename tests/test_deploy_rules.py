"""Deploy-time rules that the offline scanners do not know: stacks that every gate accepts
but that a real account refuses, or that deploy and then refuse every request, or let in
callers they should not. Each test renders the stacks of the answers concerned (no bake)."""

from __future__ import annotations

from typing import Any

import pytest
from support import enabled_values, load_yaml, render_stack

API_CASES = [
    {"event_source": "api", "api_auth": auth, "api_endpoint": endpoint}
    for auth in enabled_values()["api_auth"]
    for endpoint in enabled_values()["api_endpoint"]
]


def case_id(case: dict[str, str]) -> str:
    return f"{case['api_auth']}-{case['api_endpoint']}"


def resource_policy(case: dict[str, str]) -> list[dict[str, Any]]:
    template = load_yaml(render_stack(**case))
    statements: list[dict[str, Any]] = template["Resources"]["Api"]["Properties"]["Auth"]["ResourcePolicy"]["CustomStatements"]
    return statements


@pytest.mark.parametrize("case", API_CASES, ids=case_id)
def test_a_private_api_never_conditions_on_the_public_source_ip(case: dict[str, str]) -> None:
    # Requests through an interface VPC endpoint carry aws:VpcSourceIp, not aws:SourceIp, and
    # a negated condition (NotIpAddress) on an absent key is true: the Deny would refuse
    # every request of a private API that deployed without any error.
    keys = {key for statement in resource_policy(case) for test in statement.get("Condition", {}).values() for key in test}
    if case["api_endpoint"] == "private":
        assert "aws:SourceIp" not in keys
        assert {"aws:VpcSourceIp", "aws:SourceVpce"} <= keys
    else:
        assert "aws:SourceIp" in keys


@pytest.mark.parametrize("case", API_CASES, ids=case_id)
def test_an_iam_authorized_api_allows_only_this_accounts_principals(case: dict[str, str]) -> None:
    # With SigV4 authorization, an Allow for Principal "*" lets in a principal of any AWS
    # account whose own IAM policy allows execute-api:Invoke; an API key is no authorization.
    allows = [statement for statement in resource_policy(case) if statement["Effect"] == "Allow"]
    assert len(allows) == 1
    principal = allows[0]["Principal"]
    if case["api_auth"] == "iam":
        assert principal == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    else:
        assert principal == "*", "a Cognito token authorizes the caller; the policy only limits the network"
