"""docs/compliance.md names only resources, parameters and files the project has.

Which controls it lists, and their framework ids, `make compliance` checks against the rules
package itself (scripts/compliance.py --doc), which this environment does not install."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "compliance.md"
TEMPLATES = [ROOT / "template.yaml", ROOT / "pipeline" / "bootstrap.yaml"]
BACKTICKED = re.compile(r"`([^`]+)`")
LOGICAL_ID = re.compile(r"^[A-Z][A-Za-z0-9]+$")
FILES_WITHOUT_EXTENSION = {"Makefile"}


def named() -> list[str]:
    return BACKTICKED.findall(MAP.read_text())


def declared() -> set[str]:
    names: set[str] = set()
    for path in TEMPLATES:
        if path.exists():
            parsed, matches = decode_str(path.read_text())
            assert not matches, matches
            template: dict[str, Any] = dict(parsed or {})
            names |= set(template.get("Resources", {})) | set(template.get("Parameters", {}))
    return names


def is_logical_id(name: str) -> bool:
    return bool(LOGICAL_ID.match(name)) and name not in FILES_WITHOUT_EXTENSION


def is_path(name: str) -> bool:
    return (
        " " not in name
        and "=" not in name
        and ("/" in name or name in FILES_WITHOUT_EXTENSION)
        and not name.startswith("Metadata")
    )


def test_named_resources_and_parameters_exist() -> None:
    resources = [name for name in named() if is_logical_id(name)]
    assert resources, "the map names no resources"
    assert [name for name in resources if name not in declared()] == []


def test_named_files_exist() -> None:
    paths = [name for name in named() if is_path(name)]
    assert paths, "the map names no files"
    assert [path for path in paths if not (ROOT / path).exists()] == []
