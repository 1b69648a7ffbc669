"""The authorizer's matrix: only a valid token of our issuer, for our audience, with the scopes of a
method, is allowed; every forged, stale or malformed one is a 401 with its reason in our logs and
metrics, never in the answer, and the token never in a log line."""

from __future__ import annotations

import fnmatch
import io
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }}_authorizer import handler, keys

from tests.support.identity_provider import (
    EC_KEY,
    GET_ITEM_ARN,
    ISSUER,
    OTHER_RSA_KEY,
    POST_ITEMS_ARN,
    REQUIRED_SCOPES,
    RSA_KEY,
    STAGE_ARN,
    FakeIssuer,
    configured_issuer,
    event,
    hs256_with_public_key,
    public_pem,
    segment,
    token,
    unsigned_token,
)
from tests.support.lambda_runtime import FakeLambdaContext
from tests.support.observability import emitted_metrics, log_records


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIssuer]:
    yield from configured_issuer(monkeypatch)


def authorize(bearer: str, method_arn: str = GET_ITEM_ARN) -> dict[str, Any]:
    result: dict[str, Any] = handler.handler(event(bearer, method_arn), FakeLambdaContext())
    return result


def unauthorized(bearer: str) -> None:
    refused(event(bearer))


def refused(authorizer_event: dict[str, Any]) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$") as raised:
        handler.handler(authorizer_event, FakeLambdaContext())
    assert type(raised.value) is Exception, "API Gateway answers 401 only to exactly Exception('Unauthorized')"


def allows(result: dict[str, Any], method_arn: str) -> bool:
    """API Gateway's verdict on one method of the API ("Table A" of its authorization flow): the
    stack's resource policy Allows everyone, so a method the policy neither allows nor denies would
    be let through; the policy must name each method, and only an explicit Deny refuses."""

    def matching(effect: str) -> bool:
        return any(
            fnmatch.fnmatchcase(method_arn, resource)
            for statement in result["policyDocument"]["Statement"]
            if statement["Effect"] == effect
            for resource in statement["Resource"]
        )

    assert matching("Allow") or matching("Deny"), f"{method_arn}: neither allowed nor denied, so admitted"
    return not matching("Deny")


def counted(stdout: str) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    """Each business metric the invocations emitted, with the dimensions of each emission."""
    found: dict[str, list[tuple[tuple[str, str], ...]]] = {}
    for _, name, dimensions in sorted(emitted_metrics(stdout)):
        if name != "ColdStart":
            found.setdefault(name, []).append(dimensions)
    return found


SERVICE_ONLY = (("service", os.environ["POWERTOOLS_SERVICE_NAME"]),)  # the dimensions the rollback alarm reads


def rejection(output: io.StringIO) -> dict[str, Any]:
    [record] = [record for record in log_records(output) if record["message"] == "token rejected"]
    return record


