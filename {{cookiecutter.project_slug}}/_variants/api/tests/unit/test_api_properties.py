"""Property-based proofs: whatever arrives, the API answers with JSON and never a traceback.

Bodies are generated from the same JSON schema API Gateway validates against, then broken in
every way a client (or an attacker) can: truncated, retyped, oversized, unicode-heavy.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from {{ cookiecutter.package_name }} import api
from {{ cookiecutter.package_name }}.models import CreateItemRequest

from scripts.api_schema import apigateway_schema
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.properties import PROPERTY_SETTINGS, json_values

REQUEST_SCHEMA = apigateway_schema(CreateItemRequest)
FORBIDDEN_IN_RESPONSES = ("Traceback", 'File "', "Error(", "pydantic", "botocore")


def post(body: str | None) -> tuple[int, dict[str, Any]]:
    event = load_event("create_item.json")
    event["body"] = body
    response = api.handler(event, FakeLambdaContext())
    text = response["body"]
    assert not any(marker in text for marker in FORBIDDEN_IN_RESPONSES), text
    return response["statusCode"], json.loads(text)


@PROPERTY_SETTINGS
@given(from_schema(REQUEST_SCHEMA))
def test_every_body_the_schema_allows_is_created(body: dict[str, Any]) -> None:
    status, created = post(json.dumps(body))
    assert status == 201, created
    assert created["name"] == body["name"]


@PROPERTY_SETTINGS
@given(json_values)
def test_any_json_document_gets_a_json_answer(document: Any) -> None:
    status, response = post(json.dumps(document))
    assert status in (201, 422)
    if status == 422:
        assert response["message"] == "Request does not match the schema"
        assert response["errors"]


@PROPERTY_SETTINGS
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")))
def test_arbitrary_text_is_rejected_as_4xx(text: str) -> None:
    status, _ = post(text)
    assert status in (201, 400, 422)


@PROPERTY_SETTINGS
@given(from_schema(REQUEST_SCHEMA), st.integers(min_value=1, max_value=40))
def test_truncated_bodies_are_400(body: dict[str, Any], cut: int) -> None:
    text = json.dumps(body)
    status, response = post(text[: max(1, len(text) - cut)])
    assert status in (400, 422)
    assert "request_id" in response


@PROPERTY_SETTINGS
@given(
    st.sampled_from(["name", "quantity"]),
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.lists(st.integers(), max_size=3) | st.text(),
)
def test_wrongly_typed_fields_name_the_field(field: str, value: Any) -> None:
    body: dict[str, Any] = {"name": "Widget", "quantity": 3, field: value}
    status, response = post(json.dumps(body))
    if status == 422:
        assert any(error["location"] == f"body.{field}" for error in response["errors"])
    else:
        assert status == 201  # the random value happened to be valid, e.g. a fine name


def test_oversized_body_is_rejected() -> None:
    status, response = post(json.dumps({"name": "x" * 1_000_000, "quantity": 1}))
    assert status == 422
    assert response["errors"][0]["location"] == "body.name"


def test_unicode_heavy_names_within_limits_are_kept_verbatim() -> None:
    name = "Ünïcödé 🚀 名前 עברית"
    status, created = post(json.dumps({"name": name, "quantity": 1}))
    assert status == 201
    assert created["name"] == name
