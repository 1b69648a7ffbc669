"""AWS access: reading documents from S3 and recording receipts in DynamoDB (tables.py). boto3
is imported at cold start; the clients are created then too on Lambda (snapshot.at_init),
elsewhere on first use."""

from __future__ import annotations

from functools import cache

import boto3

from . import snapshot
from .models import DocumentRef, IntakeReceipt
from .tables import Client, Table


class DocumentTooLargeError(ValueError):
    """The object is larger than the function is allowed to read."""


class DuplicateInvoiceError(ValueError):
    """Another document already recorded this invoice: a conflict for a person to resolve."""


@snapshot.at_init
@cache
def s3_client() -> Client:
    return boto3.client("s3")


class DocumentReader:
    """Reads one exact object version, never more than ``max_bytes`` of it."""

    def __init__(self, max_bytes: int, client: Client | None = None) -> None:
        self._max_bytes = max_bytes
        self._client = client

    @property
    def client(self) -> Client:
        return self._client or s3_client()

    def read(self, document: DocumentRef) -> bytes:
        if document.size > self._max_bytes:
            raise DocumentTooLargeError(f"{document.size} bytes; the limit is {self._max_bytes}")
        if document.size == 0:
            return b""  # S3 refuses a ranged read of an empty object (InvalidRange)
        # The size in the event is what S3 reported at upload; the ranged read enforces the
        # limit whatever the object really holds (one byte more tells "too large" apart).
        response = self.client.get_object(
            Bucket=document.bucket,
            Key=document.key,
            VersionId=document.version_id,
            Range=f"bytes=0-{self._max_bytes}",
        )
        body: bytes = response["Body"].read(self._max_bytes + 1)
        if len(body) > self._max_bytes:
            raise DocumentTooLargeError(f"more than {self._max_bytes} bytes")
        return body


class ReceiptRepository(Table):
    """Receipts keyed by supplier and invoice. The conditional write lets a new version of the
    same object update its receipt, but never lets another object take over an invoice."""

    def put(self, receipt: IntakeReceipt) -> None:
        # Output validation at the last step: a receipt that breaks its model (a bug upstream,
        # or one built with model_construct) raises here and is never written.
        receipt = IntakeReceipt.model_validate(receipt)
        item = {
            "pk": {"S": f"{receipt.supplier_id}#{receipt.invoice_id}"},
            "invoice_id": {"S": receipt.invoice_id},
            "supplier_id": {"S": receipt.supplier_id},
            "currency": {"S": receipt.currency},
            "total": {"N": str(receipt.total)},
            "line_count": {"N": str(receipt.line_count)},
            "source": {"S": receipt.source},
            "version_id": {"S": receipt.version_id},
            "recorded_at": {"S": receipt.recorded_at.isoformat()},
        }
        if not self.put_if(
            item,
            "attribute_not_exists(pk) OR #source = :source",
            ExpressionAttributeNames={"#source": "source"},
            ExpressionAttributeValues={":source": {"S": receipt.source}},
        ):
            raise DuplicateInvoiceError(
                f"invoice {receipt.invoice_id} of {receipt.supplier_id} was already recorded from another document"
            )
