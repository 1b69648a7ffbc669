"""Powertools idempotency, set up the same way for every event source that uses it.

Every key is required (an event without one is an error, never processed unguarded), hashed
with SHA-256, and checked against a part of the payload: the same key with another payload
is refused, not processed again or overwritten. Records live in the DynamoDB table of
``template.yaml`` (``IdempotencyTable``) and expire by TTL.

Powertools idempotency (and boto3 with it) is imported at cold start, where Lambda gives the
init a full vCPU. The persistence layer is given the shared DynamoDB client (tables.py), which
is built at INIT on Lambda (given none, Powertools would make a boto3 session of its own, whose
service models cost another 60 ms of CPU); the handlers build their config and wrapped
function, which hold only that client and the settings, on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel

Output = TypeVar("Output", bound=BaseModel)


def config(*, key: str, payload: str, expires_after_seconds: int) -> IdempotencyConfig:
    """``key`` and ``payload`` are JMESPath expressions into the guarded function's argument."""
    return IdempotencyConfig(
        event_key_jmespath=key,
        payload_validation_jmespath=payload,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
        hash_function="sha256",
    )


def once(
    function: Callable[..., Output],
    *,
    argument: str,
    output: type[Output],
    table_name: str,
    config: IdempotencyConfig,
    client: Any = None,
    key_prefix: str | None = None,
) -> Callable[..., Output]:
    """``function`` behind Powertools idempotency, keyed on its keyword ``argument``: a repeated
    call returns the first call's result (stored as the ``output`` model) without running it
    again. Without a ``key_prefix``, keys start with the function's module and name."""
    return cast(
        Callable[..., Output],
        idempotent_function(
            function,
            data_keyword_argument=argument,
            persistence_store=DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client),
            config=config,
            output_serializer=PydanticSerializer(model=output),
            key_prefix=key_prefix,
        ),
    )


def is_payload_conflict(error: BaseException | None) -> bool:
    """A known key came with another payload: bad input, refused."""
    return isinstance(error, IdempotencyValidationError)


def is_in_progress(error: BaseException | None) -> bool:
    """Another invocation holds the same key right now (a concurrent duplicate, or one that timed
    out less than its remaining time ago). Not a failure of this code: a retry finds the stored
    result, or takes over the expired lock."""
    return isinstance(error, IdempotencyAlreadyInProgressError)
