"""The alarms live in template.yaml: these tests read it, so a failure metric the handler
emits without an alarm (or with one that can never fire) fails here, not in production."""

from __future__ import annotations

import inspect
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import api

from scripts.security_gate import load_source

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@cache
def template() -> dict[str, Any]:
    found: dict[str, Any] = load_source(TEMPLATE)
    return found


def function_environment() -> dict[str, Any]:
    found: dict[str, Any] = template()["Globals"]["Function"]["Environment"]["Variables"]
    return found


def metric_alarms() -> dict[str, dict[str, Any]]:
    """The alarms on the handler's own metrics (Powertools' namespace), by metric name."""
    namespace = function_environment()["POWERTOOLS_METRICS_NAMESPACE"]
    return {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in template()["Resources"].values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm" and alarm["Properties"]["Namespace"] == namespace
    }


@pytest.mark.parametrize(
    ("metric", "threshold"),
    [
        ("ValidationFailed", 50),  # clients get requests wrong now and then: alarm on many (probing)
        ("ProcessingFailed", 1),
        ("ResponseValidationFailed", 1),
    ],
)
def test_every_failure_metric_the_handler_emits_is_alarmed(metric: str, threshold: int) -> None:
    assert f'add_metric(name="{metric}"' in inspect.getsource(api)  # still emitted under that name
    alarm = metric_alarms()[metric]
    # Powertools adds the service as the one dimension; an alarm on other dimensions never fires.
    assert alarm["Dimensions"] == [{"Name": "service", "Value": function_environment()["POWERTOOLS_SERVICE_NAME"]}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        threshold,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_bugs_roll_a_deployment_back_bad_requests_do_not() -> None:
    alarms = template()["Resources"]["ApiFunction"]["Properties"]["DeploymentPreference"]["Alarms"]
    assert {"Ref": "ApiServerErrorsAlarm"} in alarms
    assert {"Ref": "ApiResponseValidationFailedAlarm"} in alarms
    assert {"Ref": "ApiValidationFailuresAlarm"} not in alarms
