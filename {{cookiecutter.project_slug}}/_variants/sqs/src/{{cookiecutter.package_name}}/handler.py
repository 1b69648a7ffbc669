"""SQS batch handler: parse each record, accept each order exactly once, report only the
records that failed so that Lambda retries those alone (ReportBatchItemFailures).

A record fails when its body is not an ``order.placed`` order (``ValidationError``), when its
order id was seen before with a different payload (``IdempotencyValidationError``), while
another invocation still holds the same order (``IdempotencyAlreadyInProgressError``: retried
later, never dropped), or when storing it fails. After ``MaxReceiveCount`` receives, SQS moves
it to the dead-letter queue. Every line logged for a record carries its message id as
``correlation_id``.
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
from .models import AcceptedOrder, BatchResponse, OrderMessage, OrderPlaced, SqsBatch
from .repository import OrderRepository
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

logger = Logger()
metrics = Metrics()


@cache
def idempotency_config() -> IdempotencyConfig:
    """One order id is one order: a redelivered message, or the same order sent twice, is
    accepted once; a different payload under a known order id is rejected, not overwritten.
    Built on first use: importing Powertools idempotency imports boto3 (README, Performance)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="order_id",
        payload_validation_jmespath="[customer_id, currency, lines, placed_at]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=7 * 24 * 3600,  # longer than a message can live on the queue and its DLQ redrive
        hash_function="sha256",
    )


class MalformedBatchError(ValueError):
    """The event is not an SQS batch: no record can be reported, so the invocation fails."""


class OrderBatchProcessor(BatchProcessor):
    """Powertools' batch processor that also counts and logs each failed record: the kind
    of failure and the message id, never the message content."""

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        # A record that did not parse arrives as Powertools' SQSRecord (message_id), others as OrderMessage.
        message_id = getattr(record, "messageId", None) or getattr(record, "message_id", None)
        with logger.append_context_keys(correlation_id=message_id):
            report_failure(exception[1], message_id)
        return super().failure_handler(record, exception)


def report_failure(error: BaseException | None, message_id: str | None) -> None:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    if isinstance(error, ValidationError) and error.title == OrderMessage.__name__:  # the message, not our output
        metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
        fields = [".".join(str(part) for part in item["loc"]) for item in error.errors(include_input=False)]
        logger.warning("Order message rejected", message_id=message_id, invalid_fields=fields)
    elif isinstance(error, IdempotencyValidationError):
        metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
        logger.warning("Order id reused with a different payload", message_id=message_id)
    elif isinstance(error, IdempotencyAlreadyInProgressError):
        # Not a failure of this code: another invocation holds the order. Reporting the record
        # makes SQS deliver it again after the visibility timeout, when the result is stored.
        metrics.add_metric(name="OrderInProgressElsewhere", unit=MetricUnit.Count, value=1)
        logger.warning("Order in progress in another invocation; retried later", message_id=message_id)
    else:
        metrics.add_metric(name="ProcessingFailed", unit=MetricUnit.Count, value=1)
        logger.error("Order message failed", message_id=message_id, error_type=type(error).__name__)


@cache
def orders() -> OrderRepository:
    return OrderRepository(settings().orders_table_name)


def accept(order: OrderPlaced) -> AcceptedOrder:
    accepted, stored = logic.accept_order(order, orders())
    if stored:
        metrics.add_metric(name="OrderAccepted", unit=MetricUnit.Count, value=1)
        logger.info("Order accepted", order_id=accepted.order_id, total_cents=accepted.total_cents)
    else:
        metrics.add_metric(name="DuplicateOrder", unit=MetricUnit.Count, value=1)
        logger.info("Order already stored", order_id=accepted.order_id)
    return accepted


@cache
def accept_once() -> Callable[..., AcceptedOrder]:
    """``accept`` behind Powertools idempotency. Built on first use: the DynamoDB persistence
    layer imports boto3 and creates its client, which is not needed at cold start."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    return cast(
        Callable[..., AcceptedOrder],
        idempotent_function(
            accept,
            data_keyword_argument="order",
            persistence_store=DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name),
            config=idempotency_config(),
            output_serializer=PydanticSerializer(model=AcceptedOrder),
        ),
    )


@tracing.capture_method
def record_handler(record: OrderMessage) -> None:
    with logger.append_context_keys(correlation_id=record.messageId):
        accept_once()(order=record.body)


def ensure_batch(event: Any) -> None:
    """Every record must carry the message id Lambda needs to retry it alone."""
    try:
        SqsBatch.model_validate(event)
    except ValidationError as error:
        logger.error("Event is not an SQS batch", errors=[item["type"] for item in error.errors(include_input=False)])
        raise MalformedBatchError("the event is not an SQS batch of records with message ids") from None


@logger.inject_lambda_context
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ensure_batch(event)
    idempotency_config().register_lambda_context(context)
    # A processor per invocation: it holds the batch's results, which must never outlive it.
    processor = OrderBatchProcessor(event_type=EventType.SQS, model=OrderMessage, raise_on_entire_batch_failure=False)
    result = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    return BatchResponse.model_validate(result).model_dump()
