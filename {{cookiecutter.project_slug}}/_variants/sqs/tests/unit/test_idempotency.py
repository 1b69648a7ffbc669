"""Exactly once under the two hard cases (tests/support/batches.py): the same order delivered
to two invocations at the same moment, and an invocation that timed out while it held an
order. AWS emulated by moto."""

from __future__ import annotations

import json
from typing import Any

from {{ cookiecutter.package_name }} import repository
from {{ cookiecutter.package_name }}.models import AcceptedOrder

from tests.conftest import IDEMPOTENCY_TABLE, ORDERS_TABLE, order, sqs_record
from tests.support.batches import ExactlyOnceInBatches
from tests.support.lambda_runtime import batch

ORDER_ID = "ord-20260101I0001"


class TestAnOrderIsStoredExactlyOnce(ExactlyOnceInBatches):
    side_effect = (repository.OrderRepository, "add")
    key = ORDER_ID
    reported_as = "m-1"  # SQS redelivers the same message
    in_progress_metric = "OrderInProgressElsewhere"
    idempotency_table = IDEMPOTENCY_TABLE

    def the_batch(self) -> dict[str, Any]:
        return batch(sqs_record(json.dumps(order(ORDER_ID)), "m-1"))

    def attempted(self, written: AcceptedOrder) -> str:
        return written.order_id

    def stored_keys(self, dynamodb: Any) -> list[str]:
        return [item["pk"]["S"] for item in dynamodb.scan(TableName=ORDERS_TABLE)["Items"]]
