"""The contract of the orders function: the EventBridge event that invokes it, the order in
its ``detail``, and the record it writes and returns. Validated on the way in and out.

The event is parsed with Powertools' EventBridge model, stricter: it checks the event's source
and detail type (the rule's pattern in ``template.yaml`` filters on the same values; a test
keeps them equal), then the ``detail`` is parsed as an ``OrderPlaced`` (``order_of``).
Powertools' ``BaseEnvelope`` and ``parse`` would do the same two steps, but importing
``BaseEnvelope`` loads every envelope Powertools has, with their event models: about 70 ms of
CPU per cold start (README, Performance).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Must match the rule's event pattern in template.yaml (a test compares them).
ORDER_SOURCE = "com.example.orders"
ORDER_DETAIL_TYPE = "OrderPlaced"
ORDER_ID_PREFIX = "ORD-"

PlainText = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Money = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=12, decimal_places=2, allow_inf_nan=False)]
Total = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=2, allow_inf_nan=False)]
OrderId = Annotated[str, Field(pattern=r"^ORD-[0-9A-Z]{8,26}$")]  # ORDER_ID_PREFIX, then 8 to 26 characters
CustomerId = Annotated[str, Field(pattern=r"^CUS-[0-9]{4,12}$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


# ---------------------------------------------------------------------------- the event
class OrderPlacedEvent(EventBridgeModel):
    """The EventBridge envelope of an order: only this source and detail type are accepted."""

    source: Literal["com.example.orders"]
    detail_type: Literal["OrderPlaced"] = Field(alias="detail-type")


# ---------------------------------------------------------------------------- the order
class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$")]
    description: PlainText
    quantity: Annotated[int, Field(ge=1, le=10_000, strict=True)]
    unit_price: Money


class OrderPlaced(BaseModel):
    """The ``detail`` of an OrderPlaced event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: OrderId
    customer_id: CustomerId
    placed_at: AwareDatetime
    currency: Currency
    lines: Annotated[list[OrderLine], Field(min_length=1, max_length=100)]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))


def order_of(event: Any) -> OrderPlaced:
    """The order in ``event``, which must be an OrderPlaced event of the orders service before
    its ``detail`` is parsed (ValidationError otherwise, from either step)."""
    return OrderPlaced.model_validate(OrderPlacedEvent.model_validate(event).detail)


# ---------------------------------------------------------------------------- the output
class RecordedOrder(BaseModel):
    """What is written to the orders table, and returned, for one order."""

    # Revalidate instances too: a record built without validation must not be written.
    model_config = ConfigDict(extra="forbid", frozen=True, revalidate_instances="always")

    order_id: OrderId
    customer_id: CustomerId
    currency: Currency
    total: Total
    line_count: Annotated[int, Field(ge=1, le=100)]
    placed_at: datetime
    recorded_at: datetime
