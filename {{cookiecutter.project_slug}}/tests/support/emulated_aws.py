"""AWS emulated in-process by moto: no test reaches AWS or the network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from tests.support.lambda_runtime import REGION


@cache
def client(service: str) -> Any:
    """One client per service for the whole run: moto intercepts every client while a mock is
    active, and creating clients (loading their models) is the slow part of a test."""
    return boto3.client(service, region_name=REGION)


def create_table(dynamodb: Any, name: str, *keys: str, **options: Any) -> dict[str, Any]:
    """An on-demand table keyed by string attributes: the partition key, then the sort key if any."""
    description: dict[str, Any] = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in keys],
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in zip(keys, ("HASH", "RANGE"), strict=False)],
        BillingMode="PAY_PER_REQUEST",
        **options,
    )["TableDescription"]
    return description


def table_items(dynamodb: Any, name: str) -> list[dict[str, Any]]:
    """Every item of a (small) table, as DynamoDB JSON."""
    items: list[dict[str, Any]] = dynamodb.scan(TableName=name)["Items"]
    return items


@contextmanager
def emulated_dynamodb(*tables: tuple[str, ...]) -> Iterator[Any]:
    """AWS emulated while the block runs, with these tables (each: its name, then its keys);
    the DynamoDB client. Every other service is emulated too, empty."""
    with mock_aws():
        dynamodb = client("dynamodb")
        for name, *keys in tables:
            create_table(dynamodb, name, *keys)
        yield dynamodb


@pytest.fixture
def atomic_put_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and writes atomically; moto does both without a
    lock, so two threads could both pass the check. Lend moto the atomicity DynamoDB has."""
    lock = threading.Lock()
    original = DynamoDBBackend.put_item

    def locked_put_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", locked_put_item)
