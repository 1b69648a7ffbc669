"""The items table (tables.py: the DynamoDB client is created on first use)."""

from __future__ import annotations

from .models import Item
from .tables import Table
from .tables import dynamodb_client as dynamodb_client  # the client this data access uses


class ItemExistsError(RuntimeError):
    """An item with this id exists already: never overwritten (ids are random, so a bug)."""


class ItemRepository(Table):
    """Items keyed by ``pk``; values are validated again when read back (output validation)."""

    def put(self, item: Item) -> None:
        stored = {
            "pk": {"S": item.item_id},
            "name": {"S": item.name},
            "quantity": {"N": str(item.quantity)},
            "created_at": {"S": item.created_at.isoformat()},
            "signature": {"S": item.signature},
        }
        if not self.put_if(stored, "attribute_not_exists(pk)"):
            raise ItemExistsError(f"item {item.item_id} exists already")

    def get(self, item_id: str) -> Item | None:
        response = self.client.get_item(TableName=self._table_name, Key={"pk": {"S": item_id}}, ConsistentRead=True)
        stored = response.get("Item")
        if stored is None:
            return None
        return Item.model_validate(
            {
                "item_id": stored["pk"]["S"],
                "name": stored["name"]["S"],
                "quantity": int(stored["quantity"]["N"]),
                "created_at": stored["created_at"]["S"],
                "signature": stored["signature"]["S"],
            }
        )
