"""Is this bearer token one the issuer signed for this API, valid now? PyJWT checks what we choose.

Only asymmetric algorithms: never ``none``, never HS* (with a public key as the shared secret,
anyone could sign). The key must fit the algorithm the header names (type, curve, pinned `alg`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import InvalidSubjectError

from .errors import Rejected
from .keys import IssuerKeys, SigningKey

# Algorithm -> the key type (`kty`) and, for EC, the curve (`crv`) it verifies with (RFC 7518, 3.1).
ALGORITHMS: dict[str, tuple[str, str | None]] = {
    **{f"{family}{bits}": ("RSA", None) for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
}
LEEWAY_SECONDS = 60  # clocks drift: `exp`, `nbf` and `iat` get a minute either way
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
# An Authorization header carries a few KB at most; anything longer is not a token we admit.
MAX_TOKEN_CHARS = 8192
# PyJWT's error -> our reason; the first match wins (InvalidSignatureError is a DecodeError).
FAILURES: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.MissingRequiredClaimError, "missing claim"),
    (InvalidSubjectError, "bad subject"),  # `sub` not a string
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidKeyError, "weak key"),  # an RSA key under 2048 bits
    (jwt.DecodeError, "malformed"),
)


@dataclass(frozen=True)
class Verified:
    subject: str
    scopes: frozenset[str]


def bearer_token(authorization: object) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750: the scheme in any case)."""
    if not isinstance(authorization, str):
        raise Rejected("no token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Rejected("malformed")
    return token


def verify(token: str, keys: IssuerKeys, issuer: str, audience: str) -> Verified:
    algorithm, kid = signed_with(token)
    key = keys.signing_key(kid)
    if not fits(key, algorithm):
        raise Rejected("key does not fit the algorithm")
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
        )
    except jwt.PyJWTError as error:
        raise Rejected(next((reason for kind, reason in FAILURES if isinstance(error, kind)), "invalid")) from None
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise Rejected("bad subject")
    return Verified(subject=subject, scopes=granted_scopes(claims))


def signed_with(token: str) -> tuple[str, str]:
    """The header's algorithm and key id, before anything is trusted: only to pick the key."""
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or token.count(".") != 2:
        raise Rejected("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError):
        raise Rejected("malformed") from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise Rejected("algorithm not allowed")
    if not isinstance(kid, str) or not kid:
        raise Rejected("no key id")
    return algorithm, kid


def fits(key: SigningKey, algorithm: str) -> bool:
    key_type, curve = ALGORITHMS[algorithm]
    return key.key_type == key_type and key.curve == curve and key.algorithm in (None, algorithm)


def granted_scopes(claims: dict[str, Any]) -> frozenset[str]:
    """`scope` (RFC 8693: space-separated, as Auth0 and Keycloak send it) and `scp` (a string, as
    Entra ID sends it, or a list, as Okta does)."""
    scope, scp = claims.get("scope"), claims.get("scp")
    granted = set(scope.split()) if isinstance(scope, str) else set()
    if isinstance(scp, str):
        granted.update(scp.split())
    elif isinstance(scp, list):
        granted.update(entry for entry in scp if isinstance(entry, str) and entry and " " not in entry)
    return frozenset(granted)
