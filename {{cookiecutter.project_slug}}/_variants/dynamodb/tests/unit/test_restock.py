"""The restock handler invoked in-process with the sample events in events/, AWS emulated by moto."""

from __future__ import annotations

import io
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import handler, logic, processing, repository
from {{ cookiecutter.package_name }}.logic import RestockRequest
from {{ cookiecutter.package_name }}.models import StockChange

from tests.conftest import IDEMPOTENCY_TABLE, RESTOCK_TABLE, stock_image, stream_record
from tests.support.batches import NOT_A_BATCH, reported
from tests.support.idempotency import watch
from tests.support.lambda_runtime import FakeLambdaContext, batch, load_event
from tests.support.observability import correlation_ids, log_records, logged


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The skus of the restock requests written, in order: the side effect to count."""
    return watch(monkeypatch, repository.RestockRepository, "add", key=lambda request: request.sku)


def requests_in_table(dynamodb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]
    return sorted(items, key=lambda item: item["sku"]["S"])


def test_a_drop_below_the_reorder_level_writes_one_request(dynamodb: Any, lambda_context: FakeLambdaContext) -> None:
    assert reported(load_event("stock_dropped_below_reorder_level.json"), lambda_context) == []
    [item] = requests_in_table(dynamodb)
    assert item["sku"] == {"S": "WIDGET-BLUE"}
    assert item["request_id"] == {"S": "1"}
    assert item["quantity_on_hand"] == {"N": "4"}
    assert item["requested_quantity"] == {"N": "50"}
    assert item["status"] == {"S": "OPEN"}


def test_one_invalid_record_is_reported_alone(written: list[str], lambda_context: FakeLambdaContext) -> None:
    event = load_event("stock_batch_mixed.json")
    assert reported(event, lambda_context) == [event["Records"][2]["dynamodb"]["SequenceNumber"]]
    assert written == ["SPROCKET-7", "GIZMO-3"]


def test_the_retry_from_the_failed_record_writes_nothing_twice(
    written: list[str], lambda_context: FakeLambdaContext
) -> None:
    event = load_event("stock_batch_mixed.json")
    failed = reported(event, lambda_context)
    retry = batch(*event["Records"][2:])  # Lambda retries from the first reported record
    assert reported(retry, lambda_context) == failed
    assert written == ["SPROCKET-7", "GIZMO-3"]


def test_invalid_sample_event_is_reported(written: list[str], lambda_context: FakeLambdaContext) -> None:
    event = load_event("stock_invalid_image.json")
    assert reported(event, lambda_context) == [event["Records"][0]["dynamodb"]["SequenceNumber"]]
    assert written == []


def test_a_redelivered_batch_is_processed_once(written: list[str], lambda_context: FakeLambdaContext) -> None:
    event = load_event("stock_dropped_below_reorder_level.json")
    assert reported(event, lambda_context) == []
    assert reported(event, lambda_context) == []
    assert written == ["WIDGET-BLUE"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (stock_image(quantity=5), stock_image(quantity=4)),  # already low: requested when it crossed
        (stock_image(quantity=20), stock_image(quantity=15)),  # still above the level
        (stock_image(quantity=3), stock_image(quantity=60)),  # restocked
        (stock_image(quantity=10), stock_image(quantity=10, reorder_level=10)),  # at the level is not below
        (None, stock_image(quantity=40)),  # a new item with enough stock
    ],
    ids=["already-low", "above", "restocked", "at-level", "insert-above"],
)
def test_changes_that_do_not_cross_the_level_write_nothing(
    before: dict[str, Any] | None, after: dict[str, Any], written: list[str], lambda_context: FakeLambdaContext
) -> None:
    record = stream_record(1, after, before, event_name="MODIFY" if before else "INSERT")
    assert reported(batch(record), lambda_context) == []
    assert written == []


def test_raising_the_reorder_level_above_the_stock_requests_a_restock(
    dynamodb: Any, lambda_context: FakeLambdaContext
) -> None:
    record = stream_record(1, stock_image(quantity=12, reorder_level=100, lot=5), stock_image(quantity=12))
    assert reported(batch(record), lambda_context) == []
    [item] = requests_in_table(dynamodb)
    assert item["requested_quantity"] == {"N": "88"}  # more than a lot: enough to reach the level


def test_an_event_id_reused_with_another_payload_is_rejected(
    written: list[str], lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    first = stream_record(1, stock_image(quantity=4), stock_image(quantity=12), event_id="same")
    other = stream_record(2, stock_image(quantity=1), stock_image(quantity=12), event_id="same")
    assert reported(batch(first), lambda_context) == []
    assert reported(batch(other), lambda_context) == [other["dynamodb"]["SequenceNumber"]]
    assert written == ["WIDGET-BLUE"]
    assert "Event id reused with a different payload" in [line["message"] for line in log_records(log_output)]


def test_a_request_stored_before_is_not_overwritten(
    dynamodb: Any, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    """Past the idempotency window, the conditional write still keeps the first request."""
    dynamodb.put_item(
        TableName=RESTOCK_TABLE,
        Item={"sku": {"S": "WIDGET-BLUE"}, "request_id": {"S": "1"}, "status": {"S": "ORDERED"}},
    )
    assert reported(load_event("stock_dropped_below_reorder_level.json"), lambda_context) == []
    [item] = requests_in_table(dynamodb)
    assert item["status"] == {"S": "ORDERED"}
    assert "Restock request already stored" in [line["message"] for line in log_records(log_output)]


def test_rejections_log_field_names_not_content(lambda_context: FakeLambdaContext, log_output: io.StringIO) -> None:
    image = stock_image() | {"quantity": {"S": "four, ask Mrs Jones"}}
    assert reported(batch(stream_record(7, image, stock_image(quantity=12))), lambda_context) == ["0" * 20 + "7"]
    assert "Mrs Jones" not in log_output.getvalue()
    [rejected] = [line for line in log_records(log_output) if line["message"] == "Stock change rejected"]
    assert rejected["sequence_number"] == "0" * 20 + "7"
    assert rejected["invalid_fields"] == ["dynamodb.NewImage.quantity"]


def test_a_removal_is_rejected_because_the_filter_should_have_dropped_it(
    written: list[str], lambda_context: FakeLambdaContext
) -> None:
    record = stream_record(1, stock_image(quantity=0), event_name="REMOVE")
    assert reported(batch(record), lambda_context) == [record["dynamodb"]["SequenceNumber"]]
    assert written == []


def test_a_broken_table_fails_only_that_record_and_is_counted(
    dynamodb: Any, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    dynamodb.delete_table(TableName=RESTOCK_TABLE)
    harmless = stream_record(1, stock_image(quantity=40), stock_image(quantity=41))
    crossing = stream_record(2, stock_image(quantity=4), stock_image(quantity=12))
    assert reported(batch(harmless, crossing), lambda_context) == [crossing["dynamodb"]["SequenceNumber"]]
    errors = logged(log_output, "ERROR")
    assert [(line["message"], line["error_type"], line["correlation_id"]) for line in errors] == [
        ("Stock change failed", "ResourceNotFoundException", crossing["eventID"])
    ]


def test_missing_configuration_is_a_processing_failure(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    monkeypatch.setenv("RESTOCK_TABLE_NAME", "")
    event = load_event("stock_dropped_below_reorder_level.json")
    assert reported(event, lambda_context) == [event["Records"][0]["dynamodb"]["SequenceNumber"]]
    errors = [line["message"] for line in logged(log_output, "ERROR")]
    assert errors == ["Stock change failed"]


@pytest.mark.parametrize(
    "event",
    [
        *NOT_A_BATCH,
        pytest.param({"Records": [{"eventID": "1"}]}, id="no-dynamodb"),
        pytest.param({"Records": [{"dynamodb": "not an object"}]}, id="dynamodb-text"),
        pytest.param({"Records": [{"dynamodb": {"SequenceNumber": 42}}]}, id="numeric"),
    ],
)
def test_an_event_that_is_not_a_batch_fails_with_a_typed_error(event: Any, lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(processing.MalformedBatchError, match="not a DynamoDB stream batch"):
        handler.handler(event, lambda_context)


def test_records_with_broken_metadata_are_reported(written: list[str], lambda_context: FakeLambdaContext) -> None:
    good = stream_record(1, stock_image(quantity=4), stock_image(quantity=12))
    broken = {"eventID": "x", "dynamodb": {"SequenceNumber": "000000000000000000002", "NewImage": stock_image()}}
    assert reported(batch(good, broken), lambda_context) == ["000000000000000000002"]
    assert written == ["WIDGET-BLUE"]


def test_each_record_logs_under_its_event_id_as_correlation_id(
    lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    crossing = stream_record(1, stock_image(quantity=4), stock_image(quantity=12), event_id="event-crossing")
    invalid = stream_record(2, stock_image() | {"quantity": {"N": "-1"}}, event_id="event-invalid")
    assert reported(batch(crossing, invalid), lambda_context) == [invalid["dynamodb"]["SequenceNumber"]]
    with pytest.raises(processing.MalformedBatchError):
        handler.handler({"Records": []}, lambda_context)

    by_message = correlation_ids(log_output)
    assert by_message["Restock requested"] == "event-crossing"
    assert by_message["Stock change rejected"] == "event-invalid"
    assert by_message["Event is not a stream batch"] is None  # no record's id outlives its record


@pytest.mark.parametrize(
    "build", [RestockRequest, RestockRequest.model_construct], ids=["validated-model", "model-construct"]
)
def test_a_request_that_breaks_the_output_contract_fails_closed(
    build: Any,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
    log_output: io.StringIO,
) -> None:
    """A bug asks for zero items: whether the model refuses it at once or the repository does
    (a request built without validation), nothing is written and the record fails."""
    original = logic.restock_request

    def ask_for_nothing(change: StockChange, now: Any) -> RestockRequest:
        fields = original(change, now).model_dump() | {"requested_quantity": 0}
        request: RestockRequest = build(**fields)
        return request

    monkeypatch.setattr(logic, "restock_request", ask_for_nothing)
    record = stream_record(1, stock_image(sku="SECRET-SKU-42", quantity=4), stock_image(quantity=12))

    response = handler.handler(batch(record), lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert requests_in_table(dynamodb) == []
    assert dynamodb.scan(TableName=IDEMPOTENCY_TABLE)["Items"] == []  # released: the retry may run
    errors = logged(log_output, "ERROR")
    assert [(line["message"], line["error_type"], line["correlation_id"]) for line in errors] == [
        ("Stock change failed", "ValidationError", record["eventID"])
    ]
    assert "Traceback" not in log_output.getvalue()
    assert "SECRET-SKU-42" not in log_output.getvalue()
