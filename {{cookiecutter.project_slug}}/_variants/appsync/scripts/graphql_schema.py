"""Generate schema.graphql from the Pydantic models that the resolvers validate with.

AppSync validates every request against schema.graphql (template.yaml, GraphqlSchema) before
the function runs; the resolvers validate the arguments again with the models of
models.FIELDS, and their results too. Both must say the same, so the schema is written from
the models' JSON schemas: each field's arguments and result, the input and object types they
name, which values may be null, and, in the descriptions, the rules that GraphQL's types
cannot state (lengths, ranges, patterns).

Usage: python scripts/graphql_schema.py [--write]   (without --write: check only, exit 1 on drift)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from {{ cookiecutter.package_name }}.models import FIELDS, GraphQLField

SCHEMA = Path(__file__).resolve().parent.parent / "schema.graphql"
HEADER = "# Generated from the Pydantic models (models.FIELDS) by scripts/graphql_schema.py: run 'make schema'.\n"
INT32 = (-(2**31), 2**31 - 1)  # GraphQL's Int
# What GraphQL's types cannot bound: a JSON schema's lower and upper bound, and what they bound.
BOUNDS = (("minLength", "maxLength", "length"), ("minimum", "maximum", "value"))

Schema = dict[str, Any]
Found = dict[str, Schema]  # named types, by name: their JSON schemas with the definitions they refer to


def non_null(schema: Schema) -> tuple[Schema, bool]:
    """The one type a JSON schema allows besides null, and whether it allows null."""
    allowed = schema.get("anyOf", [schema])
    kinds = [kind for kind in allowed if kind.get("type") != "null"]
    if len(kinds) != 1:
        raise SystemExit(f"graphql-schema: no GraphQL type for a union: {schema}")
    return kinds[0], len(kinds) < len(allowed)


def scalar(schema: Schema) -> str:
    if "graphql" in schema:  # a marker of the model's (models.ID)
        return str(schema["graphql"])
    if schema.get("type") == "string":
        return "AWSDateTime" if schema.get("format") == "date-time" else "String"
    bounds = (schema.get("minimum", -math.inf), schema.get("maximum", math.inf))
    if schema.get("type") == "integer" and INT32[0] <= bounds[0] and bounds[1] <= INT32[1]:
        return "Int"
    raise SystemExit(f"graphql-schema: no GraphQL type for {schema}: strings, or integers bounded within 32 bits")


def type_of(schema: Schema, defs: Schema, found: Found, required: bool = True) -> str:
    """The GraphQL type of a JSON schema, ``!`` when it allows no null and is required; the
    named types it refers to are added to ``found``."""
    kind, nullable = non_null(schema)
    if "$ref" in kind or kind.get("type") == "object":
        name = kind["$ref"].rpartition("/")[2] if "$ref" in kind else kind["title"]
        found.setdefault(name, {**defs.get(name, kind), "$defs": defs})
        text = name
    elif kind.get("type") == "array":
        text = f"[{type_of(kind['items'], defs, found)}]"
    else:
        text = scalar(kind)
    return text if nullable or not required else f"{text}!"


def bounds(kind: Schema) -> list[str]:
    """E.g. ``length 1 to 100``, ``value at least 0``."""
    stated = []
    for low, high, what in BOUNDS:
        if low in kind and high in kind:
            stated.append(f"{what} {kind[low]} to {kind[high]}")
        elif low in kind or high in kind:
            stated.append(f"{what} at least {kind[low]}" if low in kind else f"{what} at most {kind[high]}")
    return stated


def description(schema: Schema, indent: str) -> list[str]:
    """The description, and the rules its GraphQL type cannot state, as a block string."""
    kind, _ = non_null(schema)
    parts = [str(schema["description"]).rstrip(".") + "."] if "description" in schema else []
    rules = bounds(kind) + ([f"matching {kind['pattern']}"] if "pattern" in kind else [])
    if rules:
        parts.append(f"Checked by the resolver: {', '.join(rules)}.")
    text = " ".join(parts).replace('"""', '\\"""')
    return [f'{indent}"""{text}"""'] if parts else []


def type_block(keyword: str, name: str, schema: Schema, found: Found) -> list[str]:
    """An input type (its fields may be left out unless required) or an object type."""
    defs, required = schema["$defs"], set(schema.get("required", []))
    lines = ["", *description(schema, ""), f"{keyword} {name}" + " {"]
    for field_name, field_schema in schema["properties"].items():
        field_type = type_of(field_schema, defs, found, keyword == "type" or field_name in required)
        lines += [*description(field_schema, "  "), f"  {field_name}: {field_type}"]
    return [*lines, "}"]


def type_blocks(keyword: str, found: Found) -> list[str]:
    """Every type ``found`` names, and the types those name in turn, in the order first met."""
    lines: list[str] = []
    done: set[str] = set()
    while pending := [name for name in found if name not in done]:
        done.add(pending[0])
        lines += type_block(keyword, pending[0], found[pending[0]], found)
    return lines


def field_lines(field: GraphQLField, inputs: Found, objects: Found) -> list[str]:
    arguments = field.arguments.model_json_schema(by_alias=True)
    defs, required = arguments.get("$defs", {}), set(arguments.get("required", []))
    result = TypeAdapter(field.result).json_schema(mode="serialization", by_alias=True)
    result_type = type_of(result, result.get("$defs", {}), objects)
    lines = []
    for name, schema in arguments["properties"].items():
        lines += [*description(schema, "    "), f"    {name}: {type_of(schema, defs, inputs, name in required)}"]
    signature = [f"  {field.name}(", *lines, f"  ): {result_type}"] if lines else [f"  {field.name}: {result_type}"]
    return [*description({"description": field.description}, "  "), *signature]


def schema_text() -> str:
    inputs: Found = {}
    objects: Found = {}
    parents = list(dict.fromkeys(field.parent for field in FIELDS))
    lines = ["schema {", *(f"  {parent.lower()}: {parent}" for parent in parents), "}"]
    for parent in parents:
        lines += ["", f"type {parent}" + " {"]
        for field in (field for field in FIELDS if field.parent == parent):
            lines += field_lines(field, inputs, objects)
        lines.append("}")
    lines += type_blocks("input", inputs) + type_blocks("type", objects)
    if both := inputs.keys() & objects.keys():
        raise SystemExit(f"graphql-schema: {sorted(both)} are both arguments and results: GraphQL needs two types")
    return HEADER + "\n".join(lines) + "\n"


def report(message: str, status: int) -> int:
    print(f"graphql-schema: schema.graphql {message}")
    return status


def main(argv: list[str]) -> int:
    expected = schema_text()
    if SCHEMA.is_file() and SCHEMA.read_text(encoding="utf-8") == expected:
        return report("matches the models", 0)
    if "--write" in argv:
        SCHEMA.write_text(expected, encoding="utf-8")
        return report("written from the models", 0)
    return report("drifted from the models; run 'make schema'", 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
