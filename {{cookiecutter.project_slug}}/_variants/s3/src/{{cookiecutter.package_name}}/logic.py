"""The intake rules, free of Lambda and AWS details so they are trivial to test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pydantic import ValidationError

from .async_invocation import describe
from .models import DocumentRef, IntakeReceipt, Invoice


class InvalidDocumentError(ValueError):
    """The object is not a valid invoice. Its message names fields and error kinds only,
    never the content, so it is safe to log and to keep in the failure queue."""


class DocumentSource(Protocol):
    def read(self, document: DocumentRef) -> bytes: ...


class ReceiptStore(Protocol):
    def put(self, receipt: IntakeReceipt) -> None: ...


def parse_invoice(raw: bytes) -> Invoice:
    try:
        return Invoice.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidDocumentError(f"not a valid invoice ({describe(error)})") from None


def record_document(
    document: DocumentRef,
    source: DocumentSource,
    store: ReceiptStore,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IntakeReceipt:
    invoice = parse_invoice(source.read(document))
    receipt = IntakeReceipt(
        invoice_id=invoice.invoice_id,
        supplier_id=invoice.supplier_id,
        currency=invoice.currency,
        total=invoice.total,
        line_count=len(invoice.lines),
        source=document.uri,
        version_id=document.version_id,
        recorded_at=now(),
    )
    store.put(receipt)
    return receipt
