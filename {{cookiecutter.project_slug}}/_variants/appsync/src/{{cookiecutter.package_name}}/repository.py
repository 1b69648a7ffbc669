"""The items table (items.py), and pages of it for ``listItems``.

A page goes on from the table's last key, which the caller gets as an opaque ``nextToken``:
URL-safe base64 of that key's JSON. A token is checked to be exactly such a key before it
reaches DynamoDB, so a malformed one is bad input, never a DynamoDB error. A well-formed token
the API did not issue only moves where a scan starts: listItems reads the same table to anyone
it authorizes, so such a token reveals nothing a caller could not list anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .items import ITEM_ID_PATTERN, ItemTable
from .models import Item
from .tables import Client
from .tables import dynamodb_client as dynamodb_client  # the client this data access uses


class InvalidTokenError(ValueError):
    """A nextToken that is not a key of this table: malformed, or made up."""


class StringAttribute(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    S: Annotated[str, Field(pattern=ITEM_ID_PATTERN)]


class TableKey(BaseModel):
    """The items table's key, as DynamoDB gives it (``LastEvaluatedKey``) and takes it back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pk: StringAttribute


def token_of(key: dict[str, Any]) -> str:
    text = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def key_of(token: str) -> dict[str, Any]:
    """The table key a token stands for; InvalidTokenError for anything else."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return TableKey.model_validate_json(text).model_dump()
    except (binascii.Error, ValidationError):
        raise InvalidTokenError("nextToken is not a token this API issued") from None


class ItemRepository(ItemTable[Item]):
    def __init__(self, table_name: str, client: Client | None = None) -> None:
        super().__init__(table_name, Item, client)

    def page(self, limit: int, token: str | None) -> tuple[list[Item], str | None]:
        """Up to ``limit`` items, from where ``token`` left off (None: the start), and the token
        of the next page (None: there is none). A page may hold fewer items than ``limit``,
        even none, and still have a next one (DynamoDB stops at 1 MB)."""
        start = {} if token is None else {"ExclusiveStartKey": key_of(token)}
        response = self.client.scan(TableName=self._table_name, Limit=limit, ConsistentRead=True, **start)
        last = response.get("LastEvaluatedKey")
        return [self.read(stored) for stored in response.get("Items", [])], None if last is None else token_of(last)
