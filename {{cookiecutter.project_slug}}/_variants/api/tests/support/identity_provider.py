"""An OpenID Connect issuer, faked in-process for the authorizer's tests: key pairs made here, its
OpenID configuration and JWKS served through the authorizer's ``fetch`` seam (the production
fetch, HTTPS only, is tested on its own against a local TLS server), and the tokens it signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from {{ cookiecutter.package_name }}_authorizer import handler, settings
from {{ cookiecutter.package_name }}_authorizer.keys import IssuerKeys, KeysUnavailable, discovery_url

from tests.support.lambda_runtime import load_event

ISSUER = "https://login.example.com/oauth2/default"
JWKS_URI = "https://login.example.com/oauth2/default/v1/keys"
AUDIENCE = "api://{{ cookiecutter.project_slug }}"
# As template.yaml builds REQUIRED_SCOPES: method key (VERB/path, `*` for a path parameter) -> scopes.
REQUIRED_SCOPES = {"GET/items/*": "items:read", "POST/items": "items:write"}
STAGE_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/"
GET_ITEM_ARN = STAGE_ARN + "GET/items/00000000000000000000000000000001"
POST_ITEMS_ARN = STAGE_ARN + "POST/items"

# Made once per test session: an RSA key takes a moment.
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the issuer never published it


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(document: Any) -> str:
    return b64url(json.dumps(document).encode("utf-8"))


def public_jwk(private_key: Any, kid: str, algorithm: str | None) -> dict[str, Any]:
    converter = RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else ECAlgorithm
    jwk: dict[str, Any] = converter.to_jwk(private_key.public_key(), as_dict=True)
    return jwk | {"kid": kid, "use": "sig"} | ({"alg": algorithm} if algorithm else {})


def public_pem(private_key: Any) -> bytes:
    pem: bytes = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


@dataclass
class FakeIssuer:
    """Serves its configuration and keys through ``fetch``; ``down`` makes every fetch fail."""

    now: float = 1_000_000.0  # the monotonic clock the key cache reads
    down: bool = False
    published: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"rsa": public_jwk(RSA_KEY, "rsa", None), "ec": public_jwk(EC_KEY, "ec", "ES256")}
    )
    fetched: list[str] = field(default_factory=list)

    def fetch(self, url: str) -> Any:
        self.fetched.append(url)
        if self.down:
            raise KeysUnavailable("connection refused")
        if url == discovery_url(ISSUER):
            return {"issuer": ISSUER, "jwks_uri": JWKS_URI, "id_token_signing_alg_values_supported": ["RS256"]}
        if url == JWKS_URI:
            return {"keys": list(self.published.values())}
        raise KeysUnavailable("HTTP 404")

    def clock(self) -> float:
        return self.now

    def keys(self) -> IssuerKeys:
        return IssuerKeys(ISSUER, fetch=self.fetch, clock=self.clock)

    def jwks_fetches(self) -> int:
        return self.fetched.count(JWKS_URI)


def configured_issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIssuer]:
    """For an ``issuer`` fixture to ``yield from``: the authorizer's environment as template.yaml sets
    it, and a fake issuer behind its keys; the settings, cached per sandbox, read afresh."""
    monkeypatch.setenv("OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("OIDC_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("REQUIRED_SCOPES", json.dumps(REQUIRED_SCOPES))
    fake = FakeIssuer()
    keys = fake.keys()
    monkeypatch.setattr(handler, "issuer_keys", lambda issuer: keys)
    settings.settings.cache_clear()
    yield fake
    settings.settings.cache_clear()


def claims(**changes: Any) -> dict[str, Any]:
    """A valid access token's claims; a change of None removes the claim."""
    now = int(time.time())
    valid = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "00u1abcd2EFGH3ijk4l5",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "items:read items:write",
    }
    return {name: value for name, value in (valid | changes).items() if value is not None}


def token(private_key: Any = RSA_KEY, algorithm: str = "RS256", kid: str | None = "rsa", **changes: Any) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims(**changes), private_key, algorithm=algorithm, headers=headers)


def unsigned_token(**changes: Any) -> str:
    """``alg: none``: no signature at all."""
    return f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': 'rsa'})}.{segment(claims(**changes))}."


def hs256_with_public_key(secret: bytes, **changes: Any) -> str:
    """HS256 with the issuer's public key as the shared secret: what an attacker can compute."""
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rsa'})}.{segment(claims(**changes))}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def event(bearer: str, method_arn: str = GET_ITEM_ARN) -> dict[str, Any]:
    """A TOKEN authorizer's event as API Gateway sends it, with this token and method."""
    return load_event("authorizer_token.json") | {"authorizationToken": f"Bearer {bearer}", "methodArn": method_arn}
