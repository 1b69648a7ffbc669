"""Why a token admits nothing: one short reason for our logs and metrics, never for the caller."""

from __future__ import annotations


class Rejected(Exception):
    """The request gets a 401 (or a Deny). ``reason`` is one of a small fixed set of phrases (a metric
    dimension); ``detail``, our own words about our side (never the token), helps the operator."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
