"""API Gateway's request model and the handler's Pydantic model must not drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.models import CreateItemRequest

from scripts import api_schema


def test_template_model_matches_pydantic_model() -> None:
    text = api_schema.TEMPLATE.read_text()
    assert api_schema.template_schema(text, "CreateItemRequest") == api_schema.apigateway_schema(CreateItemRequest)


def test_drift_is_detected_and_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = tmp_path / "template.yaml"
    original = api_schema.TEMPLATE.read_text()
    template.write_text(original.replace('"maxLength": 100', '"maxLength": 5000'))
    monkeypatch.setattr(api_schema, "TEMPLATE", template)

    assert api_schema.main(["api_schema.py"]) == 1
    assert api_schema.main(["api_schema.py", "--write"]) == 0
    assert api_schema.main(["api_schema.py"]) == 0
    rewritten = api_schema.template_schema(template.read_text(), "CreateItemRequest")
    assert rewritten["properties"]["name"]["maxLength"] == 100
