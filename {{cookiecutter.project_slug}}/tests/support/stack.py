"""template.yaml as the tests read it (before the SAM transform): the failure paths, the source
filters and the alarms live there, so a change that breaks the contract of the code fails a
test, not production."""

from __future__ import annotations

from functools import cache
from typing import Any

from scripts.security_gate import load_source
from tests.support.lambda_runtime import ROOT, STACK_NAME
from tests.support.observability import Metric

TEMPLATE = ROOT / "template.yaml"
PACKAGE = ROOT / "src" / "{{ cookiecutter.package_name }}"


@cache
def template() -> dict[str, Any]:
    found: dict[str, Any] = load_source(TEMPLATE)
    return found


def resources() -> dict[str, Any]:
    found: dict[str, Any] = template()["Resources"]
    return found


def properties(name: str) -> dict[str, Any]:
    found: dict[str, Any] = resources()[name]["Properties"]
    return found


def in_the_test_stack(value: Any) -> Any:
    """``value`` as the stack the tests fake gives it: the stack name is STACK_NAME."""
    return STACK_NAME if value == {"Ref": "AWS::StackName"} else value


def function_environment() -> dict[str, Any]:
    """The variables every function of the stack gets (Globals), in the stack the tests fake."""
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    return {name: in_the_test_stack(value) for name, value in variables.items()}


def dimensions(metric: dict[str, Any]) -> list[dict[str, Any]]:
    """A metric's or an alarm's dimensions, in the stack the tests fake."""
    return [{"Name": d["Name"], "Value": in_the_test_stack(d["Value"])} for d in metric["Dimensions"]]


def single_metric_alarms() -> list[dict[str, Any]]:
    """The properties of the alarms on one metric (not on a metric math expression)."""
    return [
        alarm["Properties"]
        for alarm in resources().values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm" and "MetricName" in alarm["Properties"]
    ]


def metric_alarms() -> dict[str, dict[str, Any]]:
    """The alarms on the handler's own metrics (Powertools' namespace), by metric name."""
    namespace = function_environment()["POWERTOOLS_METRICS_NAMESPACE"]
    return {alarm["MetricName"]: alarm for alarm in single_metric_alarms() if alarm["Namespace"] == namespace}


def alarmed_metrics() -> set[Metric]:
    """The metrics watched by an alarm that notifies the alarm topic (a dimension given by an
    intrinsic function, such as a queue or function name, is kept as its text: no emitted
    metric matches it)."""
    return {
        (alarm["Namespace"], alarm["MetricName"], tuple((d["Name"], str(d["Value"])) for d in dimensions(alarm)))
        for alarm in single_metric_alarms()
        if alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    }


def service_source() -> str:
    """The code of the service package, every module of it."""
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(PACKAGE.glob("*.py")))


def assert_alarmed(metric: str, threshold: int = 1) -> None:
    """The service still names ``metric`` (the handler tests see it emitted), and an alarm watches
    it where Powertools emits it and notifies the alarm topic from ``threshold`` occurrences a
    period on."""
    assert f'"{metric}"' in service_source()
    alarm = metric_alarms()[metric]
    # Powertools adds the service as the one dimension; an alarm on other dimensions never fires.
    assert dimensions(alarm) == [{"Name": "service", "Value": function_environment()["POWERTOOLS_SERVICE_NAME"]}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        threshold,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def errors_explained_by(alarm: str) -> tuple[str, set[str]]:
    """What the metric math alarm ``alarm`` watches: Lambda's Errors of one function (its name)
    less which of the handler's own metrics (Powertools' namespace and service dimension)."""
    stats = {query["Id"]: query["MetricStat"] for query in properties(alarm)["Metrics"] if "MetricStat" in query}
    [returned] = [query for query in properties(alarm)["Metrics"] if query.get("ReturnData", True)]
    errors = stats.pop("errors")["Metric"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    service = function_environment()["POWERTOOLS_SERVICE_NAME"]
    assert returned["Expression"] == "errors" + "".join(f" - FILL({query}, 0)" for query in stats)
    for stat in stats.values():
        assert (stat["Metric"]["Namespace"], dimensions(stat["Metric"])) == (
            function_environment()["POWERTOOLS_METRICS_NAMESPACE"],
            [{"Name": "service", "Value": service}],
        )
    assert all(stat["Stat"] == "Sum" for stat in stats.values())
    # Late metrics (they come through the logs) must not make one minute breach on its own.
    assert (properties(alarm)["EvaluationPeriods"], properties(alarm)["DatapointsToAlarm"]) == (2, 2)
    [function] = errors["Dimensions"]
    return function["Value"]["Fn::Sub"], {stat["Metric"]["MetricName"] for stat in stats.values()}


def rollback_alarms(function: str) -> set[str]:
    """The alarms that roll a gradual deployment of ``function`` back, by logical id."""
    return {alarm["Ref"] for alarm in properties(function)["DeploymentPreference"]["Alarms"]}
