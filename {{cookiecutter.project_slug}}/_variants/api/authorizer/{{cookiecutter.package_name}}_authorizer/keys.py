"""The issuer's signing keys: found through its OpenID configuration, fetched over HTTPS only, cached.

A token signed with a key we do not know refreshes the keys (the issuer may have rotated them),
but at most once per REFRESH_INTERVAL_SECONDS, so a flood of made-up ``kid``s cannot make every
request fetch. Keys older than MAX_AGE_SECONDS are fetched again, so a key the issuer withdrew
stops working. A fetch that fails keeps the keys we have; with none, every token is refused.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

from .errors import Rejected

TIMEOUT_SECONDS = 2.0  # the caller waits: API Gateway gives the authorizer 29 s in all, we take little
MAX_DOCUMENT_BYTES = 256 * 1024  # a JWKS of a few keys is a few KB
REFRESH_INTERVAL_SECONDS = 30.0
MAX_AGE_SECONDS = 3600.0
KEY_TYPES = ("RSA", "EC")  # asymmetric only: an "oct" key is a shared secret


class KeysUnavailable(Exception):
    """The issuer's configuration or keys could not be fetched, or were not what they must be."""


@dataclass(frozen=True)
class SigningKey:
    key_type: str  # `kty`
    curve: str | None  # `crv` of an EC key
    algorithm: str | None  # `alg`, when the issuer pins the key to one
    public_key: Any  # cryptography's public key object, as PyJWT verifies with it


def https_json(url: str, context: ssl.SSLContext | None = None) -> Any:
    """GET a JSON document over verified HTTPS: no other scheme, no redirect, a short timeout,
    a bounded size. ``context`` only ever adds a trusted certificate (the tests' local server)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise KeysUnavailable("not an https URL")
    connection = http.client.HTTPSConnection(
        parts.hostname, parts.port, timeout=TIMEOUT_SECONDS, context=context or ssl.create_default_context()
    )
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target, headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = response.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, http.client.HTTPException) as error:
        raise KeysUnavailable(type(error).__name__) from None
    finally:
        connection.close()
    if response.status != 200 or len(body) > MAX_DOCUMENT_BYTES:
        raise KeysUnavailable(f"HTTP {response.status}, {len(body)} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise KeysUnavailable("not JSON") from None


def discovery_url(issuer: str) -> str:
    # OpenID Connect Discovery 1.0, section 4: the issuer without its trailing "/", then the path.
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def signing_keys(document: Any) -> dict[str, SigningKey]:
    """The usable signature keys of a JWKS by `kid`; a key we cannot use does not spoil the rest."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KeysUnavailable("no keys")
    found = {}
    for entry in entries:
        if not usable(entry):
            continue
        try:
            public_key = jwt.PyJWK(entry).key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
        found[entry["kid"]] = SigningKey(entry["kty"], entry.get("crv"), entry.get("alg"), public_key)
    if not found:
        raise KeysUnavailable("no usable key")
    return found


def usable(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("kid"), str)
        and entry.get("kty") in KEY_TYPES
        and entry.get("use", "sig") == "sig"
    )


class IssuerKeys:
    """The keys of one issuer, for the life of the sandbox. ``fetch`` and ``clock`` are for tests:
    whatever they give, the issuer must be https and the configuration must name this issuer."""

    def __init__(
        self, issuer: str, fetch: Callable[[str], Any] = https_json, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.issuer = issuer
        self._fetch = fetch
        self._clock = clock
        self._jwks_uri: str | None = None
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._failure: str | None = "not fetched yet"  # why the last fetch failed, for our logs

    def signing_key(self, kid: str) -> SigningKey:
        if kid not in self._keys or self._stale():
            self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise Rejected("jwks unavailable", self._failure) if self._failure else Rejected("unknown key")
        return key

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > MAX_AGE_SECONDS

    def _refresh(self) -> None:
        now = self._clock()
        if self._tried_at is not None and now - self._tried_at < REFRESH_INTERVAL_SECONDS:
            return
        self._tried_at = now
        try:
            self._keys = signing_keys(self._fetch(self._jwks_url()))
        except KeysUnavailable as error:
            self._failure = str(error)
            return
        self._fetched_at = now
        self._failure = None

    def _jwks_url(self) -> str:
        if self._jwks_uri is None:
            if not self.issuer.startswith("https://"):
                raise KeysUnavailable("the issuer is not an https URL")
            configuration = self._fetch(discovery_url(self.issuer))
            if not isinstance(configuration, dict) or configuration.get("issuer") != self.issuer:
                raise KeysUnavailable("the configuration names another issuer")
            jwks_uri = configuration.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
                raise KeysUnavailable("the jwks_uri is not an https URL")
            self._jwks_uri = jwks_uri
        return self._jwks_uri
