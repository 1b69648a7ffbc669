"""The API's Lambda TOKEN authorizer (template.yaml: ``AuthorizerFunction``).

A valid token gets a policy that allows every method its scopes allow; a token without the scopes
of any method, a Deny (403); anything else, ``Unauthorized`` (401), the one answer API Gateway
gives a caller without detail. The reason goes to our logs (the token never does). A token the
caller got wrong counts in ``TokenRejected`` (a Deny in ``TokenDenied``): the rollback alarm counts
the function's errors less those, so only our own failures (configuration, the issuer's keys out
of reach, a fault) page and roll back, never a caller's bad tokens. The issuer's keys are fetched
on the first request (network, not CPU); everything that request runs is imported at cold start,
where the init gets a full vCPU and an invocation only its memory's share (README, Performance).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .errors import Rejected
from .keys import IssuerKeys
from .policy import allowed_methods, policy, stage_prefix
from .settings import settings
from .tokens import bearer_token, verify

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
# What a caller's token causes is routine (info, counted); these need an operator (error, left to Errors).
OPERATOR_REASONS = frozenset({"configuration", "jwks unavailable", "internal error"})


@cache
def issuer_keys(issuer: str) -> IssuerKeys:
    return IssuerKeys(issuer)


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the token.
@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return authorize(event)
    except Rejected as rejection:
        rejected(rejection.reason, rejection.detail)
    except Exception as error:  # a fault of ours must still be a 401, never a 500 or an Allow
        rejected("internal error", type(error).__name__)  # the type only: a message could quote the token
    raise Exception("Unauthorized")  # the exact message API Gateway turns into a 401


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    config = settings()
    prefix = stage_prefix(event.get("methodArn"))
    bearer = bearer_token(event.get("authorizationToken"))
    token = verify(bearer, issuer_keys(config.issuer), config.issuer, config.audience)
    methods = allowed_methods(config.required_scopes, token.scopes)
    if methods:
        metrics.add_metric(name="TokenAccepted", unit=MetricUnit.Count, value=1)
    else:
        logger.info("token rejected", extra={"reason": "missing scopes", "sub": token.subject})
        metrics.add_metric(name="TokenDenied", unit=MetricUnit.Count, value=1)
    context = {"sub": token.subject, "scope": " ".join(sorted(token.scopes))}
    return policy(token.subject, prefix, config.required_scopes, methods, context)


def rejected(reason: str, detail: str | None = None) -> None:
    """Log why; count it in TokenRejected (the service dimension only, as the alarm reads it) when the
    caller's token caused it."""
    extra = {"reason": reason} | ({"detail": detail} if detail else {})
    if reason in OPERATOR_REASONS:
        logger.error("token rejected", extra=extra)
        return
    logger.info("token rejected", extra=extra)
    metrics.add_metric(name="TokenRejected", unit=MetricUnit.Count, value=1)
