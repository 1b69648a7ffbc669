"""The IAM policy API Gateway applies: it caches it by token for the TTL and applies it to every
method the token is then used for, so it allows every method whose scopes the token has, not only
the method asked for, and explicitly denies every other method: the API's resource policy Allows
everyone (the token decides), and with a Lambda authorizer that neither allows nor denies a method,
that Allow would admit the request ("Table A", https://docs.aws.amazon.com/apigateway/latest/
developerguide/apigateway-authorization-flow.html). No method allowed: a Deny of the whole stage.
A 403 either way. The method keys must not overlap (a Deny wins over an Allow it matches)."""

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


def policy(
    principal: str,
    prefix: str,
    required_scopes: Mapping[str, frozenset[str]],
    allowed: list[str],
    context: dict[str, str],
) -> dict[str, Any]:
    denied = [method for method in required_scopes if method not in allowed]
    statements = [statement("Allow", prefix, allowed)] if allowed else []
    statements += [statement("Deny", prefix, denied if allowed else ["*"])] if denied else []
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        "context": context,
    }


def statement(effect: str, prefix: str, methods: list[str]) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [prefix + method for method in methods]}
