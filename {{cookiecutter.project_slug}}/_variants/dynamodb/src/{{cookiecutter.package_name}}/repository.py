"""The restock requests table (tables.py: the DynamoDB client, built at INIT on Lambda)."""

from __future__ import annotations

from .logic import RestockRequest
from .tables import Table
from .tables import dynamodb_client as dynamodb_client  # the client this data access uses


class RestockRepository(Table):
    """Restock requests keyed by ``sku`` and ``request_id`` (the stream record's event id),
    written with a condition so that a request is stored once even when the idempotency
    record has expired."""

    def add(self, request: RestockRequest) -> bool:
        # The last gate before the table: a request built without validation (model_construct,
        # a bug) raises ValidationError here instead of being written (revalidate_instances).
        valid = RestockRequest.model_validate(request)
        item = {
            "sku": {"S": valid.sku},
            "request_id": {"S": valid.request_id},
            "quantity_on_hand": {"N": str(valid.quantity_on_hand)},
            "reorder_level": {"N": str(valid.reorder_level)},
            "requested_quantity": {"N": str(valid.requested_quantity)},
            "requested_at": {"S": valid.requested_at.isoformat()},
            "status": {"S": "OPEN"},
        }
        return self.put_if(item, "attribute_not_exists(request_id)")
