"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Fixtures, for every test below tests/: a conftest's names are what pytest looks fixtures up in.
from tests.support.emulated_aws import atomic_put_item as atomic_put_item
from tests.support.emulated_aws import emulated_dynamodb, table_items
from tests.support.idempotency import IdempotencyTable
from tests.support.lambda_runtime import LAMBDA_ENVIRONMENT
from tests.support.lambda_runtime import aws_environment as aws_environment
from tests.support.lambda_runtime import lambda_context as lambda_context

ORDERS_TABLE = "orders-test"
IDEMPOTENCY_TABLE = "idempotency-test"

# Set before any handler module is imported: Powertools reads them at import time.
os.environ.update(LAMBDA_ENVIRONMENT | {"ORDERS_TABLE": ORDERS_TABLE, "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE})


@dataclass
class Aws:
    dynamodb: Any
    idempotency: IdempotencyTable

    def orders(self) -> list[dict[str, Any]]:
        return table_items(self.dynamodb, ORDERS_TABLE)


@pytest.fixture
def aws() -> Iterator[Aws]:
    """Both tables, emulated by moto; fresh for every test."""
    with emulated_dynamodb((ORDERS_TABLE, "pk"), (IDEMPOTENCY_TABLE, "id")) as dynamodb:
        yield Aws(dynamodb=dynamodb, idempotency=IdempotencyTable(dynamodb, IDEMPOTENCY_TABLE))
