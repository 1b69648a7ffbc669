"""Signatures that let downstream consumers verify an item was created by this service.

The key is a secret: it lives in Secrets Manager, never in an environment variable (the
function only gets the secret's ARN). It is read on first use and cached for five minutes
(``CachedKey``), so a rotated key is picked up without a redeploy and without a call per
request. The cache is ours, not Powertools' ``SecretsProvider``: importing Powertools'
parameters utility loads every provider it has (SSM, AppConfig, DynamoDB), about 26 ms of
CPU, 7% of this function's cold start (README, Performance). Both stages share one Secrets
Manager client with the rotation steps (``secrets_client``, on boto3's default session), built
at INIT on Lambda (snapshot.py); the caches, which hold only a key, on first use.

Secrets Manager rotates the key (rotation.py): signing always uses the current version
(AWSCURRENT); verification accepts the current and the previous one (AWSPREVIOUS), so what
was signed before a rotation still verifies until the next rotation retires its key.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

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
    """The function's one Secrets Manager client: the signing key's caches and the rotation
    steps (rotation_steps.py) share it."""
    return boto3.client("secretsmanager")


@dataclass
class CachedKey:
    """One version stage of the signing secret, read from Secrets Manager at most once every
    KEY_CACHE_SECONDS; a stage with no version (AWSPREVIOUS before the first rotation) is None."""

    stage: str
    key: str | None = None
    read_at: float = -math.inf

    def get(self) -> str | None:
        if time.monotonic() - self.read_at >= KEY_CACHE_SECONDS:
            self.key, self.read_at = self.read(), time.monotonic()
        return self.key

    def read(self) -> str | None:
        try:
            secret = secrets_client().get_secret_value(SecretId=settings().signing_secret_arn, VersionStage=self.stage)
        except ClientError as error:
            if self.stage == PREVIOUS and error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None  # no previous version yet; any other error fails closed
            raise
        return usable_key(secret.get("SecretString"))


@cache
def current_keys() -> CachedKey:
    return CachedKey(CURRENT)


@cache
def previous_keys() -> CachedKey:
    """A cache of its own for AWSPREVIOUS: the previous key never replaces the current one."""
    return CachedKey(PREVIOUS)


def signing_key() -> str:
    return usable_key(current_keys().get())


def previous_key() -> str | None:
    """The key before the last rotation, or None before the first rotation (no such version)."""
    return previous_keys().get()


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
