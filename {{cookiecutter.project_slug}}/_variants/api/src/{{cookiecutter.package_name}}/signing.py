"""Signatures that let downstream consumers verify an item was created by this service.

The key is a secret: it lives in Secrets Manager, never in an environment variable (the
function only gets the secret's ARN). Powertools fetches it on first use and caches it for
five minutes, so a rotated key is picked up without a redeploy and without a call per request.
Its providers share one Secrets Manager client with the rotation steps (``secrets_client``), on
boto3's default session (a provider of Powertools' own would make a session, whose service
models cost another 60 ms of CPU, and each client of its own another 4 ms); the client is built
at INIT on Lambda (snapshot.py), the providers, which hold only their cache, on first use.

Secrets Manager rotates the key (rotation.py): signing always uses the current version
(AWSCURRENT); verification accepts the current and the previous one (AWSPREVIOUS), so what
was signed before a rotation still verifies until the next rotation retires its key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from . import snapshot
from .settings import settings

KEY_CACHE_SECONDS = 300
MIN_KEY_LENGTH = 32
CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"


def usable_key(key: Any) -> str:
    """``key`` if it is one this service signs with; the rotation tests a new key with this too."""
    if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
        raise RuntimeError(f"the signing secret must be a string of at least {MIN_KEY_LENGTH} characters")
    return key


Client = Any  # botocore clients are generated at run time and carry no static types


@snapshot.at_init
@cache
def secrets_client() -> Client:
    """The function's one Secrets Manager client: the signing key's providers and the rotation
    steps (rotation_steps.py) share it."""
    return boto3.client("secretsmanager")


@cache
def current_keys() -> SecretsProvider:
    return SecretsProvider(boto3_client=secrets_client())


@cache
def previous_keys() -> SecretsProvider:
    """A provider of its own for AWSPREVIOUS: Powertools caches a secret by its name alone, so
    through the current keys' provider the previous key would replace the current one."""
    return SecretsProvider(boto3_client=secrets_client())


def signing_key() -> str:
    return usable_key(current_keys().get(settings().signing_secret_arn, max_age=KEY_CACHE_SECONDS))


def previous_key() -> str | None:
    """The key before the last rotation, or None before the first rotation (no such version)."""
    try:
        key = previous_keys().get(settings().signing_secret_arn, max_age=KEY_CACHE_SECONDS, VersionStage=PREVIOUS)
    except GetParameterError as error:
        if "ResourceNotFoundException" in str(error):
            return None
        raise
    return usable_key(key)


def sign(message: str, key: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_for(item_id: str) -> str:
    return sign(item_id, signing_key())


def verify(message: str, signature: str) -> bool:
    """Whether ``signature`` is this service's signature of ``message`` under the current key or
    the previous one (signed before the last rotation). Compared in constant time."""
    given = signature.encode()  # bytes: compare_digest refuses a str that is not ASCII
    if hmac.compare_digest(sign(message, signing_key()).encode(), given):
        return True
    previous = previous_key()
    return previous is not None and hmac.compare_digest(sign(message, previous).encode(), given)
