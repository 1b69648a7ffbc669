"""DynamoDB stream batch handler: parse each stock change, write a restock request exactly
once when an item goes below its reorder level, and report only the records that failed
(ReportBatchItemFailures), so that Lambda retries from the first of them.

A record fails when its images are not stock levels (``ValidationError``), when its event
id was seen before with a different payload (``IdempotencyValidationError``), while another
invocation still holds the same change (``IdempotencyAlreadyInProgressError``: retried, never
dropped), or when writing fails. Lambda bisects the batch, retries up to
``MaximumRetryAttempts`` times, then sends the batch's position to the on-failure queue and
moves on. Every line logged for a record carries its event id as ``correlation_id``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    ExceptionInfo,
    FailureResponse,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from . import logic, tracing
from .models import BatchResponse, RestockRequest, StockChange, StockStreamRecord, StreamBatch
from .repository import RestockRepository
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

logger = Logger()
metrics = Metrics()


@cache
def idempotency_config() -> IdempotencyConfig:
    """One stream record is one change: a retried batch, or a record delivered twice, writes
    its restock request once; a different payload under a known event id is rejected.
    Built on first use: importing Powertools idempotency imports boto3 (README, Performance)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="change_id",
        payload_validation_jmespath="[before, after]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=48 * 3600,  # longer than a record lives in the stream (24 hours)
        hash_function="sha256",
    )


class MalformedBatchError(ValueError):
    """The event is not a DynamoDB stream batch: no record can be reported, so the invocation fails."""


class StockBatchProcessor(BatchProcessor):
    """Powertools' batch processor that also counts and logs each failed record: the kind
    of failure and the sequence number, never the item's content."""

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        with logger.append_context_keys(correlation_id=event_id(record)):
            report_failure(exception[1], sequence_number(record))
        return super().failure_handler(record, exception)


def report_failure(error: BaseException | None, position: str | None) -> None:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    if isinstance(error, ValidationError) and error.title == StockStreamRecord.__name__:  # the record, not our output
        metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
        fields = [".".join(str(part) for part in item["loc"]) for item in error.errors(include_input=False)]
        logger.warning("Stock change rejected", sequence_number=position, invalid_fields=fields)
    elif isinstance(error, IdempotencyValidationError):
        metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
        logger.warning("Event id reused with a different payload", sequence_number=position)
    elif isinstance(error, IdempotencyAlreadyInProgressError):
        # Not a failure of this code: another invocation holds the change. Reporting the record
        # makes Lambda retry from it, by when the result is stored.
        metrics.add_metric(name="ChangeInProgressElsewhere", unit=MetricUnit.Count, value=1)
        logger.warning("Stock change in progress in another invocation; retried later", sequence_number=position)
    else:
        metrics.add_metric(name="ProcessingFailed", unit=MetricUnit.Count, value=1)
        logger.error("Stock change failed", sequence_number=position, error_type=type(error).__name__)


def sequence_number(record: Any) -> str | None:
    """The record's position, from the parsed model or, for a record that did not parse, the raw data."""
    if isinstance(record, StockStreamRecord):
        return record.dynamodb.SequenceNumber
    stream_record = getattr(record, "dynamodb", None)
    return getattr(stream_record, "sequence_number", None)


def event_id(record: Any) -> str | None:
    """The record's event id, from the parsed model or, for a record that did not parse, the raw data."""
    if isinstance(record, StockStreamRecord):
        return record.eventID
    return getattr(record, "event_id", None)


@cache
def restock_requests() -> RestockRepository:
    return RestockRepository(settings().restock_table_name)


def request_restock(change: StockChange) -> RestockRequest:
    request, stored = logic.request_restock(change, restock_requests())
    if stored:
        metrics.add_metric(name="RestockRequested", unit=MetricUnit.Count, value=1)
        logger.info("Restock requested", sku=request.sku, requested_quantity=request.requested_quantity)
    else:
        metrics.add_metric(name="DuplicateRestockRequest", unit=MetricUnit.Count, value=1)
        logger.info("Restock request already stored", sku=request.sku, request_id=request.request_id)
    return request


@cache
def request_restock_once() -> Callable[..., RestockRequest]:
    """``request_restock`` behind Powertools idempotency. Built on first use: the DynamoDB
    persistence layer imports boto3 and creates its client, which is not needed at cold start."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    return cast(
        Callable[..., RestockRequest],
        idempotent_function(
            request_restock,
            data_keyword_argument="change",
            persistence_store=DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name),
            config=idempotency_config(),
            output_serializer=PydanticSerializer(model=RestockRequest),
        ),
    )


@tracing.capture_method
def record_handler(record: StockStreamRecord) -> None:
    with logger.append_context_keys(correlation_id=record.eventID):
        change = StockChange(change_id=record.eventID, before=record.dynamodb.OldImage, after=record.dynamodb.NewImage)
        if logic.needs_restock(change):
            request_restock_once()(change=change)


def ensure_batch(event: Any) -> None:
    """Every record must carry the sequence number Lambda needs to retry from it."""
    try:
        StreamBatch.model_validate(event)
    except ValidationError as error:
        logger.error("Event is not a stream batch", errors=[item["type"] for item in error.errors(include_input=False)])
        raise MalformedBatchError("the event is not a DynamoDB stream batch of records with sequence numbers") from None


@logger.inject_lambda_context
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ensure_batch(event)
    idempotency_config().register_lambda_context(context)
    # A processor per invocation: it holds the batch's results, which must never outlive it.
    processor = StockBatchProcessor(
        event_type=EventType.DynamoDBStreams, model=StockStreamRecord, raise_on_entire_batch_failure=False
    )
    result = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    return BatchResponse.model_validate(result).model_dump()
