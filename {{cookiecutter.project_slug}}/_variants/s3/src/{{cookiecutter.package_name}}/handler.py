"""S3 handler: validate the notification, then record each new document exactly once. The
work, and why bad input is raised: ``processing.py``.

Lambda imports this module at cold start, so it holds only what hello world imports too
(Powertools ``Logger`` and ``Metrics``) and the errors the handler raises. pydantic and the
models cost more at import than half of hello world (README, Performance): ``processing``
loads them on the first event, and under ``snapstart=yes`` before the snapshot (snapshot.py).
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

# S3's request id of the upload: one id to follow a document through every log line.
REQUEST_ID_PATH = 'Records[0].responseElements."x-amz-request-id"'


class InvalidEventError(ValueError):
    """The event is not an S3 notification for a new document of this bucket."""


class OutputValidationError(RuntimeError):
    """The receipt the function built breaks its own model: a bug, so nothing is recorded.
    Its message names fields and error kinds only, never the values."""


@logger.inject_lambda_context(correlation_id_path=REQUEST_ID_PATH)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from . import processing  # deferred to the first event (see above)

    return processing.handle(event, context)
