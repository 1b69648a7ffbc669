"""cdk-nag's AwsSolutions, HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1 packs on the
SAM-transformed template, for audits: `make compliance-audit` (needs node; not part of check).

The template is loaded as it is (aws_cdk.cloudformation_include, logical ids kept) and the
packs run as CDK validation plugins; every finding is written, with the control ids cdk-nag
gives it, to a JSON report (and a markdown table). Each finding must be listed, with its
reason, in the compliance map's table under "### Findings kept, with their reasons":

    | `<rule id>`[, `<rule id>`...] | `<logical id>`[, `<logical id>`...] or * | <reason> |

The run fails on a finding no row lists, and on a row (rule, logical id) that no longer
matches a finding: a stale row would hide a future one. Only the audit needs aws-cdk-lib and
cdk-nag, in their own pinned environment; the parser imports neither.

Usage: python scripts/compliance_audit.py --doc docs/compliance.md --json OUT.json
       [--markdown OUT.md] TEMPLATE.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
SECTION = "### Findings kept, with their reasons"
CONTROL_IDS = re.compile(r"^(?P<text>.*?)(?: - )?\(Control IDs?: (?P<ids>.*)\)\.?$", re.DOTALL)
BACKTICKED = re.compile(r"`([^`]+)`")
MIN_REASON_LENGTH = 20


@dataclass(frozen=True)
class Finding:
    pack: str
    rule: str
    resource: str
    severity: str
    description: str
    control_ids: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    line: int
    rules: tuple[str, ...]
    resources: tuple[str, ...]  # ("*",): any resource
    reason: str

    def covers(self, finding: Finding) -> bool:
        return finding.rule in self.rules and (self.resources == ("*",) or finding.resource in self.resources)


# ------------------------------------------------------------------- the report
def split_description(description: str) -> tuple[str, tuple[str, ...]]:
    """cdk-nag ends a compliance pack's description with `- (Control IDs: a, b)`."""
    match = CONTROL_IDS.match(description.strip())
    if not match:
        return description.strip(), ()
    return match["text"].strip(), tuple(item.strip() for item in match["ids"].split(", ") if item.strip())


def findings_from_report(report: dict[str, Any]) -> list[Finding]:
    """The four packs' violations in CDK's validation report, one finding per resource."""
    found: set[Finding] = set()
    for plugin in report.get("pluginReports", []):
        if plugin.get("pluginName") not in PACKS:
            continue  # CDK's own default plugin (CloudFormation Validate) is cfn-lint's job here
        for violation in plugin.get("violations", []):
            text, control_ids = split_description(str(violation.get("description", "")))
            for construct in violation.get("violatingConstructs", []):
                found.add(
                    Finding(
                        pack=plugin["pluginName"],
                        rule=violation["ruleName"],
                        resource=str(construct["constructPath"]).rsplit("/", 1)[-1],
                        severity=str(violation.get("severity", "")),
                        description=text,
                        control_ids=control_ids,
                    )
                )
    return sorted(found, key=lambda f: (PACKS.index(f.pack), f.rule, f.resource))


# ------------------------------------------------------------------- the kept findings
def cell_items(cell: str) -> tuple[str, ...]:
    """`a`, `b` (an IAM5 rule id holds commas: backticks delimit it) or a, b."""
    items = BACKTICKED.findall(cell) if "`" in cell else cell.split(",")
    return tuple(item.strip() for item in items if item.strip())


