"""S3 handler: validate the notification, then record each new document exactly once.

S3 invokes the function asynchronously. When the handler raises, Lambda retries the event
(``MaximumRetryAttempts``) and then sends it, with the error, to the on-failure queue
(``IntakeFailureDLQ`` in ``template.yaml``). So a rejected event or document is raised, not
swallowed: its message names the problem, never the content. S3 may deliver one event more
than once and Lambda retries after errors and timeouts: Powertools idempotency, keyed on
the exact object version, makes sure each version is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from . import logic, tracing
from .models import DocumentNotification, DocumentRef, IntakeReceipt, IntakeResult, describe
from .repository import DocumentReader, DocumentTooLargeError, DuplicateInvoiceError, ReceiptRepository, dynamodb_client
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

logger = Logger()
metrics = Metrics()

# S3's request id of the upload: one id to follow a document through every log line.
REQUEST_ID_PATH = 'Records[0].responseElements."x-amz-request-id"'
# Longer than an event can live (MaximumEventAgeInSeconds is at most 6 hours), so every
# retry and every duplicate delivery finds the record of the first success.
IDEMPOTENCY_EXPIRY_SECONDS = 24 * 3600


class InvalidEventError(ValueError):
    """The event is not an S3 notification for a new document of this bucket."""


class OutputValidationError(RuntimeError):
    """The receipt the function built breaks its own model: a bug, so nothing is recorded.
    Its message names fields and error kinds only, never the values."""


# Bad input, not a bug: counted as rejected documents. Anything else is a processing failure.
REJECTIONS: tuple[type[Exception], ...] = (
    InvalidEventError,
    logic.InvalidDocumentError,
    DocumentTooLargeError,
    DuplicateInvoiceError,
)


@cache
def reader() -> DocumentReader:
    return DocumentReader(max_bytes=settings().max_document_bytes)


@cache
def receipts() -> ReceiptRepository:
    return ReceiptRepository(settings().documents_table)


@cache
def idempotency_config() -> IdempotencyConfig:
    """Built on first use: importing Powertools idempotency imports boto3."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[bucket, key, version_id]",  # one object version is one document
        payload_validation_jmespath="etag",  # the same version with other content is refused
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
        hash_function="sha256",
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
    """``record`` behind Powertools idempotency, built on first use (see idempotency_config)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    return cast(
        Callable[..., IntakeReceipt],
        idempotent_function(
            record,
            data_keyword_argument="document",
            persistence_store=DynamoDBPersistenceLayer(
                table_name=settings().idempotency_table, boto3_client=dynamodb_client()
            ),
            config=idempotency_config(),
            output_serializer=PydanticSerializer(model=IntakeReceipt),
            key_prefix="document-intake",
        ),
    )


def parse_notification(event: Any) -> DocumentNotification:
    try:
        notification = parse(event=event, model=DocumentNotification)
    except ValidationError as error:
        raise InvalidEventError(f"not an S3 notification of a new document ({describe(error)})") from None
    if any(item.s3.bucket.name != settings().documents_bucket for item in notification.Records):
        raise InvalidEventError("the event names a bucket this function does not serve")
    return notification


def is_rejection(error: Exception) -> bool:
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

    return isinstance(error, (*REJECTIONS, IdempotencyValidationError))


def is_duplicate_in_progress(error: Exception) -> bool:
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    return isinstance(error, IdempotencyAlreadyInProgressError)


def report_failure(error: Exception) -> None:
    """Count and log a failed invocation; the correlation id is already on every log line."""
    if is_rejection(error):
        metrics.add_metric(name="DocumentRejected", unit=MetricUnit.Count, value=1)
        logger.warning("Document rejected", reason=type(error).__name__, detail=str(error))
    elif is_duplicate_in_progress(error):
        # Another invocation is recording this version right now (a concurrent duplicate, or
        # one that timed out less than its remaining time ago). Not a failure: the raise makes
        # Lambda retry, and the retry finds the saved receipt or takes over the expired lock.
        logger.warning("Document already being recorded; Lambda retries it", reason=type(error).__name__)
    else:
        metrics.add_metric(name="ProcessingFailed", unit=MetricUnit.Count, value=1)
        logger.exception("Processing failed")


@tracing.capture_method
def intake(event: Any, context: LambdaContext) -> IntakeResult:
    notification = parse_notification(event)
    idempotency_config().register_lambda_context(context)
    return IntakeResult(receipts=[record_once()(document=item.document()) for item in notification.Records])


@logger.inject_lambda_context(correlation_id_path=REQUEST_ID_PATH)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        result: IntakeResult = intake(event, context)
    except Exception as error:
        report_failure(error)
        raise  # Lambda retries, then sends the event to the on-failure queue
    return result.model_dump(mode="json")
