"""DynamoDB tables. boto3 is imported at cold start, where Lambda gives the init a full vCPU,
and on Lambda the client is created then too (snapshot.at_init); elsewhere on first use, behind
``functools.cache`` (tests build it under moto). One client, on boto3's default session, serves
every table and Powertools idempotency: each session loads the service models again."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from . import snapshot

Client = Any  # botocore clients are generated at run time and carry no static types


@snapshot.at_init
@cache
def dynamodb_client() -> Client:
    return boto3.client("dynamodb")


class Table:
    """One table, by name; its client is the shared one unless another is given."""

    def __init__(self, table_name: str, client: Client | None = None) -> None:
        self._table_name = table_name
        self._client = client

    @property
    def client(self) -> Client:
        return self._client or dynamodb_client()

    def put_if(self, item: dict[str, Any], condition: str, **expression: Any) -> bool:
        """Write the item only where ``condition`` holds (a conditional write, atomic in DynamoDB):
        True when it was written, False, with nothing written, when the condition failed.
        ``expression`` carries ``ExpressionAttributeNames`` and ``ExpressionAttributeValues``."""
        try:
            self.client.put_item(TableName=self._table_name, Item=item, ConditionExpression=condition, **expression)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True
