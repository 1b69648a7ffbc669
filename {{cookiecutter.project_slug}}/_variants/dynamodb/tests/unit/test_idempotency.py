"""Exactly once under the two hard cases: the same stream record delivered to two invocations
at the same moment, and an invocation that timed out while it held a record. AWS emulated by moto.

Powertools keeps one idempotency item per event id in the idempotency table; while an
invocation works on the change the item is ``INPROGRESS`` until ``in_progress_expiration``
(epoch milliseconds: now plus the invocation's remaining time, known because the handler
calls ``register_lambda_context``). A second invocation meanwhile gets
``IdempotencyAlreadyInProgressError``, which must end as a batch item failure: retried, not lost.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from {{ cookiecutter.package_name }} import handler, repository
from {{ cookiecutter.package_name }}.models import RestockRequest

from tests.conftest import IDEMPOTENCY_TABLE, RESTOCK_TABLE, FakeLambdaContext, batch, stock_image, stream_record

EVENT_ID = "event-crossing"
POSITION = "000000000000000000001"  # what a failed record is reported by
HOLD_SECONDS = 2  # bounds a wait that, when the code is right, ends within milliseconds


class SandboxStopped(BaseException):
    """A timeout seen from inside: the runtime stops the process, so no ``except Exception``
    (Powertools' clean-up of its in-progress item included) gets to run."""


@pytest.fixture(autouse=True)
def atomic_put_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and writes atomically; moto does both without a
    lock, so two threads could both pass the check. Lend moto the atomicity DynamoDB has."""
    lock = threading.Lock()
    original = DynamoDBBackend.put_item

    def locked_put_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", locked_put_item)


def patch_add(monkeypatch: pytest.MonkeyPatch, before_write: Callable[[], object]) -> list[str]:
    """Run ``before_write`` at the side effect, just before the request is written; return the
    request ids the code tried to write (the conditional write alone would hide a second try)."""
    attempts: list[str] = []
    original = repository.RestockRepository.add

    def add(self: repository.RestockRepository, request: RestockRequest) -> bool:
        attempts.append(request.request_id)
        before_write()
        return original(self, request)

    monkeypatch.setattr(repository.RestockRepository, "add", add)
    return attempts


def the_change() -> dict[str, Any]:
    """A stock item that drops below its reorder level: one restock request to write."""
    return batch(stream_record(1, stock_image(quantity=4), stock_image(quantity=12), event_id=EVENT_ID))


def failures(event: dict[str, Any], context: FakeLambdaContext) -> list[str]:
    response = handler.handler(event, context)
    assert set(response) == {"batchItemFailures"}
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def stored_request_ids(dynamodb: Any) -> list[str]:
    return [item["request_id"]["S"] for item in dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]]


def idempotency_items(dynamodb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.scan(TableName=IDEMPOTENCY_TABLE)["Items"]
    return items


def metric_names(stdout: str) -> set[str]:
    """The names of the metrics in the embedded metric format lines Powertools printed."""
    blobs = [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]
    directives = [directive for blob in blobs for directive in blob["_aws"]["CloudWatchMetrics"]]
    return {metric["Name"] for directive in directives for metric in directive["Metrics"]}


def now_in_millis() -> int:
    return int(time.time() * 1000)


def test_the_same_record_delivered_to_two_invocations_at_once_is_written_once_and_never_lost(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = threading.Barrier(2, timeout=HOLD_SECONDS)
    one_invocation_answered = threading.Event()
    # The winner holds the change until the other invocation has answered: the overlap is certain.
    attempts = patch_add(monkeypatch, lambda: one_invocation_answered.wait(HOLD_SECONDS))
    answers: list[list[str]] = []

    def invocation() -> None:
        start.wait()
        answers.append(failures(the_change(), FakeLambdaContext()))
        one_invocation_answered.set()

    threads = [threading.Thread(target=invocation) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * HOLD_SECONDS)

    # One invocation wrote the request; the other reported the record so that Lambda retries from it.
    assert sorted(answers) == [[], [POSITION]]
    assert failures(the_change(), FakeLambdaContext()) == []  # the retry gets the stored result
    assert attempts == [EVENT_ID]
    assert stored_request_ids(dynamodb) == [EVENT_ID]


def stop_at_the_write() -> None:
    raise SandboxStopped


def test_a_change_held_by_a_timed_out_invocation_is_retried_later_not_processed_twice(
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with monkeypatch.context() as patch:
        patch_add(patch, stop_at_the_write)
        started = now_in_millis()
        with pytest.raises(SandboxStopped):
            handler.handler(the_change(), lambda_context)

    [held] = idempotency_items(dynamodb)
    assert held["status"] == {"S": "INPROGRESS"}
    # Held for the invocation's remaining time only (register_lambda_context), not for the 48-hour expiry.
    expiry = int(held["in_progress_expiration"]["N"]) - lambda_context.remaining_time_in_millis
    assert started <= expiry <= now_in_millis()
    # While the stopped invocation could still be running, a retry is reported, not processed.
    attempts = patch_add(monkeypatch, lambda: None)
    capsys.readouterr()
    assert failures(the_change(), lambda_context) == [POSITION]
    assert attempts == []
    # Expected under concurrency, so not a ProcessingFailed: that alarm rolls deployments back.
    counted = metric_names(capsys.readouterr().out)
    assert ("ChangeInProgressElsewhere" in counted, "ProcessingFailed" in counted) == (True, False)
    assert stored_request_ids(dynamodb) == []


def test_a_change_left_in_progress_is_processed_exactly_once_after_the_invocation_expired(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    almost_out_of_time = FakeLambdaContext(remaining_time_in_millis=20)
    with monkeypatch.context() as patch:
        stopped = patch_add(patch, stop_at_the_write)
        with pytest.raises(SandboxStopped):
            handler.handler(the_change(), almost_out_of_time)
    time.sleep(0.05)  # past the stopped invocation's in_progress_expiration

    attempts = patch_add(monkeypatch, lambda: None)
    assert failures(the_change(), FakeLambdaContext()) == []
    assert failures(the_change(), FakeLambdaContext()) == []  # and once completed, remembered
    assert (stopped, attempts) == ([EVENT_ID], [EVENT_ID])
    assert stored_request_ids(dynamodb) == [EVENT_ID]
    [done] = idempotency_items(dynamodb)
    assert done["status"] == {"S": "COMPLETED"}
