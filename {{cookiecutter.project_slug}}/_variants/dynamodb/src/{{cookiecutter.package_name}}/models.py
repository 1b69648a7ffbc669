"""The contract of the stock stream, validated on the way in and on the way out.

In: ``StockStreamRecord`` is a DynamoDB stream record as Lambda delivers it (Powertools'
``DynamoDBStreamRecordModel``) whose images must be ``StockLevel``s. Out: ``RestockRequest``
(``logic.py``, shared with ``stream_delivery=eventbridge``) is what the function writes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamChangedRecordModel, DynamoDBStreamRecordModel
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
CHANGE_ID_PATTERN = r"^[0-9A-Za-z-]{1,128}$"
# The stream attributes the function reads; the FilterCriteria in template.yaml names the same ones.
WATCHED_ATTRIBUTES = ("quantity", "reorder_level")
MAX_COUNT = 1_000_000_000
# Counts are whole numbers, which SDKs write as plain digits. Checked on the raw text because
# Powertools' deserializer reads an empty or "." number as 0.
COUNT_ATTRIBUTES = ("quantity", "reorder_level", "reorder_quantity")
COUNT_TEXT = re.compile(r"[0-9]{1,10}")

_DESERIALIZER = TypeDeserializer()


def dynamodb_number(value: object) -> object:
    """DynamoDB numbers (N) arrive as Decimal: accept those only, not strings, floats or booleans."""
    if not isinstance(value, Decimal):
        raise ValueError("must be a DynamoDB number (N)")
    return value


Sku = Annotated[str, Field(pattern=SKU_PATTERN)]
Count = Annotated[int, BeforeValidator(dynamodb_number), Field(ge=0, le=MAX_COUNT)]
ChangeId = Annotated[str, Field(pattern=CHANGE_ID_PATTERN)]


class StockLevel(BaseModel):
    """One image of an item in the stock table: the attributes this function reads.

    Other attributes belong to the services that write the table and are ignored.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    sku: Sku
    quantity: Count
    reorder_level: Count
    reorder_quantity: Annotated[int, BeforeValidator(dynamodb_number), Field(ge=1, le=MAX_COUNT)]

    @property
    def is_low(self) -> bool:
        return self.quantity < self.reorder_level


class StockChangeImages(DynamoDBStreamChangedRecordModel):
    """The ``dynamodb`` part of a stream record, with typed images."""

    NewImage: StockLevel
    OldImage: StockLevel | None = None

    @field_validator("Keys", "NewImage", "OldImage", mode="before")
    @classmethod
    def deserialize_field(cls, value: Any) -> Any:
        """Replaces Powertools' validator of the same name, which lets TypeError, AttributeError
        or decimal errors escape on a malformed image: here they are validation errors."""
        try:
            image = {name: _DESERIALIZER.deserialize(attribute) for name, attribute in value.items()}
        except Exception:  # any malformed DynamoDB JSON
            raise ValueError("not a DynamoDB JSON image") from None
        for name in COUNT_ATTRIBUTES:
            number = value.get(name, {}).get("N")
            if number is not None and not (isinstance(number, str) and COUNT_TEXT.fullmatch(number)):
                raise ValueError(f"{name} must be a whole number written in digits")
        return image


class StockStreamRecord(DynamoDBStreamRecordModel):
    """One stream record of an inserted or modified stock item (the filter drops the rest)."""

    eventName: Literal["INSERT", "MODIFY"]
    eventID: ChangeId
    dynamodb: StockChangeImages


class StockChange(BaseModel):
    """The business payload: one change of one stock item, before and after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change_id: ChangeId
    before: StockLevel | None
    after: StockLevel


class StreamPosition(BaseModel):
    SequenceNumber: Annotated[str, Field(min_length=1, max_length=128)]


class RecordId(BaseModel):
    """The part of a record Lambda needs back to retry from it: its sequence number."""

    dynamodb: StreamPosition


class StreamBatch(BaseModel):
    """The minimal shape of a DynamoDB stream event; anything else is not a batch this function can answer."""

    Records: Annotated[list[RecordId], Field(min_length=1, max_length=10_000)]
