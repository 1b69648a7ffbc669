"""Business rules, free of Lambda and AWS details so they are trivial to test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .models import AcceptedOrder, OrderPlaced


class OrderStore(Protocol):
    def add(self, order: AcceptedOrder) -> bool:
        """Store the order unless one with its id exists; True when this call stored it."""
        ...


def total_cents(order: OrderPlaced) -> int:
    return sum(line.quantity * line.unit_price_cents for line in order.lines)


def accept_order(
    order: OrderPlaced, store: OrderStore, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> tuple[AcceptedOrder, bool]:
    """Price the order and store it once. Returns the order and whether this call stored it
    (False when an earlier delivery already did, past the idempotency window)."""
    accepted = AcceptedOrder(
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        lines=order.lines,
        total_cents=total_cents(order),
        placed_at=order.placed_at,
        accepted_at=now(),
    )
    return accepted, store.add(accepted)
