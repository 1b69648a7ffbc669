"""Run detect-secrets over every project file against the reviewed baseline (.secrets.baseline).

Works with or without git: a freshly baked project is not a repository yet. A finding that is
a false positive is reviewed with `detect-secrets audit .secrets.baseline`, or marked inline
with `# pragma: allowlist secret`.
"""

from __future__ import annotations

import subprocess  # nosec B404 - runs git and detect-secrets with fixed arguments, no shell
import sys
from pathlib import Path

SKIPPED_DIRS = {".git", ".venv", "build", ".aws-sam", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}
SKIPPED_FILES = {".secrets.baseline", "uv.lock"}  # the lock holds hashes, not secrets


def project_files(root: Path) -> list[str]:
    listed = subprocess.run(  # nosec B603 B607 - fixed command
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode == 0 and listed.stdout.strip():
        candidates = [root / line for line in listed.stdout.splitlines()]
    else:
        candidates = [path for path in root.rglob("*") if not SKIPPED_DIRS.intersection(path.relative_to(root).parts)]
    return sorted(
        str(path.relative_to(root)) for path in candidates if path.is_file() and path.name not in SKIPPED_FILES
    )


def main() -> int:
    root = Path.cwd()
    files = project_files(root)
    command = [sys.executable, "-m", "detect_secrets.pre_commit_hook", "--baseline", ".secrets.baseline", *files]
    result = subprocess.run(command, cwd=root, check=False)  # nosec B603 - fixed command, files as data
    if result.returncode == 0:
        print(f"detect-secrets: no new secrets in {len(files)} files")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
