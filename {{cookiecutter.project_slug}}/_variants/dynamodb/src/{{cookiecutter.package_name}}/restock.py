"""Writing a stock change's restock request exactly once: the step that both deliveries of the
stock table's changes share (``stream_delivery=lambda``: each record of a stream batch;
``eventbridge``: each StockLevelChanged event from the bus).

What differs is the handler's: how a change arrives, and how long its idempotency record must
outlive a redelivery (``expires_after_seconds``). A change is known by its stream record's
event id (``change_id``), and the same id with other images is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from . import idempotency, logic
from .logic import RestockRequest
from .repository import RestockRepository
from .settings import settings
from .tables import dynamodb_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from .models import StockChange

# The handler's own: Loggers of one service share their handler and context keys, and Metrics
# share one metric set, which the handler's log_metrics flushes.
logger = Logger()
metrics = Metrics()


@cache
def restock_requests() -> RestockRepository:
    return RestockRepository(settings().restock_table_name)


def idempotency_config(expires_after_seconds: int) -> IdempotencyConfig:
    """One change id is one change: a different payload under a known change id is rejected."""
    return idempotency.config(key="change_id", payload="[before, after]", expires_after_seconds=expires_after_seconds)


def request_restock(change: StockChange) -> RestockRequest:
    request, stored = logic.request_restock(change, restock_requests())
    if stored:
        metrics.add_metric(name="RestockRequested", unit=MetricUnit.Count, value=1)
        logger.info("Restock requested", sku=request.sku, requested_quantity=request.requested_quantity)
    else:
        metrics.add_metric(name="DuplicateRestockRequest", unit=MetricUnit.Count, value=1)
        logger.info("Restock request already stored", sku=request.sku, request_id=request.request_id)
    return request


def once(config: IdempotencyConfig) -> Callable[..., RestockRequest]:
    """``request_restock`` behind Powertools idempotency (idempotency.py), called as ``(change=...)``."""
    return idempotency.once(
        request_restock,
        argument="change",
        output=RestockRequest,
        table_name=settings().idempotency_table_name,
        config=config,
        client=dynamodb_client(),
    )
