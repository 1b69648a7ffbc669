"""Exactly once, tested: the idempotency table Powertools keeps, the side effect that must run
once (watched, held, or stopped as a timeout stops it), and one event delivered to concurrent
invocations.

Powertools keeps one record per idempotency key; while an invocation works on it the record is
``INPROGRESS`` until ``in_progress_expiration`` (epoch milliseconds: now plus the invocation's
remaining time, known because the handler calls ``register_lambda_context``). Another
invocation meanwhile gets ``IdempotencyAlreadyInProgressError``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import pytest

from tests.support.emulated_aws import table_items

# Attribute names of Powertools' DynamoDBPersistenceLayer (its defaults, which the handlers keep).
STATUS = "status"
IN_PROGRESS_EXPIRY = "in_progress_expiration"  # epoch milliseconds
HOLD_SECONDS = 5  # bounds a wait that, when the code is right, ends within milliseconds

Outcome = TypeVar("Outcome")


@dataclass
class IdempotencyTable:
    dynamodb: Any
    name: str

    def records(self) -> list[dict[str, Any]]:
        return table_items(self.dynamodb, self.name)

    def run_out_in_progress_time(self) -> None:
        """What the clock does to the lock of an invocation that timed out: once the time it had
        left is over, its in-progress record may be taken over by a retry."""
        past = str(now_in_millis() - 1_000)
        for item in self.records():
            self.dynamodb.update_item(
                TableName=self.name,
                Key={"id": item["id"]},
                UpdateExpression="SET #expiry = :past",
                ExpressionAttributeNames={"#expiry": IN_PROGRESS_EXPIRY},
                ExpressionAttributeValues={":past": {"N": past}},
            )

    def forget(self) -> None:
        """What the table's TTL does after the idempotency expiry."""
        for item in self.records():
            self.dynamodb.delete_item(TableName=self.name, Key={"id": item["id"]})


def now_in_millis() -> int:
    return int(time.time() * 1000)


class InvocationTimedOut(BaseException):
    """A Lambda timeout seen from inside: the runtime stops the invocation, so no ``except
    Exception`` runs and Powertools gets no chance to delete its in-progress record."""


def time_out(*args: Any, **kwargs: Any) -> NoReturn:
    raise InvocationTimedOut


def watch(
    monkeypatch: pytest.MonkeyPatch,
    owner: type,
    method: str,
    key: Callable[..., str],
    before: Callable[[], object] = lambda: None,
) -> list[str]:
    """Wrap the side effect ``owner.method``: every call appends ``key(*arguments)`` to the list
    returned (what the code tried: a conditional write alone would hide a second try), then runs
    ``before`` (to hold or stop the invocation there), then the method itself."""
    calls: list[str] = []
    original = getattr(owner, method)

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(key(*args, **kwargs))
        before()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, watched)
    return calls


def hold_until(released: threading.Event, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Keep an invocation that reached ``owner.name`` busy until ``released``: so that concurrent
    deliveries overlap for sure, instead of the first one finishing before the next one starts."""
    original = getattr(owner, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        released.wait(timeout=HOLD_SECONDS)  # only a broken lock makes every invocation wait this long
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)


def deliver_concurrently(
    invoke: Callable[[dict[str, Any]], Outcome], event: dict[str, Any], copies: int, one_finished: threading.Event
) -> list[Outcome | Exception]:
    """The event source delivering the same event to ``copies`` invocations at the same moment;
    what each returned or raised (what Lambda would see: the test sorts them out)."""
    start = threading.Barrier(copies)
    outcomes: list[Outcome | Exception] = []

    def invocation() -> None:
        start.wait(timeout=HOLD_SECONDS)
        try:
            outcomes.append(invoke(copy.deepcopy(event)))
        except Exception as error:
            outcomes.append(error)
        finally:
            one_finished.set()

    threads = [threading.Thread(target=invocation) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * HOLD_SECONDS)
    return outcomes
