"""Property-based proofs: whatever S3 (or anyone) sends and whatever an object holds, the
handler records a valid invoice with the right total, or raises one of its own, named errors.
It never fails with a KeyError, TypeError or AttributeError: an asynchronous invocation that
fails ends in the failure queue, and its error must say why."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from {{ cookiecutter.package_name }} import logic, processing, repository

from tests.conftest import Aws, load_document
from tests.support.async_invocations import outcome
from tests.support.properties import PROPERTY_SETTINGS, broken, json_values

KEY = "incoming/property.json"
# Every way the handler may fail, each of which Lambda retries and then sends to the failure queue.
NAMED_FAILURES = (
    processing.InvalidEventError,
    logic.InvalidDocumentError,
    repository.DocumentTooLargeError,
    repository.DuplicateInvoiceError,
    IdempotencyValidationError,
    ClientError,  # S3 has no such key or version: the event names an object that does not exist
)

plain_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)
invoice_lines = st.fixed_dictionaries(
    {
        "sku": st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{2,31}\Z"),
        "description": plain_text,
        "quantity": st.integers(min_value=1, max_value=100_000),
        "unit_price": st.decimals(min_value=0, max_value=1_000_000, places=2).map(str),
    }
)
invoices = st.fixed_dictionaries(
    {
        "invoice_id": st.from_regex(r"\AINV-[0-9]{4,12}\Z"),
        "supplier_id": st.from_regex(r"\ASUP-[0-9]{3,10}\Z"),
        "issued_on": st.dates().map(str),
        "currency": st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY"]),
        "lines": st.lists(invoice_lines, min_size=1, max_size=5),
    }
)


def invoke(event: Any) -> dict[str, Any] | Exception:
    """The handler's result, or the error it raised, which must be one of its named failures."""
    return outcome(event, NAMED_FAILURES)


@PROPERTY_SETTINGS
@given(json_values)
def test_any_json_value_as_event_is_rejected_as_invalid(event: Any) -> None:
    assert isinstance(invoke(event), processing.InvalidEventError)


@PROPERTY_SETTINGS
@given(st.data())
def test_a_broken_notification_is_recorded_or_fails_with_a_named_error(aws: Aws, data: st.DataObject) -> None:
    event = aws.upload(KEY, load_document("invoice.json"))
    invoke(broken(event, data))


@PROPERTY_SETTINGS
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_any_object_content_is_rejected_as_an_invalid_document(aws: Aws, content: bytes) -> None:
    outcome = invoke(aws.upload(KEY, content))
    assert isinstance(outcome, logic.InvalidDocumentError)


@PROPERTY_SETTINGS
@given(st.data())
def test_a_truncated_document_is_rejected(aws: Aws, data: st.DataObject) -> None:
    document = load_document("invoice.json")
    cut = data.draw(st.integers(min_value=0, max_value=len(document.rstrip()) - 1), label="cut")
    outcome = invoke(aws.upload(KEY, document[:cut]))
    assert isinstance(outcome, logic.InvalidDocumentError)


@PROPERTY_SETTINGS
@given(invoices)
def test_every_valid_invoice_is_recorded_with_its_total(aws: Aws, invoice: dict[str, Any]) -> None:
    key = f"incoming/{invoice['supplier_id']}/{invoice['invoice_id']}.json"
    outcome = invoke(aws.upload(key, json.dumps(invoice, ensure_ascii=False).encode()))
    assert isinstance(outcome, dict), outcome
    [receipt] = outcome["receipts"]
    expected = sum((Decimal(line["unit_price"]) * line["quantity"] for line in invoice["lines"]), Decimal(0))
    assert Decimal(receipt["total"]) == expected
    assert receipt["line_count"] == len(invoice["lines"])
