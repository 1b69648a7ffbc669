"""The StockLevelChanged handler's work (handler.py is its entry point): validate the
event the stock-changes pipe put on the bus, then write a restock request exactly once when
the item went below its reorder level.

The flow is table -> stream -> pipe (filter, input template) -> bus -> rule (pattern) -> this
function, invoked asynchronously. When the handler raises, Lambda retries the event
(``MaximumRetryAttempts``) and then sends it, with the error, to the on-failure queue
(``RestockFailureDLQ``); events EventBridge cannot deliver go to the rule's dead-letter queue
(``StockRuleDLQ``), and batches the pipe cannot put on the bus to the pipe's
(``StockChangesPipeDLQ``). A rejected event is raised, not swallowed: its message names the
problem, never the content (async_invocation.py).

The pipe retries a batch it could not put (bisecting it), EventBridge delivers at least
once and Lambda retries: each of those can bring the same change again, under a new
EventBridge event id. Powertools idempotency is keyed on the change's own id (the stream
record's event id, ``detail.change_id``), so each change writes its request once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel, ConfigDict, ValidationError

from . import async_invocation, logic, restock, tracing
from .async_invocation import describe
from .logic import RestockRequest
from .models import ChangeId, StockChange, detail_of

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


class InvalidEventError(ValueError):
    """The event is not version 1 of StockLevelChanged from the inventory service."""


# Longer than a change can come back: the stream keeps records 24 hours, EventBridge retries
# for at most 24 more and Lambda for 6, so every redelivery finds the first success.
IDEMPOTENCY_EXPIRY_SECONDS = 72 * 3600


class StockChangeHandled(BaseModel):
    """What the function returns for one event: whether the change asked for a restock, and which."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change_id: ChangeId
    restock: RestockRequest | None


report_failure = async_invocation.FailureReport(
    logger,
    metrics,
    rejections=(InvalidEventError,),  # bad input, not a bug: counted as rejected events
    rejected_metric="StockChangeRejected",
    rejected="Stock change rejected",
    in_progress_metric="ChangeInProgressElsewhere",
    in_progress="Stock change in progress in another invocation; Lambda retries it",
)


@cache
def idempotency_config() -> IdempotencyConfig:
    return restock.idempotency_config(expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS)


@cache
def request_restock_once() -> Callable[..., RestockRequest]:
    """``restock.request_restock`` behind Powertools idempotency, built on first use."""
    return restock.once(idempotency_config())


def parse_change(event: Any) -> StockChange:
    try:
        detail = detail_of(event)
    except ValidationError as error:
        raise InvalidEventError(f"not a StockLevelChanged event of version 1 ({describe(error)})") from None
    return StockChange.from_detail(detail)


@tracing.capture_method
def accept(event: Any, context: LambdaContext) -> StockChangeHandled:
    change = parse_change(event)
    with logger.append_context_keys(change_id=change.change_id):
        if not logic.needs_restock(change):
            return StockChangeHandled(change_id=change.change_id, restock=None)
        idempotency_config().register_lambda_context(context)
        return StockChangeHandled(change_id=change.change_id, restock=request_restock_once()(change=change))


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return async_invocation.answer(accept, event, context, report_failure)
