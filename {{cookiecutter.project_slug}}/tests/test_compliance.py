"""scripts/compliance.py without the Guard engine: the deploy-time view it checks, how it
judges findings against suppressions, and how it holds docs/compliance.md to the controls.
`make compliance` runs the engine itself on this project's templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts import compliance

CONTROL = compliance.Control(
    id="CT.LAMBDA.PR.3",
    title="Require a function in a VPC",
    fix="Set VpcConfig",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    nist=("AC-4", "SC-7(11)"),
    pci=("1.3",),
    rule="rule r {}",
)
CONTROLS = {CONTROL.id: CONTROL}
REASON = "the function needs no private network here"


def template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "Parameters": {
            "Retention": {"Type": "Number", "Default": "365"},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "Mode": {"Type": "String", "Default": "on"},
        },
        "Conditions": {"IsOn": {"Fn::Equals": [{"Ref": "Mode"}, "on"]}, "IsOff": {"Fn::Not": [{"Condition": "IsOn"}]}},
        "Resources": resources,
    }


def test_the_view_takes_defaults_decides_conditions_and_drops_what_is_not_created() -> None:
    view = compliance.deployed_view(
        template(
            Group={
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "RetentionInDays": {"Ref": "Retention"},
                    "KmsKeyId": {"Fn::If": ["IsOff", "key", {"Ref": "AWS::NoValue"}]},
                    "Name": {"Fn::Sub": "${AWS::StackName}-logs"},
                },
            },
            Function={"Type": "AWS::Lambda::Function", "Properties": {"VpcConfig": {"SubnetIds": {"Ref": "Subnets"}}}},
            Unused={"Type": "AWS::SNS::Topic", "Condition": "IsOff"},
        )
    )
    assert view["Resources"]["Group"]["Properties"] == {
        "RetentionInDays": 365,
        "Name": {"Fn::Sub": "${AWS::StackName}-logs"},
    }
    # A parameter without a default is one the deployer must give: it is present, not absent.
    assert view["Resources"]["Function"]["Properties"]["VpcConfig"]["SubnetIds"] == ["<Subnets>"]
    assert "Unused" not in view["Resources"]


def test_a_finding_fails_unless_its_resource_suppresses_it_with_a_reason() -> None:
    findings = {("CT.LAMBDA.PR.3", "Function"): "VpcConfig is missing"}
    assert compliance.verdict(findings, {}, CONTROLS) == [
        "CT.LAMBDA.PR.3 on Function: Require a function in a VPC. Fix: Set VpcConfig"
    ]
    assert compliance.verdict(findings, {("CT.LAMBDA.PR.3", "Function"): REASON}, CONTROLS) == []
    assert compliance.verdict(findings, {("CT.LAMBDA.PR.3", "Function"): "no"}, CONTROLS) == [
        "Function: suppression of CT.LAMBDA.PR.3 has no written reason"
    ]


def test_a_suppression_that_matches_no_finding_is_stale() -> None:
    skips = {("CT.LAMBDA.PR.3", "Function"): REASON, ("CT.LAMBDA.PR.3", "FunctionVersion"): REASON}
    assert compliance.verdict({}, skips, CONTROLS) == [
        "CT.LAMBDA.PR.3: suppressed on Function, FunctionVersion but no longer found"
    ]
    # SAM copies the function's Metadata to its versions: one match is enough.
    assert compliance.verdict({("CT.LAMBDA.PR.3", "Function"): "x"}, skips, CONTROLS) == []


def test_suppressions_are_read_from_each_resources_metadata() -> None:
    skip = {"compliance": {"skip": [{"id": "CT.LAMBDA.PR.3", "comment": f"  {REASON} "}]}}
    assert compliance.suppressions(template(Function={"Type": "AWS::Lambda::Function", "Metadata": skip})) == {
        ("CT.LAMBDA.PR.3", "Function"): REASON
    }


def test_the_map_must_list_exactly_the_controls_that_apply_with_their_framework_ids() -> None:
    row = "| CT.LAMBDA.PR.3 | Require a function in a VPC | `AC-4` `SC-7(11)` | `1.3` |"
    assert compliance.doc_problems(row, CONTROLS) == []
    assert compliance.doc_problems("no rows", CONTROLS) == [
        "compliance map: CT.LAMBDA.PR.3 (Require a function in a VPC) evaluates this stack but has no row"
    ]
    assert compliance.doc_problems(row.replace(" `1.3`", ""), CONTROLS) == [
        "compliance map: the CT.LAMBDA.PR.3 row lacks 1.3 from the control's metadata"
    ]
    assert compliance.doc_problems(row, {}) == ["compliance map: CT.LAMBDA.PR.3 evaluates no resource of this stack"]


def test_controls_apply_to_the_resource_types_a_template_has() -> None:
    views = [template(Function={"Type": "AWS::Lambda::Function"})]
    assert compliance.applicable(views, CONTROLS) == CONTROLS
    assert compliance.applicable([template(Topic={"Type": "AWS::SNS::Topic"})], CONTROLS) == {}


def test_the_printed_rows_are_rows_the_map_check_accepts() -> None:
    assert compliance.doc_problems(compliance.table_rows(CONTROLS), CONTROLS) == []


def test_control_metadata_maps_frameworks_by_name() -> None:
    meta = {
        "Id": "CT.X.PR.1",
        "DisplayName": "A control",
        "EvaluatedResourceTypes": ["AWS::S3::Bucket"],
        "ComplianceFrameworkMappings": [
            {"ComplianceFramework": "NIST 800-53 Rev 5", "Ids": ["AC-3"]},
            {"ComplianceFramework": "PCI DSS version 3.2.1", "Ids": ["7.1.1"]},
            {"ComplianceFramework": "CIS AWS Benchmark v1.4.0", "Ids": ["2.1"]},
        ],
    }
    control = compliance.control_from(meta, "rule r {}")
    assert (control.nist, control.pci, control.resource_types) == (
        ("AC-3",),
        ("7.1.1",),
        frozenset({"AWS::S3::Bucket"}),
    )


def test_the_map_names_only_resources_the_templates_declare_and_files_that_exist(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "compliance.md").write_text("")
    text = (
        "| Rule | Resources | Reason |\n|---|---|---|\n| `X-1` | `Function`, `Gone` | see `docs/compliance.md` |\n"
        "\n- CT.S3.PR.9 on `Bucket` and `Function`: `LITE` is a value, `DeadLetterConfig` a property, "
        "`scripts/missing.py` a file, `build/report.json` an output, `aws/sns` an alias, `incoming/` a prefix, "
        "`AwsSolutions-IAM4[Policy::arn:aws:iam::aws:policy/x]` a rule\n"
    )
    views = [template(Function={"Type": "AWS::Lambda::Function"})]
    assert compliance.named_problems(text, views, tmp_path) == [
        "compliance map: names Bucket, which no template of this stack declares",
        "compliance map: names Gone, which no template of this stack declares",
        "compliance map: names scripts/missing.py, which this project does not have",
    ]
    assert (
        compliance.named_problems(text, views, None)[-1]
        == "compliance map: names Gone, which no template of this stack declares"
    )
