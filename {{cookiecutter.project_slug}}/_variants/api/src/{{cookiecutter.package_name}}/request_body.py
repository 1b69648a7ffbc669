"""Request bodies: refused before anything parses them unless they are JSON of a bounded size
and depth, then parsed straight into the route's model.

API Gateway's request validator checks a body only against the model of its content type, so
a body of another type reaches the function unchecked: it is refused here (415). A missing
``Content-Type`` reads as ``application/json``, the way API Gateway reads it (its validator
checks such a body against the ``application/json`` model). JSON is UTF-8 (RFC 8259): another
``charset`` is refused too.

The limits (settings.py) apply to the body as the client sent it, before it is parsed, so no
body can exhaust the memory or the recursion limit. Pydantic then parses the JSON in Rust
straight into the model, without building Python objects first.
"""

from __future__ import annotations

import base64
import binascii
import re
from http import HTTPStatus
from typing import TypeVar

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

JSON_MEDIA_TYPE = "application/json"
NOT_JSON = "Request body is not valid JSON"
# A JSON string, unterminated or not: possessive, so it never backtracks (linear on any input).
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\[\s\S]?)*+"?')
BRACKET = re.compile(rb"[\[\]{}]")


class BodyRejectedError(Exception):
    """A body refused before it was parsed: the status to answer and what to tell the client."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_media_type(content_type: str) -> None:
    """``application/json``, in any case, with no ``charset`` or ``charset=utf-8``; empty: JSON."""
    if not content_type.strip():
        return
    media_type, *parameters = content_type.split(";")
    charsets = [value for name, _, value in (p.partition("=") for p in parameters) if name.strip().lower() == "charset"]
    if media_type.strip().lower() != JSON_MEDIA_TYPE or any(c.strip().strip('"').lower() != "utf-8" for c in charsets):
        raise BodyRejectedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Type must be {JSON_MEDIA_TYPE}")


def body_bytes(event: APIGatewayProxyEvent, max_bytes: int) -> bytes:
    """The body as the client sent it, at most ``max_bytes`` (after base64 decoding, when encoded)."""
    body = event.body or ""
    try:
        raw = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
    except binascii.Error:
        raise BodyRejectedError(HTTPStatus.BAD_REQUEST, "Request body is not valid base64") from None
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text
        raise BodyRejectedError(HTTPStatus.BAD_REQUEST, NOT_JSON) from None
    if len(raw) > max_bytes:
        raise BodyRejectedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"Request body is larger than {max_bytes} bytes")
    return raw


def nests_deeper_than(raw: bytes, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than ``max_depth`` (brackets in strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False  # the common case, without a scan
    depth = 0
    for bracket in BRACKET.findall(JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        if depth > max_depth:
            return True
    return False


def parsed(event: APIGatewayProxyEvent, model: type[Model], *, max_bytes: int, max_depth: int) -> Model:
    """The body as ``model``: BodyRejectedError (415, 413, 400) before parsing, 400 for text that is
    not JSON, RequestValidationError (422, locations under ``body``) for JSON that breaks the model."""
    check_media_type(event.headers.get("content-type") or "")
    raw = body_bytes(event, max_bytes)
    if nests_deeper_than(raw, max_depth):
        raise BodyRejectedError(HTTPStatus.BAD_REQUEST, f"Request body nests deeper than {max_depth} levels")
    try:
        return model.model_validate_json(raw)  # invalid UTF-8 is invalid JSON
    except ValidationError as error:
        errors = error.errors(include_url=False, include_input=False, include_context=False)
        if any(item["type"] == "json_invalid" for item in errors):
            raise BodyRejectedError(HTTPStatus.BAD_REQUEST, NOT_JSON) from None
        raise RequestValidationError([{**item, "loc": ("body", *item["loc"])} for item in errors]) from None
