"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import os
from typing import Any

# Fixtures, for every test below tests/: a conftest's names are what pytest looks fixtures up in.
from tests.support.emulated_aws import atomic_put_item as atomic_put_item
from tests.support.emulated_aws import table_items
from tests.support.lambda_runtime import LAMBDA_ENVIRONMENT
from tests.support.lambda_runtime import aws_environment as aws_environment
from tests.support.lambda_runtime import lambda_context as lambda_context

TABLE_NAME = "items-test"
IDEMPOTENCY_TABLE = "idempotency-test"
# The function's own variables, as template.yaml sets them. Set before any handler module is
# imported: Powertools reads its own at import time.
FUNCTION_ENVIRONMENT = {"TABLE_NAME": TABLE_NAME, "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE}
os.environ.update(LAMBDA_ENVIRONMENT | FUNCTION_ENVIRONMENT)


def stored_item_ids(dynamodb: Any) -> list[str]:
    """The ids of the items the emulated table holds, sorted."""
    return sorted(item["pk"]["S"] for item in table_items(dynamodb, TABLE_NAME))
