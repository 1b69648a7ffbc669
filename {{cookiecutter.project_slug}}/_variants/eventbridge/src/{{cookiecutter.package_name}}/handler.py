"""EventBridge handler: validate the OrderPlaced event, then record the order exactly once.
The work, and why bad input is raised: ``processing.py``.

Lambda imports this module at cold start, when the init gets a full vCPU; an invocation gets
CPU in proportion to memory, about 0.29 vCPU at 512 MB (README, Performance). So the import
loads all the first event needs: ``processing``, with pydantic, the models, Powertools' parser
and idempotency, boto3. On Lambda the AWS clients are built then too (snapshot.at_init).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from . import init_phase, processing, tracing
from .processing import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return processing.handle(event, context)


init_phase.finished()  # the last line of the import at INIT: the collector resumes (init_phase.py)
