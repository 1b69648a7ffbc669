"""The API's routes (api.py is their entry point): routing, validation and error shaping;
the rules live in ``logic``.

Whatever a client sends answers a JSON 4xx unless it is valid: another media type 415, a body
too large 413, one that is not JSON or nests too deep 400 (request_body.py), one that breaks
the model 422, an unknown route 404, a method the route does not serve 405. A 500 is a bug.

``POST /items`` with an ``Idempotency-Key`` header creates once per caller and key: a retry
with the same body gets the first answer (Powertools idempotency, idempotency.py), the same key
with another body is a 422, and one that arrives while the first is still running a 409.

No ``from __future__ import annotations`` here: Powertools reads the route signatures at
run time to tell body models from path and query parameters.
"""

from collections.abc import Callable
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ResponseValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.metrics import MetricUnit

from . import idempotency, items, logic, request_body, signing, tracing
from .models import (
    IDEMPOTENCY_KEY_PATTERN,
    ITEM_ID_PATTERN,
    CreateAttempt,
    CreateItemRequest,
    ErrorDetail,
    ErrorResponse,
    Item,
)
from .repository import ItemRepository, dynamodb_client
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

logger = Logger()
metrics = Metrics()
# A response that breaks its model is our bug: fail closed with a 500, never leak it.
app = APIGatewayRestResolver(
    enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
)
# Every method API Gateway can deliver to a proxy integration.
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Send one unique key per item you mean to create, the same on every retry of it",
    ),
]


@cache
def store() -> ItemRepository:
    return ItemRepository(settings().table_name)


def route(method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.route`` for ``method``; every other method on ``path`` answers 405 with ``Allow``."""

    def method_not_allowed(**_path_parameters: str) -> Response[str]:
        return error_response(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed", headers={"Allow": method})

    others = [other for other in METHODS if other != method]
    app.route(path, others, include_in_schema=False, enable_validation=False)(method_not_allowed)
    return app.route(path, method)


def create(request: CreateItemRequest) -> Item:
    item = logic.create_item(request, store(), sign=signing.signature_for)
    metrics.add_metric(name="ItemCreated", unit=MetricUnit.Count, value=1)
    logger.info("Item created", item_id=item.item_id)
    return item


@cache
def idempotency_config() -> "IdempotencyConfig":
    return items.create_once_config()


@cache
def create_once() -> Callable[..., Item]:
    """``create`` behind Powertools idempotency, built on first use (items.py)."""
    return items.created_once(create, Item, idempotency_config(), settings().idempotency_table, dynamodb_client())


def caller() -> str:
    """Who sent the request, as the authorizer established it: so two callers' keys never meet."""
    context = app.current_event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    # Cognito's claims, a Lambda authorizer's principalId (its token's `sub`), or IAM's caller.
    subject = (authorizer.get("claims") or {}).get("sub") or authorizer.get("principalId")
    return str(subject or (context.get("identity") or {}).get("userArn") or "")


@route("POST", "/items")
@tracing.capture_method
def create_item(idempotency_key: IdempotencyKey = None) -> tuple[Item, int]:
    limits = settings()
    request = request_body.parsed(
        app.current_event, CreateItemRequest, max_bytes=limits.max_body_bytes, max_depth=limits.max_body_depth
    )
    if idempotency_key is None:
        return create(request), HTTPStatus.CREATED
    idempotency_config().register_lambda_context(app.lambda_context)
    attempt = CreateAttempt(caller=caller(), key=idempotency_key, request=request)
    return create_once()(attempt=attempt), HTTPStatus.CREATED


@route("GET", "/items/<item_id>")
@tracing.capture_method
def get_item(item_id: Annotated[str, Path(pattern=ITEM_ID_PATTERN)]) -> Item:
    item = logic.get_item(item_id, store())
    if item is None:
        raise NotFoundError(f"Item {item_id} not found")
    return item


def error_response(
    status: HTTPStatus,
    message: str,
    errors: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body = ErrorResponse(message=message, request_id=app.lambda_context.aws_request_id, errors=errors or [])
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(exclude_none=True),
        headers=headers,
    )


def rejected(status: HTTPStatus, message: str, details: list[ErrorDetail] | None = None) -> Response[str]:
    """A request refused for what the client sent: counted, logged at INFO, never a traceback."""
    metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
    logger.info("Request rejected", status=int(status), reason=message, errors=[d.model_dump() for d in details or []])
    return error_response(status, message, details)


@app.exception_handler(RequestValidationError)
def reject_invalid_request(error: RequestValidationError) -> Response[str]:
    details = [
        ErrorDetail(location=".".join(str(part) for part in item.get("loc", ())), message=str(item.get("msg", "")))
        for item in error.errors()
    ]
    return rejected(HTTPStatus.UNPROCESSABLE_ENTITY, "Request does not match the schema", details)


@app.exception_handler(request_body.BodyRejectedError)
def reject_body(error: request_body.BodyRejectedError) -> Response[str]:
    return rejected(error.status, error.message)


@app.exception_handler(NotFoundError)
def not_found(error: NotFoundError) -> Response[str]:
    return error_response(HTTPStatus.NOT_FOUND, error.msg if isinstance(error.msg, str) and error.msg else "Not found")


@app.exception_handler(ResponseValidationError)
def reject_invalid_response(error: ResponseValidationError) -> Response[str]:
    metrics.add_metric(name="ResponseValidationFailed", unit=MetricUnit.Count, value=1)
    logger.error("Response broke its model", errors=[item.get("type") for item in error.errors()])
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


@app.exception_handler(Exception)
def fail_closed(error: Exception) -> Response[str]:
    if idempotency.is_payload_conflict(error):
        return rejected(HTTPStatus.UNPROCESSABLE_ENTITY, "Idempotency-Key was used with another body")
    if idempotency.is_in_progress(error):
        # Not our failure: the first request with this key is still running; a retry gets its answer.
        logger.info("Request rejected", status=int(HTTPStatus.CONFLICT), reason="Idempotency-Key in progress")
        return error_response(HTTPStatus.CONFLICT, "A request with this Idempotency-Key is in progress")
    metrics.add_metric(name="ProcessingFailed", unit=MetricUnit.Count, value=1)
    logger.exception("Unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
