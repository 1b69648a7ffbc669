"""The sandbox the tests fake (tests/support/lambda_runtime.py) is the one template.yaml deploys."""

from __future__ import annotations

from tests.support.lambda_runtime import LAMBDA_ENVIRONMENT
from tests.support.stack import function_environment, single_metric_alarms, template


def test_the_deployed_function_emits_metrics_where_the_tests_do() -> None:
    variables = function_environment()
    for name in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"):
        assert variables[name] == LAMBDA_ENVIRONMENT[name]


def test_each_stack_counts_and_alarms_on_its_own_metrics() -> None:
    # Staging and production may share an account: with one service dimension for both, one
    # stack's failures would alarm, and roll back a deployment, in the other.
    service = template()["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    assert service == {"Ref": "AWS::StackName"}
    namespace = function_environment()["POWERTOOLS_METRICS_NAMESPACE"]
    alarms = [alarm for alarm in single_metric_alarms() if alarm["Namespace"] == namespace]
    assert alarms
    assert all(alarm["Dimensions"] == [{"Name": "service", "Value": service}] for alarm in alarms)
