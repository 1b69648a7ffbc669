"""Signatures that let downstream consumers verify an item was created by this service.

The key is a secret: it lives in Secrets Manager, never in an environment variable (the
function only gets the secret's ARN). Powertools fetches it on first use and caches it for
five minutes, so a rotated key is picked up without a redeploy and without a call per request.
"""

from __future__ import annotations

import hashlib
import hmac

from .settings import settings

KEY_CACHE_SECONDS = 300


def signing_key() -> str:
    from aws_lambda_powertools.utilities import parameters  # deferred: only creating items needs it

    key = parameters.get_secret(settings().signing_secret_arn, max_age=KEY_CACHE_SECONDS)
    if not isinstance(key, str) or len(key) < 32:
        raise RuntimeError("the signing secret must be a string of at least 32 characters")
    return key


def sign(message: str, key: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_for(item_id: str) -> str:
    return sign(item_id, signing_key())
