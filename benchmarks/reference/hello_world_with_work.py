"""The reference plus what a service that validates with pydantic and writes to DynamoDB must
load before its first event, written the way AWS recommends (the SDK client at INIT).

Hello world imports neither boto3 nor pydantic; a handler that needs both cannot start faster
than their import and the client's creation. This is the like-for-like reference: what our
handlers add beyond it (Powertools' batch, parser, idempotency and resolver validation, the
models) must cost less than what hello world spends on its Tracer and resolver.
"""

import boto3
from pydantic import BaseModel

from hello_world import lambda_handler

dynamodb = boto3.client("dynamodb")

__all__ = ["BaseModel", "dynamodb", "lambda_handler"]
