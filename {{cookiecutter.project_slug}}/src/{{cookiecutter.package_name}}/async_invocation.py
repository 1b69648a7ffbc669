"""Failures of an asynchronously invoked function (an S3 notification, an EventBridge rule).

When the handler raises, Lambda retries the event (``MaximumRetryAttempts``) and then sends
it, with the error, to the on-failure queue. So bad input is raised, not swallowed, and the
error's message names where and what kind of problem (``describe``), never the content: it
is safe to log and to keep in the queue.

Each failure is counted and logged once. Bad input is counted under the function's own
rejection metric. A duplicate that another invocation is processing right now is not a
failure: the raise makes Lambda retry, and the retry finds the stored result or takes over
the expired lock; it is counted under the in-progress metric. Anything else is a
``ProcessingFailed``. Every raise counts in Lambda's ``Errors`` too: the alarm that rolls a
deployment back counts only the errors that neither of the first two metrics explains
(template.yaml), so bad input never rolls back a healthy release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ValidationError

from . import idempotency

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.utilities.typing import LambdaContext


def describe(error: ValidationError, limit: int = 10) -> str:
    """Where and what kind of problems, e.g. ``lines.0.quantity: int_type``; never the input."""
    problems = sorted(
        {f"{'.'.join(str(part) for part in item['loc']) or '<root>'}: {item['type']}" for item in error.errors()}
    )
    return "; ".join(problems[:limit])


@dataclass(frozen=True)
class FailureReport:
    """Counts and logs a failed invocation; the correlation id is already on every log line."""

    logger: Logger
    metrics: Metrics
    rejections: tuple[type[Exception], ...]  # bad input, besides an idempotency payload conflict
    rejected_metric: str
    rejected: str  # the log line of bad input
    in_progress_metric: str
    in_progress: str  # the log line of a duplicate held by another invocation

    def __call__(self, error: Exception) -> None:
        if isinstance(error, self.rejections) or idempotency.is_payload_conflict(error):
            self.metrics.add_metric(name=self.rejected_metric, unit=MetricUnit.Count, value=1)
            self.logger.warning(self.rejected, reason=type(error).__name__, detail=str(error))
        elif idempotency.is_in_progress(error):
            self.metrics.add_metric(name=self.in_progress_metric, unit=MetricUnit.Count, value=1)
            self.logger.warning(self.in_progress, reason=type(error).__name__)
        else:
            self.metrics.add_metric(name="ProcessingFailed", unit=MetricUnit.Count, value=1)
            self.logger.exception("Processing failed")


def answer(
    work: Callable[[Any, LambdaContext], BaseModel], event: Any, context: LambdaContext, report: FailureReport
) -> dict[str, Any]:
    """What ``work`` returns, as JSON; a failure is reported, then raised again."""
    try:
        result = work(event, context)
    except Exception as error:
        report(error)
        raise  # Lambda retries, then sends the event to the on-failure queue
    return result.model_dump(mode="json")
