"""Batches (SQS, DynamoDB streams): the handler answers with a partial batch response, and a
record it reports is what Lambda retries. A record must never be lost nor processed twice."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import handler

from tests.support.idempotency import (
    HOLD_SECONDS,
    IN_PROGRESS_EXPIRY,
    STATUS,
    IdempotencyTable,
    InvocationTimedOut,
    deliver_concurrently,
    now_in_millis,
    time_out,
    watch,
)
from tests.support.lambda_runtime import FakeLambdaContext
from tests.support.observability import emitted_metrics, metric_names
from tests.support.stack import alarmed_metrics

# Events a batch handler must refuse as a whole, before any record: a typed error, no traceback.
NOT_A_BATCH = [
    pytest.param({}, id="empty"),
    pytest.param({"Records": []}, id="no-records"),
    pytest.param({"Records": "not a list"}, id="records-not-a-list"),
    pytest.param({"Records": [None]}, id="null-record"),
    pytest.param([], id="list"),
]
# Each alarmed; a validation failure says nothing about the code, a processing failure does.
FAILURE_METRICS = ("ValidationFailed", "ProcessingFailed")


def reported(event: Any, context: FakeLambdaContext) -> list[str]:
    """Run the handler on a batch; return the item identifiers it asks Lambda to retry."""
    response = handler.handler(event, context)
    assert set(response) == {"batchItemFailures"}
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def assert_failures_alarmed(stdout: str) -> None:
    """Both failure metrics were emitted, each where an alarm on the alarm topic watches it."""
    failures = {metric for metric in emitted_metrics(stdout) if metric[1] in FAILURE_METRICS}
    assert sorted(metric[1] for metric in failures) == sorted(FAILURE_METRICS)
    assert failures <= alarmed_metrics()


class ExactlyOnceInBatches:
    """Exactly once under the two hard cases: the same record delivered to two invocations at
    the same moment, and an invocation that timed out while it held a record (see
    tests/support/idempotency.py). The second invocation's ``IdempotencyAlreadyInProgressError``
    must end as a batch item failure: retried, not lost.

    A test class of the event source inherits these tests and says what its record is."""

    side_effect: tuple[type, str]  # the write that must happen once: class and method
    key: str  # the item the side effect writes, by the key it is stored under
    reported_as: str  # what the handler reports the record by
    in_progress_metric: str  # counted when another invocation holds the record
    idempotency_table: str

    def the_batch(self) -> dict[str, Any]:
        raise NotImplementedError

    def attempted(self, written: Any) -> str:
        """The key of the item the side effect is called to write."""
        raise NotImplementedError

    def stored_keys(self, dynamodb: Any) -> list[str]:
        raise NotImplementedError

    def watch(self, monkeypatch: pytest.MonkeyPatch, before: Any = lambda: None) -> list[str]:
        return watch(monkeypatch, *self.side_effect, key=self.attempted, before=before)

    @pytest.mark.usefixtures("atomic_put_item")
    def test_the_same_record_delivered_to_two_invocations_at_once_is_processed_once_and_never_lost(
        self, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        one_invocation_answered = threading.Event()
        # The winner holds the record until the other invocation has answered: the overlap is certain.
        attempts = self.watch(monkeypatch, before=lambda: one_invocation_answered.wait(HOLD_SECONDS))

        answers = deliver_concurrently(
            lambda event: reported(event, FakeLambdaContext()), self.the_batch(), 2, one_invocation_answered
        )

        reports = [answer for answer in answers if isinstance(answer, list)]
        assert len(reports) == len(answers) == 2  # neither raised
        # One invocation processed the record; the other reported it, so that Lambda delivers it again.
        assert sorted(reports) == [[], [self.reported_as]]
        assert reported(self.the_batch(), FakeLambdaContext()) == []  # the retry gets the stored result
        assert attempts == [self.key]
        assert self.stored_keys(dynamodb) == [self.key]

    @pytest.mark.usefixtures("atomic_put_item")
    def test_a_record_held_by_a_timed_out_invocation_is_retried_later_not_processed_twice(
        self,
        dynamodb: Any,
        monkeypatch: pytest.MonkeyPatch,
        lambda_context: FakeLambdaContext,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        with monkeypatch.context() as patch:
            self.watch(patch, before=time_out)
            started = now_in_millis()
            with pytest.raises(InvocationTimedOut):
                handler.handler(self.the_batch(), lambda_context)

        [held] = IdempotencyTable(dynamodb, self.idempotency_table).records()
        assert held[STATUS] == {"S": "INPROGRESS"}
        # Held for the invocation's remaining time only (register_lambda_context), not for the days of the expiry.
        expiry = int(held[IN_PROGRESS_EXPIRY]["N"]) - lambda_context.remaining_time_in_millis
        assert started <= expiry <= now_in_millis()
        # While the stopped invocation could still be running, a retry is reported, not processed.
        attempts = self.watch(monkeypatch)
        capsys.readouterr()
        assert reported(self.the_batch(), lambda_context) == [self.reported_as]
        assert attempts == []
        # Expected under concurrency, so not a ProcessingFailed: that alarm rolls deployments back.
        counted = metric_names(capsys.readouterr().out)
        assert (self.in_progress_metric in counted, "ProcessingFailed" in counted) == (True, False)
        assert self.stored_keys(dynamodb) == []

    @pytest.mark.usefixtures("atomic_put_item")
    def test_a_record_left_in_progress_is_processed_exactly_once_after_the_invocation_expired(
        self, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        almost_out_of_time = FakeLambdaContext(remaining_time_in_millis=20)
        with monkeypatch.context() as patch:
            stopped = self.watch(patch, before=time_out)
            with pytest.raises(InvocationTimedOut):
                handler.handler(self.the_batch(), almost_out_of_time)
        time.sleep(0.05)  # past the stopped invocation's in_progress_expiration

        attempts = self.watch(monkeypatch)
        assert reported(self.the_batch(), FakeLambdaContext()) == []
        assert reported(self.the_batch(), FakeLambdaContext()) == []  # and once completed, remembered
        assert (stopped, attempts) == ([self.key], [self.key])
        assert self.stored_keys(dynamodb) == [self.key]
        [done] = IdempotencyTable(dynamodb, self.idempotency_table).records()
        assert done[STATUS] == {"S": "COMPLETED"}
