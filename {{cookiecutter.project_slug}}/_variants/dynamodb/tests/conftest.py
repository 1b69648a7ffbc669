"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Fixtures, for every test below tests/: a conftest's names are what pytest looks fixtures up in.
from tests.support.emulated_aws import atomic_put_item as atomic_put_item
from tests.support.emulated_aws import emulated_dynamodb
from tests.support.lambda_runtime import LAMBDA_ENVIRONMENT, REGION
from tests.support.lambda_runtime import aws_environment as aws_environment
from tests.support.lambda_runtime import lambda_context as lambda_context

RESTOCK_TABLE = "restock-requests-test"
IDEMPOTENCY_TABLE = "idempotency-test"
STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/stock-test/stream/2026-01-01T00:00:00.000"

# Set before any handler module is imported: Powertools reads them at import time.
os.environ.update(
    LAMBDA_ENVIRONMENT | {"RESTOCK_TABLE_NAME": RESTOCK_TABLE, "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE}
)


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """The restock requests (by sku and request id) and idempotency tables, emulated by moto."""
    with emulated_dynamodb((RESTOCK_TABLE, "sku", "request_id"), (IDEMPOTENCY_TABLE, "id")) as client:
        yield client


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
        "awsRegion": REGION,
        "dynamodb": change,
        "eventSourceARN": STREAM_ARN,
    }
