"""docs/security.md maps every layer of defense to resources and files: no dangling names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "security.md"
WHERE_COLUMN = 2
LOGICAL_ID = re.compile(r"^[A-Z][A-Za-z0-9]+$")
FILES_WITHOUT_EXTENSION = {"Makefile"}
BACKTICKED = re.compile(r"`([^`]+)`")
# The seed's layers; each must have its own row.
SEED_LAYERS = [
    "Event source",
    "Encryption in transit",
    "Encryption at rest",
    "Least privilege",
    "lambda:SourceFunctionArn",
    "Lock down who may invoke",
    "Secrets management",
    "Limit concurrency",
    "Managed runtime",
    "Versioning",
    "High availability",
    "VPC",
    "Code signing",
    "Observability",
    "Idempotency",
    "Patching dependencies",
    "Static analysis",
    "validation",
    "Single purpose",
    "Compliance",
]


def table_rows() -> list[list[str]]:
    rows = [line.strip().strip("|").split("|") for line in MAP.read_text().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # skip the header and its rule


def template() -> dict[str, Any]:
    parsed, matches = decode_str((ROOT / "template.yaml").read_text())
    assert not matches, matches
    assert parsed is not None
    return dict(parsed)


def names_in_where_column() -> list[str]:
    return [name for row in table_rows() for name in BACKTICKED.findall(row[WHERE_COLUMN])]


def is_logical_id(name: str) -> bool:
    return bool(LOGICAL_ID.match(name)) and name not in FILES_WITHOUT_EXTENSION


def test_the_map_has_a_row_for_every_seed_layer() -> None:
    layers = " ".join(row[0] for row in table_rows())
    assert [layer for layer in SEED_LAYERS if layer not in layers] == []


def test_named_resources_and_parameters_exist() -> None:
    declared = set(template().get("Resources", {})) | set(template().get("Parameters", {}))
    named = [name for name in names_in_where_column() if is_logical_id(name)]
    assert named, "the map names no resources"
    assert [name for name in named if name not in declared] == []


def test_named_files_exist() -> None:
    paths = [name for name in names_in_where_column() if not is_logical_id(name)]
    assert paths, "the map names no files"
    assert [path for path in paths if not (ROOT / path).exists()] == []


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row[0][:40])
def test_every_row_is_filled(row: list[str]) -> None:
    assert len(row) == 5
    assert all(cell for cell in row), row
