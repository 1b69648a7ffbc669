"""AppSync resolver function: the Lambda data source of every field of schema.graphql. What each
field does, how its arguments and result are checked and how a refusal is answered: ``fields.py``.

Lambda imports this module at cold start, when the init gets a full vCPU; an invocation gets
CPU in proportion to memory, about 0.29 vCPU at 512 MB (README, Performance). So the import
loads all the first event needs: ``fields``, with Powertools' resolver and idempotency,
pydantic, the models, boto3. On Lambda the AWS clients are built then too (snapshot.at_init).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import fields, init_phase, tracing
from .fields import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


# clear_state: the field a log line names (fields.py) is this invocation's, never the one before.
@logger.inject_lambda_context(clear_state=True)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return fields.answer(event, context)


init_phase.finished()  # the last line of the import at INIT: the collector resumes (init_phase.py)
