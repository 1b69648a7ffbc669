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

ORDERS_TABLE = "orders-test"
IDEMPOTENCY_TABLE = "idempotency-test"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:{{ cookiecutter.project_slug }}-orders"

# Set before any handler module is imported: Powertools reads them at import time.
os.environ.update(LAMBDA_ENVIRONMENT | {"ORDERS_TABLE_NAME": ORDERS_TABLE, "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE})


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """The orders and idempotency tables, emulated by moto."""
    with emulated_dynamodb((ORDERS_TABLE, "pk"), (IDEMPOTENCY_TABLE, "id")) as client:
        yield client


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
        "awsRegion": REGION,
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
