"""The compliance audit's bookkeeping, without cdk-nag (which only `make compliance-audit`
installs): findings read from CDK's validation report, the kept-findings table of
docs/compliance.md, and the two ways the audit fails (an unlisted finding, a stale row)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import compliance_audit as audit

DOC = Path(__file__).resolve().parent.parent / "docs" / "compliance.md"
REASON = "a reason that is long enough to read"


def violation(rule: str, description: str, *resources: str) -> dict[str, Any]:
    return {
        "ruleName": rule,
        "description": description,
        "severity": "error",
        "violatingConstructs": [{"constructPath": f"Audit/Template/{name}"} for name in resources],
    }


REPORT = {
    "pluginReports": [
        {
            "pluginName": "NIST.800.53.R5",
            "violations": [
                violation(
                    "NIST.800.53.R5-LambdaDLQ",
                    "The Lambda function has no dead-letter configuration - (Control IDs: AU-12(3), CA-7).",
                    "ApiFunction",
                    "OtherFunction",
                )
            ],
        },
        {
            "pluginName": "AwsSolutions",
            "violations": [violation("AwsSolutions-IAM5[Resource::*]", "Wildcards.", "Role")],
        },
        {"pluginName": "CloudFormation Validate", "violations": [violation("W3011", "Not a pack of ours.", "Fn")]},
    ]
}


HEADER = "# Map\n\n### Findings kept, with their reasons\n\n| Rule | Resources | Reason |\n|---|---|---|\n"
NEXT_SECTION = "\n## Next section\n\n| A | B | C |\n|---|---|---|\n| x | y | z |\n"


def table(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows) + NEXT_SECTION


def test_findings_carry_pack_resource_and_control_ids() -> None:
    findings = audit.findings_from_report(REPORT)
    assert [(f.pack, f.rule, f.resource) for f in findings] == [
        ("AwsSolutions", "AwsSolutions-IAM5[Resource::*]", "Role"),
        ("NIST.800.53.R5", "NIST.800.53.R5-LambdaDLQ", "ApiFunction"),
        ("NIST.800.53.R5", "NIST.800.53.R5-LambdaDLQ", "OtherFunction"),
    ]
    assert findings[1].control_ids == ("AU-12(3)", "CA-7")
    assert findings[1].description == "The Lambda function has no dead-letter configuration"
    assert findings[0].control_ids == ()


def test_every_finding_listed_passes() -> None:
    rows = audit.kept_rows(
        table(
            f"| `AwsSolutions-IAM5[Resource::*]` | `Role` | {REASON} |",
            f"| `NIST.800.53.R5-LambdaDLQ` | * | {REASON} |",
        )
    )
    assert audit.problems(audit.findings_from_report(REPORT), rows) == []


def test_an_unlisted_finding_fails() -> None:
    rows = audit.kept_rows(
        table(
            f"| `AwsSolutions-IAM5[Resource::*]` | `Role` | {REASON} |",
            f"| `NIST.800.53.R5-LambdaDLQ` | `ApiFunction` | {REASON} |",
        )
    )
    problems = audit.problems(audit.findings_from_report(REPORT), rows)
    assert len(problems) == 1
    assert problems[0].startswith("NIST.800.53.R5-LambdaDLQ on OtherFunction (NIST.800.53.R5): not in the kept")


def test_a_stale_row_fails() -> None:
    rows = audit.kept_rows(
        table(
            f"| `AwsSolutions-IAM5[Resource::*]` | `Role`, `GoneRole` | {REASON} |",
            f"| `NIST.800.53.R5-LambdaDLQ`, `HIPAA.Security-LambdaDLQ` | * | {REASON} |",
            f"| `AwsSolutions-S1` | * | {REASON} |",
        )
    )
    assert rows[1].rules == ("NIST.800.53.R5-LambdaDLQ", "HIPAA.Security-LambdaDLQ")
    assert audit.problems(audit.findings_from_report(REPORT), rows) == [
        "line 7: AwsSolutions-IAM5[Resource::*] on GoneRole matches no finding any more: remove it",
        "line 8: HIPAA.Security-LambdaDLQ on * matches no finding any more: remove it",
        "line 9: AwsSolutions-S1 on * matches no finding any more: remove it",
    ]


def test_the_json_report_keeps_control_ids_and_reasons() -> None:
    findings = audit.findings_from_report(REPORT)
    rows = audit.kept_rows(table(f"| `NIST.800.53.R5-LambdaDLQ` | * | {REASON} |"))
    report = audit.json_report(findings, rows, audit.problems(findings, rows))
    assert report["counts"] == {"AwsSolutions": 1, "HIPAA.Security": 0, "NIST.800.53.R5": 2, "PCI.DSS.321": 0}
    assert report["findings"][1]["control_ids"] == ("AU-12(3)", "CA-7")
    assert [finding["kept"] for finding in report["findings"]] == [None, REASON, REASON]
    assert len(report["problems"]) == 1
    json.dumps(report)


def test_backticks_delimit_rule_ids_that_hold_commas() -> None:
    rule = 'AwsSolutions-IAM5[Resource::["${TableArn}/backup/*",{"TableArn":{"Fn::GetAtt":["T","Arn"]}}]]'
    [row] = audit.kept_rows(table(f"| `{rule}`, `AwsSolutions-S1` | `Role`, `Bucket` | {REASON} |"))
    assert row.rules == (rule, "AwsSolutions-S1")
    assert row.resources == ("Role", "Bucket")


def test_a_row_needs_its_reason() -> None:
    rows = audit.kept_rows(table("| `AwsSolutions-IAM5[Resource::*]` | `Role` | because |"))
    findings = [f for f in audit.findings_from_report(REPORT) if f.pack == "AwsSolutions"]
    assert audit.problems(findings, rows) == ["line 7: a kept finding needs its reason (at least 20 characters)"]


def test_no_section_is_an_error() -> None:
    with pytest.raises(SystemExit, match="Findings kept"):
        audit.kept_rows("# Map\n\nNothing here.\n")


def test_this_projects_table_parses() -> None:
    rows = audit.kept_rows(DOC.read_text(encoding="utf-8"))
    for row in rows:
        assert row.rules, f"line {row.line}: no rule id"
        assert all(rule.split("-", 1)[0] in audit.PACKS for rule in row.rules), f"line {row.line}: {row.rules}"
        assert row.resources, f"line {row.line}: no resource (use * for any)"
        assert len(row.reason) >= audit.MIN_REASON_LENGTH, f"line {row.line}: no reason"
