"""AWS Control Tower's proactive controls (AWS's own Guard rules) on the templates as
CloudFormation deploys them: `make compliance`.

The rules come from a pinned package (cdklabs-cdk-validator-cfnguard, which ships them with
their metadata) and run in-process in AWS's pinned Guard engine (cloudformation-validate):
offline, no binary, no node. Guard cannot follow a Ref, so parameters take their defaults
and conditions are decided first: what is checked is what `sam deploy` creates with the
defaults. Every finding fails, unless the resource carries a suppression with its reason:

    Metadata:
      compliance:
        skip:
          - id: CT.LAMBDA.PR.3
            comment: why this control does not apply here

A suppression that no longer matches a finding also fails (it would hide a future one).
With --doc, the compliance map must name exactly the controls that evaluate the stack's
resource types, each with the NIST 800-53 r5 and PCI DSS ids of its metadata.

Usage: python scripts/compliance.py [--doc docs/compliance.md] TEMPLATE.json [...]
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

RULES_DISTRIBUTION = "cdklabs-cdk-validator-cfnguard"
RULES_FOLDER = "package/rules/control-tower"
FRAMEWORKS = {"NIST 800-53 Rev 5": "nist", "PCI DSS version 3.2.1": "pci"}
MIN_REASON_LENGTH = 20
CONTROL_ID = re.compile(r"\bCT\.[A-Z0-9]+\.PR\.\d+\b")
BACKTICKED = re.compile(r"`([^`]+)`")
LOGICAL_ID = re.compile(r"^[A-Z][a-z][A-Za-z0-9]*$")
APPLIES_ON = re.compile(r" on ((?:`[^`]+`(?:, | and )?)+)")
DECLARED = ("Resources", "Parameters", "Outputs")
# A file of the project: under one of its folders, or with a file's extension (not a key
# alias such as aws/sns, an S3 prefix such as incoming/, an ARN or a rule id).
PATH = re.compile(
    r"^(\.github|docs|events|pipeline|scripts|src|tests)/[\w./<>-]*$|^[\w./<>-]+\.(md|py|ya?ml|json|toml|txt)$"
)
NO_VALUE = object()  # Ref AWS::NoValue: the property is left out
UNDECIDED = object()  # an intrinsic only CloudFormation can resolve (GetAtt, Sub, pseudo parameters)

Template = dict[str, Any]


# ------------------------------------------------------------------- the deploy-time view
def parameter_defaults(template: Template) -> dict[str, Any]:
    """Each parameter's default as CloudFormation passes it: numbers as numbers, lists split.
    A parameter without a default, which the deployer must give, becomes `<Name>`."""
    defaults: dict[str, Any] = {}
    for name, parameter in template.get("Parameters", {}).items():
        value, kind = parameter.get("Default", f"<{name}>"), str(parameter.get("Type", "String"))
        if kind == "Number" and "Default" in parameter:
            value = float(value) if "." in str(value) else int(value)
        elif kind == "CommaDelimitedList" or kind.startswith("List<"):
            value = [item.strip() for item in str(value).split(",")] if value != "" else []
        defaults[name] = value
    return defaults


CONDITION_FUNCTIONS: dict[str, Callable[[Resolver, Any], bool]] = {
    "Fn::Equals": lambda resolver, sides: str(resolver.value(sides[0])) == str(resolver.value(sides[1])),
    "Fn::Not": lambda resolver, operands: not resolver.value(operands[0]),
    "Fn::And": lambda resolver, operands: all(resolver.value(operand) for operand in operands),
    "Fn::Or": lambda resolver, operands: any(resolver.value(operand) for operand in operands),
}


class Resolver:
    """Replaces Refs to parameters by their defaults and decides Fn::If and conditions."""

    def __init__(self, template: Template) -> None:
        self.parameters = parameter_defaults(template)
        self.conditions: dict[str, Any] = template.get("Conditions", {})
        self.decided: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self.decided:
            self.decided[name] = bool(self.value(self.conditions[name]))
        return self.decided[name]

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in map(self.value, node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            decided = self.intrinsic(*next(iter(node.items())))
            if decided is not UNDECIDED:
                return decided
        resolved = ((key, self.value(item)) for key, item in node.items())
        return {key: item for key, item in resolved if item is not NO_VALUE}

    def intrinsic(self, key: str, argument: Any) -> Any:
        """The value of a function this view decides, else UNDECIDED (left as written)."""
        if key == "Ref":
            return NO_VALUE if argument == "AWS::NoValue" else self.parameters.get(argument, UNDECIDED)
        if key == "Fn::If":
            return self.value(argument[1] if self.condition(argument[0]) else argument[2])
        if key == "Condition" and isinstance(argument, str) and argument in self.conditions:
            return self.condition(argument)
        if key in CONDITION_FUNCTIONS:
            return CONDITION_FUNCTIONS[key](self, argument)
        return UNDECIDED


def deployed_view(template: Template) -> Template:
    """The resources `sam deploy` creates with the default parameters, values resolved."""
    resolver = Resolver(template)
    view = dict(template)
    view["Resources"] = {
        name: resolver.value(resource)
        for name, resource in template.get("Resources", {}).items()
        if "Condition" not in resource or resolver.condition(resource["Condition"])
    }
    return view


# ------------------------------------------------------------------------------ the rules
@dataclass(frozen=True)
class Control:
    id: str
    title: str
    fix: str
    resource_types: frozenset[str]
    nist: tuple[str, ...]
    pci: tuple[str, ...]
    rule: str


def package_members() -> Iterator[tuple[str, bytes]]:
    """The rule files and their metadata, read from the pinned package's own archive."""
    distribution = metadata.distribution(RULES_DISTRIBUTION)
    archive = next(file for file in distribution.files or [] if file.name.endswith(".jsii.tgz"))
    with tarfile.open(str(distribution.locate_file(archive))) as bundle:
        for member in bundle.getmembers():
            extracted = bundle.extractfile(member) if member.name.startswith(RULES_FOLDER) else None
            if extracted is not None:
                yield member.name, extracted.read()


