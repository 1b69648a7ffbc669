"""AppSync resolver function: the Lambda data source of every field of schema.graphql. What each
field does, how its arguments and result are checked and how a refusal is answered: ``fields.py``.

Lambda imports this module at cold start, so it holds only what hello world imports too
(Powertools ``Logger`` and ``Metrics``). Powertools' resolver, pydantic and the models cost more
at import than half of hello world (README, Performance): ``fields`` loads them on the first
event, and under ``snapstart=yes`` before the snapshot (snapshot.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from . import snapshot, tracing

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
snapshot.warm(f"{__package__}.fields")


# clear_state: the field a log line names (fields.py) is this invocation's, never the one before.
@logger.inject_lambda_context(clear_state=True)
@tracing.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from . import fields  # deferred to the first event (see above)

    return fields.answer(event, context)
