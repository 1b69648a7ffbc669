"""The DynamoDB stream batch handler's work (handler.py is its entry point): parse
each stock change, write a restock request exactly once when an item goes below its reorder
level, and report only the records that failed (ReportBatchItemFailures), so that Lambda
retries from the first of them.

A record fails when its images are not stock levels (``ValidationError``), when its event
id was seen before with a different payload (``IdempotencyValidationError``), while another
invocation still holds the same change (``IdempotencyAlreadyInProgressError``: retried, never
dropped), or when writing fails. Lambda bisects the batch, retries up to
``MaximumRetryAttempts`` times, then sends the batch's position to the on-failure queue and
moves on. Every line logged for a record carries its event id as ``correlation_id``. How
failures are counted and reported: ``batch.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from . import batch, logic, restock, tracing
from .batch import MalformedBatchError as MalformedBatchError  # what the handler raises on a malformed event
from .logic import RestockRequest
from .models import StockChange, StockStreamRecord, StreamBatch

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@cache
def idempotency_config() -> IdempotencyConfig:
    """One stream record is one change: a retried batch, or a record delivered twice, writes
    its restock request once; a different payload under a known event id is rejected."""
    return restock.idempotency_config(expires_after_seconds=48 * 3600)  # longer than the stream keeps a record (24 h)


def stream_position(record: dict[str, Any]) -> tuple[str | None, str]:
    """The record's event id (its correlation id) and its sequence number (where Lambda retries
    from; ``ensure_batch`` checked that every record has one)."""
    return record.get("eventID"), record["dynamodb"]["SequenceNumber"]


report_failure = batch.FailureReport(
    logger,
    metrics,
    StockStreamRecord,
    identify=stream_position,
    position_key="sequence_number",
    wording=batch.Wording(
        rejected="Stock change rejected",
        reused="Event id reused with a different payload",
        in_progress="Stock change in progress in another invocation; retried later",
        in_progress_metric="ChangeInProgressElsewhere",
        failed="Stock change failed",
    ),
)


@cache
def request_restock_once() -> Callable[..., RestockRequest]:
    """``restock.request_restock`` behind Powertools idempotency, built on first use."""
    return restock.once(idempotency_config())


@tracing.capture_method
def record_handler(record: StockStreamRecord) -> None:
    with logger.append_context_keys(correlation_id=record.eventID):
        change = StockChange(change_id=record.eventID, before=record.dynamodb.OldImage, after=record.dynamodb.NewImage)
        if logic.needs_restock(change):
            request_restock_once()(change=change)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Every record must carry the sequence number Lambda needs to retry from it.
    batch.ensure_batch(
        event,
        StreamBatch,
        logger,
        logged="Event is not a stream batch",
        raised="the event is not a DynamoDB stream batch of records with sequence numbers",
    )
    idempotency_config().register_lambda_context(context)
    return batch.process(event, record_handler, report_failure)