def control_from(meta: dict[str, Any], rule: str) -> Control:
    mappings = {
        FRAMEWORKS.get(item["ComplianceFramework"]): item["Ids"] for item in meta.get("ComplianceFrameworkMappings", [])
    }
    return Control(
        id=meta["Id"],
        title=meta["DisplayName"],
        fix=meta.get("RemediationMessage", ""),
        resource_types=frozenset(meta.get("EvaluatedResourceTypes", [])),
        nist=tuple(mappings.get("nist", [])),
        pci=tuple(mappings.get("pci", [])),
        rule=rule,
    )


@functools.cache
def control_tower_controls() -> dict[str, Control]:
    """Control id (CT.LAMBDA.PR.3) to control, for every Guard rule in the package."""
    rules: dict[str, str] = {}
    metas: dict[str, dict[str, Any]] = {}
    for name, content in package_members():
        stem = Path(name).name.split(".")[0]
        if name.endswith(".guard"):
            rules[stem] = content.decode()
        elif name.endswith(".metadata.json"):
            metas[stem] = json.loads(content)
    controls = [control_from(metas[stem], rule) for stem, rule in rules.items() if stem in metas]
    return {control.id: control for control in controls}


def rule_category(control_id: str) -> str:
    """How the engine names a rule source's findings: guard:ct_lambda_pr_3."""
    return "guard:" + control_id.lower().replace(".", "_")


@functools.cache
def guard_engine() -> Any:
    """AWS's Guard engine with every Control Tower rule loaded (built once: rules compile)."""
    from cloudformation_validate import (  # only the compliance tool environment has it
        CompositeEngine,
        CompositeEngineConfig,
        ExternalRuleSource,
    )

    controls = control_tower_controls().values()
    sources = [
        ExternalRuleSource(name=control.id.lower().replace(".", "-"), content=control.rule) for control in controls
    ]
    return CompositeEngine(CompositeEngineConfig(guard_rules=sources))


