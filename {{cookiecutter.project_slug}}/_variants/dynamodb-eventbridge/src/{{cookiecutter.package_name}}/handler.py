"""StockLevelChanged handler: validate the event the stock-changes pipe put on the bus, then
write a restock request exactly once when the item went below its reorder level. The flow,
the retries and why bad input is raised: ``processing.py``.

Lambda imports this module at cold start, so it holds only what hello world imports too
(Powertools ``Logger`` and ``Metrics``) and the error the handler raises. pydantic and the
models cost more at import than half of hello world (README, Performance): ``processing``
loads them on the first event, and under ``snapstart=yes`` before the snapshot (snapshot.py).
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
snapshot.warm(f"{__package__}.processing")


class InvalidEventError(ValueError):
    """The event is not version 1 of StockLevelChanged from the inventory service."""


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from . import processing  # deferred to the first event (see above)

    return processing.handle(event, context)