def test_a_valid_token_is_allowed_every_method_its_scopes_allow(
    issuer: FakeIssuer, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    result = authorize(token())
    assert result["principalId"] == "00u1abcd2EFGH3ijk4l5"
    # Cached by token and applied to every method: both are in the one policy, with the stage's prefix.
    assert result["policyDocument"]["Statement"] == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": [STAGE_ARN + "GET/items/*", STAGE_ARN + "POST/items"],
        }
    ]
    assert allows(result, GET_ITEM_ARN)
    assert allows(result, POST_ITEMS_ARN)
    assert result["context"] == {"sub": "00u1abcd2EFGH3ijk4l5", "scope": "items:read items:write"}
    assert all(isinstance(value, str) for value in result["context"].values())
    assert not [record for record in log_records(log_output) if record["message"] == "token rejected"]
    assert counted(capsys.readouterr().out) == {"TokenAccepted": [SERVICE_ONLY]}


def test_an_ec_key_signs_valid_tokens_too(issuer: FakeIssuer) -> None:
    assert allows(authorize(token(EC_KEY, "ES256", kid="ec")), GET_ITEM_ARN)


ATTACKER_SECRET = public_pem(RSA_KEY)

# name -> (the token, the reason our logs give). Only the valid token above is allowed.
FORGED: dict[str, tuple[Callable[[], str], str]] = {
    "expired": (lambda: token(exp=1_000_000, iat=999_000, nbf=999_000), "expired"),
    "expired beyond the leeway": (lambda: token(exp=int(time.time()) - 61), "expired"),
    "not yet valid": (lambda: token(nbf=int(time.time()) + 3600), "not yet valid"),
    "issued in the future": (lambda: token(iat=int(time.time()) + 3600), "not yet valid"),
    "another issuer": (lambda: token(iss="https://evil.example.com/oauth2/default"), "wrong issuer"),
    "the issuer with a trailing slash": (lambda: token(iss=ISSUER + "/"), "wrong issuer"),
    "another audience": (lambda: token(aud="api://another-service"), "wrong audience"),
    "no audience": (lambda: token(aud=None), "missing claim"),
    "no subject": (lambda: token(sub=None), "missing claim"),
    "an empty subject": (lambda: token(sub=""), "bad subject"),
    "a subject that is not a string": (lambda: token(sub=42), "bad subject"),
    "no expiry": (lambda: token(exp=None), "missing claim"),
    "signed by another key": (lambda: token(OTHER_RSA_KEY), "bad signature"),
    "alg none": (unsigned_token, "algorithm not allowed"),
    "HS256 with the public key as the secret": (
        lambda: hs256_with_public_key(ATTACKER_SECRET),
        "algorithm not allowed",
    ),
    "an unknown kid": (lambda: token(OTHER_RSA_KEY, kid="rotated-away"), "unknown key"),
    "no kid": (lambda: token(kid=None), "no key id"),
    "an EC key's kid on an RSA signature": (
        lambda: token(RSA_KEY, "RS256", kid="ec"),
        "key does not fit the algorithm",
    ),
    "not three parts": (lambda: "abc.def", "malformed"),
    "four parts": (lambda: token() + ".extra", "malformed"),
    "bad base64": (lambda: "!!!.@@@.###", "malformed"),
    "a header that is not JSON": (lambda: "bm90IGpzb24." + token().split(".", 1)[1], "malformed"),
    "a header that is a JSON list": (lambda: segment([1]) + "." + token().split(".", 1)[1], "malformed"),
    "huge": (lambda: token(padding="x" * 20_000), "malformed"),
    "not ASCII": (lambda: token() + "é", "malformed"),
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_every_forged_stale_or_malformed_token_is_a_401_with_its_reason_logged(
    issuer: FakeIssuer, name: str, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    make, reason = FORGED[name]
    bearer = make()
    unauthorized(bearer)
    record = rejection(log_output)
    assert record["reason"] == reason
    assert record["level"] == "INFO"  # the caller's doing, not an operator's
    assert "sub" not in record, "claims of a token that failed are not ours to log"
    printed = capsys.readouterr()
    # Counted under the service alone: the rollback alarm subtracts these from the function's errors.
    assert counted(printed.out) == {"TokenRejected": [SERVICE_ONLY]}
    signature = bearer.rpartition(".")[2]
    for text in (log_output.getvalue(), printed.out, printed.err):
        assert bearer not in text
        assert len(signature) < 16 or signature not in text


def test_an_unknown_kid_refreshes_the_keys_once_then_denies(issuer: FakeIssuer) -> None:
    authorize(token())  # the first request fetched the configuration and the keys
    assert issuer.jwks_fetches() == 1
    unauthorized(token(OTHER_RSA_KEY, kid="made-up"))
    assert issuer.jwks_fetches() == 1, "the keys are seconds old: no refresh within the interval"
    issuer.now += keys.REFRESH_INTERVAL_SECONDS
    for _ in range(20):  # a flood of made-up key ids
        unauthorized(token(OTHER_RSA_KEY, kid="made-up"))
    assert issuer.jwks_fetches() == 2, "one refresh for the unknown kid, then none until the interval passes"
    issuer.now += keys.REFRESH_INTERVAL_SECONDS
    unauthorized(token(OTHER_RSA_KEY, kid="made-up"))
    assert issuer.jwks_fetches() == 3
    assert allows(authorize(token()), GET_ITEM_ARN), "the known keys still verify"


def test_a_rotated_key_is_found_by_the_refresh(issuer: FakeIssuer) -> None:
    authorize(token())
    issuer.published["new"] = issuer.published["rsa"] | {"kid": "new"}
    issuer.now += keys.REFRESH_INTERVAL_SECONDS
    assert allows(authorize(token(kid="new")), GET_ITEM_ARN)
    assert issuer.jwks_fetches() == 2


def test_the_jwks_endpoint_down_is_a_401_never_a_500_or_an_allow(
    issuer: FakeIssuer, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer.down = True
    unauthorized(token())
    record = rejection(log_output)
    assert (record["reason"], record["level"], record["detail"]) == ("jwks unavailable", "ERROR", "connection refused")
    assert counted(capsys.readouterr().out) == {}, "not a caller's doing: left to the Errors alarm"


def test_a_token_without_the_scopes_of_a_method_is_denied_that_method_only(issuer: FakeIssuer) -> None:
    result = authorize(token(scope="items:read"), POST_ITEMS_ARN)
    assert not allows(result, POST_ITEMS_ARN), "403 for the method whose scope is missing"
    assert allows(result, GET_ITEM_ARN), "the methods whose scopes it has stay allowed"
    # Explicitly: the resource policy's Allow would admit a method the policy leaves out.
    assert result["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [STAGE_ARN + "GET/items/*"]},
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [STAGE_ARN + "POST/items"]},
    ]


def test_a_token_without_the_scopes_of_any_method_gets_a_deny_of_the_stage(
    issuer: FakeIssuer, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    result = authorize(token(scope="profile email"))
    assert result["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [STAGE_ARN + "*"]}
    ]
    assert not allows(result, GET_ITEM_ARN)
    assert not allows(result, POST_ITEMS_ARN)
    record = rejection(log_output)
    assert (record["reason"], record["sub"]) == ("missing scopes", "00u1abcd2EFGH3ijk4l5")
    assert counted(capsys.readouterr().out) == {"TokenDenied": [SERVICE_ONLY]}, "a Deny is no Lambda error"


@pytest.mark.parametrize(
    ("granted", "methods"),
    [
        ({"scp": ["items:read", "items:write"]}, ["GET/items/*", "POST/items"]),  # Okta: a list
        ({"scp": "items:write"}, ["POST/items"]),  # Entra ID: a string
        ({"scope": "items:read", "scp": ["items:write"]}, ["GET/items/*", "POST/items"]),
        ({"scp": ["items:read items:write"]}, []),  # one entry is one scope, never split
        ({"scope": ["items:read"]}, []),  # `scope` is a string (RFC 8693)
    ],
)
def test_scopes_come_from_scope_or_scp(issuer: FakeIssuer, granted: dict[str, Any], methods: list[str]) -> None:
    result = authorize(token(**({"scope": None} | granted)))
    assert [method for method in REQUIRED_SCOPES if allows(result, STAGE_ARN + method)] == methods


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OIDC_ISSUER", "http://login.example.com/oauth2/default"),
        ("OIDC_ISSUER", ""),
        ("OIDC_AUDIENCE", ""),
        ("REQUIRED_SCOPES", "not json"),
        ("REQUIRED_SCOPES", "{}"),
        ("REQUIRED_SCOPES", '{"GET/items/*": ["items:read"]}'),
    ],
)
def test_a_broken_setting_admits_nobody_and_tells_the_operator(
    issuer: FakeIssuer,
    monkeypatch: pytest.MonkeyPatch,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    unauthorized(token())
    record = rejection(log_output)
    assert (record["reason"], record["level"]) == ("configuration", "ERROR")
    assert counted(capsys.readouterr().out) == {}


@pytest.mark.parametrize(
    "method_arn",
    [None, "", "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234", "arn:aws:lambda:eu-west-1:1:x/prod/GET/items"],
)
def test_an_event_without_a_method_arn_is_a_401(issuer: FakeIssuer, method_arn: Any) -> None:
    refused(event(token()) | {"methodArn": method_arn})


@pytest.mark.parametrize("authorization", [None, 42, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer "])
def test_a_header_without_a_bearer_token_is_a_401(issuer: FakeIssuer, authorization: Any) -> None:
    refused(event(token()) | {"authorizationToken": authorization})


def test_the_bearer_scheme_is_case_insensitive(issuer: FakeIssuer) -> None:
    result = handler.handler(event(token()) | {"authorizationToken": "bearer " + token()}, FakeLambdaContext())
    assert allows(result, GET_ITEM_ARN)


def test_a_fault_of_ours_is_a_401_with_only_its_type_logged(
    issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO
) -> None:
    bearer = token()

    def broken(*_: Any) -> Any:
        raise RuntimeError(f"something quoted the token {bearer}")

    monkeypatch.setattr(handler, "verify", broken)
    unauthorized(bearer)
    record = rejection(log_output)
    assert (record["reason"], record["detail"], record["level"]) == ("internal error", "RuntimeError", "ERROR")
    assert bearer not in log_output.getvalue()


def test_the_event_is_never_logged_even_when_the_environment_asks(
    issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    bearer = token()
    authorize(bearer)
    unauthorized(bearer + "x")
    assert bearer not in log_output.getvalue()
