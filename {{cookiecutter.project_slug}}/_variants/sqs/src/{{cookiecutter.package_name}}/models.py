"""The contract of the orders queue, validated on the way in and on the way out.

In: ``OrderMessage`` is the SQS record as Lambda delivers it (Powertools' ``SqsRecordModel``)
whose ``body`` must be the JSON of an ``OrderPlaced``. Out: ``AcceptedOrder`` is what the
function stores and returns to the idempotency layer; it is revalidated whenever it is used,
so an order built without validation can never be written.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Json, field_validator

MESSAGE_TYPE = "order.placed"  # the queue's FilterCriteria lets only this type through
ORDER_ID_PATTERN = r"^ord-[0-9A-Za-z]{8,40}$"
CUSTOMER_ID_PATTERN = r"^cus-[0-9A-Za-z]{8,40}$"
SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
MAX_LINES = 50

ISO_DATE_TIME_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")


def iso_date_time_text(value: object) -> object:
    """Pydantic reads a string of digits ("0", "1767225600") as Unix time even in strict mode;
    an order's time must be written as an ISO 8601 date-time."""
    if not (isinstance(value, str) and ISO_DATE_TIME_START.match(value)):
        raise ValueError("must be an ISO 8601 date-time string with its offset")
    return value


OrderId = Annotated[str, Field(pattern=ORDER_ID_PATTERN)]
CustomerId = Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN)]
Currency = Literal["EUR", "GBP", "USD"]
Cents = Annotated[int, Field(ge=0, le=10_000_000, strict=True)]


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Annotated[str, Field(pattern=SKU_PATTERN)]
    quantity: Annotated[int, Field(ge=1, le=1_000, strict=True)]
    unit_price_cents: Cents


class OrderPlaced(BaseModel):
    """The business payload: the JSON body of one message on the orders queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["order.placed"]
    order_id: OrderId
    customer_id: CustomerId
    currency: Currency
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=MAX_LINES)]
    placed_at: Annotated[AwareDatetime, BeforeValidator(iso_date_time_text)]  # with its offset, not a number

    @field_validator("lines")
    @classmethod
    def one_line_per_sku(cls, lines: tuple[OrderLine, ...]) -> tuple[OrderLine, ...]:
        skus = [line.sku for line in lines]
        if len(set(skus)) != len(skus):
            raise ValueError("each sku may appear on one line only")
        return lines


class OrderMessage(SqsRecordModel):
    """One SQS record whose body is an order (Powertools parses the JSON string)."""

    body: Json[OrderPlaced]


class AcceptedOrder(BaseModel):
    """An order as stored in the orders table and remembered by the idempotency layer."""

    model_config = ConfigDict(extra="forbid", frozen=True, revalidate_instances="always")

    order_id: OrderId
    customer_id: CustomerId
    currency: Currency
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=MAX_LINES)]
    total_cents: Annotated[int, Field(ge=0, strict=True)]
    placed_at: AwareDatetime
    accepted_at: AwareDatetime


class RecordId(BaseModel):
    """The part of a record Lambda needs back to retry it: its message id."""

    messageId: Annotated[str, Field(min_length=1, max_length=128)]


class SqsBatch(BaseModel):
    """The minimal shape of an SQS event; anything else is not a batch this function can answer."""

    Records: Annotated[list[RecordId], Field(min_length=1, max_length=10_000)]
