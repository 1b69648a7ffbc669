"""What the stack tells the authorizer (template.yaml sets each variable from a deploy parameter)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache

from .errors import Rejected


@dataclass(frozen=True)
class Settings:
    issuer: str  # exactly as the tokens' `iss` claim says it
    audience: str
    required_scopes: dict[str, frozenset[str]]  # method key (VERB/path, `*` for a parameter) -> all needed


@cache
def settings() -> Settings:
    """Read once per sandbox. A broken setting admits nobody (401), and says so in the logs."""
    issuer = os.environ.get("OIDC_ISSUER", "")
    audience = os.environ.get("OIDC_AUDIENCE", "")
    if not issuer.startswith("https://") or not audience:
        raise Rejected("configuration")
    scopes = required_scopes(os.environ.get("REQUIRED_SCOPES"))
    return Settings(issuer=issuer, audience=audience, required_scopes=scopes)


def required_scopes(text: str | None) -> dict[str, frozenset[str]]:
    try:
        methods = json.loads(text or "")
    except ValueError:
        raise Rejected("configuration") from None
    if not isinstance(methods, dict) or not methods or not all(isinstance(s, str) for s in methods.values()):
        raise Rejected("configuration")
    return {str(method): frozenset(scopes.split()) for method, scopes in methods.items()}
