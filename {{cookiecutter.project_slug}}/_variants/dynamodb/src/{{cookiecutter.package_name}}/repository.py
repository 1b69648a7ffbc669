"""DynamoDB access. boto3 is imported and the client created on first use, not at cold start."""

from __future__ import annotations

from functools import cache
from typing import Any

from .models import RestockRequest

DynamoDBClient = Any  # botocore clients are generated at run time and carry no static types


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3  # deferred: boto3 costs ~100 ms of cold start

    return boto3.client("dynamodb")


class RestockRepository:
    """Restock requests keyed by ``sku`` and ``request_id`` (the stream record's event id),
    written with a condition so that a request is stored once even when the idempotency
    record has expired."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def add(self, request: RestockRequest) -> bool:
        # The last gate before the table: a request built without validation (model_construct,
        # a bug) raises ValidationError here instead of being written (revalidate_instances).
        valid = RestockRequest.model_validate(request)
        try:
            self.client.put_item(
                TableName=self._table_name,
                Item={
                    "sku": {"S": valid.sku},
                    "request_id": {"S": valid.request_id},
                    "quantity_on_hand": {"N": str(valid.quantity_on_hand)},
                    "reorder_level": {"N": str(valid.reorder_level)},
                    "requested_quantity": {"N": str(valid.requested_quantity)},
                    "requested_at": {"S": valid.requested_at.isoformat()},
                    "status": {"S": "OPEN"},
                },
                ConditionExpression="attribute_not_exists(request_id)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True
