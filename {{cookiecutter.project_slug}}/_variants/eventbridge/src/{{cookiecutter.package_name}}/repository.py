"""The orders table (tables.py: the DynamoDB client, built at INIT on Lambda)."""

from __future__ import annotations

from .models import RecordedOrder
from .tables import Table


class OrderConflictError(ValueError):
    """The order id is already recorded with other content: a conflict for a person to resolve."""


class OrderRepository(Table):
    """Orders keyed by order id. The conditional write accepts the same order again (for a
    re-publication after the idempotency records expired) but never overwrites an order with
    different content; ``fingerprint`` identifies the content."""

    def put(self, order: RecordedOrder, fingerprint: str) -> None:
        # Output validation at the last step: a record that breaks its model (a bug upstream,
        # or one built with model_construct) raises here and is never written.
        order = RecordedOrder.model_validate(order)
        item = {
            "pk": {"S": order.order_id},
            "customer_id": {"S": order.customer_id},
            "currency": {"S": order.currency},
            "total": {"N": str(order.total)},
            "line_count": {"N": str(order.line_count)},
            "placed_at": {"S": order.placed_at.isoformat()},
            "recorded_at": {"S": order.recorded_at.isoformat()},
            "fingerprint": {"S": fingerprint},
        }
        if not self.put_if(
            item,
            "attribute_not_exists(pk) OR fingerprint = :fingerprint",
            ExpressionAttributeValues={":fingerprint": {"S": fingerprint}},
        ):
            raise OrderConflictError(f"order {order.order_id} is already recorded with other content")
