"""Business rules, free of Lambda and AWS details so they are trivial to test.

``RestockRequest`` is what they make, for either delivery of the table's changes
(``stream_delivery``): what the function writes and returns to the idempotency layer. It is
revalidated whenever it is used, so a request built without validation is never written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .models import MAX_COUNT, ChangeId, Sku, StockChange


class RestockRequest(BaseModel):
    """A request to the buyers to restock an item, as stored and remembered by the idempotency layer."""

    model_config = ConfigDict(extra="forbid", frozen=True, revalidate_instances="always")

    sku: Sku
    request_id: ChangeId
    quantity_on_hand: Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]
    reorder_level: Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]
    requested_quantity: Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)]
    requested_at: AwareDatetime


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
