"""The S3 handler's work (handler.py is its entry point): validate the notification,
then record each new document exactly once.

S3 invokes the function asynchronously. When the handler raises, Lambda retries the event
(``MaximumRetryAttempts``) and then sends it, with the error, to the on-failure queue
(``IntakeFailureDLQ`` in ``template.yaml``). So a rejected event or document is raised, not
swallowed: its message names the problem, never the content (async_invocation.py). S3 may
deliver one event more than once and Lambda retries after errors and timeouts: Powertools
idempotency, keyed on the exact object version, makes sure each version is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from . import async_invocation, idempotency, logic, tracing
from .async_invocation import describe
from .models import DocumentNotification, DocumentRef, IntakeReceipt, IntakeResult
from .repository import DocumentReader, DocumentTooLargeError, DuplicateInvoiceError, ReceiptRepository
from .settings import settings
from .tables import dynamodb_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


class InvalidEventError(ValueError):
    """The event is not an S3 notification for a new document of this bucket."""


class OutputValidationError(RuntimeError):
    """The receipt the function built breaks its own model: a bug, so nothing is recorded.
    Its message names fields and error kinds only, never the values."""


# Longer than an event can live (MaximumEventAgeInSeconds is at most 6 hours), so every
# retry and every duplicate delivery finds the record of the first success.
IDEMPOTENCY_EXPIRY_SECONDS = 24 * 3600


report_failure = async_invocation.FailureReport(
    logger,
    metrics,
    # Bad input, not a bug: counted as rejected documents. Anything else is a processing failure.
    rejections=(InvalidEventError, logic.InvalidDocumentError, DocumentTooLargeError, DuplicateInvoiceError),
    rejected_metric="DocumentRejected",
    rejected="Document rejected",
    in_progress_metric="DocumentInProgressElsewhere",
    in_progress="Document already being recorded; Lambda retries it",
)


@cache
def reader() -> DocumentReader:
    return DocumentReader(max_bytes=settings().max_document_bytes)


@cache
def receipts() -> ReceiptRepository:
    return ReceiptRepository(settings().documents_table)


@cache
def idempotency_config() -> IdempotencyConfig:
    return idempotency.config(
        key="[bucket, key, version_id]",  # one object version is one document
        payload="etag",  # the same version with other content is refused
        expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
    )


def record(document: DocumentRef) -> IntakeReceipt:
    try:
        receipt = logic.record_document(document, reader(), receipts())
    except ValidationError as error:  # pydantic's message quotes the values: keep only where and what
        raise OutputValidationError(f"the receipt breaks its model ({describe(error)})") from None
    metrics.add_metric(name="DocumentRecorded", unit=MetricUnit.Count, value=1)
    logger.info("Document recorded", invoice_id=receipt.invoice_id, version_id=document.version_id)
    return receipt


@cache
def record_once() -> Callable[..., IntakeReceipt]:
    """``record`` behind Powertools idempotency, built on first use (idempotency.py)."""
    return idempotency.once(
        record,
        argument="document",
        output=IntakeReceipt,
        table_name=settings().idempotency_table,
        config=idempotency_config(),
        client=dynamodb_client(),
        key_prefix="document-intake",
    )


def parse_notification(event: Any) -> DocumentNotification:
    try:
        notification = DocumentNotification.model_validate(event)
    except ValidationError as error:
        raise InvalidEventError(f"not an S3 notification of a new document ({describe(error)})") from None
    if any(item.s3.bucket.name != settings().documents_bucket for item in notification.Records):
        raise InvalidEventError("the event names a bucket this function does not serve")
    return notification


@tracing.capture_method
def intake(event: Any, context: LambdaContext) -> IntakeResult:
    notification = parse_notification(event)
    idempotency_config().register_lambda_context(context)
    return IntakeResult(receipts=[record_once()(document=item.document()) for item in notification.Records])


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return async_invocation.answer(intake, event, context, report_failure)
