"""Write the JSON schema of the events this service publishes, from the Pydantic models.

docs/events/stock-level-changed-v1.schema.json is what consumers of the bus read; it is
generated from ``StockLevelChangedDetail`` and a test fails when the two drift.

Usage: PYTHONPATH=src python scripts/event_schemas.py [--write]   (without --write: check only, exit 1 on drift)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.models import StockLevelChangedDetail

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "events" / "stock-level-changed-v1.schema.json"


def rendered() -> str:
    return json.dumps(StockLevelChangedDetail.model_json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if "--write" in argv[1:]:
        SCHEMA.write_text(rendered(), encoding="utf-8")
        return 0
    if SCHEMA.read_text(encoding="utf-8") != rendered():
        print(f"{SCHEMA.name} drifted from StockLevelChangedDetail; run with --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
