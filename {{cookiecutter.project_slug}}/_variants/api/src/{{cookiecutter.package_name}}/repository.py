"""DynamoDB access. boto3 is imported and the client created on first use, not at cold start."""

from __future__ import annotations

from functools import cache
from typing import Any

from .models import Item

DynamoDBClient = Any  # botocore clients are generated at run time and carry no static types


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3  # deferred: boto3 costs ~100 ms of cold start

    return boto3.client("dynamodb")


class ItemRepository:
    """Items keyed by ``pk``; values are validated again when read back (output validation)."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def put(self, item: Item) -> None:
        self.client.put_item(
            TableName=self._table_name,
            Item={
                "pk": {"S": item.item_id},
                "name": {"S": item.name},
                "quantity": {"N": str(item.quantity)},
                "created_at": {"S": item.created_at.isoformat()},
                "signature": {"S": item.signature},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

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
