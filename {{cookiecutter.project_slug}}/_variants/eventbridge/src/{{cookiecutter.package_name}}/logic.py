"""The order rules, free of Lambda and AWS details so they are trivial to test."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .models import OrderPlaced, RecordedOrder


class OrderStore(Protocol):
    def put(self, order: RecordedOrder, fingerprint: str) -> None: ...


def fingerprint(order: OrderPlaced) -> str:
    """The same order, however it is re-published, has the same fingerprint."""
    return hashlib.sha256(order.model_dump_json().encode()).hexdigest()


def record_order(
    order: OrderPlaced, store: OrderStore, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> RecordedOrder:
    recorded = RecordedOrder(
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        total=order.total,
        line_count=len(order.lines),
        placed_at=order.placed_at,
        recorded_at=now(),
    )
    store.put(recorded, fingerprint(order))
    return recorded
