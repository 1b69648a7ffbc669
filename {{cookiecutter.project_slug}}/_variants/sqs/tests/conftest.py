"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).parent.parent
EVENTS = ROOT / "events"
ORDERS_TABLE = "orders-test"
IDEMPOTENCY_TABLE = "idempotency-test"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:{{ cookiecutter.project_slug }}-orders"

# Set before any handler module is imported: Powertools reads them at import time.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "ORDERS_TABLE_NAME": ORDERS_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "POWERTOOLS_SERVICE_NAME": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_METRICS_NAMESPACE": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
os.environ.update(TEST_ENVIRONMENT)


FUNCTION_NAME = "{{ cookiecutter.project_slug }}-orders"


@dataclass
class FakeLambdaContext:
    function_name: str = FUNCTION_NAME
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}:live"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    remaining_time_in_millis: int = 10_000  # the function's timeout in template.yaml

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


def create_table(client: Any, name: str, key: str) -> None:
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """The orders and idempotency tables, emulated by moto."""
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, ORDERS_TABLE, "pk")
        create_table(client, IDEMPOTENCY_TABLE, "id")
        yield client


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def sqs_record(body: str, message_id: str, receive_count: int = 1) -> dict[str, Any]:
    """An SQS record in the shape Lambda delivers it, around any body."""
    return {
        "messageId": message_id,
        "receiptHandle": f"receipt-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1767225600000",
            "SenderId": "123456789012",
            "ApproximateFirstReceiveTimestamp": "1767225600001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-west-1",
    }


def order(order_id: str = "ord-20260101A0001", **changes: Any) -> dict[str, Any]:
    """A valid order.placed payload; keyword arguments replace its fields."""
    payload: dict[str, Any] = {
        "type": "order.placed",
        "order_id": order_id,
        "customer_id": "cus-C0FFEE0042",
        "currency": "EUR",
        "lines": [
            {"sku": "WIDGET-BLUE", "quantity": 3, "unit_price_cents": 1250},
            {"sku": "GADGET-9", "quantity": 1, "unit_price_cents": 4999},
        ],
        "placed_at": "2026-01-01T09:30:00+00:00",
    }
    return payload | changes


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}
