"""The orders handler invoked in-process with the sample events, DynamoDB emulated by moto."""

from __future__ import annotations

import copy
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from moto.dynamodb.models import DynamoDBBackend

from {{ cookiecutter.package_name }} import handler, logic, repository, settings
from {{ cookiecutter.package_name }}.models import OrderPlaced, RecordedOrder

from tests.conftest import IDEMPOTENCY_IN_PROGRESS_EXPIRY, IDEMPOTENCY_STATUS, Aws, FakeLambdaContext, load_event

ORDER_ID = "ORD-20261126K7Q2"
# What the handler builds from settings once per process. The boto3 client stays: moto
# intercepts it whenever a test's mock is active.
CACHED = (handler.orders, handler.idempotency_config, handler.record_once, settings.settings)


@pytest.fixture(autouse=True)
def fresh_caches(aws: Aws) -> Iterator[None]:
    """Every test runs under moto (nothing can reach AWS) and from its own environment variables."""
    for cached in CACHED:
        cached.cache_clear()
    yield
    for cached in CACHED:
        cached.cache_clear()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the handler's logger writes during the test."""
    buffer = io.StringIO()
    previous = cast(logging.StreamHandler[io.StringIO], handler.logger.registered_handler).setStream(buffer)
    yield buffer
    cast(logging.StreamHandler[Any], handler.logger.registered_handler).setStream(previous)


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every order written to the orders table: the side effect that must happen once."""
    written: list[str] = []
    original = repository.OrderRepository.put

    def counting_put(self: repository.OrderRepository, order: Any, fingerprint: str) -> None:
        written.append(order.order_id)
        original(self, order, fingerprint)

    monkeypatch.setattr(repository.OrderRepository, "put", counting_put)
    return written


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
    assert aws.idempotency_records() == []  # the failed attempt leaves nothing that blocks the retry

    handler.handler(load_event("order_placed.json"), lambda_context)  # Lambda's retry
    handler.handler(load_event("order_placed.json"), lambda_context)  # and a late duplicate delivery
    assert len(aws.orders()) == 1
    assert len(aws.idempotency_records()) == 1


def test_the_same_order_id_with_other_content_is_refused(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    handler.handler(load_event("order_placed.json"), lambda_context)
    with pytest.raises(IdempotencyValidationError):
        handler.handler(with_detail(customer_id="CUS-999999"), lambda_context)
    assert aws.orders()[0]["customer_id"] == {"S": "CUS-004217"}


def test_after_the_idempotency_records_expire_the_table_still_refuses_other_content(
    aws: Aws, lambda_context: FakeLambdaContext
) -> None:
    handler.handler(load_event("order_placed.json"), lambda_context)
    aws.forget_idempotency_records()
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
    with pytest.raises(handler.InvalidEventError):
        handler.handler(load_event(name), lambda_context)

    assert puts == []
    assert aws.idempotency_records() == []
    records = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [warning] = [record for record in records if record["level"] == "WARNING"]
    assert warning["message"] == "Order event rejected"
    assert warning["correlation_id"] == load_event(name)["id"]


def test_the_wrong_fields_are_named_without_their_values(lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(handler.InvalidEventError) as raised:
        handler.handler(load_event("order_placed_wrong_types.json"), lambda_context)
    message = str(raised.value)
    assert "currency: string_pattern_mismatch" in message
    assert "lines.0.quantity: int_type" in message
    assert "placed_at: datetime_from_date_parsing" in message
    assert "three" not in message
    assert "euro" not in message


def test_logs_never_carry_the_order(lambda_context: FakeLambdaContext, log_output: io.StringIO) -> None:
    handler.handler(load_event("order_placed.json"), lambda_context)
    with pytest.raises(handler.InvalidEventError):
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
    with pytest.raises(handler.InvalidEventError):
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
    records = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [error] = [record for record in records if record["level"] == "ERROR"]
    assert error["message"] == "Processing failed"
    assert error["correlation_id"] == event["id"]
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [metric.get("ProcessingFailed") for metric in emitted] == [[1.0]]


def test_missing_configuration_fails_closed(
    aws: Aws, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_TABLE", "")
    with pytest.raises(ValueError, match="orders_table"):
        handler.handler(load_event("order_placed.json"), lambda_context)
    assert aws.orders() == []


def logged(log_output: io.StringIO, level: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in log_output.getvalue().splitlines()]
    return [record for record in records if record["level"] == level]


def failure_metrics(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The names of the failure metrics the invocations emitted, in order."""
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return [name for blob in blobs for name in ("OrderRejected", "ProcessingFailed") if name in blob]


# ------------------------------------------------------------------ concurrent duplicates
Outcome = dict[str, Any] | Exception


