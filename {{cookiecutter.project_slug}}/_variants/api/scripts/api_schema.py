"""Keep API Gateway's request model in step with the Pydantic model that the handler uses.

API Gateway validates bodies against the JSON schema in template.yaml (Models.CreateItemRequest)
before the function runs; the handler validates again with Pydantic. Both must say the same.

Usage: python scripts/api_schema.py [--write]   (without --write: check only, exit 1 on drift)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from {{ cookiecutter.package_name }}.models import CreateItemRequest

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
DRAFT_04 = "http://json-schema.org/draft-04/schema#"


def apigateway_schema(model: type[BaseModel]) -> dict[str, Any]:
    """API Gateway models are JSON Schema draft 4 and cannot hold $defs: keep the models flat."""
    schema = model.model_json_schema()
    if "$defs" in schema:
        raise SystemExit(f"{model.__name__}: nested models need inlining before API Gateway can use them")
    return {"$schema": DRAFT_04, **schema}


def model_line_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"^(?P<indent>\s+)" + re.escape(name) + r": (?P<schema>[{].*[}])$", re.MULTILINE)


def template_schema(text: str, name: str) -> dict[str, Any]:
    match = model_line_pattern(name).search(text)
    if match is None:
        raise SystemExit(f"template.yaml: no one-line model {name} under Api.Properties.Models")
    schema: dict[str, Any] = json.loads(match["schema"])
    return schema


def with_schema(text: str, name: str, schema: dict[str, Any]) -> str:
    line = json.dumps(schema, sort_keys=True)
    return model_line_pattern(name).sub(lambda match: f"{match['indent']}{name}: {line}", text)


def main(argv: list[str]) -> int:
    text = TEMPLATE.read_text()
    expected = apigateway_schema(CreateItemRequest)
    if template_schema(text, "CreateItemRequest") == expected:
        print("api-schema: template.yaml matches models.CreateItemRequest")
        return 0
    if "--write" in argv:
        TEMPLATE.write_text(with_schema(text, "CreateItemRequest", expected))
        print("api-schema: template.yaml updated from models.CreateItemRequest")
        return 0
    print("api-schema: template.yaml model CreateItemRequest drifted from the Pydantic model; run 'make schema'")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
