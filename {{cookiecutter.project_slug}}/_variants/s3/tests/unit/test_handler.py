"""The intake handler invoked in-process with the sample events, S3 and DynamoDB emulated by moto."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

from {{ cookiecutter.package_name }} import handler, logic, processing, repository
from {{ cookiecutter.package_name }}.models import IntakeReceipt, Invoice

from tests.conftest import BUCKET, MAX_DOCUMENT_BYTES, Aws, load_document
from tests.support.async_invocations import ExactlyOnceWhenDeliveredTwice
from tests.support.idempotency import IdempotencyTable, watch
from tests.support.lambda_runtime import FakeLambdaContext, batch, load_event
from tests.support.observability import correlated, logged, metric_blobs, metrics_in_order

INVOICE_KEY = "incoming/invoice-2026-0001.json"
FAILURE_METRICS = ("DocumentRejected", "ProcessingFailed")


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every receipt written to the documents table: the side effect that must happen once."""
    return watch(monkeypatch, repository.ReceiptRepository, "put", key=lambda receipt: receipt.invoice_id)


def test_a_new_invoice_is_recorded(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    result = handler.handler(event, lambda_context)

    [receipt] = result["receipts"]
    assert receipt["invoice_id"] == "INV-20260001"
    assert receipt["total"] == "160.00"
    assert receipt["source"] == f"s3://{BUCKET}/{INVOICE_KEY}"
    [stored] = aws.receipts()
    assert stored["pk"] == {"S": "SUP-1042#INV-20260001"}
    assert stored["total"] == {"N": "160.00"}
    assert stored["version_id"]["S"] == event["Records"][0]["s3"]["object"]["versionId"]


@pytest.mark.parametrize("source", ["s3.amazonaws.com", "2001:db8::7"])
def test_requests_s3_made_itself_or_over_ipv6_are_accepted(
    source: str, aws: Aws, lambda_context: FakeLambdaContext
) -> None:
    """S3 names itself as the source of the requests it makes (replication, Batch Operations)."""
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    event["Records"][0]["requestParameters"]["sourceIPAddress"] = source

    [receipt] = handler.handler(event, lambda_context)["receipts"]
    assert receipt["invoice_id"] == "INV-20260001"


def test_url_encoded_unicode_keys_are_decoded(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    key = "incoming/ACME Sàrl invoice №2026-0002.json"
    event = aws.upload(key, load_document("invoice.json"))
    assert "+" in event["Records"][0]["s3"]["object"]["key"]

    [receipt] = handler.handler(event, lambda_context)["receipts"]
    assert receipt["source"] == f"s3://{BUCKET}/{key}"


def test_a_duplicate_event_is_recorded_once(aws: Aws, lambda_context: FakeLambdaContext, puts: list[str]) -> None:
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    first = handler.handler(event, lambda_context)
    second = handler.handler(event, lambda_context)

    assert first == second  # the duplicate gets the first result back, from the idempotency record
    assert puts == ["INV-20260001"]
    assert len(aws.receipts()) == 1
    assert len(aws.idempotency.records()) == 1


def test_a_retry_after_a_failure_records_once(
    aws: Aws, lambda_context: FakeLambdaContext, puts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    original = repository.DocumentReader.read

    def flaky_read(self: repository.DocumentReader, document: Any) -> bytes:
        monkeypatch.setattr(repository.DocumentReader, "read", original)  # fails once, like a network blip
        raise ConnectionError("S3 timed out")

    monkeypatch.setattr(repository.DocumentReader, "read", flaky_read)
    with pytest.raises(ConnectionError):
        handler.handler(event, lambda_context)
    assert aws.idempotency.records() == []  # the failed attempt leaves nothing that blocks the retry

    handler.handler(event, lambda_context)  # Lambda's retry
    handler.handler(event, lambda_context)  # and a late duplicate delivery
    assert puts == ["INV-20260001"]


def test_a_new_version_of_the_object_is_a_new_document(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    first = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    handler.handler(first, lambda_context)
    second = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    handler.handler(second, lambda_context)

    [stored] = aws.receipts()  # the same object re-uploaded: recorded again in place, never twice
    assert stored["version_id"]["S"] == second["Records"][0]["s3"]["object"]["versionId"]
    assert len(aws.idempotency.records()) == 2


def test_another_document_claiming_a_recorded_invoice_is_rejected(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    handler.handler(aws.upload(INVOICE_KEY, load_document("invoice.json")), lambda_context)
    copy = aws.upload("incoming/copy-of-invoice.json", load_document("invoice.json"))
    with pytest.raises(repository.DuplicateInvoiceError):
        handler.handler(copy, lambda_context)
    assert aws.receipts()[0]["source"]["S"] == f"s3://{BUCKET}/{INVOICE_KEY}"


def test_same_version_with_other_content_is_refused(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    handler.handler(event, lambda_context)
    event["Records"][0]["s3"]["object"]["eTag"] = "not-the-recorded-etag"
    with pytest.raises(IdempotencyValidationError):
        handler.handler(event, lambda_context)


@pytest.mark.parametrize("document", ["invoice_wrong_types.json", "invoice_truncated.json"])
def test_an_invalid_document_raises_for_retry_then_the_failure_queue(
    document: str, aws: Aws, lambda_context: FakeLambdaContext, log_output: io.StringIO
) -> None:
    """Raising is how an asynchronous invocation fails: Lambda retries it, then sends it to
    the on-failure destination (test_template.py shows that wiring)."""
    event = aws.upload(INVOICE_KEY, load_document(document))
    with pytest.raises(logic.InvalidDocumentError) as raised:
        handler.handler(event, lambda_context)

    assert "forty" not in str(raised.value)  # field names and error kinds, never the content
    assert aws.receipts() == []
    assert aws.idempotency.records() == []  # so the retry runs again instead of replaying a failure
    [warning] = logged(log_output, "WARNING")
    assert warning["message"] == "Document rejected"
    assert warning["reason"] == "InvalidDocumentError"
    assert warning["correlation_id"] == event["Records"][0]["responseElements"]["x-amz-request-id"]
    assert "forty" not in log_output.getvalue()


def test_the_wrong_types_are_named(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    event = aws.upload(INVOICE_KEY, load_document("invoice_wrong_types.json"))
    with pytest.raises(logic.InvalidDocumentError) as raised:
        handler.handler(event, lambda_context)
    assert "currency: string_pattern_mismatch" in str(raised.value)
    assert "lines.0.quantity: int_type" in str(raised.value)


def test_an_empty_object_is_an_invalid_document(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    # S3 refuses ranged reads of empty objects; found by test_handler_properties.py.
    with pytest.raises(logic.InvalidDocumentError, match="json_invalid"):
        handler.handler(aws.upload(INVOICE_KEY, b""), lambda_context)


def test_a_document_over_the_size_limit_is_not_downloaded(
    aws: Aws, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = aws.upload(INVOICE_KEY, b" " * (MAX_DOCUMENT_BYTES + 1))
    monkeypatch.setattr(repository, "s3_client", lambda: pytest.fail("the object must not be read"))
    with pytest.raises(repository.DocumentTooLargeError):
        handler.handler(event, lambda_context)


def test_a_document_larger_than_its_event_says_is_cut_off(aws: Aws, lambda_context: FakeLambdaContext) -> None:
    event = aws.upload(INVOICE_KEY, b"[" * (MAX_DOCUMENT_BYTES * 3))
    event["Records"][0]["s3"]["object"]["size"] = 10
    with pytest.raises(repository.DocumentTooLargeError):
        handler.handler(event, lambda_context)


@pytest.mark.parametrize(
    "name",
    ["document_created_outside_incoming.json", "document_removed.json", "document_created_truncated.json"],
)
def test_invalid_sample_events_are_rejected(name: str, lambda_context: FakeLambdaContext, puts: list[str]) -> None:
    with pytest.raises(processing.InvalidEventError):
        handler.handler(load_event(name), lambda_context)
    assert puts == []


def test_an_event_for_another_bucket_is_rejected(lambda_context: FakeLambdaContext) -> None:
    event = load_event("document_created.json")
    event["Records"][0]["s3"]["bucket"]["name"] = "someone-elses-bucket"
    with pytest.raises(processing.InvalidEventError, match="bucket this function does not serve"):
        handler.handler(event, lambda_context)


def sample_record() -> dict[str, Any]:
    record: dict[str, Any] = load_event("document_created.json")["Records"][0]
    return record


def without(path: tuple[str, ...]) -> dict[str, Any]:
    record = sample_record()
    parent = record
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return batch(record)


def retyped(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    record = sample_record()
    parent = record
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return batch(record)


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "",
        "not json",
        {},
        {"Records": None},
        {"Records": []},
        {"Records": "x"},
        {"Records": [None]},
        {"Records": [[]]},
        {"Records": [{}]},
        retyped(("s3",), None),
        retyped(("s3",), "s3"),
        retyped(("s3", "object"), None),
        retyped(("s3", "object"), []),
        retyped(("s3", "object", "size"), "big"),
        retyped(("s3", "object", "size"), -1),
        retyped(("s3", "object", "key"), 7),
        retyped(("s3", "object", "key"), "incoming/.json"),
        retyped(("s3", "object", "key"), "incoming/" + "é" * 600 + ".json"),
        retyped(("s3", "bucket"), {"name": None}),
        retyped(("eventName",), None),
        retyped(("eventName",), ["ObjectCreated:Put"]),
        retyped(("eventTime",), "yesterday"),
        retyped(("requestParameters", "sourceIPAddress"), "🙂"),
        without(("s3", "object", "versionId")),
        without(("s3", "object", "eTag")),
        without(("s3", "object", "key")),
        without(("s3",)),
        without(("eventName",)),
        without(("responseElements",)),
    ],
)
def test_malformed_events_only_ever_raise_the_validation_error(event: Any, lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(processing.InvalidEventError):
        handler.handler(event, lambda_context)


def test_the_rejection_message_never_echoes_the_event(lambda_context: FakeLambdaContext) -> None:
    with pytest.raises(processing.InvalidEventError) as raised:
        handler.handler(retyped(("s3", "object", "key"), "incoming/SECRET-CUSTOMER-NAME.txt"), lambda_context)
    assert "SECRET" not in str(raised.value)


def test_an_unexpected_failure_is_counted_apart_and_raised(
    aws: Aws,
    lambda_context: FakeLambdaContext,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(self: repository.ReceiptRepository, receipt: Any) -> None:
        raise RuntimeError("table unreachable")

    monkeypatch.setattr(repository.ReceiptRepository, "put", broken)
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    with pytest.raises(RuntimeError):
        handler.handler(event, lambda_context)
    assert correlated(log_output, "ERROR") == [("Processing failed", request_id(event))]
    assert [blob.get("ProcessingFailed") for blob in metric_blobs(capsys.readouterr().out)] == [[1.0]]


def test_missing_configuration_fails_closed(
    aws: Aws, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "unlimited")
    with pytest.raises(ValueError, match="max_document_bytes"):
        handler.handler(aws.upload(INVOICE_KEY, load_document("invoice.json")), lambda_context)
    assert aws.receipts() == []


def request_id(event: dict[str, Any]) -> str:
    """The correlation id: S3's request id of the upload, carried by the event."""
    return str(event["Records"][0]["responseElements"]["x-amz-request-id"])


# ------------------------------------------------------------------ delivered twice
class TestADocumentIsRecordedOnceWhenDeliveredTwice(ExactlyOnceWhenDeliveredTwice):
    hold_point = (repository.DocumentReader, "read")
    recorded = "INV-20260001"
    in_progress_metric = "DocumentInProgressElsewhere"

    def the_event(self, aws: Aws) -> dict[str, Any]:
        return aws.upload(INVOICE_KEY, load_document("invoice.json"))

    def idempotency(self, aws: Aws) -> IdempotencyTable:
        return aws.idempotency

    def stored(self, aws: Aws) -> list[str]:
        """The object version each receipt was recorded from."""
        return [item["version_id"]["S"] for item in aws.receipts()]

    def answered(self, result: dict[str, Any]) -> str:
        [receipt] = result["receipts"]
        return str(receipt["version_id"])

    def correlation_id(self, event: dict[str, Any]) -> str:
        return request_id(event)


# ------------------------------------------------------------------ output validation
LEAKED = "INV-LEAKED-CONTENT"


def invoice_with_a_broken_id(raw: bytes) -> Invoice:
    """A bug in the rules: model_copy does not validate what it changes."""
    return Invoice.model_validate_json(raw).model_copy(update={"invoice_id": LEAKED})


def receipt_built_without_validation(**fields: Any) -> IntakeReceipt:
    return IntakeReceipt.model_construct(**{**fields, "invoice_id": LEAKED})


@pytest.mark.parametrize(
    ("name", "bug"),
    [("parse_invoice", invoice_with_a_broken_id), ("IntakeReceipt", receipt_built_without_validation)],
)
def test_a_receipt_breaking_its_model_fails_closed(
    name: str,
    bug: Callable[..., Any],
    aws: Aws,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(logic, name, bug)
    event = aws.upload(INVOICE_KEY, load_document("invoice.json"))
    with pytest.raises(processing.OutputValidationError) as raised:
        handler.handler(event, FakeLambdaContext())

    assert str(raised.value) == "the receipt breaks its model (invoice_id: string_pattern_mismatch)"
    assert raised.value.__suppress_context__  # raised from None: pydantic's message quotes the values
    assert aws.receipts() == []
    assert aws.idempotency.records() == []  # nothing saved that a retry would replay
    assert correlated(log_output, "ERROR") == [("Processing failed", request_id(event))]
    assert LEAKED not in log_output.getvalue()
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["ProcessingFailed"]


def test_a_rejection_is_counted_and_logged_with_the_correlation_id(
    aws: Aws, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    event = aws.upload(INVOICE_KEY, load_document("invoice_wrong_types.json"))
    with pytest.raises(logic.InvalidDocumentError):
        handler.handler(event, FakeLambdaContext())
    assert correlated(log_output, "WARNING") == [("Document rejected", request_id(event))]
    assert request_id(event) != FakeLambdaContext().aws_request_id  # the id comes from the event
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["DocumentRejected"]
