"""The fields' rules, free of Lambda and AppSync details so they are trivial to test."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .models import DEFAULT_PAGE_SIZE, CreateItemInput, Item, ItemPage, ListItemsArguments


class ItemStore(Protocol):
    def put(self, item: Item) -> None: ...

    def get(self, item_id: str) -> Item | None: ...

    def page(self, limit: int, token: str | None) -> tuple[list[Item], str | None]: ...


def create_item(
    request: CreateItemInput,
    store: ItemStore,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> Item:
    item = Item(item_id=new_id(), name=request.name, quantity=request.quantity, created_at=now())
    store.put(item)
    return item


def get_item(item_id: str, store: ItemStore) -> Item | None:
    return store.get(item_id)


def list_items(arguments: ListItemsArguments, store: ItemStore) -> ItemPage:
    limit = DEFAULT_PAGE_SIZE if arguments.limit is None else arguments.limit
    items, next_token = store.page(limit, arguments.next_token)
    return ItemPage(items=items, next_token=next_token)
