"""Business rules, free of Lambda and AWS details so they are trivial to test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .models import RestockRequest, StockChange


class RestockStore(Protocol):
    def add(self, request: RestockRequest) -> bool:
        """Store the request unless it exists; True when this call stored it."""
        ...


def needs_restock(change: StockChange) -> bool:
    """True when the item has just gone below its reorder level (not on every change while low)."""
    return change.after.is_low and (change.before is None or not change.before.is_low)


def restock_request(change: StockChange, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RestockRequest:
    after = change.after
    return RestockRequest(
        sku=after.sku,
        request_id=change.change_id,
        quantity_on_hand=after.quantity,
        reorder_level=after.reorder_level,
        # A full lot, or more when that would not lift the item back to its reorder level.
        requested_quantity=max(after.reorder_quantity, after.reorder_level - after.quantity),
        requested_at=now(),
    )


def request_restock(
    change: StockChange, store: RestockStore, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> tuple[RestockRequest, bool]:
    """Write the restock request of a change. Returns it and whether this call stored it
    (False when an earlier delivery already did, past the idempotency window)."""
    request = restock_request(change, now)
    return request, store.add(request)
