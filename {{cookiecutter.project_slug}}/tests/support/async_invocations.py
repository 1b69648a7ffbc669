"""Asynchronous invocations (S3, EventBridge): the handler raises to fail, Lambda retries the
event, then sends it to the on-failure destination. The side effect must happen once whatever
the event source delivers twice, at once or after a timeout."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from {{ cookiecutter.package_name }} import handler

from tests.support.idempotency import (
    IN_PROGRESS_EXPIRY,
    STATUS,
    IdempotencyTable,
    InvocationTimedOut,
    deliver_concurrently,
    hold_until,
    now_in_millis,
    time_out,
)
from tests.support.lambda_runtime import FakeLambdaContext
from tests.support.observability import logged, metrics_in_order
from tests.support.stack import properties


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """An invocation with a context of its own, as each concurrent invocation has."""
    result: dict[str, Any] = handler.handler(event, FakeLambdaContext())
    return result


def outcome(event: Any, named_failures: tuple[type[Exception], ...]) -> dict[str, Any] | Exception:
    """What the handler returned, or the error it raised, which must be one of ``named_failures``:
    a failed asynchronous invocation ends in the failure queue, and its error must say why (a
    KeyError or a TypeError fails the test)."""
    try:
        return invoke(event)
    except named_failures as error:
        return error


def assert_failed_invocations_go_to(function: str, queue: str) -> None:
    """Lambda retries a failed invocation of ``function`` as often and as long as the stack's
    parameters say, then sends the event to ``queue``."""
    config = properties(function)["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == {"Ref": "MaximumRetryAttempts"}
    assert config["MaximumEventAgeInSeconds"] == {"Ref": "MaximumEventAgeInSeconds"}
    assert config["DestinationConfig"]["OnFailure"] == {"Type": "SQS", "Destination": {"Fn::GetAtt": [queue, "Arn"]}}


class ExactlyOnceWhenDeliveredTwice:
    """The same event delivered to two invocations at once, and again after an invocation
    timed out while it held the event (see tests/support/idempotency.py).

    A test class of the event source inherits these tests and says what its event is; its
    ``puts`` fixture lists the items the side effect wrote, by ``recorded``'s kind of id."""

    hold_point: tuple[Any, str]  # where an invocation is held or times out: owner and attribute
    recorded: str  # the id of the item the sample event's side effect writes
    in_progress_metric: str  # counted when another invocation holds the event

    def the_event(self, aws: Any) -> dict[str, Any]:
        raise NotImplementedError

    def redelivery(self, aws: Any, event: dict[str, Any]) -> dict[str, Any]:
        """The same event as the source delivers it again (by default, unchanged)."""
        return event

    def idempotency(self, aws: Any) -> IdempotencyTable:
        raise NotImplementedError

    def stored(self, aws: Any) -> list[str]:
        """What the table of the side effect holds, by what ``answered`` reads of a result."""
        raise NotImplementedError

    def answered(self, result: dict[str, Any]) -> str:
        raise NotImplementedError

    def correlation_id(self, event: dict[str, Any]) -> str:
        raise NotImplementedError

    @pytest.mark.usefixtures("atomic_put_item")
    def test_a_duplicate_delivered_concurrently_is_recorded_once(
        self,
        aws: Any,
        puts: list[str],
        log_output: io.StringIO,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        event = self.the_event(aws)
        one_finished = threading.Event()
        hold_until(one_finished, monkeypatch, *self.hold_point)

        outcomes = deliver_concurrently(invoke, event, copies=2, one_finished=one_finished)

        results = [outcome for outcome in outcomes if isinstance(outcome, dict)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
        assert len(outcomes) == 2
        assert puts == [self.recorded]
        assert len(self.stored(aws)) == 1
        # The loser raises, so Lambda retries the event (or, had the winner already finished, gets its result).
        assert [type(error) for error in refused] == [IdempotencyAlreadyInProgressError] * len(refused)
        retried = invoke(event)  # Lambda's retry of the loser
        assert results
        assert all(result == retried for result in results)  # every caller sees the one result
        assert puts == [self.recorded]
        assert self.stored(aws) == [self.answered(retried)]
        warnings = logged(log_output, "WARNING")
        assert [warning["correlation_id"] for warning in warnings] == [self.correlation_id(event)] * len(refused)
        assert logged(log_output, "ERROR") == []  # a duplicate is not a processing failure: no alarm
        # Counted, so the rollback alarm does not take the loser's error for a bad release.
        counted = metrics_in_order(capsys.readouterr().out, (self.in_progress_metric, "ProcessingFailed"))
        assert counted == [self.in_progress_metric] * len(refused)

    def test_a_timed_out_invocation_locks_the_event_only_for_the_time_it_had(
        self, aws: Any, puts: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        event = self.the_event(aws)
        with monkeypatch.context() as patch:
            patch.setattr(*self.hold_point, time_out)
            before = now_in_millis()
            with pytest.raises(InvocationTimedOut):
                handler.handler(event, FakeLambdaContext(remaining_time_in_millis=1_500))
            after = now_in_millis()

        [lock] = self.idempotency(aws).records()
        assert lock[STATUS] == {"S": "INPROGRESS"}
        # register_lambda_context: the lock ends with the invocation's deadline, not with the expiry (hours).
        assert before + 1_500 <= int(lock[IN_PROGRESS_EXPIRY]["N"]) <= after + 1_500

        with pytest.raises(IdempotencyAlreadyInProgressError):  # a retry within that time must not record too
            invoke(self.redelivery(aws, event))
        assert puts == []

        self.idempotency(aws).run_out_in_progress_time()
        first = invoke(event)  # a retry after it takes over the lock
        assert invoke(event) == first  # and a late duplicate gets its result
        assert puts == [self.recorded]
        assert self.stored(aws) == [self.answered(first)]
        [done] = self.idempotency(aws).records()
        assert done[STATUS] == {"S": "COMPLETED"}
