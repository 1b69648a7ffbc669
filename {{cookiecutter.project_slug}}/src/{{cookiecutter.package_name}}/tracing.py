"""X-Ray SDK subsegments, only when tracing is switched on.

``Tracing: Active`` on the function already traces every invocation without any SDK: the
Lambda service and function segments, with Initialization, Invocation and Overhead, linked
to the API Gateway or event source segment. Powertools' ``Tracer`` adds subsegments per
handler method and per AWS call, but creating one imports the AWS X-Ray SDK and patches
botocore, which costs every cold start about 180 ms of CPU (README, Performance), sampled
or not.

So the ``Tracer`` exists only when ``POWERTOOLS_TRACE_DISABLED`` (Powertools' own switch,
read once per execution environment) is false. template.yaml sets it to true; set it to
false to get the subsegments back without a rebuild: the Powertools layer ships the SDK.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

ENABLED = not resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_TRACE_DISABLED", "false"))


def unchanged(function: Callable[..., Any]) -> Callable[..., Any]:
    return function


capture_method: Decorator = unchanged
capture_lambda_handler: Decorator = unchanged

if ENABLED:
    from aws_lambda_powertools import Tracer

    tracer = Tracer()
    capture_method = tracer.capture_method
    capture_lambda_handler = tracer.capture_lambda_handler
