"""Partial batch responses (``ReportBatchItemFailures``) for the event sources that deliver
batches: each record is processed on its own, and the handler answers with the records Lambda
must retry (SQS) or retry from (streams), never with an error text.

A record fails when it breaks its model (bad input), when its idempotency key was seen before
with another payload (bad input), while another invocation holds the same key (retried later,
never dropped, and not counted as a processing failure: that alarm rolls deployments back),
or when processing it fails. Each failure is counted and logged with the record's position
and field names, never the record's content; every line carries its correlation id.

The loop is ours, not Powertools' batch utility: importing that utility loads asyncio and
every Powertools event data class, 58 to 80 ms of each cold start for a loop of a few lines
(README, Performance). It keeps the utility's semantics for standard queues and streams:
every record is tried, whatever failed before it, and each failure is reported by the id
Lambda retries it by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, Field, ValidationError

from . import idempotency

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics


class MalformedBatchError(ValueError):
    """The event is not a batch: no record can be reported, so the invocation fails."""


class ItemFailure(BaseModel):
    itemIdentifier: Annotated[str, Field(min_length=1)]


class BatchResponse(BaseModel):
    """What the handler returns: the records Lambda must retry, or retry from."""

    batchItemFailures: list[ItemFailure]


@dataclass(frozen=True)
class Wording:
    """What an event source calls its records in log lines, and its in-progress metric."""

    rejected: str  # the record breaks its model
    reused: str  # its idempotency key came before with another payload
    in_progress: str  # another invocation holds its key
    in_progress_metric: str
    failed: str  # anything else: a processing failure


@dataclass(frozen=True)
class FailureReport:
    """Counts and logs one failed record. ``identify`` gives a record's correlation id and its
    position, the id Lambda retries it by (logged under ``position_key``), from the record as
    Lambda delivered it: a record that breaks its model has no parsed form."""

    logger: Logger
    metrics: Metrics
    model: type[BaseModel]  # the record model: its validation errors are bad input
    identify: Callable[[dict[str, Any]], tuple[str | None, str]]
    position_key: str
    wording: Wording

    def __call__(self, record: dict[str, Any], error: BaseException) -> None:
        correlation_id, position = self.identify(record)
        with self.logger.append_context_keys(correlation_id=correlation_id):
            self.count_and_log(error, {self.position_key: position})

    def count_and_log(self, error: BaseException, where: dict[str, Any]) -> None:
        if isinstance(error, ValidationError) and error.title == self.model.__name__:  # the record, not our output
            self.metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
            fields = [".".join(str(part) for part in item["loc"]) for item in error.errors(include_input=False)]
            self.logger.warning(self.wording.rejected, **where, invalid_fields=fields)
        elif idempotency.is_payload_conflict(error):
            self.metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
            self.logger.warning(self.wording.reused, **where)
        elif idempotency.is_in_progress(error):
            # Reporting the record makes Lambda deliver it again, by when the result is stored.
            self.metrics.add_metric(name=self.wording.in_progress_metric, unit=MetricUnit.Count, value=1)
            self.logger.warning(self.wording.in_progress, **where)
        else:
            self.metrics.add_metric(name="ProcessingFailed", unit=MetricUnit.Count, value=1)
            self.logger.error(self.wording.failed, **where, error_type=type(error).__name__)


def ensure_batch(event: Any, shape: type[BaseModel], logger: Logger, *, logged: str, raised: str) -> None:
    """Every record must carry what Lambda needs back to retry it (``shape``, the minimal shape
    of the batch); otherwise no record can be reported, and the invocation fails."""
    try:
        shape.model_validate(event)
    except ValidationError as error:
        logger.error(logged, errors=[item["type"] for item in error.errors(include_input=False)])
        raise MalformedBatchError(raised) from None


def process(event: dict[str, Any], record_handler: Callable[[Any], None], report: FailureReport) -> dict[str, Any]:
    """Run ``record_handler`` on each record parsed with the report's model; the partial batch
    response, validated: the id of each record that failed, which Lambda retries (or retries from)."""
    failures = []
    for record in event["Records"]:
        try:
            record_handler(report.model.model_validate(record))
        except Exception as error:  # one record's failure is reported for a retry; the others go on
            report(record, error)
            failures.append({"itemIdentifier": report.identify(record)[1]})
    return BatchResponse.model_validate({"batchItemFailures": failures}).model_dump()
