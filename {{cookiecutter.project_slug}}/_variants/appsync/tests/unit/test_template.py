"""template.yaml and schema.graphql as the tests read them: every field of the schema has a
resolver in the stack and one in the function, the handler is where the stack says, and each
failure metric the function emits has its alarm."""

from __future__ import annotations

import importlib
import re

import pytest

from {{ cookiecutter.package_name }} import fields

from tests.support.lambda_runtime import ROOT
from tests.support.stack import assert_alarmed, properties, resources, rollback_alarms

SCHEMA = ROOT / "schema.graphql"


def schema_fields() -> set[tuple[str, str]]:
    """The fields of the schema's Query and Mutation types, as schema.graphql declares them."""
    text = SCHEMA.read_text(encoding="utf-8")
    found = set()
    for parent, body in re.findall(r"^type (Query|Mutation) \{\n(.*?)^\}", text, re.MULTILINE | re.DOTALL):
        found |= {(parent, name) for name in re.findall(r"^  (\w+)[(:]", body, re.MULTILINE)}
    return found


def stack_resolvers() -> set[tuple[str, str]]:
    return {
        (resolver["Properties"]["TypeName"], resolver["Properties"]["FieldName"])
        for resolver in resources().values()
        if resolver["Type"] == "AWS::AppSync::Resolver"
    }


def test_the_schema_declares_its_root_types() -> None:
    assert "\nschema {\n  query: Query\n  mutation: Mutation\n}\n" in SCHEMA.read_text(encoding="utf-8")


def test_every_field_of_the_schema_is_resolved_by_the_stack_and_the_function() -> None:
    declared = schema_fields()
    assert declared == {("Query", "getItem"), ("Query", "listItems"), ("Mutation", "createItem")}
    assert stack_resolvers() == declared
    assert set(fields.RESOLVED) == declared


def test_every_resolver_invokes_the_function_through_its_data_source() -> None:
    for resolver in (r["Properties"] for r in resources().values() if r["Type"] == "AWS::AppSync::Resolver"):
        assert resolver["DataSourceName"] == {"Fn::GetAtt": ["GraphqlFunctionDataSource", "Name"]}
        assert resolver["CodeS3Location"] == "graphql/resolver.js"
        assert (ROOT / resolver["CodeS3Location"]).is_file()
    assert properties("GraphqlSchema")["DefinitionS3Location"] == "schema.graphql"


def test_the_handler_is_where_the_stack_says() -> None:
    function = properties("GraphqlFunction")
    module, _, name = function["Handler"].rpartition(".")
    assert (ROOT / function["CodeUri"] / module.replace(".", "/")).with_suffix(".py").is_file()
    assert callable(getattr(importlib.import_module(module), name))


def test_the_function_gets_its_tables() -> None:
    variables = properties("GraphqlFunction")["Environment"]["Variables"]
    assert variables == {"TABLE_NAME": {"Ref": "ItemsTable"}, "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"}}
    assert properties("IdempotencyTable")["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


@pytest.mark.parametrize(
    ("metric", "threshold"),
    [
        ("ValidationFailed", 50),  # clients get arguments wrong now and then: alarm on many (probing)
        ("ResponseValidationFailed", 1),
    ],
)
def test_every_failure_metric_the_function_emits_is_alarmed(metric: str, threshold: int) -> None:
    assert_alarmed(metric, threshold)


def test_bugs_roll_a_deployment_back_bad_requests_do_not() -> None:
    alarms = rollback_alarms("GraphqlFunction")
    assert {"GraphqlFunctionErrorsAlarm", "GraphqlResponseValidationFailedAlarm"} <= alarms
    assert "GraphqlValidationFailuresAlarm" not in alarms
