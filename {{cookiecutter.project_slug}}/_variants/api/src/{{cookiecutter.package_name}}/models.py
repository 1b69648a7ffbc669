"""Request and response models: the contract of the API, validated on the way in and out.

API Gateway validates request bodies against the JSON schema of ``CreateItemRequest``
(``template.yaml``, model ``CreateItemRequest``); ``make schema`` regenerates it and a
test fails when the two drift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ITEM_ID_PATTERN = r"^[0-9a-f]{32}$"
SIGNATURE_PATTERN = r"^[0-9a-f]{64}$"

ItemName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
Quantity = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]


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
