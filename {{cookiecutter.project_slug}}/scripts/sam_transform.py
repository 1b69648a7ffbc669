"""Write the SAM-transformed template: what CloudFormation deploys, and what checkov and the
security gate must see (checkov skips SAM Globals and the implicit API resources).

Runs offline, in its own pinned environment (aws-sam-translator pins pydantic, so it cannot
share the handler's): `make transform`. aws-sam-translator transforms in-process once every CodeUri is an S3 URI,
so local paths are replaced by a placeholder bucket. No AWS call is made.

Usage: python scripts/sam_transform.py template.yaml build/template.transformed.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER_CODE_URI = "s3://placeholder-artifacts-bucket/code.zip"
CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs by name; this template names none."""

    def load(self) -> dict[str, str]:
        return {}


def with_placeholder_code(template: dict[str, Any]) -> dict[str, Any]:
    for resource in template.get("Resources", {}).values():
        code_property = CODE_PROPERTIES.get(resource.get("Type", ""))
        if code_property:
            resource.setdefault("Properties", {})[code_property] = PLACEHOLDER_CODE_URI
    return template


def load_template(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = yaml_parse(path.read_text())
    return template


def transformed(template: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = transform(
            with_placeholder_code(template), {}, NoManagedPolicies(), passthrough_metadata=True
        )
    except InvalidDocumentException as error:
        causes = "; ".join(str(cause) for cause in error.causes)
        raise SystemExit(f"SAM transform failed: {causes}") from error
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    source, target = Path(argv[1]), Path(argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(transformed(load_template(source)), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
