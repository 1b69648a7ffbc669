"""Exactly once under the two hard cases (tests/support/batches.py): the same stream record
delivered to two invocations at the same moment, and an invocation that timed out while it
held a record. AWS emulated by moto."""

from __future__ import annotations

from typing import Any

from {{ cookiecutter.package_name }} import repository
from {{ cookiecutter.package_name }}.logic import RestockRequest

from tests.conftest import IDEMPOTENCY_TABLE, RESTOCK_TABLE, stock_image, stream_record
from tests.support.batches import ExactlyOnceInBatches
from tests.support.lambda_runtime import batch

EVENT_ID = "event-crossing"


class TestARestockIsRequestedExactlyOnce(ExactlyOnceInBatches):
    side_effect = (repository.RestockRepository, "add")
    key = EVENT_ID  # the request id is the event id of the change
    reported_as = "000000000000000000001"  # the record's position: Lambda retries from it
    in_progress_metric = "ChangeInProgressElsewhere"
    idempotency_table = IDEMPOTENCY_TABLE

    def the_batch(self) -> dict[str, Any]:
        """A stock item that drops below its reorder level: one restock request to write."""
        return batch(stream_record(1, stock_image(quantity=4), stock_image(quantity=12), event_id=EVENT_ID))

    def attempted(self, written: RestockRequest) -> str:
        return written.request_id

    def stored_keys(self, dynamodb: Any) -> list[str]:
        return [item["request_id"]["S"] for item in dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]]
