"""DynamoDB access. boto3 is imported and the client created on first use, not at cold start."""

from __future__ import annotations

from functools import cache
from typing import Any

from .models import AcceptedOrder

DynamoDBClient = Any  # botocore clients are generated at run time and carry no static types


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3  # deferred: boto3 costs ~100 ms of cold start

    return boto3.client("dynamodb")


class OrderRepository:
    """Orders keyed by ``pk`` (the order id), written with a condition so that an order is
    stored once even when the idempotency record has expired."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def add(self, order: AcceptedOrder) -> bool:
        # The last gate before the table: an order built without validation (model_construct,
        # a bug) raises ValidationError here instead of being written (revalidate_instances).
        valid = AcceptedOrder.model_validate(order)
        try:
            self.client.put_item(
                TableName=self._table_name,
                Item=self.to_item(valid),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    @staticmethod
    def to_item(order: AcceptedOrder) -> dict[str, Any]:
        return {
            "pk": {"S": order.order_id},
            "customer_id": {"S": order.customer_id},
            "currency": {"S": order.currency},
            "total_cents": {"N": str(order.total_cents)},
            "placed_at": {"S": order.placed_at.isoformat()},
            "accepted_at": {"S": order.accepted_at.isoformat()},
            "lines": {
                "L": [
                    {
                        "M": {
                            "sku": {"S": line.sku},
                            "quantity": {"N": str(line.quantity)},
                            "unit_price_cents": {"N": str(line.unit_price_cents)},
                        }
                    }
                    for line in order.lines
                ]
            },
        }
