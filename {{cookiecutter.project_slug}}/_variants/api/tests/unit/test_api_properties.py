"""Property-based proofs: whatever arrives, the API answers with JSON and never a traceback.

Bodies are generated from the same JSON schema API Gateway validates against, then broken in
every way a client (or an attacker) can: truncated, retyped, oversized, unicode-heavy. Whole
requests are drawn from every class of malformation (media type, body, size, depth, schema,
route, method, path parameter, idempotency key) under random headers and query strings.
"""

from __future__ import annotations

import io
import json
import re
import string
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import ValidationError

from {{ cookiecutter.package_name }} import api, routes
from {{ cookiecutter.package_name }}.models import IDEMPOTENCY_KEY_PATTERN, ITEM_ID_PATTERN, CreateItemRequest
from {{ cookiecutter.package_name }}.settings import Settings

from scripts.api_schema import apigateway_schema
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import log_records, metric_names
from tests.support.properties import PROPERTY_SETTINGS, json_values

REQUEST_SCHEMA = apigateway_schema(CreateItemRequest)
VALID_BODY = json.dumps({"name": "Widget", "quantity": 3})
MAX_BYTES = Settings.model_fields["max_body_bytes"].default
MAX_DEPTH = Settings.model_fields["max_body_depth"].default
ROUTES = {"/items": "POST", "/items/00000000000000000000000000000001": "GET"}
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
    assert status == 413
    assert response["message"].startswith("Request body is larger than")


def test_an_oversized_field_within_the_size_limit_names_the_field() -> None:
    status, response = post(json.dumps({"name": "x" * 10_000, "quantity": 1}))
    assert status == 422
    assert response["errors"][0]["location"] == "body.name"


def test_unicode_heavy_names_within_limits_are_kept_verbatim() -> None:
    name = "Ünïcödé 🚀 名前 עברית"
    status, created = post(json.dumps({"name": name, "quantity": 1}))
    assert status == 201
    assert created["name"] == name


# ------------------------------------------------------------------ every class of malformed request
def request(
    body: str | None = VALID_BODY,
    content_type: str = "application/json",
    method: str = "POST",
    path: str = "/items",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    event = load_event("create_item.json")
    event.update(body=body, httpMethod=method, path=path)
    event["headers"]["Content-Type"] = content_type
    if idempotency_key is not None:
        event["headers"]["Idempotency-Key"] = idempotency_key
    return event


def breaks_the_model(document: Any) -> bool:
    try:
        CreateItemRequest.model_validate_json(json.dumps(document))
    except ValidationError:
        return True
    return False


def nested(openings: list[str]) -> str:
    """The valid body with an extra field nesting one array or object per opening, in order."""
    inner = "".join('{"k": ' if opening == "{" else "[" for opening in openings) + "1"
    inner += "".join("}" if opening == "{" else "]" for opening in reversed(openings))
    return VALID_BODY[:-1] + ', "extra": ' + inner + "}"


media_types = st.sampled_from(
    ["text/xml", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"]
) | st.from_regex(r"[a-z]{1,12}/[a-z0-9.+-]{1,20}(; ?charset=[a-z0-9-]{1,10})?", fullmatch=True).filter(
    lambda media_type: not re.fullmatch(r"application/json(; ?charset=utf-8)?", media_type)
)
truncated = (
    from_schema(REQUEST_SCHEMA)
    .map(json.dumps)
    .flatmap(lambda text: st.integers(0, len(text) - 1).map(lambda cut: text[:cut]))
)
trailing = st.text(min_size=1, max_size=20).filter(str.strip).map(lambda garbage: VALID_BODY + garbage)
too_deep = st.lists(st.sampled_from("[{"), min_size=MAX_DEPTH, max_size=4 * MAX_DEPTH).map(nested)
padding = st.sampled_from(" \n\t\r")
too_large = st.tuples(padding, st.integers(1, MAX_BYTES)).map(
    lambda pad: VALID_BODY[:-1] + pad[0] * (MAX_BYTES - len(VALID_BODY) + pad[1]) + "}"
)
schema_violations = json_values.filter(breaks_the_model).map(json.dumps)
unknown_paths = st.from_regex(r"/[A-Za-z0-9._~%/-]{0,40}", fullmatch=True).filter(
    lambda path: not path.startswith("/items")
)
bad_item_ids = st.text(string.ascii_letters + string.digits + "-._~", min_size=1, max_size=64).filter(
    lambda item_id: not re.fullmatch(ITEM_ID_PATTERN, item_id)
)
bad_keys = st.text(max_size=300).filter(lambda key: not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key))
wrong_methods = st.sampled_from(sorted(ROUTES.items())).flatmap(
    lambda route: st.sampled_from([m for m in routes.METHODS if m != route[1]]).map(lambda method: (route[0], method))
)

# (what went wrong, the request, the status it must get)
malformed_requests = st.one_of(
    media_types.map(lambda media_type: ("media type", request(content_type=media_type), 415)),
    (truncated | trailing).map(lambda text: ("not JSON", request(text), 400)),
    too_deep.map(lambda text: ("too deep", request(text), 400)),
    too_large.map(lambda text: ("too large", request(text), 413)),
    schema_violations.map(lambda text: ("schema", request(text), 422)),
    st.tuples(st.sampled_from(routes.METHODS), unknown_paths).map(
        lambda route: ("unknown route", request(method=route[0], path=route[1]), 404)
    ),
    wrong_methods.map(lambda route: ("wrong method", request(path=route[0], method=route[1]), 405)),
    bad_item_ids.map(lambda item_id: ("path parameter", request(None, method="GET", path=f"/items/{item_id}"), 422)),
    bad_keys.map(lambda key: ("idempotency key", request(idempotency_key=key), 422)),
)
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True).filter(
    lambda name: name.lower() not in ("content-type", "idempotency-key")
)
extra_headers = st.dictionaries(header_names, st.text(string.printable, max_size=40), max_size=4)
query_strings = st.none() | st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=4)


@PROPERTY_SETTINGS
@given(malformed=malformed_requests, headers=extra_headers, query=query_strings)
def test_every_malformed_request_is_a_json_4xx_and_no_failure_of_ours(
    malformed: tuple[str, dict[str, Any], int],
    headers: dict[str, str],
    query: dict[str, str] | None,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    what, request_event, status = malformed
    event(what)
    request_event["headers"].update(headers)
    request_event["multiValueHeaders"] = {name: [value] for name, value in request_event["headers"].items()}
    request_event["queryStringParameters"] = query
    request_event["multiValueQueryStringParameters"] = query and {name: [value] for name, value in query.items()}
    capsys.readouterr()
    logged_before = len(log_output.getvalue())

    context = FakeLambdaContext()
    response = api.handler(request_event, context)

    assert response["statusCode"] == status, response["body"]
    assert json.loads(response["body"])["request_id"] == context.aws_request_id
    assert "ProcessingFailed" not in metric_names(capsys.readouterr().out)
    records = log_records(io.StringIO(log_output.getvalue()[logged_before:]))
    assert [record for record in records if record["level"] == "ERROR" or "exception" in record] == []
