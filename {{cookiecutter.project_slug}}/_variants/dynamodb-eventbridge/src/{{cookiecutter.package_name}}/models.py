"""The contract of the restock function, validated on the way in and on the way out.

In: a ``StockLevelChanged`` event on the service's bus, put there by the stock-changes pipe
(``template.yaml``), whose ``detail`` is ``StockLevelChangedDetail``: version 1 of a
documented shape (``docs/flow.md``, the JSON schema in
``docs/events/stock-level-changed-v1.schema.json`` generated from this model; a test fails
when they drift). Numbers are decimal strings, because the pipe's input template copies them
from the stream as DynamoDB writes them; consumers never see DynamoDB's type descriptors.

Out: ``RestockRequest`` (``logic.py``, shared with ``stream_delivery=lambda``) is what the
function writes; the handler returns it in a ``StockChangeHandled``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

# Must match the pipe's target parameters and the rule's pattern in template.yaml (a test compares them).
EVENT_SOURCE = "com.example.inventory"
EVENT_DETAIL_TYPE = "StockLevelChanged"
SCHEMA_VERSION = "1"

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
CHANGE_ID_PATTERN = r"^[0-9A-Za-z-]{1,128}$"
MAX_COUNT = 1_000_000_000

Sku = Annotated[str, Field(pattern=SKU_PATTERN)]
ChangeId = Annotated[str, Field(pattern=CHANGE_ID_PATTERN)]
# A whole number in decimal digits, as the stream carries a DynamoDB number (N).
CountText = Annotated[str, Field(pattern=r"^[0-9]{1,10}$", description="A whole number in decimal digits")]


# ---------------------------------------------------------------------------- the event
class StockLevelChangedEvent(EventBridgeModel):
    """The EventBridge envelope: only this source and detail type are accepted."""

    source: Literal["com.example.inventory"]
    detail_type: Literal["StockLevelChanged"] = Field(alias="detail-type")


class LevelsBefore(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: CountText
    reorder_level: CountText


class LevelsAfter(LevelsBefore):
    reorder_quantity: CountText


class StockLevelChangedDetail(BaseModel):
    """The ``detail`` of a StockLevelChanged event, schema version 1: one modification of one
    stock item, its levels before and after."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="StockLevelChanged detail, version 1")

    schema_version: Literal["1"]
    change_id: Annotated[
        ChangeId, Field(description="The stream record's event id: the same change, however often it is delivered")
    ]
    sku: Sku
    before: LevelsBefore
    after: LevelsAfter


def detail_of(event: Any) -> StockLevelChangedDetail:
    """The detail of ``event``, which must be a StockLevelChanged event of the inventory service
    before its ``detail`` is parsed (ValidationError otherwise, from either step). Powertools'
    ``BaseEnvelope`` and ``parse`` would do the same, but importing ``BaseEnvelope`` loads every
    envelope Powertools has, with their event models: about 70 ms of CPU per cold start."""
    return StockLevelChangedDetail.model_validate(StockLevelChangedEvent.model_validate(event).detail)


# ---------------------------------------------------------------------------- the business payload
class StockLevel(BaseModel):
    """One image of an item in the stock table: the attributes this function reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku
    quantity: Annotated[int, Field(ge=0, le=MAX_COUNT)]
    reorder_level: Annotated[int, Field(ge=0, le=MAX_COUNT)]
    reorder_quantity: Annotated[int, Field(ge=1, le=MAX_COUNT)]

    @property
    def is_low(self) -> bool:
        return self.quantity < self.reorder_level


class StockChange(BaseModel):
    """The business payload: one change of one stock item, before and after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change_id: ChangeId
    before: StockLevel | None
    after: StockLevel

    @classmethod
    def from_detail(cls, detail: StockLevelChangedDetail) -> StockChange:
        lot = int(detail.after.reorder_quantity)
        return cls(
            change_id=detail.change_id,
            before=StockLevel(
                sku=detail.sku,
                quantity=int(detail.before.quantity),
                reorder_level=int(detail.before.reorder_level),
                reorder_quantity=lot,
            ),
            after=StockLevel(
                sku=detail.sku,
                quantity=int(detail.after.quantity),
                reorder_level=int(detail.after.reorder_level),
                reorder_quantity=lot,
            ),
        )
