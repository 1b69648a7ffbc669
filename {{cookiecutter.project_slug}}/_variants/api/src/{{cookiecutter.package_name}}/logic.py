"""Business rules, free of Lambda and AWS details so they are trivial to test."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .models import CreateItemRequest, Item


class ItemStore(Protocol):
    def put(self, item: Item) -> None: ...

    def get(self, item_id: str) -> Item | None: ...


def create_item(
    request: CreateItemRequest,
    store: ItemStore,
    sign: Callable[[str], str],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> Item:
    item_id = new_id()
    item = Item(
        item_id=item_id, name=request.name, quantity=request.quantity, created_at=now(), signature=sign(item_id)
    )
    store.put(item)
    return item


def get_item(item_id: str, store: ItemStore) -> Item | None:
    return store.get(item_id)