def guard_findings(view: Template) -> dict[tuple[str, str], str]:
    """(control id, logical id) to the first failed check, from AWS's Guard engine."""
    from cloudformation_validate import TemplateContent, ValidateConfig

    report = guard_engine().validate_template(
        TemplateContent(json.dumps(view), "template"), ValidateConfig(disable_builtin_rules=True)
    )
    by_category = {rule_category(control_id): control_id for control_id in control_tower_controls()}
    findings: dict[tuple[str, str], str] = {}
    for diagnostic in report.diagnostics:
        control_id = by_category.get(diagnostic.category, diagnostic.category)
        logical_id = getattr(diagnostic.entity, "logical_id", None) or "(template)"
        findings.setdefault((control_id, logical_id), diagnostic.message)
    return findings


# ----------------------------------------------------------------------- the suppressions
def suppressions(template: Template) -> dict[tuple[str, str], str]:
    """(control id, logical id) to the written reason, from Metadata.compliance.skip."""
    found: dict[tuple[str, str], str] = {}
    for name, resource in template.get("Resources", {}).items():
        for skip in resource.get("Metadata", {}).get("compliance", {}).get("skip", []):
            found[(str(skip.get("id")), name)] = str(skip.get("comment", "")).strip()
    return found


def verdict(
    findings: dict[tuple[str, str], str], skips: dict[tuple[str, str], str], controls: dict[str, Control]
) -> list[str]:
    """What fails: findings without a suppression, suppressions without a reason or a finding."""
    return unexplained(findings, skips, controls) + unreasoned(skips) + stale(findings, skips)


def unexplained(
    findings: dict[tuple[str, str], str], skips: dict[tuple[str, str], str], controls: dict[str, Control]
) -> list[str]:
    problems = []
    for (control_id, name), message in sorted(findings.items()):
        control = controls.get(control_id)
        if (control_id, name) not in skips:
            problems.append(
                f"{control_id} on {name}: " + (f"{control.title}. Fix: {control.fix}" if control else message)
            )
    return problems


def unreasoned(skips: dict[tuple[str, str], str]) -> list[str]:
    return [
        f"{name}: suppression of {control_id} has no written reason"
        for (control_id, name), reason in sorted(skips.items())
        if len(reason) < MIN_REASON_LENGTH
    ]


def stale(findings: dict[tuple[str, str], str], skips: dict[tuple[str, str], str]) -> list[str]:
    """SAM copies a function's Metadata to what it generates from it (permissions, versions), so
    a suppression is stale only when no resource carrying it has the finding."""
    used = {control_id for key in skips if key in findings for control_id in key[:1]}
    problems = []
    for control_id in sorted({control_id for control_id, _ in skips} - used):
        carriers = ", ".join(sorted(name for (suppressed, name) in skips if suppressed == control_id))
        problems.append(f"{control_id}: suppressed on {carriers} but no longer found")
    return problems


# ------------------------------------------------------------------------ the compliance map
def applicable(views: list[Template], controls: dict[str, Control]) -> dict[str, Control]:
    types = {resource.get("Type") for view in views for resource in view.get("Resources", {}).values()}
    return {control_id: control for control_id, control in controls.items() if control.resource_types & types}


def doc_rows(text: str) -> dict[str, str]:
    """Control id to its table row, for every row of the document that names one."""
    return {
        match.group(0): line
        for line in text.splitlines()
        if line.startswith("|")
        for match in [CONTROL_ID.search(line)]
        if match
    }


