"""The API handler invoked in-process with the sample events in events/."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from {{ cookiecutter.package_name }} import api, logic, repository, settings, signing
from {{ cookiecutter.package_name }}.models import Item

from tests.conftest import SIGNING_KEY
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import logged, logged_once, metrics_in_order

FAILURE_METRICS = ("ValidationFailed", "ProcessingFailed", "ResponseValidationFailed")


def invoke(event: dict[str, Any], context: FakeLambdaContext) -> tuple[int, dict[str, Any]]:
    response = api.handler(event, context)
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    return response["statusCode"], json.loads(response["body"])


def with_body(body: str | None) -> dict[str, Any]:
    event = load_event("create_item.json")
    event["body"] = body
    return event


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
    status, body = invoke(load_event("create_item_malformed_json.json"), lambda_context)
    assert status == 400
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
