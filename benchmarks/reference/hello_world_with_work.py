"""The reference plus what a service that validates with pydantic and writes to DynamoDB must
load before its first event, written the way AWS recommends (the SDK client at INIT).

Hello world imports neither boto3 nor pydantic; a handler that needs both cannot start faster
than their import, the client's creation and one model: pydantic loads its schema machinery
with the first model class, not with its import (about 27 ms of CPU here), so a twin that
defined none would not validate anything. This is the like-for-like reference: what our
handlers add beyond it (Powertools' parser, idempotency and resolver validation, the rest of
the models) must cost less than what hello world spends on its Tracer and resolver.
"""

import boto3
from pydantic import BaseModel

from hello_world import lambda_handler

dynamodb = boto3.client("dynamodb")


class Greeting(BaseModel):
    message: str


__all__ = ["Greeting", "dynamodb", "lambda_handler"]
