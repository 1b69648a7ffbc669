"""The API handler invoked in-process with the sample events in events/."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from {{ cookiecutter.package_name }} import api, logic, repository, request_body, routes, settings, signing
from {{ cookiecutter.package_name }}.models import Item

from tests.conftest import SIGNING_KEY
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import logged, logged_once, metrics_in_order

FAILURE_METRICS = ("ValidationFailed", "ProcessingFailed", "ResponseValidationFailed")


def invoke(event: dict[str, Any], context: FakeLambdaContext) -> tuple[int, dict[str, Any]]:
    response = api.handler(event, context)
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    return response["statusCode"], json.loads(response["body"])


def with_body(body: str | None, content_type: str | None = "application/json") -> dict[str, Any]:
    event = load_event("create_item.json")
    event["body"] = body
    if content_type is None:
        del event["headers"]["Content-Type"]
    else:
        event["headers"]["Content-Type"] = content_type
    return event


def rejected(event: dict[str, Any], context: FakeLambdaContext, status: int) -> dict[str, Any]:
    """The answer to ``event``: ``status``, a JSON body with the request id, nothing stored."""
    answered, body = invoke(event, context)
    assert answered == status, body
    assert body["request_id"] == context.aws_request_id
    assert boto3.client("dynamodb").scan(TableName="items-test")["Items"] == []
    return body


def test_create_then_get_item(lambda_context: FakeLambdaContext) -> None:
    status, created = invoke(load_event("create_item.json"), lambda_context)
    assert status == 201
    assert created["name"] == "Widget"
    assert created["quantity"] == 3
    assert created["signature"] == signing.sign(created["item_id"], SIGNING_KEY)

    event = load_event("get_item.json")
    event["path"] = f"/items/{created['item_id']}"
    event["pathParameters"] = {"item_id": created["item_id"]}
    status, fetched = invoke(event, lambda_context)
    assert status == 200
    assert fetched == created


def test_missing_item_is_404(lambda_context: FakeLambdaContext) -> None:
    status, body = invoke(load_event("get_item.json"), lambda_context)
    assert status == 404
    assert body["message"] == "Item 00000000000000000000000000000001 not found"


def test_unknown_route_is_404(lambda_context: FakeLambdaContext) -> None:
    status, body = invoke(load_event("unknown_route.json"), lambda_context)
    assert status == 404
    assert body["message"] == "Not found"


def test_malformed_json_is_400(lambda_context: FakeLambdaContext) -> None:
    body = rejected(load_event("create_item_malformed_json.json"), lambda_context, 400)
    assert body == {
        "message": "Request body is not valid JSON",
        "request_id": lambda_context.aws_request_id,
        "errors": [],
    }


@pytest.mark.parametrize(
    ("event_name", "location"),
    [
        ("create_item_missing_field.json", "body.quantity"),
        ("create_item_wrong_type.json", "body.quantity"),
    ],
)
def test_schema_violation_is_422_naming_the_field(
    event_name: str, location: str, lambda_context: FakeLambdaContext
) -> None:
    status, body = invoke(load_event(event_name), lambda_context)
    assert status == 422
    assert body["message"] == "Request does not match the schema"
    assert [error["location"] for error in body["errors"]] == [location]


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "[]",
        '"just a string"',
        '{"name": "", "quantity": 1}',
        '{"name": "x", "quantity": -1}',
        '{"name": "x", "quantity": 1.5}',
        '{"name": "x", "quantity": "1"}',
        '{"name": "x", "quantity": 1, "admin": true}',
        json.dumps({"name": "x" * 101, "quantity": 1}),
        json.dumps({"name": "line\nbreak", "quantity": 1}),
    ],
)
def test_invalid_bodies_get_a_4xx_without_internals(body: str | None, lambda_context: FakeLambdaContext) -> None:
    status, response = invoke(with_body(body), lambda_context)
    assert status in (400, 422)
    assert "Traceback" not in json.dumps(response)
    assert response["request_id"] == lambda_context.aws_request_id


# ------------------------------------------------------------------ malformed requests, class by class
VALID_BODY = '{"name": "Widget", "quantity": 3}'
MAX_BYTES = settings.Settings.model_fields["max_body_bytes"].default
MAX_DEPTH = settings.Settings.model_fields["max_body_depth"].default


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json-patch+json",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "; charset=utf-8",
    ],
)
def test_a_body_not_json_by_its_media_type_is_415(content_type: str, lambda_context: FakeLambdaContext) -> None:
    body = rejected(with_body(VALID_BODY, content_type), lambda_context, 415)
    assert body["message"] == "Content-Type must be application/json"


@pytest.mark.parametrize(
    "content_type", [None, "", "application/json", "Application/JSON", 'application/json; charset="UTF-8"']
)
def test_json_or_no_content_type_is_read_as_json(content_type: str | None, lambda_context: FakeLambdaContext) -> None:
    # API Gateway reads a missing Content-Type as application/json, and validates the body so.
    status, _ = invoke(with_body(VALID_BODY, content_type), lambda_context)
    assert status == 201


def test_an_event_without_headers_is_read_as_json(lambda_context: FakeLambdaContext) -> None:
    event = with_body(VALID_BODY)
    event["headers"] = None  # what a test invoke from the API Gateway console sends
    status, _ = invoke(event, lambda_context)
    assert status == 201


def nested(depth: int, opening: str) -> str:
    """A body of the model with an extra field: ``depth`` arrays or objects inside each other."""
    inner = ('{"a": ' * depth + "1" + "}" * depth) if opening == "{" else ("[" * depth + "1" + "]" * depth)
    return VALID_BODY[:-1] + ', "extra": ' + inner + "}"


@pytest.mark.parametrize("opening", ["[", "{"])
def test_a_body_nesting_deeper_than_the_limit_is_400(opening: str, lambda_context: FakeLambdaContext) -> None:
    body = rejected(with_body(nested(MAX_DEPTH, opening)), lambda_context, 400)
    assert body["message"] == f"Request body nests deeper than {MAX_DEPTH} levels"


@pytest.mark.parametrize("opening", ["[", "{"])
def test_a_body_at_the_depth_limit_is_parsed(opening: str, lambda_context: FakeLambdaContext) -> None:
    body = rejected(with_body(nested(MAX_DEPTH - 1, opening)), lambda_context, 422)
    assert [error["location"] for error in body["errors"]] == ["body.extra"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # once a RecursionError; over the size limit as well
        "[" * (MAX_BYTES // 2),
        "[{" * (MAX_BYTES // 4),
        '{"a":' * (MAX_BYTES // 6),
        '"' + '\\"[' * (MAX_BYTES // 4),  # quadratic under a pattern that backtracks to each quote
    ],
)
def test_pathological_bodies_never_reach_the_parser(text: str, lambda_context: FakeLambdaContext) -> None:
    rejected(with_body(text), lambda_context, 413 if len(text) > MAX_BYTES else 400)


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ('{"name": "[[[[[[", "quantity": 1}', False),  # brackets in strings do not nest
        ('{"name": "\\\\", "x": "[[[[[["}', False),
        ('["\\"[[[[[["]', False),
        ('"[[[[[[', False),  # an unterminated string reaches the end
        ("[[[[[[", True),
        ("]]][[[[[[", False),  # unbalanced, counted low: the parser refuses it (400 either way)
    ],
)
def test_nesting_is_counted_outside_strings(text: str, deeper: bool) -> None:
    assert request_body.nests_deeper_than(text.encode(), 5) is deeper


@pytest.mark.parametrize(("size", "status"), [(MAX_BYTES, 422), (MAX_BYTES + 1, 413), (10 * 1024 * 1024, 413)])
def test_a_body_over_the_size_limit_is_413(size: int, status: int, lambda_context: FakeLambdaContext) -> None:
    padded = VALID_BODY[:-1] + ', "x": "' + "y" * (size - len(VALID_BODY) - 9) + '"}'
    assert len(padded) == size
    body = rejected(with_body(padded), lambda_context, status)
    assert (body["message"] == f"Request body is larger than {MAX_BYTES} bytes") is (status == 413)


def test_the_size_limit_counts_bytes_of_utf_8(lambda_context: FakeLambdaContext) -> None:
    multibyte = VALID_BODY[:-1] + ', "x": "' + "€" * (MAX_BYTES // 3) + '"}'  # 3 bytes each
    assert len(multibyte) < MAX_BYTES < len(multibyte.encode())
    rejected(with_body(multibyte), lambda_context, 413)


def test_the_limits_are_settings(monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", str(len(VALID_BODY) - 1))
    monkeypatch.setenv("MAX_BODY_DEPTH", "1")
    settings.settings.cache_clear()
    rejected(with_body(VALID_BODY), lambda_context, 413)
    monkeypatch.setenv("MAX_BODY_BYTES", str(len(VALID_BODY) + 10))
    settings.settings.cache_clear()
    rejected(with_body('{"name": [["x"]], "quantity": 1}'), lambda_context, 400)
    assert invoke(with_body(VALID_BODY), lambda_context)[0] == 201


@pytest.mark.parametrize("limit", ["0", str(settings.API_GATEWAY_MAX_PAYLOAD_BYTES + 1), "many"])
def test_a_size_limit_api_gateway_cannot_deliver_fails_closed(
    limit: str, monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", limit)
    settings.settings.cache_clear()
    assert invoke(with_body(VALID_BODY), lambda_context)[0] == 500


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "Widget", "quantity": ' + "9" * 5000 + "}",  # once a ValueError: too many digits
        '{"name": "Widget", "quantity": 3} trailing',
        '{"name": "\\ud800", "quantity": 3}',  # an escaped lone surrogate is no character
        '{"name": "\udc80", "quantity": 3}',  # nor is a raw one
        "{'name': 'Widget', 'quantity': 3}",
        "",
    ],
)
def test_a_body_that_is_not_well_formed_json_is_400(text: str, lambda_context: FakeLambdaContext) -> None:
    body = rejected(with_body(text), lambda_context, 400)
    assert body["message"] == "Request body is not valid JSON"


def base64_body(raw: bytes) -> dict[str, Any]:
    return with_body(base64.b64encode(raw).decode()) | {"isBase64Encoded": True}


def test_a_base64_encoded_json_body_is_decoded(lambda_context: FakeLambdaContext) -> None:
    assert invoke(base64_body(VALID_BODY.encode()), lambda_context)[0] == 201


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        (base64_body(b"\xff\xfe{}"), 400, "Request body is not valid JSON"),
        (base64_body(b" " * (MAX_BYTES + 1)), 413, f"Request body is larger than {MAX_BYTES} bytes"),
        (with_body("not base64!") | {"isBase64Encoded": True}, 400, "Request body is not valid base64"),
    ],
    ids=["not-utf-8", "too-large-once-decoded", "not-base64"],
)
def test_a_base64_body_is_checked_once_decoded(
    event: dict[str, Any], status: int, message: str, lambda_context: FakeLambdaContext
) -> None:
    assert rejected(event, lambda_context, status)["message"] == message


@pytest.mark.parametrize(("path", "allowed"), [("/items", "POST"), ("/items/00000000000000000000000000000001", "GET")])
@pytest.mark.parametrize("method", routes.METHODS)
def test_a_method_the_route_does_not_serve_is_405_naming_the_one_it_does(
    path: str, allowed: str, method: str, lambda_context: FakeLambdaContext
) -> None:
    if method == allowed:
        return  # served: the tests above
    response = api.handler(with_body(VALID_BODY) | {"path": path, "httpMethod": method}, lambda_context)
    assert response["statusCode"] == 405
    assert response["multiValueHeaders"]["Allow"] == [allowed]
    assert json.loads(response["body"])["request_id"] == lambda_context.aws_request_id


@pytest.mark.parametrize("path", ["/", "", "/items/a/b", "/Items", "/items%2F", "/../items"])
def test_an_unknown_route_is_404(path: str, lambda_context: FakeLambdaContext) -> None:
    body = rejected(load_event("unknown_route.json") | {"path": path}, lambda_context, 404)
    assert body["message"] == "Not found"


@pytest.mark.parametrize(
    "event",
    [
        with_body("<item/>", "text/xml"),
        with_body("[" * 100_000),
        with_body("[" * 100),
        with_body('{"name": "x"'),
        with_body("[]"),
        load_event("unknown_route.json"),
        load_event("get_item.json") | {"httpMethod": "DELETE"},
        load_event("get_item.json") | {"path": "/items/NOT-AN-ID"},
    ],
    ids=["media-type", "too-large", "too-deep", "not-json", "schema", "route", "method", "path-parameter"],
)
def test_a_malformed_request_is_no_failure_of_ours(
    event: dict[str, Any],
    lambda_context: FakeLambdaContext,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _ = invoke(event, lambda_context)
    assert 400 <= status < 500
    assert logged(log_output, "ERROR") == []
    assert "Traceback" not in log_output.getvalue()
    assert "ProcessingFailed" not in metrics_in_order(capsys.readouterr().out, FAILURE_METRICS)


def test_invalid_item_id_is_422(lambda_context: FakeLambdaContext) -> None:
    event = load_event("get_item.json")
    event["path"] = "/items/NOT-AN-ID"
    event["pathParameters"] = {"item_id": "NOT-AN-ID"}
    status, body = invoke(event, lambda_context)
    assert status == 422
    assert body["errors"][0]["location"] == "path.item_id"


def test_response_breaking_its_model_fails_closed(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    broken = Item.model_construct(
        item_id="not-an-id", name="", quantity=-5, created_at=datetime.now(UTC), signature="unsigned"
    )
    monkeypatch.setattr(logic, "get_item", lambda item_id, store: broken)
    status, body = invoke(load_event("get_item.json"), lambda_context)
    assert status == 500
    assert body == {"message": "Internal server error", "request_id": lambda_context.aws_request_id, "errors": []}


def test_unexpected_error_is_500_without_internals(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    def explode(item_id: str, store: object) -> None:
        raise RuntimeError("connection string postgres://secret")

    monkeypatch.setattr(logic, "get_item", explode)
    status, body = invoke(load_event("get_item.json"), lambda_context)
    assert status == 500
    assert "postgres" not in json.dumps(body)
    errors = logged(log_output, "ERROR")
    assert [(error["message"], error["correlation_id"]) for error in errors] == [
        ("Unhandled error", lambda_context.aws_request_id)
    ]


def test_corrupted_stored_item_fails_closed(table: Any, lambda_context: FakeLambdaContext) -> None:
    table.put_item(TableName="items-test", Item={"pk": {"S": "00000000000000000000000000000001"}, "name": {"S": "x"}})
    status, body = invoke(load_event("get_item.json"), lambda_context)
    assert status == 500
    assert body["message"] == "Internal server error"


def test_secret_too_short_to_sign_with_fails_closed(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    weak = boto3.client("secretsmanager").create_secret(Name="weak-key", SecretString="short")
    monkeypatch.setenv("SIGNING_SECRET_ARN", weak["ARN"])
    settings.settings.cache_clear()
    status, body = invoke(load_event("create_item.json"), lambda_context)
    assert status == 500
    assert "short" not in json.dumps(body)


def test_missing_configuration_fails_closed(monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext) -> None:
    monkeypatch.setenv("SIGNING_SECRET_ARN", "not-an-arn")
    settings.settings.cache_clear()
    status, body = invoke(load_event("create_item.json"), lambda_context)
    assert status == 500
    assert body["message"] == "Internal server error"


# ------------------------------------------------------------------ correlation ids and metrics
API_GATEWAY_REQUEST_ID = "0f1e2d3c-4b5a-4968-8776-api0gateway1"


def from_api_gateway(name: str) -> dict[str, Any]:
    """A sample event whose API Gateway request id differs from the Lambda request id, so a
    test can tell which of the two the logs carry."""
    event = load_event(name)
    event["requestContext"]["requestId"] = API_GATEWAY_REQUEST_ID
    return event


def test_a_rejected_request_is_counted_and_logged_with_the_correlation_id(
    lambda_context: FakeLambdaContext, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = invoke(from_api_gateway("create_item_wrong_type.json"), lambda_context)
    assert status == 422
    rejected = logged_once(log_output, "Request rejected")
    assert rejected["correlation_id"] == API_GATEWAY_REQUEST_ID != lambda_context.aws_request_id
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["ValidationFailed"]


def unreachable_table(item_id: str, store: object) -> Item:
    raise RuntimeError("table unreachable")


def item_breaking_its_model(item_id: str, store: object) -> Item:
    return Item.model_construct(
        item_id="not-an-id", name="LEAKED-NAME", quantity=-5, created_at=datetime.now(UTC), signature="unsigned"
    )


@pytest.mark.parametrize(
    ("get_item", "message", "metric"),
    [
        (unreachable_table, "Unhandled error", "ProcessingFailed"),
        (item_breaking_its_model, "Response broke its model", "ResponseValidationFailed"),
    ],
    ids=["processing-failure", "response-breaking-its-model"],
)
def test_a_failure_is_counted_and_logged_with_the_correlation_id(
    get_item: Callable[[str, object], Item],
    message: str,
    metric: str,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(logic, "get_item", get_item)
    status, body = invoke(from_api_gateway("get_item.json"), lambda_context)
    assert status == 500
    failed = logged_once(log_output, message)
    assert (failed["level"], failed["correlation_id"]) == ("ERROR", API_GATEWAY_REQUEST_ID)
    assert "LEAKED" not in log_output.getvalue()
    assert "LEAKED" not in json.dumps(body)
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == [metric]


def test_an_existing_item_is_never_overwritten(table: Any) -> None:
    # Ids are random: a second write of one is a bug, refused by the conditional put.
    items = repository.ItemRepository("items-test")
    item_id = "0" * 31 + "7"
    first = Item(item_id=item_id, name="Widget", quantity=1, created_at=datetime.now(UTC), signature="a" * 64)
    items.put(first)
    with pytest.raises(repository.ItemExistsError, match=item_id):
        items.put(first.model_copy(update={"name": "Gadget"}))
    assert items.get(item_id) == first
