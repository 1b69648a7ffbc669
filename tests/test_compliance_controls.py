"""AWS Control Tower's proactive controls (make compliance) hold for every bake of the
covering set: the SAM-transformed template and, with a pipeline, pipeline/bootstrap.yaml
have no finding without a suppression and its reason, and no stale suppression; the
bake's docs/compliance.md lists exactly the controls that evaluate its resources, and
names no resource its templates do not declare.

The baked project's own scripts/compliance.py and scripts/sam_transform.py run in-process,
with the same pins as its Makefile (this repository's dev dependencies)."""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
from typing import Any

import pytest
from support import (
    ROOT,
    TEMPLATE_DIR,
    answers,
    bake_set,
    baked_script,
    combination_id,
    load_yaml,
    render_stack,
    stack_environment,
)


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # the translator wants one; no call is made
    logging.getLogger("samtranslator").setLevel(logging.ERROR)


def rendered(combination: dict[str, str], path: str) -> str:
    env, _ = stack_environment()
    context = answers() | combination
    return env.get_template(path).render(cookiecutter=context)


def deployed(combination: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The bake's templates as `make compliance` reads them: transformed, defaults resolved."""
    compliance, transform = baked_script("compliance"), baked_script("sam_transform")
    texts = {"template.yaml": render_stack(**combination)}  # the variant's stack, or its overlay's
    if combination["ci"] != "none":
        texts["pipeline/bootstrap.yaml"] = rendered(combination, "pipeline/bootstrap.yaml")
    return {name: compliance.deployed_view(transform.transformed(load_yaml(text))) for name, text in texts.items()}


@functools.cache
def findings_of(view_text: str) -> dict[tuple[str, str], str]:
    """Guard takes seconds a template; many bakes share a bootstrap or a whole stack."""
    return dict(baked_script("compliance").guard_findings(json.loads(view_text)))


@pytest.mark.parametrize("combination", bake_set(), ids=combination_id)
def test_every_control_holds_or_is_suppressed_with_its_reason(combination: dict[str, str]) -> None:
    compliance = baked_script("compliance")
    controls = compliance.control_tower_controls()
    views = deployed(combination)
    problems = [
        f"{name}: {problem}"
        for name, view in views.items()
        for problem in compliance.verdict(findings_of(json.dumps(view, sort_keys=True)), compliance.suppressions(view), controls)
    ]
    doc = rendered(combination, "docs/compliance.md")
    problems += compliance.doc_problems(doc, compliance.applicable(list(views.values()), controls))
    problems += compliance.named_problems(doc, list(views.values()), None)  # files: the baked make check
    assert problems == []


def test_a_control_the_stack_breaks_is_found() -> None:
    """The engine and the rules are really loaded: strip the log groups' retention and the
    key's CreateGrant guard, and their controls fail."""
    compliance = baked_script("compliance")
    view = copy.deepcopy(deployed({**answers(), "event_source": "sqs", "kms": "customer-managed"} | {"ci": "none"})["template.yaml"])
    groups = [name for name, resource in view["Resources"].items() if resource["Type"] == "AWS::Logs::LogGroup"]
    for name in groups:
        view["Resources"][name]["Properties"]["RetentionInDays"] = 30
    statements = view["Resources"]["ServiceKey"]["Properties"]["KeyPolicy"]["Statement"]
    statements[:] = [statement for statement in statements if statement.get("Sid") != "GrantsOnlyForAwsResources"]
    found = set(compliance.guard_findings(view))
    assert {("CT.CLOUDWATCH.PR.2", name) for name in groups} | {("CT.KMS.PR.3", "ServiceKey")} <= found


def test_the_rules_package_is_the_one_the_makefile_pins() -> None:
    compliance = baked_script("compliance")
    makefile = (TEMPLATE_DIR / "Makefile").read_text(encoding="utf-8")
    pins = dict(re.findall(r"--with (cloudformation-validate|cdklabs-cdk-validator-cfnguard)==(\S+)", makefile))
    dev = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert set(pins) == {"cloudformation-validate", "cdklabs-cdk-validator-cfnguard"}
    assert [f'"{name}=={version}"' for name, version in pins.items() if f'"{name}=={version}"' not in dev] == []
    assert len(compliance.control_tower_controls()) >= 200  # the package ships 237 today
