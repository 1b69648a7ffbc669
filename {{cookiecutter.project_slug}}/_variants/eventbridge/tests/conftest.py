"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

EVENTS = Path(__file__).parent.parent / "events"
REGION = "eu-west-1"
ORDERS_TABLE = "orders-test"
IDEMPOTENCY_TABLE = "idempotency-test"
FUNCTION_NAME = "{{ cookiecutter.project_slug }}-orders"
# Attribute names of Powertools' DynamoDBPersistenceLayer (its defaults, which handler.py keeps).
IDEMPOTENCY_STATUS = "status"
IDEMPOTENCY_IN_PROGRESS_EXPIRY = "in_progress_expiration"  # epoch milliseconds

# Set before any handler module is imported: Powertools reads them at import time.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "ORDERS_TABLE": ORDERS_TABLE,
    "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
    "POWERTOOLS_SERVICE_NAME": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_METRICS_NAMESPACE": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
os.environ.update(TEST_ENVIRONMENT)


@dataclass
class FakeLambdaContext:
    function_name: str = FUNCTION_NAME
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}:live"
    aws_request_id: str = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    remaining_time_in_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo whatever a test changed in the environment."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@cache
def client(service: str) -> Any:
    """One client per service for the whole run: moto intercepts every client while a mock is
    active, and creating clients (loading their models) is the slow part of a test."""
    return boto3.client(service, region_name=REGION)


@dataclass
class Aws:
    dynamodb: Any

    def orders(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=ORDERS_TABLE)["Items"]
        return items

    def idempotency_records(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=IDEMPOTENCY_TABLE)["Items"]
        return items

    def run_out_in_progress_time(self) -> None:
        """What the clock does to the lock of an invocation that timed out: once the time it had
        left is over, its in-progress record may be taken over by a retry."""
        past = str(int(time.time() * 1000) - 1_000)
        for item in self.idempotency_records():
            self.dynamodb.update_item(
                TableName=IDEMPOTENCY_TABLE,
                Key={"id": item["id"]},
                UpdateExpression="SET #expiry = :past",
                ExpressionAttributeNames={"#expiry": IDEMPOTENCY_IN_PROGRESS_EXPIRY},
                ExpressionAttributeValues={":past": {"N": past}},
            )

    def forget_idempotency_records(self) -> None:
        """What the table's TTL does after IDEMPOTENCY_EXPIRY_SECONDS."""
        for item in self.idempotency_records():
            self.dynamodb.delete_item(TableName=IDEMPOTENCY_TABLE, Key={"id": item["id"]})


@pytest.fixture
def aws() -> Iterator[Aws]:
    """Both tables, emulated by moto; fresh for every test."""
    with mock_aws():
        dynamodb = client("dynamodb")
        for table, key in ((ORDERS_TABLE, "pk"), (IDEMPOTENCY_TABLE, "id")):
            dynamodb.create_table(
                TableName=table,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield Aws(dynamodb=dynamodb)


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event
