"""The sandbox the tests fake (tests/support/lambda_runtime.py) is the one template.yaml deploys."""

from __future__ import annotations

from tests.support.lambda_runtime import LAMBDA_ENVIRONMENT
from tests.support.stack import function_environment


def test_the_deployed_function_emits_metrics_where_the_tests_do() -> None:
    variables = function_environment()
    for name in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"):
        assert variables[name] == LAMBDA_ENVIRONMENT[name]
