"""SQS batch handler: parse each record, accept each order exactly once, report only the
records that failed so that Lambda retries those alone (ReportBatchItemFailures). The work,
and what makes a record fail: ``processing.py``.

Lambda imports this module at cold start, so it holds only what hello world imports too
(Powertools ``Logger`` and ``Metrics``). pydantic, the models and Powertools' batch utility
cost more at import than half of hello world (README, Performance): ``processing`` loads
them on the first event, and under ``snapstart=yes`` before the snapshot (snapshot.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from . import snapshot, tracing

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
snapshot.warm(f"{__package__}.processing")


@logger.inject_lambda_context
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from . import processing  # deferred to the first event (see above)

    return processing.handle(event, context)