def deliver_concurrently(event: dict[str, Any], copies: int, one_finished: threading.Event) -> list[Outcome]:
    """EventBridge delivering the same event to ``copies`` invocations at the same moment."""
    start = threading.Barrier(copies)
    outcomes: list[Outcome] = []

    def invoke() -> None:
        start.wait(timeout=5)
        try:
            outcomes.append(handler.handler(copy.deepcopy(event), FakeLambdaContext()))
        except Exception as error:  # what Lambda would see: the test sorts them out
            outcomes.append(error)
        finally:
            one_finished.set()

    threads = [threading.Thread(target=invoke) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def hold_recording_until(released: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep an invocation that started recording busy until ``released``: so the two deliveries
    overlap for sure, instead of the first one finishing before the second one starts."""
    original = logic.record_order

    def held(order: OrderPlaced, store: logic.OrderStore) -> RecordedOrder:
        released.wait(timeout=5)  # only a broken lock makes both invocations wait this long
        return original(order, store)

    monkeypatch.setattr(logic, "record_order", held)


@pytest.fixture
def atomic_put_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and writes atomically; moto does both without a
    lock, so two threads could both pass the check. Lend moto the atomicity DynamoDB has."""
    lock = threading.Lock()
    original = DynamoDBBackend.put_item

    def locked_put_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", locked_put_item)


@pytest.mark.usefixtures("atomic_put_item")
def test_a_duplicate_delivered_concurrently_is_recorded_once(
    aws: Aws, puts: list[str], log_output: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event("order_placed.json")
    one_finished = threading.Event()
    hold_recording_until(one_finished, monkeypatch)

    outcomes = deliver_concurrently(event, copies=2, one_finished=one_finished)

    recorded = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(outcomes) == 2
    assert puts == [ORDER_ID]
    assert len(aws.orders()) == 1
    # The loser raises, so Lambda retries the event (or, had the winner already finished, gets its result).
    assert [type(error) for error in refused] == [IdempotencyAlreadyInProgressError] * len(refused)
    retried = handler.handler(event, FakeLambdaContext())  # Lambda's retry of the loser
    assert recorded
    assert all(outcome == retried for outcome in recorded)  # every caller sees the one result
    assert puts == [ORDER_ID]
    warnings = logged(log_output, "WARNING")
    assert [warning["correlation_id"] for warning in warnings] == [event["id"]] * len(refused)
    assert logged(log_output, "ERROR") == []  # a duplicate is not a processing failure: no alarm


# ------------------------------------------------------------------ an invocation that timed out
class InvocationTimedOut(BaseException):
    """A Lambda timeout seen from inside: the runtime stops the invocation, so no ``except
    Exception`` runs and Powertools gets no chance to delete the in-progress record."""


def times_out(order: OrderPlaced, store: logic.OrderStore) -> RecordedOrder:
    raise InvocationTimedOut


def now_in_millis() -> int:
    return int(time.time() * 1000)


def test_a_timed_out_invocation_locks_its_order_only_for_the_time_it_had(
    aws: Aws, puts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event("order_placed.json")
    original = logic.record_order
    monkeypatch.setattr(logic, "record_order", times_out)
    before = now_in_millis()
    with pytest.raises(InvocationTimedOut):
        handler.handler(event, FakeLambdaContext(remaining_time_in_millis=1_500))
    after = now_in_millis()
    monkeypatch.setattr(logic, "record_order", original)  # the retries record normally

    [lock] = aws.idempotency_records()
    assert lock[IDEMPOTENCY_STATUS] == {"S": "INPROGRESS"}
    # register_lambda_context: the lock ends with the invocation's deadline, not after 48 hours.
    assert before + 1_500 <= int(lock[IDEMPOTENCY_IN_PROGRESS_EXPIRY]["N"]) <= after + 1_500

    with pytest.raises(IdempotencyAlreadyInProgressError):  # a retry within that time must not record too
        handler.handler(load_event("order_placed_republished.json"), FakeLambdaContext())
    assert puts == []

    aws.run_out_in_progress_time()
    first = handler.handler(event, FakeLambdaContext())  # a retry after it takes over the lock
    assert handler.handler(event, FakeLambdaContext()) == first  # and a late duplicate gets its result
    assert puts == [ORDER_ID]
    [done] = aws.idempotency_records()
    assert done[IDEMPOTENCY_STATUS] == {"S": "COMPLETED"}


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
    with pytest.raises(handler.OutputValidationError) as raised:
        handler.handler(event, FakeLambdaContext())

    assert str(raised.value) == "the order record breaks its model (customer_id: string_pattern_mismatch)"
    assert raised.value.__suppress_context__  # raised from None: pydantic's message quotes the values
    assert aws.orders() == []
    assert aws.idempotency_records() == []  # nothing saved that a retry would replay
    [error] = logged(log_output, "ERROR")
    assert error["message"] == "Processing failed"
    assert error["correlation_id"] == event["id"]
    assert LEAKED not in log_output.getvalue()
    assert failure_metrics(capsys) == ["ProcessingFailed"]


def test_a_rejection_is_counted_and_logged_with_the_correlation_id(
    aws: Aws, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event("order_placed_wrong_types.json")
    with pytest.raises(handler.InvalidEventError):
        handler.handler(event, FakeLambdaContext())
    [warning] = logged(log_output, "WARNING")
    assert (warning["message"], warning["correlation_id"]) == ("Order event rejected", event["id"])
    assert event["id"] != FakeLambdaContext().aws_request_id  # the id comes from the event
    assert failure_metrics(capsys) == ["OrderRejected"]
