"""The contract of the intake: the S3 event that invokes it, the document inside the object,
and the receipt it records and returns. Everything is validated on the way in and out.

The event models follow the S3 event message structure (version 2.x, AWS's "Event message
structure" page), with every field Lambda's S3 events carry typed and required as S3 sends
it. They are ours, not Powertools' S3 parser models: importing those builds 18 models (S3
through EventBridge and SQS too, with their documentation) and Powertools' parser, about a
tenth of this function's cold start (README, Performance). S3 only invokes the function for new
``incoming/*.json`` objects (the bucket's notification filter, ``template.yaml``); the models
check the same again, because a filter is configuration and configuration drifts.
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Must match the bucket notification filter in template.yaml (a test compares them).
INCOMING_PREFIX = "incoming/"
DOCUMENT_SUFFIX = ".json"
MAX_KEY_LENGTH = 1024  # S3's own limit, in bytes of UTF-8

PlainText = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Money = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=12, decimal_places=2, allow_inf_nan=False)]
Total = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=2, allow_inf_nan=False)]
InvoiceId = Annotated[str, Field(pattern=r"^INV-[0-9]{4,12}$")]
SupplierId = Annotated[str, Field(pattern=r"^SUP-[0-9]{3,10}$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


# ---------------------------------------------------------------------------- the event
def source_ip(value: str) -> str:
    """An IPv4 or IPv6 address, or ``s3.amazonaws.com`` for a request S3 made itself."""
    if value != "s3.amazonaws.com":
        ipaddress.ip_address(value)  # ValueError: pydantic reports it as a validation error
    return value


class Principal(BaseModel):
    principalId: str


class RequestParameters(BaseModel):
    sourceIPAddress: Annotated[str, AfterValidator(source_ip)]


class ResponseElements(BaseModel):
    x_amz_request_id: str = Field(alias="x-amz-request-id")
    x_amz_id_2: str = Field(alias="x-amz-id-2")


class Bucket(BaseModel):
    name: str
    ownerIdentity: Principal
    arn: str


class StoredObject(BaseModel):
    key: str
    size: Annotated[float, Field(ge=0)] | None = None
    eTag: str | None = None
    versionId: str | None = None
    sequencer: str | None = None


class S3Entity(BaseModel):
    s3SchemaVersion: str
    configurationId: str
    bucket: Bucket
    object: StoredObject | None = None


class ObjectCreatedRecord(BaseModel):
    """One S3 notification record, for an object that was just created."""

    eventVersion: str
    eventSource: Literal["aws:s3"]
    awsRegion: str
    eventTime: datetime
    eventName: Annotated[str, Field(pattern=r"^ObjectCreated:")]
    userIdentity: Principal
    requestParameters: RequestParameters
    responseElements: ResponseElements
    s3: S3Entity

    @model_validator(mode="after")
    def names_an_incoming_document(self) -> ObjectCreatedRecord:
        self.document()  # a record that names no valid document fails here, at parse time
        return self

    def document(self) -> DocumentRef:
        details = self.s3.object
        return DocumentRef.model_validate(
            {
                "bucket": self.s3.bucket.name,
                # S3 URL-encodes keys in events: "a b.json" arrives as "a+b.json".
                "key": unquote_plus(details.key) if details else None,
                "version_id": details.versionId if details else None,
                "etag": details.eTag if details else None,
                "size": details.size if details else None,
            }
        )


class DocumentNotification(BaseModel):
    """The event S3 sends to Lambda: in practice one record per object."""

    Records: Annotated[list[ObjectCreatedRecord], Field(min_length=1, max_length=100)]


class DocumentRef(BaseModel):
    """One exact document: a version of an object. This is what idempotency keys on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: Annotated[str, Field(min_length=3, max_length=63)]
    key: Annotated[str, Field(min_length=len(INCOMING_PREFIX) + len(DOCUMENT_SUFFIX) + 1)]
    version_id: Annotated[str, Field(min_length=1, max_length=1024)]
    etag: Annotated[str, Field(min_length=1, max_length=128)]
    size: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def key_is_an_incoming_document(self) -> DocumentRef:
        if not (self.key.startswith(INCOMING_PREFIX) and self.key.endswith(DOCUMENT_SUFFIX)):
            raise ValueError(f"the key must start with {INCOMING_PREFIX!r} and end with {DOCUMENT_SUFFIX!r}")
        if len(self.key.encode()) > MAX_KEY_LENGTH:
            raise ValueError("the key is longer than S3 allows")
        return self

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


# ---------------------------------------------------------------------------- the document
class InvoiceLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$")]
    description: PlainText
    quantity: Annotated[int, Field(ge=1, le=100_000, strict=True)]
    unit_price: Money


class Invoice(BaseModel):
    """A supplier invoice, the content of one ``incoming/*.json`` object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    invoice_id: InvoiceId
    supplier_id: SupplierId
    issued_on: date
    currency: Currency
    lines: Annotated[list[InvoiceLine], Field(min_length=1, max_length=200)]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))


# ---------------------------------------------------------------------------- the output
class IntakeReceipt(BaseModel):
    """What is recorded in the documents table, and returned, for one invoice."""

    # Revalidate instances too: a receipt built without validation must not be recorded.
    model_config = ConfigDict(extra="forbid", frozen=True, revalidate_instances="always")

    invoice_id: InvoiceId
    supplier_id: SupplierId
    currency: Currency
    total: Total
    line_count: Annotated[int, Field(ge=1, le=200)]
    source: Annotated[str, Field(pattern=r"^s3://[^/]+/incoming/[\s\S]+\.json$")]
    version_id: Annotated[str, Field(min_length=1, max_length=1024)]
    recorded_at: datetime


class IntakeResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, revalidate_instances="always")

    receipts: Annotated[list[IntakeReceipt], Field(min_length=1)]
