"""The IAM policy API Gateway applies: it caches it by token for the TTL and applies it to every
method the token is then used for, so it allows every method whose scopes the token has, not only
the method asked for. None of them: a Deny of the whole stage (403)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import Rejected


def stage_prefix(method_arn: object) -> str:
    """``arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/`` of a method ARN
    (``.../<stage>/<VERB>/<path>``)."""
    if not isinstance(method_arn, str):
        raise Rejected("no method ARN")
    api, _, rest = method_arn.partition("/")
    stage, _, method = rest.partition("/")
    fields = api.split(":")
    if len(fields) != 6 or fields[0] != "arn" or fields[2] != "execute-api" or not stage or not method:
        raise Rejected("no method ARN")
    return f"{api}/{stage}/"


def allowed_methods(required_scopes: Mapping[str, frozenset[str]], granted: frozenset[str]) -> list[str]:
    return [method for method, scopes in required_scopes.items() if scopes <= granted]


def policy(principal: str, prefix: str, methods: list[str], context: dict[str, str]) -> dict[str, Any]:
    if methods:
        statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [prefix + m for m in methods]}
    else:
        statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [prefix + "*"]}
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": context,
    }