def doc_problems(text: str, expected: dict[str, Control]) -> list[str]:
    rows = doc_rows(text)
    problems = [
        f"compliance map: {control_id} ({expected[control_id].title}) evaluates this stack but has no row"
        for control_id in sorted(set(expected) - set(rows))
    ]
    problems += [
        f"compliance map: {control_id} evaluates no resource of this stack"
        for control_id in sorted(set(rows) - set(expected))
    ]
    for control_id in sorted(set(rows) & set(expected)):
        missing = [
            framework_id
            for framework_id in expected[control_id].nist + expected[control_id].pci
            if f"`{framework_id}`" not in rows[control_id]
        ]
        if missing:
            problems.append(
                f"compliance map: the {control_id} row lacks {', '.join(missing)} from the control's metadata"
            )
    return problems


def applies_to(text: str) -> set[str]:
    """The names the map says something applies to: a table's Resources column, and what a
    bullet's suppression is "on"."""
    names = resources_columns(text) | {
        name
        for line in text.splitlines()
        if line.startswith("- ")
        for listed in APPLIES_ON.findall(line)
        for name in BACKTICKED.findall(listed)
    }
    return {name for name in names if LOGICAL_ID.match(name)}


def resources_columns(text: str) -> set[str]:
    """Backticked names in the Resources column of every table that has one."""
    names: set[str] = set()
    column = None
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        column = cells.index("Resources") if "Resources" in cells else (column if cells else None)
        if column is not None and len(cells) > column:
            names |= set(BACKTICKED.findall(cells[column]))
    return names


def named_problems(text: str, views: list[Template], root: Path | None) -> list[str]:
    """Resources the map names that no template declares; files (under `root`) it names that
    the project does not have."""
    declared = {name for view in views for part in DECLARED for name in view.get(part, {})}
    undeclared = sorted(applies_to(text) - declared)
    problems = [f"compliance map: names {name}, which no template of this stack declares" for name in undeclared]
    missing = missing_files(text, root) if root is not None else []
    return problems + [f"compliance map: names {path}, which this project does not have" for path in missing]


def missing_files(text: str, root: Path) -> list[str]:
    """Backticked paths that do not exist under `root` (build output excepted: a make target writes it)."""
    paths = {name for name in BACKTICKED.findall(text) if PATH.match(name) and not name.startswith("build/")}
    return sorted(path for path in paths if not (root / path).exists())


def backticked(ids: tuple[str, ...]) -> str:
    return " ".join(f"`{framework_id}`" for framework_id in ids) or "-"


def table_rows(controls: dict[str, Control]) -> str:
    """The map's rows, as `--print-rows` gives them to whoever updates the document."""
    ordered = sorted(controls.values(), key=lambda control: control.id)
    return "\n".join(
        f"| {control.id} | {control.title} | {backticked(control.nist)} | {backticked(control.pci)} |"
        for control in ordered
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("templates", nargs="+", type=Path)
    parser.add_argument("--doc", type=Path, help="the compliance map to check against the controls")
    parser.add_argument("--print-rows", action="store_true", help="print the map's rows for these templates")
    args = parser.parse_args(argv)
    controls = control_tower_controls()
    views = [deployed_view(json.loads(path.read_text())) for path in args.templates]
    if args.print_rows:
        print(table_rows(applicable(views, controls)))
        return 0
    problems = []
    for path, view in zip(args.templates, views, strict=True):
        skips = suppressions(view)
        problems += [f"{path}: {problem}" for problem in verdict(guard_findings(view), skips, controls)]
        counts = f"{len(controls)} controls, {len(view['Resources'])} resources, {len(skips)} suppressions"
        print(f"compliance: {path}: {counts}")
    if args.doc:
        text = args.doc.read_text()
        mapped = doc_problems(text, applicable(views, controls)) + named_problems(text, views, Path.cwd())
        problems += [f"{args.doc}: {problem}" for problem in mapped]
    for problem in problems:
        print(f"compliance: {problem}")
    if not problems:
        print("compliance: no findings")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
