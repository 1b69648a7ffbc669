"""Rotation of the signing secret: Secrets Manager invokes this handler once per step. The
steps, and why each may run again: ``rotation_steps.py``.

Lambda imports this module at cold start, when the init gets a full vCPU; an invocation gets
CPU in proportion to memory, about 0.29 vCPU at 512 MB (README, Performance). So the import
loads all the first step needs: ``rotation_steps``, with pydantic, the request model, the
signing rules, boto3. On Lambda the Secrets Manager client is built then too (snapshot.at_init).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import init_phase, rotation_steps, tracing
from .rotation_steps import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracing.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    rotation_steps.handle(event)


init_phase.finished()  # the last line of the import at INIT: the collector resumes (init_phase.py)
