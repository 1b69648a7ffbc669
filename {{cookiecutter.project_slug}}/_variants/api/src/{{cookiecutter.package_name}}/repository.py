"""The items table (items.py; tables.py: the DynamoDB client, built at INIT on Lambda)."""

from __future__ import annotations

from .items import ItemExistsError as ItemExistsError  # what put raises for an id that exists
from .items import ItemTable
from .models import Item
from .tables import Client
from .tables import dynamodb_client as dynamodb_client  # the client this data access uses


class ItemRepository(ItemTable[Item]):
    """Items keyed by ``pk``; values are validated again when read back (output validation)."""

    def __init__(self, table_name: str, client: Client | None = None) -> None:
        super().__init__(table_name, Item, client)
