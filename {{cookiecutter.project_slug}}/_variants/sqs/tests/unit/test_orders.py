"""The orders handler invoked in-process with the sample events in events/, AWS emulated by moto."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import handler, logic, processing, repository
from {{ cookiecutter.package_name }}.models import AcceptedOrder

from tests.conftest import IDEMPOTENCY_TABLE, ORDERS_TABLE, order, sqs_record
from tests.support.batches import NOT_A_BATCH, reported
from tests.support.idempotency import watch
from tests.support.lambda_runtime import FakeLambdaContext, batch, load_event
from tests.support.observability import correlation_ids, log_records, logged


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order ids written to the orders table, in order: the side effect to count."""
    return watch(monkeypatch, repository.OrderRepository, "add", key=lambda accepted: accepted.order_id)


def stored_order(dynamodb: Any, order_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(TableName=ORDERS_TABLE, Key={"pk": {"S": order_id}}).get("Item")
    return item


def test_valid_order_is_stored_with_its_total(dynamodb: Any, lambda_context: FakeLambdaContext) -> None:
    assert reported(load_event("order_placed.json"), lambda_context) == []
    item = stored_order(dynamodb, "ord-20260101A0001")
    assert item is not None
    assert item["total_cents"] == {"N": str(3 * 1250 + 4999)}
    assert item["customer_id"] == {"S": "cus-C0FFEE0042"}
    assert [line["M"]["sku"]["S"] for line in item["lines"]["L"]] == ["WIDGET-BLUE", "GADGET-9"]


def test_one_invalid_record_is_reported_alone(
    dynamodb: Any, stored: list[str], lambda_context: FakeLambdaContext
) -> None:
    event = load_event("order_batch_mixed.json")
    assert reported(event, lambda_context) == [event["Records"][1]["messageId"]]
    assert stored == ["ord-20260101A0002", "ord-20260101A0004"]
    assert stored_order(dynamodb, "ord-20260101A0003") is None


@pytest.mark.parametrize("name", ["order_missing_field.json", "order_truncated_body.json"])
def test_invalid_sample_events_are_reported(name: str, stored: list[str], lambda_context: FakeLambdaContext) -> None:
    event = load_event(name)
    assert reported(event, lambda_context) == [record["messageId"] for record in event["Records"]]
    assert stored == []


def test_redelivered_message_is_processed_once(stored: list[str], lambda_context: FakeLambdaContext) -> None:
    event = load_event("order_placed.json")
    assert reported(event, lambda_context) == []
    assert reported(event, lambda_context) == []  # SQS delivers at least once
    assert stored == ["ord-20260101A0001"]


def test_same_order_in_two_messages_is_processed_once(stored: list[str], lambda_context: FakeLambdaContext) -> None:
    body = json.dumps(order("ord-20260101B0001"))
    assert reported(batch(sqs_record(body, "m-1"), sqs_record(body, "m-2")), lambda_context) == []
    assert stored == ["ord-20260101B0001"]


def test_order_id_reused_with_another_payload_is_rejected(
    dynamodb: Any, stored: list[str], lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    original = order("ord-20260101C0001")
    altered = order("ord-20260101C0001", lines=[{"sku": "WIDGET-BLUE", "quantity": 300, "unit_price_cents": 1}])
    assert reported(batch(sqs_record(json.dumps(original), "m-1")), lambda_context) == []
    assert reported(batch(sqs_record(json.dumps(altered), "m-2")), lambda_context) == ["m-2"]
    assert stored == ["ord-20260101C0001"]
    item = stored_order(dynamodb, "ord-20260101C0001")
    assert item is not None
    assert item["total_cents"] == {"N": str(3 * 1250 + 4999)}
    warnings = log_records(log_output)
    assert any(entry["message"] == "Order id reused with a different payload" for entry in warnings)


def test_order_stored_before_is_not_overwritten(
    dynamodb: Any, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    """Past the idempotency window, the conditional write still keeps the first order."""
    dynamodb.put_item(TableName=ORDERS_TABLE, Item={"pk": {"S": "ord-20260101D0001"}, "total_cents": {"N": "1"}})
    assert reported(batch(sqs_record(json.dumps(order("ord-20260101D0001")), "m-1")), lambda_context) == []
    assert stored_order(dynamodb, "ord-20260101D0001") == {
        "pk": {"S": "ord-20260101D0001"},
        "total_cents": {"N": "1"},
    }
    messages = [entry["message"] for entry in log_records(log_output)]
    assert "Order already stored" in messages


def test_rejections_log_field_names_not_content(lambda_context: FakeLambdaContext, log_output: io.StringIO) -> None:
    delivery_note = "deliver to the back door, code 4711"
    body = json.dumps(order("ord-20260101E0001", note=delivery_note))
    assert reported(batch(sqs_record(body, "m-1")), lambda_context) == ["m-1"]
    output = log_output.getvalue()
    assert delivery_note not in output
    rejected = [json.loads(line) for line in output.splitlines() if "Order message rejected" in line]
    assert [(entry["message_id"], entry["invalid_fields"]) for entry in rejected] == [("m-1", ["body.note"])]


def test_a_broken_table_fails_only_that_record_and_is_counted(
    dynamodb: Any, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    dynamodb.delete_table(TableName=ORDERS_TABLE)
    assert reported(load_event("order_placed.json"), lambda_context) == [
        load_event("order_placed.json")["Records"][0]["messageId"]
    ]
    errors = logged(log_output, "ERROR")
    assert [(entry["message"], entry["error_type"], entry["correlation_id"]) for entry in errors] == [
        ("Order message failed", "ResourceNotFoundException", "19dd0b57-b21e-4ac1-bd88-01bbb068cb78")
    ]


def test_missing_configuration_fails_every_record_as_a_processing_failure(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    monkeypatch.setenv("ORDERS_TABLE_NAME", "")
    event = load_event("order_batch_mixed.json")
    assert reported(event, lambda_context) == [record["messageId"] for record in event["Records"]]
    failed = [entry["message"] for entry in logged(log_output, "ERROR")]
    assert failed == ["Order message failed", "Order message failed"]


@pytest.mark.parametrize(
    "event",
    [
        *NOT_A_BATCH,
        pytest.param({"Records": [{"body": "{}"}]}, id="no-message-id"),
        pytest.param({"Records": [{"messageId": 42, "body": "{}"}]}, id="numeric-id"),
    ],
)
def test_an_event_that_is_not_a_batch_fails_with_a_typed_error(event: Any, lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(processing.MalformedBatchError, match="not an SQS batch"):
        handler.handler(event, lambda_context)


def test_records_with_broken_metadata_are_reported(stored: list[str], lambda_context: FakeLambdaContext) -> None:
    good = sqs_record(json.dumps(order("ord-20260101F0001")), "m-good")
    broken = {"messageId": "m-broken", "body": json.dumps(order("ord-20260101F0002"))}
    assert reported(batch(good, broken), lambda_context) == ["m-broken"]
    assert stored == ["ord-20260101F0001"]


def test_each_record_logs_under_its_message_id_as_correlation_id(
    lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    accepted = sqs_record(json.dumps(order("ord-20260101H0001")), "m-accepted")
    rejected = sqs_record(json.dumps(order("ord-20260101H0002", currency="XXX")), "m-rejected")
    assert reported(batch(accepted, rejected), lambda_context) == ["m-rejected"]
    with pytest.raises(processing.MalformedBatchError):
        handler.handler({"Records": []}, lambda_context)

    by_message = correlation_ids(log_output)
    assert by_message["Order accepted"] == "m-accepted"
    assert by_message["Order message rejected"] == "m-rejected"
    assert by_message["Event is not an SQS batch"] is None  # no record's id outlives its record


def construct_without_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logic, "AcceptedOrder", AcceptedOrder.model_construct)


@pytest.mark.parametrize(
    "build", [lambda _: None, construct_without_validation], ids=["validated-model", "model-construct"]
)
def test_an_order_that_breaks_the_output_contract_fails_closed(
    build: Any,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
    log_output: io.StringIO,
) -> None:
    """A pricing bug yields a negative total: whether the model refuses it at once or the
    repository does (an order built without validation), nothing is written and the record fails."""
    monkeypatch.setattr(logic, "total_cents", lambda _order: -1)
    build(monkeypatch)
    event = batch(sqs_record(json.dumps(order("ord-20260101K0001")), "m-1"))

    response = handler.handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}  # the id alone, no error text
    assert dynamodb.scan(TableName=ORDERS_TABLE)["Items"] == []
    assert dynamodb.scan(TableName=IDEMPOTENCY_TABLE)["Items"] == []  # released: the retry may run
    errors = logged(log_output, "ERROR")
    assert [(entry["message"], entry["error_type"], entry["correlation_id"]) for entry in errors] == [
        ("Order message failed", "ValidationError", "m-1")
    ]
    assert "Traceback" not in log_output.getvalue()
    assert "cus-C0FFEE0042" not in log_output.getvalue()


@pytest.mark.parametrize("placed_at", ["0", "1767225600", 1767225600, "2026-01-01T09:30:00"])
def test_placed_at_must_be_an_iso_date_time_with_its_offset(
    placed_at: Any, stored: list[str], lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    """Pydantic would read a string of digits as Unix time: "0" must not become 1970."""
    body = json.dumps(order("ord-20260101L0001", placed_at=placed_at))
    assert reported(batch(sqs_record(body, "m-1")), lambda_context) == ["m-1"]
    assert stored == []
    [rejected] = [entry for entry in log_records(log_output) if entry["message"] == "Order message rejected"]
    assert rejected["invalid_fields"] == ["body.placed_at"]
