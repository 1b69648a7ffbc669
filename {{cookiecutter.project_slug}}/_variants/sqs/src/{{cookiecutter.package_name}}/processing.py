"""The SQS batch handler's work (handler.py is its entry point): parse each record,
accept each order exactly once, report only the records that failed so that Lambda retries
those alone (ReportBatchItemFailures).

A record fails when its body is not an ``order.placed`` order (``ValidationError``), when its
order id was seen before with a different payload (``IdempotencyValidationError``), while
another invocation still holds the same order (``IdempotencyAlreadyInProgressError``: retried
later, never dropped), or when storing it fails. After ``MaxReceiveCount`` receives, SQS moves
it to the dead-letter queue. Every line logged for a record carries its message id as
``correlation_id``. How failures are counted and reported: ``batch.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from . import batch, idempotency, logic, tracing
from .batch import MalformedBatchError as MalformedBatchError  # what the handler raises on a malformed event
from .models import AcceptedOrder, OrderMessage, OrderPlaced, SqsBatch
from .repository import OrderRepository
from .settings import settings
from .tables import dynamodb_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


# Longer than a copy of an order can wait: up to 14 days from its first send, in the queue
# and then its dead-letter queue (SQS keeps the first enqueue time there), then up to 4 days
# again in the queue once redriven. A record that expired sooner would let it through twice.
IDEMPOTENCY_EXPIRY_SECONDS = 19 * 24 * 3600


@cache
def idempotency_config() -> IdempotencyConfig:
    """One order id is one order: a redelivered message, or the same order sent twice, is
    accepted once; a different payload under a known order id is rejected, not overwritten."""
    return idempotency.config(
        key="order_id",
        payload="[customer_id, currency, lines, placed_at]",
        expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
    )


def message_id(record: dict[str, Any]) -> tuple[str, str]:
    """The message id is both the correlation id and what Lambda retries a record by
    (``ensure_batch`` checked that every record has one)."""
    return record["messageId"], record["messageId"]


report_failure = batch.FailureReport(
    logger,
    metrics,
    OrderMessage,
    identify=message_id,
    position_key="message_id",
    wording=batch.Wording(
        rejected="Order message rejected",
        reused="Order id reused with a different payload",
        in_progress="Order in progress in another invocation; retried later",
        in_progress_metric="OrderInProgressElsewhere",
        failed="Order message failed",
    ),
)


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
    """``accept`` behind Powertools idempotency, built on first use (idempotency.py)."""
    return idempotency.once(
        accept,
        argument="order",
        output=AcceptedOrder,
        table_name=settings().idempotency_table_name,
        config=idempotency_config(),
        client=dynamodb_client(),
    )


@tracing.capture_method
def record_handler(record: OrderMessage) -> None:
    with logger.append_context_keys(correlation_id=record.messageId):
        accept_once()(order=record.body)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Every record must carry the message id Lambda needs to retry it alone.
    batch.ensure_batch(
        event,
        SqsBatch,
        logger,
        logged="Event is not an SQS batch",
        raised="the event is not an SQS batch of records with message ids",
    )
    idempotency_config().register_lambda_context(context)
    return batch.process(event, record_handler, report_failure)
