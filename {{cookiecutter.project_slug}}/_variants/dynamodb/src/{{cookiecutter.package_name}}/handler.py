"""DynamoDB stream batch handler: parse each stock change, write a restock request exactly
once when an item goes below its reorder level, and report only the records that failed
(ReportBatchItemFailures), so that Lambda retries from the first of them. The work, and what
makes a record fail: ``processing.py``.

Lambda imports this module at cold start, when the init gets a full vCPU; an invocation gets
CPU in proportion to memory, about 0.29 vCPU at 512 MB (README, Performance). So the import
loads all the first event needs: ``processing``, with pydantic, the models, the batch loop,
Powertools' parser models and idempotency, boto3. On Lambda the AWS clients are built then too (snapshot.at_init).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import init_phase, processing, tracing
from .processing import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return processing.handle(event, context)


init_phase.finished()  # the last line of the import at INIT: the collector resumes (init_phase.py)
