"""The template repository's own tooling: pins that must agree, `make bake`, and the
guard that turns "pytest ran no test" into a failure."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import bake as bake_cli
import pytest
from support import ROOT, answers, tree_snapshot

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
LOCKED = {package["name"]: package.get("version") for package in LOCK["package"]}


def test_every_dev_pin_is_exact_and_is_what_uv_lock_holds() -> None:
    for requirement in PYPROJECT["dependency-groups"]["dev"]:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", requirement)
        assert match, f"{requirement!r} is not pinned exactly"
        name = re.sub(r"[-_.]+", "-", match[1]).lower()
        assert LOCKED.get(name) == match[2], f"{name}: pyproject pins {match[2]}, uv.lock has {LOCKED.get(name)}"


def test_the_makefile_bootstraps_the_uv_that_uv_lock_keeps() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    bootstrap = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert bootstrap, "Makefile: no UV_VERSION"
    assert bootstrap[1] == LOCKED["uv"], "`uv sync` would replace the bootstrapped uv with another version"


def test_ci_runs_make_test_strictly() -> None:
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test$", text, re.MULTILINE)


@pytest.mark.slow
def test_make_test_fails_when_pytest_runs_no_test(subprocess_env: dict[str, str]) -> None:
    run = subprocess.run(
        ["make", "-C", str(ROOT), "test", "WORKERS=0", "PYTEST_ARGS=tests/test_tooling.py -k no_test_has_this_name"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode != 0, run.stdout
    assert "pytest collected no tests" in run.stderr


def test_make_bake_bakes_replaces_and_refuses(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "baked"
    slug = answers()["project_slug"]

    assert bake_cli.main(["--output-dir", str(out), "ci=none"]) == 0
    assert f"into {(out / slug).resolve()}" in capfd.readouterr().out
    assert not (out / slug / ".github" / "workflows").exists()

    (out / slug / "stale.txt").write_text("from an earlier bake", encoding="utf-8")
    assert bake_cli.main(["--output-dir", str(out), "ci=github"]) == 0
    assert "replacing the earlier bake" in capfd.readouterr().out
    assert not (out / slug / "stale.txt").exists()

    assert bake_cli.main(["--output-dir", str(out), "project_slug=Not Valid"]) == 1
    assert "ERROR: project_slug:" in capfd.readouterr().err
    assert sorted(path.name for path in out.iterdir()) == [slug], "a refused bake left something behind"

    with pytest.raises(SystemExit):
        bake_cli.main(["--output-dir", str(out), "no-equals-sign"])


def test_make_bake_refuses_an_answer_the_template_does_not_ask(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # cookiecutter drops unknown answers and bakes the default: a typo must not bake Cognito.
    out = tmp_path / "baked"
    assert bake_cli.main(["--output-dir", str(out), "api_auht=iam", "ci=none"]) == 1
    error = capfd.readouterr().err
    assert "ERROR: api_auht: not an answer of this template; did you mean api_auth?" in error
    assert "The answers: project_name, project_slug," in error
    assert not out.exists(), "a refused bake wrote something"
    assert bake_cli.main(["--output-dir", str(out), "zzz=1"]) == 1
    assert "ERROR: zzz: not an answer of this template\n" in capfd.readouterr().err


def test_make_bake_takes_a_teams_answers_from_its_config_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    team = tmp_path / "team.yaml"
    team.write_text(
        "default_context:\n  kms: aws-managed\n  ci: gitlab\n  dependency_bot: renovate\n  author_email: platform@example.com\n",
        encoding="utf-8",
    )
    out = tmp_path / "baked"
    assert bake_cli.main(["--output-dir", str(out), "--config-file", str(team), "event_source=sqs"]) == 0
    [project] = out.iterdir()
    recorded = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))["context"]["cookiecutter"]
    assert (recorded["kms"], recorded["ci"], recorded["event_source"]) == ("aws-managed", "gitlab", "sqs")
    assert (project / ".gitlab-ci.yml").exists() and (project / "renovate.json").exists()
    assert "ServiceKey" not in (project / "template.yaml").read_text(encoding="utf-8")
    capfd.readouterr()


@pytest.mark.parametrize(
    ("team_file", "refusal"),
    [
        # cookiecutter itself only warns about a default that is not a choice, and bakes the first one.
        ("default_context:\n  kms: customer-manged\n", "ERROR: kms (in {file}): 'customer-manged' is not a choice"),
        ("default_context:\n  kmss: aws-managed\n", "ERROR: kmss (in {file}): not an answer of this template; did you mean kms?"),
        ("default_context:\n  package_name: Not Valid\n", "not baked (with the team defaults of {file})"),
    ],
    ids=["not-a-choice", "unknown-answer", "refused-by-the-hook"],
)
def test_make_bake_refuses_a_broken_team_file_and_names_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], team_file: str, refusal: str
) -> None:
    team = tmp_path / "team.yaml"
    team.write_text(team_file, encoding="utf-8")
    out = tmp_path / "baked"
    assert bake_cli.main(["--output-dir", str(out), "--config-file", str(team)]) == 1
    assert refusal.format(file=team) in capfd.readouterr().err
    assert not out.exists() or not any(out.iterdir()), "a refused bake left something behind"


# The SAM CLI from PyPI, as the README installs it and the baked Makefile pins it.
SAM_CLI = [str(ROOT / ".venv" / "bin" / "uv"), "tool", "run", "--quiet", "--from", "aws-sam-cli==1.170.0", "sam"]


@pytest.mark.slow
def test_sam_init_location_bakes_the_same_tree_as_cookiecutter(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # `sam init --location` runs the cookiecutter that aws-sam-cli bundles, hooks included.
    chosen = {"event_source": "s3", "ci": "gitlab", "kms": "aws-managed"}
    sam = subprocess.run(
        [*SAM_CLI, "init", "--location", str(ROOT), "--no-input", "--output-dir", str(tmp_path / "sam"),
         "--extra-context", json.dumps(chosen)],
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert sam.returncode == 0, sam.stdout + sam.stderr
    assert bake_cli.main(["--output-dir", str(tmp_path / "cookiecutter"), *(f"{k}={v}" for k, v in chosen.items())]) == 0
    capfd.readouterr()
    slug = answers()["project_slug"]
    by_sam, by_cookiecutter = (tree_snapshot(tmp_path / tool / slug) for tool in ("sam", "cookiecutter"))
    assert len(by_sam) > 50
    assert by_sam == by_cookiecutter
