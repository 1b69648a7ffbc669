"""Property-based proofs: whatever arrives in the Authorization header, the authorizer answers a 401
and nothing else (never an Allow, never another error), unless it is the issuer's own valid token."""

from __future__ import annotations

import json
import string
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}_authorizer import handler

from tests.support.identity_provider import FakeIssuer, b64url, configured_issuer, event, token
from tests.support.lambda_runtime import FakeLambdaContext
from tests.support.properties import PROPERTY_SETTINGS, json_values

BASE64URL = string.ascii_letters + string.digits + "-_"
VALID = token(exp=int(time.time()) + 86_400)  # signed once, valid all day: the properties break it


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIssuer]:
    yield from configured_issuer(monkeypatch)


def answer(authorization: Any) -> str:
    """'unauthorized' (API Gateway's 401), 'allowed' or 'denied'; anything else names what was raised."""
    try:
        result = handler.handler(event(VALID) | {"authorizationToken": authorization}, FakeLambdaContext())
    except Exception as error:
        return "unauthorized" if type(error) is Exception and str(error) == "Unauthorized" else repr(error)
    effects = {statement["Effect"] for statement in result["policyDocument"]["Statement"]}
    return "allowed" if "Allow" in effects else "denied"


segments = st.text(alphabet=BASE64URL, max_size=200)
json_segments = json_values.map(lambda value: b64url(json.dumps(value).encode("utf-8")))


@PROPERTY_SETTINGS
@given(
    authorization=st.none()
    | st.integers()
    | st.text(max_size=300)
    | st.builds(lambda text: f"Bearer {text}", st.text(max_size=300))
    | st.builds(lambda *parts: "Bearer " + ".".join(parts), segments, segments, segments)
    | st.builds(lambda *parts: "Bearer " + ".".join(parts), json_segments, json_segments, segments)
    | st.builds(lambda parts: "Bearer " + ".".join(parts), st.lists(segments, max_size=6))
)
def test_any_header_but_a_valid_token_is_a_401(issuer: FakeIssuer, authorization: Any) -> None:
    assert answer(authorization) == "unauthorized"


@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_valid_token_with_any_character_changed_is_a_401(issuer: FakeIssuer, data: st.DataObject) -> None:
    # Not the last character of a part: its low bits may be padding that decodes to the same bytes.
    changeable = [
        index
        for index, character in enumerate(VALID)
        if character != "." and index + 1 < len(VALID) and VALID[index + 1] != "."
    ]
    index = data.draw(st.sampled_from(changeable), label="index")
    replacement = data.draw(st.sampled_from(BASE64URL.replace(VALID[index], "")), label="replacement")
    forged = VALID[:index] + replacement + VALID[index + 1 :]
    assert answer(f"Bearer {forged}") == "unauthorized"


def test_the_valid_token_itself_is_allowed(issuer: FakeIssuer) -> None:
    assert answer(f"Bearer {VALID}") == "allowed"
