"""The EventBridge handler's work (handler.py is its entry point): validate the
OrderPlaced event, then record the order exactly once.

The OrderPlaced rule invokes the function asynchronously. When the handler raises, Lambda
retries the event (``MaximumRetryAttempts``) and then sends it, with the error, to the
on-failure queue (``OrderFailureDLQ`` in ``template.yaml``); events that EventBridge cannot
deliver at all go to the rule's own dead-letter queue (``OrderRuleDLQ``). So a rejected event
is raised, not swallowed: its message names the problem, never the content
(async_invocation.py). EventBridge delivers at least once, producers re-publish and Lambda
retries: Powertools idempotency, keyed on the order id, makes sure each order is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from . import async_invocation, idempotency, logic, tracing
from .async_invocation import describe
from .models import OrderPlaced, RecordedOrder, order_of
from .repository import OrderConflictError, OrderRepository
from .settings import settings
from .tables import dynamodb_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


class InvalidEventError(ValueError):
    """The event is not an OrderPlaced event of the orders service with a valid order."""


class OutputValidationError(RuntimeError):
    """The record the function built breaks its own model: a bug, so nothing is written.
    Its message names fields and error kinds only, never the values."""


# Longer than an event can be retried: EventBridge for at most 24 hours, then Lambda for at
# most 6, so every retry and re-delivery finds the record of the first success.
IDEMPOTENCY_EXPIRY_SECONDS = 48 * 3600


report_failure = async_invocation.FailureReport(
    logger,
    metrics,
    rejections=(InvalidEventError, OrderConflictError),  # bad input, not a bug: counted as rejected events
    rejected_metric="OrderRejected",
    rejected="Order event rejected",
    in_progress_metric="OrderInProgressElsewhere",
    in_progress="Order already being recorded; Lambda retries it",
)


@cache
def orders() -> OrderRepository:
    return OrderRepository(settings().orders_table)


@cache
def idempotency_config() -> IdempotencyConfig:
    return idempotency.config(
        key="order_id",  # one order id is one order, whichever event carried it
        # The same order id with other content is refused, not recorded twice or overwritten.
        payload="[customer_id, placed_at, currency, lines]",
        expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
    )


def record(order: OrderPlaced) -> RecordedOrder:
    try:
        recorded = logic.record_order(order, orders())
    except ValidationError as error:  # pydantic's message quotes the values: keep only where and what
        raise OutputValidationError(f"the order record breaks its model ({describe(error)})") from None
    metrics.add_metric(name="OrderRecorded", unit=MetricUnit.Count, value=1)
    logger.info("Order recorded", order_id=recorded.order_id, line_count=recorded.line_count)
    return recorded


@cache
def record_once() -> Callable[..., RecordedOrder]:
    """``record`` behind Powertools idempotency, built on first use (idempotency.py)."""
    return idempotency.once(
        record,
        argument="order",
        output=RecordedOrder,
        table_name=settings().idempotency_table,
        config=idempotency_config(),
        client=dynamodb_client(),
        key_prefix="order-placed",
    )


def parse_order(event: Any) -> OrderPlaced:
    try:
        return order_of(event)
    except ValidationError as error:
        raise InvalidEventError(f"not an OrderPlaced event with a valid order ({describe(error)})") from None


@tracing.capture_method
def accept(event: Any, context: LambdaContext) -> RecordedOrder:
    order = parse_order(event)
    idempotency_config().register_lambda_context(context)
    return record_once()(order=order)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return async_invocation.answer(accept, event, context, report_failure)
