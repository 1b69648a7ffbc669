"""Inventory items, the domain of the event sources that serve them to callers (the REST and
GraphQL APIs): the rules of an item's fields, the table that keeps the items, and creating one
once per caller and idempotency key.

Each event source has its own item model (models.py); this table stores any of them, one per
``pk`` (its ``item_id``), never overwritten, and validates what it reads back with that model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field

from . import idempotency
from .tables import Client, Table

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

ITEM_ID_PATTERN = r"^[0-9a-f]{32}$"

ItemName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
Quantity = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]

Item = TypeVar("Item", bound=BaseModel)

# How long a create's key is remembered: a client retries within minutes; the table's TTL then forgets it.
CREATE_KEY_EXPIRY_SECONDS = 24 * 60 * 60


class ItemExistsError(RuntimeError):
    """An item with this id exists already: never overwritten (ids are random, so a bug)."""


def attribute(value: Any) -> dict[str, str]:
    """A field's value as the table stores it: whole numbers as N, times in ISO 8601, text as S."""
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, datetime):
        return {"S": value.isoformat()}
    return {"S": str(value)}


def attribute_value(stored: dict[str, str]) -> Any:
    return int(stored["N"]) if "N" in stored else stored["S"]


class ItemTable(Table, Generic[Item]):
    """Items of ``model`` keyed by ``pk``; values are validated again when read back (output validation)."""

    def __init__(self, table_name: str, model: type[Item], client: Client | None = None) -> None:
        super().__init__(table_name, client)
        self.model = model

    def put(self, item: Item) -> None:
        fields = item.model_dump()
        item_id = fields.pop("item_id")
        stored = {"pk": {"S": item_id}, **{name: attribute(value) for name, value in fields.items()}}
        if not self.put_if(stored, "attribute_not_exists(pk)"):
            raise ItemExistsError(f"item {item_id} exists already")

    def get(self, item_id: str) -> Item | None:
        response = self.client.get_item(TableName=self._table_name, Key={"pk": {"S": item_id}}, ConsistentRead=True)
        stored = response.get("Item")
        return None if stored is None else self.read(stored)

    def read(self, stored: dict[str, Any]) -> Item:
        """An item as the table returned it, validated by the model."""
        fields = {name: attribute_value(value) for name, value in stored.items() if name != "pk"}
        return self.model.model_validate({"item_id": stored["pk"]["S"], **fields})


def create_once_config() -> IdempotencyConfig:
    """One caller's key is one item: the same key with another request is refused, never created again."""
    return idempotency.config(key="[caller, key]", payload="request", expires_after_seconds=CREATE_KEY_EXPIRY_SECONDS)


def created_once(
    create: Callable[[Any], Item], output: type[Item], config: IdempotencyConfig, table_name: str, client: Client
) -> Callable[..., Item]:
    """``create`` of an attempt's request behind Powertools idempotency (idempotency.py), called as
    ``(attempt=...)`` with a model of the ``caller``, its ``key`` and the ``request``."""

    def create_attempt(attempt: Any) -> Item:
        return create(attempt.request)

    return idempotency.once(
        create_attempt,
        argument="attempt",
        output=output,
        table_name=table_name,
        config=config,
        client=client,
        key_prefix="create-item",  # the keys of every release before this module
    )
