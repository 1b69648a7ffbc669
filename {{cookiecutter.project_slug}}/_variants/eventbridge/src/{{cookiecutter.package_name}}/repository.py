"""DynamoDB access. boto3 is imported and the client created on first use, not at cold start."""

from __future__ import annotations

from functools import cache
from typing import Any

from .models import RecordedOrder

Client = Any  # botocore clients are generated at run time and carry no static types


class OrderConflictError(ValueError):
    """The order id is already recorded with other content: a conflict for a person to resolve."""


@cache
def dynamodb_client() -> Client:
    import boto3  # deferred: boto3 costs ~100 ms of cold start

    return boto3.client("dynamodb")


class OrderRepository:
    """Orders keyed by order id. The conditional write accepts the same order again (for a
    re-publication after the idempotency records expired) but never overwrites an order with
    different content; ``fingerprint`` identifies the content."""

    def __init__(self, table_name: str, client: Client | None = None) -> None:
        self._table_name = table_name
        self._client = client

    @property
    def client(self) -> Client:
        return self._client or dynamodb_client()

    def put(self, order: RecordedOrder, fingerprint: str) -> None:
        # Output validation at the last step: a record that breaks its model (a bug upstream,
        # or one built with model_construct) raises here and is never written.
        order = RecordedOrder.model_validate(order)
        try:
            self.client.put_item(
                TableName=self._table_name,
                Item={
                    "pk": {"S": order.order_id},
                    "customer_id": {"S": order.customer_id},
                    "currency": {"S": order.currency},
                    "total": {"N": str(order.total)},
                    "line_count": {"N": str(order.line_count)},
                    "placed_at": {"S": order.placed_at.isoformat()},
                    "recorded_at": {"S": order.recorded_at.isoformat()},
                    "fingerprint": {"S": fingerprint},
                },
                ConditionExpression="attribute_not_exists(pk) OR fingerprint = :fingerprint",
                ExpressionAttributeValues={":fingerprint": {"S": fingerprint}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise OrderConflictError(f"order {order.order_id} is already recorded with other content") from None
