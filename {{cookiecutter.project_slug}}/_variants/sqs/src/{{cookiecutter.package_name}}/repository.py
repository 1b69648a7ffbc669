"""The orders table (tables.py: the DynamoDB client, built at INIT on Lambda)."""

from __future__ import annotations

from typing import Any

from .models import AcceptedOrder
from .tables import Table
from .tables import dynamodb_client as dynamodb_client  # the client this data access uses


class OrderRepository(Table):
    """Orders keyed by ``pk`` (the order id), written with a condition so that an order is
    stored once even when the idempotency record has expired."""

    def add(self, order: AcceptedOrder) -> bool:
        # The last gate before the table: an order built without validation (model_construct,
        # a bug) raises ValidationError here instead of being written (revalidate_instances).
        valid = AcceptedOrder.model_validate(order)
        return self.put_if(self.to_item(valid), "attribute_not_exists(pk)")

    @staticmethod
    def to_item(order: AcceptedOrder) -> dict[str, Any]:
        return {
            "pk": {"S": order.order_id},
            "customer_id": {"S": order.customer_id},
            "currency": {"S": order.currency},
            "total_cents": {"N": str(order.total_cents)},
            "placed_at": {"S": order.placed_at.isoformat()},
            "accepted_at": {"S": order.accepted_at.isoformat()},
            "lines": {
                "L": [
                    {
                        "M": {
                            "sku": {"S": line.sku},
                            "quantity": {"N": str(line.quantity)},
                            "unit_price_cents": {"N": str(line.unit_price_cents)},
                        }
                    }
                    for line in order.lines
                ]
            },
        }
