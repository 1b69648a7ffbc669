"""Request and response models: the contract of the API, validated on the way in and out.

API Gateway validates request bodies against the JSON schema of ``CreateItemRequest``
(``template.yaml``, model ``CreateItemRequest``); ``make schema`` regenerates it and a
test fails when the two drift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .items import ITEM_ID_PATTERN as ITEM_ID_PATTERN  # the rules of an item's fields, shared with other APIs
from .items import ItemName, Quantity

SIGNATURE_PATTERN = r"^[0-9a-f]{64}$"


class CreateItemRequest(BaseModel):
    """Body of ``POST /items``."""

    model_config = ConfigDict(extra="forbid", title="CreateItemRequest")

    name: ItemName
    quantity: Quantity


# The Idempotency-Key header (IETF httpapi draft): printable ASCII without spaces, as clients
# send UUIDs or random tokens, quoted (a structured-field string) or not.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"


class CreateAttempt(BaseModel):
    """What makes two creates the same: one caller, one key, one body (idempotency in api.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    caller: str
    key: Annotated[str, Field(pattern=IDEMPOTENCY_KEY_PATTERN)]
    request: CreateItemRequest


class Item(BaseModel):
    """An item as stored and as returned by the API."""

    # Revalidate instances too: an Item built without validation must not reach a client.
    model_config = ConfigDict(extra="forbid", frozen=True, revalidate_instances="always")

    item_id: Annotated[str, Field(pattern=ITEM_ID_PATTERN)]
    name: ItemName
    quantity: Quantity
    created_at: datetime
    signature: Annotated[str, Field(pattern=SIGNATURE_PATTERN, description="HMAC-SHA256 of item_id")]


class ErrorDetail(BaseModel):
    location: str
    message: str


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx body: a message, the request id, never a traceback."""

    message: str
    request_id: str | None = None
    errors: list[ErrorDetail] = []
