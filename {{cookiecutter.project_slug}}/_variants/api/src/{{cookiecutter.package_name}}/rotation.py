"""Rotation of the signing secret: Secrets Manager invokes this handler once per step. The
steps, and why each may run again: ``rotation_steps.py``.

Lambda imports this module at cold start, so it holds only Powertools ``Logger`` and the
error the handler raises; pydantic, the request model and the signing rules load on the first
invocation (README, Performance), and under ``snapstart=yes`` before the snapshot (snapshot.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from . import snapshot, tracing

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
snapshot.warm(f"{__package__}.rotation_steps")


class RotationRefusedError(RuntimeError):
    """The request names a version this function must not rotate to."""


@logger.inject_lambda_context(log_event=False)
@tracing.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    from . import rotation_steps  # deferred to the first invocation (see above)

    rotation_steps.handle(event)
