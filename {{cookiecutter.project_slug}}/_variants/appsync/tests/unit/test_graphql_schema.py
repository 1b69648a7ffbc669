"""schema.graphql, which AppSync validates requests against, and the models the resolvers
validate with must not drift apart: the schema is generated from the models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from {{ cookiecutter.package_name }}.models import FIELDS, Arguments, GraphQLField, Item

from scripts import graphql_schema


def test_schema_graphql_is_what_the_models_generate() -> None:
    assert graphql_schema.SCHEMA.read_text(encoding="utf-8") == graphql_schema.schema_text()
    assert graphql_schema.main(["graphql_schema.py"]) == 0


def test_drift_is_detected_and_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = tmp_path / "schema.graphql"
    original = graphql_schema.SCHEMA.read_text(encoding="utf-8")
    schema.write_text(original.replace("quantity: Int!", "quantity: Float"), encoding="utf-8")
    monkeypatch.setattr(graphql_schema, "SCHEMA", schema)

    assert graphql_schema.main(["graphql_schema.py"]) == 1
    assert graphql_schema.main(["graphql_schema.py", "--write"]) == 0
    assert graphql_schema.main(["graphql_schema.py"]) == 0
    assert schema.read_text(encoding="utf-8") == original


def test_a_missing_schema_is_drift_and_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphql_schema, "SCHEMA", tmp_path / "schema.graphql")
    assert graphql_schema.main(["graphql_schema.py"]) == 1
    assert graphql_schema.main(["graphql_schema.py", "--write"]) == 0
    assert graphql_schema.SCHEMA.read_text(encoding="utf-8") == graphql_schema.schema_text()


@pytest.mark.parametrize(
    ("declared", "rule"),
    [
        ("  name: String!", "Checked by the resolver: length 1 to 100, matching ^[^\\x00-\\x1f]+$."),
        ("  quantity: Int!", "Checked by the resolver: value 0 to 1000000."),
        ("    limit: Int", "Checked by the resolver: value 1 to 100."),
    ],
)
def test_the_rules_graphql_cannot_state_are_in_the_descriptions(declared: str, rule: str) -> None:
    lines = graphql_schema.schema_text().splitlines()
    descriptions = [lines[index - 1] for index, line in enumerate(lines) if line == declared]
    assert descriptions
    assert all(rule in description for description in descriptions)


def test_a_change_of_a_model_changes_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    class Renamed(Arguments):
        item_id: Annotated[str, Field(max_length=5)]

    get_item = GraphQLField("Query", "getItem", Renamed, Item, "Changed.")
    monkeypatch.setattr(graphql_schema, "FIELDS", (get_item, *FIELDS[1:]))
    text = graphql_schema.schema_text()
    assert '    """Checked by the resolver: length at most 5."""\n    itemId: String!\n  ): Item!\n' in text
    assert text != graphql_schema.SCHEMA.read_text(encoding="utf-8")


class Wide(Arguments):
    count: int  # no bounds: GraphQL's Int has 32 bits


class Either(Arguments):
    value: int | str


class Flag(Arguments):
    on: bool


class Both(BaseModel):
    name: str


class TakesBoth(Arguments):
    both: Both


@pytest.mark.parametrize(
    ("field", "refusal"),
    [
        (GraphQLField("Query", "wide", Wide, Item, "."), "integers bounded within 32 bits"),
        (GraphQLField("Query", "either", Either, Item, "."), "union"),
        (GraphQLField("Query", "flag", Flag, Item, "."), "no GraphQL type"),
        (GraphQLField("Query", "both", TakesBoth, Both, "."), "both arguments and results"),
    ],
)
def test_what_the_schema_cannot_say_is_refused_not_guessed(
    field: GraphQLField, refusal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphql_schema, "FIELDS", (field,))
    with pytest.raises(SystemExit, match=refusal):
        graphql_schema.schema_text()
