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
RESTOCK_TABLE = "restock-requests-test"
IDEMPOTENCY_TABLE = "idempotency-test"
STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/stock-test/stream/2026-01-01T00:00:00.000"

# Set before any handler module is imported: Powertools reads them at import time.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "RESTOCK_TABLE_NAME": RESTOCK_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "POWERTOOLS_SERVICE_NAME": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_METRICS_NAMESPACE": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
os.environ.update(TEST_ENVIRONMENT)


FUNCTION_NAME = "{{ cookiecutter.project_slug }}-restock"


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


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """The restock requests and idempotency tables, emulated by moto."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=RESTOCK_TABLE,
            AttributeDefinitions=[
                {"AttributeName": "sku", "AttributeType": "S"},
                {"AttributeName": "request_id", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "sku", "KeyType": "HASH"},
                {"AttributeName": "request_id", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName=IDEMPOTENCY_TABLE,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def stock_image(sku: str = "WIDGET-BLUE", quantity: int = 4, reorder_level: int = 10, lot: int = 50) -> dict[str, Any]:
    """A stock item as DynamoDB JSON, the way the stream carries it."""
    return {
        "sku": {"S": sku},
        "quantity": {"N": str(quantity)},
        "reorder_level": {"N": str(reorder_level)},
        "reorder_quantity": {"N": str(lot)},
    }


def stream_record(
    sequence: int,
    new_image: Any,
    old_image: Any = None,
    event_name: str = "MODIFY",
    event_id: str | None = None,
) -> dict[str, Any]:
    """A DynamoDB stream record in the shape Lambda delivers it, around any images."""
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": 1767260000,
        "Keys": {"sku": {"S": "WIDGET-BLUE"}},
        "SequenceNumber": f"{sequence:021d}",
        "SizeBytes": 120,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "NewImage": new_image,
    }
    if old_image is not None:
        change["OldImage"] = old_image
    return {
        "eventID": event_id or f"event-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": change,
        "eventSourceARN": STREAM_ARN,
    }


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}
