"""The orders handler invoked in-process with the sample events, DynamoDB emulated by moto."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

from {{ cookiecutter.package_name }} import handler, logic, processing, repository
from {{ cookiecutter.package_name }}.models import OrderPlaced, RecordedOrder

from tests.conftest import Aws
from tests.support.async_invocations import ExactlyOnceWhenDeliveredTwice
from tests.support.idempotency import IdempotencyTable, watch
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import correlated, metric_blobs, metrics_in_order

ORDER_ID = "ORD-20261126K7Q2"
FAILURE_METRICS = ("OrderRejected", "ProcessingFailed")


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every order written to the orders table: the side effect that must happen once."""
    return watch(monkeypatch, repository.OrderRepository, "put", key=lambda order, fingerprint: order.order_id)


def with_detail(**changes: Any) -> dict[str, Any]:
    event = load_event("order_placed.json")
    event["detail"] = {**event["detail"], **changes}
    return event


def test_an_order_is_recorded(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    recorded = handler.handler(load_event("order_placed.json"), lambda_context)

    assert recorded["order_id"] == ORDER_ID
    assert recorded["total"] == "47.40"
    assert recorded["line_count"] == 2
    [stored] = aws.orders()
    assert stored["pk"] == {"S": ORDER_ID}
    assert stored["total"] == {"N": "47.40"}


def test_a_duplicate_delivery_is_recorded_once(aws: Aws, lambda_context: FakeLambdaContext, puts: list[str]) -> None:
    first = handler.handler(load_event("order_placed.json"), lambda_context)
    second = handler.handler(load_event("order_placed.json"), lambda_context)

    assert first == second  # the duplicate gets the first result back, from the idempotency record
    assert puts == [ORDER_ID]
    assert len(aws.orders()) == 1


def test_a_republished_order_is_recorded_once(aws: Aws, lambda_context: FakeLambdaContext, puts: list[str]) -> None:
    original = load_event("order_placed.json")
    republished = load_event("order_placed_republished.json")
    assert original["id"] != republished["id"]  # another event, the same order

    handler.handler(original, lambda_context)
    handler.handler(republished, lambda_context)
    assert puts == [ORDER_ID]


def test_a_retry_after_a_failure_records_once(
    aws: Aws, lambda_context: FakeLambdaContext, puts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = repository.OrderRepository.put

    def flaky_put(self: repository.OrderRepository, order: Any, fingerprint: str) -> None:
        monkeypatch.setattr(repository.OrderRepository, "put", original)  # fails once, like a network blip
        raise ConnectionError("DynamoDB timed out")

    monkeypatch.setattr(repository.OrderRepository, "put", flaky_put)
    with pytest.raises(ConnectionError):
        handler.handler(load_event("order_placed.json"), lambda_context)
    assert aws.idempotency.records() == []  # the failed attempt leaves nothing that blocks the retry

    handler.handler(load_event("order_placed.json"), lambda_context)  # Lambda's retry
    handler.handler(load_event("order_placed.json"), lambda_context)  # and a late duplicate delivery
    assert len(aws.orders()) == 1
    assert len(aws.idempotency.records()) == 1


def test_the_same_order_id_with_other_content_is_refused(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    handler.handler(load_event("order_placed.json"), lambda_context)
    with pytest.raises(IdempotencyValidationError):
        handler.handler(with_detail(customer_id="CUS-999999"), lambda_context)
    assert aws.orders()[0]["customer_id"] == {"S": "CUS-004217"}


def test_after_the_idempotency_records_expire_the_table_still_refuses_other_content(
    aws: Aws, lambda_context: FakeLambdaContext
) -> None:
    handler.handler(load_event("order_placed.json"), lambda_context)
    aws.idempotency.forget()
    with pytest.raises(repository.OrderConflictError):
        handler.handler(with_detail(currency="USD"), lambda_context)
    handler.handler(load_event("order_placed_republished.json"), lambda_context)  # the same order is still fine
    [stored] = aws.orders()
    assert stored["currency"] == {"S": "EUR"}


@pytest.mark.parametrize(
    "name", ["order_placed_wrong_types.json", "order_placed_truncated.json", "order_cancelled.json"]
)
def test_invalid_sample_events_raise_for_retry_then_the_failure_queue(
    name: str, aws: Aws, lambda_context: FakeLambdaContext, log_output: io.StringIO, puts: list[str]
) -> None:
    """Raising is how an asynchronous invocation fails: Lambda retries it, then sends it to
    the on-failure destination (test_template.py shows that wiring)."""
    with pytest.raises(processing.InvalidEventError):
        handler.handler(load_event(name), lambda_context)

    assert puts == []
    assert aws.idempotency.records() == []
    assert correlated(log_output, "WARNING") == [("Order event rejected", load_event(name)["id"])]


def test_the_wrong_fields_are_named_without_their_values(lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(processing.InvalidEventError) as raised:
        handler.handler(load_event("order_placed_wrong_types.json"), lambda_context)
    message = str(raised.value)
    assert "currency: string_pattern_mismatch" in message
    assert "lines.0.quantity: int_type" in message
    assert "placed_at: datetime_from_date_parsing" in message
    assert "three" not in message
    assert "euro" not in message


def test_logs_never_carry_the_order(lambda_context: FakeLambdaContext, log_output: io.StringIO) -> None:
    handler.handler(load_event("order_placed.json"), lambda_context)
    with pytest.raises(processing.InvalidEventError):
        handler.handler(load_event("order_placed_wrong_types.json"), lambda_context)
    assert "Câble" not in log_output.getvalue()
    assert "CUS-004217" not in log_output.getvalue()


def envelope_without(key: str) -> dict[str, Any]:
    event = load_event("order_placed.json")
    del event[key]
    return event


def envelope_with(key: str, value: Any) -> dict[str, Any]:
    event = load_event("order_placed.json")
    event[key] = value
    return event


def line_with(**changes: Any) -> dict[str, Any]:
    event = load_event("order_placed.json")
    lines = copy.deepcopy(event["detail"]["lines"])
    lines[0].update(changes)
    event["detail"]["lines"] = lines
    return event


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "",
        "not json",
        {},
        envelope_with("detail", None),
        envelope_with("detail", "order"),
        envelope_with("detail", []),
        envelope_with("detail", {}),
        envelope_with("source", "com.example.marketing"),
        envelope_with("detail-type", "OrderCancelled"),
        envelope_with("time", "yesterday"),
        envelope_with("resources", "all"),
        envelope_without("detail"),
        envelope_without("source"),
        envelope_without("detail-type"),
        envelope_without("id"),
        with_detail(order_id=42),
        with_detail(order_id="ORD-"),
        with_detail(order_id="ORD-" + "Ǆ" * 12),
        with_detail(placed_at="2026-11-26T12:34:50"),  # no time zone
        with_detail(lines=[]),
        with_detail(lines=None),
        with_detail(lines=[None]),
        with_detail(lines="WIDGET-100"),
        with_detail(discount="100%"),
        line_with(quantity=0),
        line_with(quantity=2.5),
        line_with(quantity=True),
        line_with(unit_price="NaN"),
        line_with(unit_price="-1.00"),
        line_with(unit_price="0.001"),
        line_with(unit_price=[]),
        line_with(description=""),
        line_with(description="tab\there"),
        line_with(description="🙂" * 201),
    ],
)
def test_malformed_events_only_ever_raise_the_validation_error(event: Any, lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(processing.InvalidEventError):
        handler.handler(event, lambda_context)


def test_an_unexpected_failure_is_counted_apart_and_raised(
    lambda_context: FakeLambdaContext,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(self: repository.OrderRepository, order: Any, fingerprint: str) -> None:
        raise RuntimeError("table unreachable")

    monkeypatch.setattr(repository.OrderRepository, "put", broken)
    event = load_event("order_placed.json")
    with pytest.raises(RuntimeError):
        handler.handler(event, lambda_context)
    assert correlated(log_output, "ERROR") == [("Processing failed", event["id"])]
    assert [blob.get("ProcessingFailed") for blob in metric_blobs(capsys.readouterr().out)] == [[1.0]]


def test_missing_configuration_fails_closed(
    aws: Aws, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_TABLE", "")
    with pytest.raises(ValueError, match="orders_table"):
        handler.handler(load_event("order_placed.json"), lambda_context)
    assert aws.orders() == []


# ------------------------------------------------------------------ delivered twice
class TestAnOrderIsRecordedOnceWhenDeliveredTwice(ExactlyOnceWhenDeliveredTwice):
    hold_point = (logic, "record_order")
    recorded = ORDER_ID
    in_progress_metric = "OrderInProgressElsewhere"

    def the_event(self, aws: Aws) -> dict[str, Any]:
        return load_event("order_placed.json")

    def redelivery(self, aws: Aws, event: dict[str, Any]) -> dict[str, Any]:
        """Republished: another event id, the same order."""
        return load_event("order_placed_republished.json")

    def idempotency(self, aws: Aws) -> IdempotencyTable:
        return aws.idempotency

    def stored(self, aws: Aws) -> list[str]:
        return [item["pk"]["S"] for item in aws.orders()]

    def answered(self, result: dict[str, Any]) -> str:
        return str(result["order_id"])

    def correlation_id(self, event: dict[str, Any]) -> str:
        return str(event["id"])


# ------------------------------------------------------------------ output validation
LEAKED = "CUS-LEAKED-CONTENT"
ORIGINAL_RECORD_ORDER = logic.record_order


def order_with_a_broken_customer(order: OrderPlaced, store: logic.OrderStore) -> RecordedOrder:
    """A bug in the rules: model_copy does not validate what it changes."""
    return ORIGINAL_RECORD_ORDER(order.model_copy(update={"customer_id": LEAKED}), store)


def record_built_without_validation(**fields: Any) -> RecordedOrder:
    return RecordedOrder.model_construct(**{**fields, "customer_id": LEAKED})


@pytest.mark.parametrize(
    ("name", "bug"),
    [("record_order", order_with_a_broken_customer), ("RecordedOrder", record_built_without_validation)],
)
def test_a_record_breaking_its_model_fails_closed(
    name: str,
    bug: Callable[..., Any],
    aws: Aws,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(logic, name, bug)
    event = load_event("order_placed.json")
    with pytest.raises(processing.OutputValidationError) as raised:
        handler.handler(event, FakeLambdaContext())

    assert str(raised.value) == "the order record breaks its model (customer_id: string_pattern_mismatch)"
    assert raised.value.__suppress_context__  # raised from None: pydantic's message quotes the values
    assert aws.orders() == []
    assert aws.idempotency.records() == []  # nothing saved that a retry would replay
    assert correlated(log_output, "ERROR") == [("Processing failed", event["id"])]
    assert LEAKED not in log_output.getvalue()
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["ProcessingFailed"]


def test_a_rejection_is_counted_and_logged_with_the_correlation_id(
    aws: Aws, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event("order_placed_wrong_types.json")
    with pytest.raises(processing.InvalidEventError):
        handler.handler(event, FakeLambdaContext())
    assert correlated(log_output, "WARNING") == [("Order event rejected", event["id"])]
    assert event["id"] != FakeLambdaContext().aws_request_id  # the id comes from the event
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["OrderRejected"]
