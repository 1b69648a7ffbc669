"""API Gateway REST handler. The routes, their validation and error shapes: ``routes.py``.

Lambda imports this module at cold start, so it holds only what hello world imports too
(Powertools ``Logger`` and ``Metrics``). Powertools' resolver with its OpenAPI validation,
pydantic and the models cost more at import than half of hello world (README, Performance):
``routes`` loads them on the first request, and under ``snapstart=yes`` before the snapshot
(snapshot.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from . import snapshot, tracing

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
snapshot.warm(f"{__package__}.routes")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from . import routes  # deferred to the first request (see above)

    return routes.app.resolve(event, context)