def section_lines(markdown: str) -> list[tuple[int, str]]:
    """The numbered lines under SECTION, up to the next heading."""
    lines = markdown.splitlines()
    start = next((number for number, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        raise SystemExit(f"the compliance map has no '{SECTION}' section")
    numbered = enumerate(lines[start + 1 :], start=start + 2)
    return list(itertools.takewhile(lambda item: not item[1].startswith("#"), numbered))


def row_from(number: int, line: str) -> Row | None:
    """A table row of three cells; None for the header, the separator and other text."""
    if not line.startswith("|"):
        return None
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    if len(cells) != 3 or cells[0] == "Rule" or set(cells[0]) <= set("-: "):
        return None
    return Row(number, cell_items(cells[0]), cell_items(cells[1]), cells[2])


def kept_rows(markdown: str) -> list[Row]:
    return [row for number, line in section_lines(markdown) if (row := row_from(number, line))]


def unlisted(findings: list[Finding], rows: list[Row]) -> list[str]:
    return [
        f"{f.rule} on {f.resource} ({f.pack}): not in the kept findings; fix it, or add a row with its reason"
        for f in findings
        if not any(row.covers(f) for row in rows)
    ]


def stale(findings: list[Finding], rows: list[Row]) -> list[str]:
    """Rows without a reason, and (rule, resource) pairs of a row that match no finding."""
    matched = {(f.rule, f.resource) for f in findings} | {(f.rule, "*") for f in findings}
    found: list[str] = []
    for row in rows:
        if len(row.reason) < MIN_REASON_LENGTH:
            found.append(f"line {row.line}: a kept finding needs its reason (at least {MIN_REASON_LENGTH} characters)")
        found += [
            f"line {row.line}: {rule} on {resource} matches no finding any more: remove it"
            for rule in row.rules
            for resource in row.resources
            if (rule, resource) not in matched
        ]
    return found


def problems(findings: list[Finding], rows: list[Row]) -> list[str]:
    """Unlisted findings, stale rows and rows without a reason, as messages."""
    return unlisted(findings, rows) + stale(findings, rows)


def json_report(findings: list[Finding], rows: list[Row], found: list[str]) -> dict[str, Any]:
    """The artifact: counts per pack, each finding with its control ids and the reason it is kept."""
    return {
        "counts": {pack: sum(f.pack == pack for f in findings) for pack in PACKS},
        "findings": [asdict(f) | {"kept": next((row.reason for row in rows if row.covers(f)), None)} for f in findings],
        "problems": found,
    }


def markdown_report(findings: list[Finding], rows: list[Row]) -> str:
    lines = ["| Pack | Rule | Resource | Control ids | Kept (doc line) |", "|---|---|---|---|---|"]
    for f in findings:
        kept = next((str(row.line) for row in rows if row.covers(f)), "**no**")
        lines.append(f"| {f.pack} | `{f.rule}` | `{f.resource}` | {', '.join(f.control_ids) or '-'} | {kept} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- cdk-nag itself
def run_packs(template: Path) -> dict[str, Any]:
    """Synthesize an app holding the template, with the four packs; return CDK's report."""
    import aws_cdk
    import cdk_nag
    from aws_cdk import cloudformation_include

    with tempfile.TemporaryDirectory(prefix="compliance-audit-") as outdir:
        app = aws_cdk.App(outdir=outdir)
        stack = aws_cdk.Stack(app, "Audit")
        cloudformation_include.CfnInclude(stack, "Template", template_file=str(template))
        for pack in (
            cdk_nag.AwsSolutionsChecks,
            cdk_nag.HIPAASecurityChecks,
            cdk_nag.NIST80053R5Checks,
            cdk_nag.PCIDSS321Checks,
        ):
            aws_cdk.Validations.of(app).add_plugins(pack(app))
        try:
            app.synth()
        except RuntimeError as error:  # jsii's ValidationFailed: the report is written first
            if "ValidationFailed" not in str(error):
                raise
        report_path = Path(outdir) / "validation-report.json"
        report: dict[str, Any] = json.loads(report_path.read_text()) if report_path.exists() else {}
    ran = {plugin.get("pluginName") for plugin in report.get("pluginReports", [])}
    if not set(PACKS) <= ran:
        raise SystemExit(f"cdk-nag reported no result for {sorted(set(PACKS) - ran)}: nothing was audited")
    return report


def versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ("cdk-nag", "aws-cdk-lib", "jsii")}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doc", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("template", type=Path)
    args = parser.parse_args(argv)
    rows = kept_rows(args.doc.read_text(encoding="utf-8"))
    findings = findings_from_report(run_packs(args.template))
    found = problems(findings, rows)
    result = json_report(findings, rows, found) | {"template": str(args.template), "tools": versions()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(markdown_report(findings, rows), encoding="utf-8")
    summary = ", ".join(f"{pack} {count}" for pack, count in result["counts"].items())
    print(f"compliance audit: {len(findings)} findings ({summary}); {len(found)} problems; {args.json}")
    for message in found:
        print(f"  {message}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
