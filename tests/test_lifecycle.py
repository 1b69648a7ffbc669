"""A baked service can follow the template: every bake records where it came from, and
cruft moves it from one template commit to the next.

The tests build their own template repository (a copy of this working tree, then a
commit that changes nothing a service sees, then a release that does), bake from its
first commit and update with cruft, all offline.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.utils import create_env_with_context
from support import ROOT, answers, raw_context

TEMPLATE_DIR = ROOT / "{{cookiecutter.project_slug}}"
RECORD = ".cruft.json"
RECORD_TEMPLATE = TEMPLATE_DIR / "{% if cookiecutter._commit is not defined %}.cruft.json{% endif %}"
VERSION = raw_context()["_template_version"]
SEMVER = r"\d+\.\d+\.\d+"
CHANGELOG_RELEASE = re.compile(rf"^## \[({SEMVER})\] - \d{{4}}-\d{{2}}-\d{{2}}$", re.MULTILINE)

# What the fixture's release changes in the baked project: an edit at the end of an
# existing file, a paragraph in the README, and a new rendered file.
RELEASE_TARGET = """
template-version: ## The template release this service is on (from .cruft.json)
\t@python3 -c 'import json; print(json.load(open(".cruft.json"))["context"]["cookiecutter"]["_template_version"])'
"""
RELEASE_README = "\nThe template release this service is on: `make template-version`.\n"
RELEASE_NEW_FILE = "docs/template-release.md"
RELEASE_NEW_FILE_TEXT = "# {{ cookiecutter.project_name }}: template release\n"
# A local change at the other end of the same file, and one on the lines the release edits.
LOCAL_HEADER = "# Owned by the payments team; ask in #payments before changing a target.\n"
LOCAL_TARGET = "\nsmoke: ## Call the deployed endpoint\n\t@echo smoke\n"

# Modules a hook must not use: cruft runs the hooks on every update, offline and in a
# temporary directory, so no network, no subprocess (git init), no other processes.
FORBIDDEN_HOOK_MODULES = {
    "asyncio",
    "ftplib",
    "git",
    "http",
    "httpx",
    "multiprocessing",
    "requests",
    "smtplib",
    "socket",
    "subprocess",
    "urllib",
    "urllib3",
    "webbrowser",
}


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    base: str
    docs_only: str
    release: str
    next_version: str


# --- helpers -------------------------------------------------------------------------


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout)


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = run(["git", *args], cwd, env)
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout.strip()


def cruft(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "cruft", *args], cwd, env)


def cookiecutter(template: str, out: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A plain cookiecutter bake with the default answers, as a person runs it."""
    return run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(out), template, *args], out, env
    )


def commit_all(repo: Path, env: dict[str, str], message: str) -> str:
    git(repo, env, "add", "--all")
    git(repo, env, "commit", "--quiet", "--message", message)
    return git(repo, env, "rev-parse", "HEAD")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def next_minor(version: str) -> str:
    major, minor, _ = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.0"


def copy_working_tree(destination: Path) -> None:
    """The template as it is now: tracked and new files, without what git ignores."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def release(repo: Path, version: str) -> None:
    """What a minor release looks like: a baked Makefile target, a README line, a new
    rendered file, the version in cookiecutter.json and a CHANGELOG section."""
    project = repo / TEMPLATE_DIR.name
    append(project / "Makefile", RELEASE_TARGET)
    append(project / "README.md", RELEASE_README)
    (project / RELEASE_NEW_FILE).parent.mkdir(parents=True, exist_ok=True)
    (project / RELEASE_NEW_FILE).write_text(RELEASE_NEW_FILE_TEXT, encoding="utf-8")
    cookiecutter_json = repo / "cookiecutter.json"
    text, count = re.subn(
        r'("_template_version":\s*)"[^"]*"', rf'\g<1>"{version}"', cookiecutter_json.read_text(encoding="utf-8")
    )
    assert count == 1
    cookiecutter_json.write_text(text, encoding="utf-8")
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text(encoding="utf-8").replace(
            "## [Unreleased]\n", f"## [Unreleased]\n\n## [{version}] - 2030-01-01\n\n- `make template-version`.\n", 1
        ),
        encoding="utf-8",
    )


def changed_paths(project: Path, env: dict[str, str]) -> set[str]:
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], project, env)
    assert status.returncode == 0, status.stderr
    return {line[3:] for line in status.stdout.splitlines()}


def rejects(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.suffix in {".rej", ".orig"} and ".git" not in p.parts]


def record(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / RECORD).read_text(encoding="utf-8"))
    return data


def user_answers(context: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in context["cookiecutter"].items() if not key.startswith("_")}


def render_record(**private: Any) -> tuple[str, str]:
    """The record file's rendered (name, content) for the default answers plus ``private``."""
    context = {"cookiecutter": answers() | {"_template_version": VERSION} | private}
    env = create_env_with_context(context)
    name = env.from_string(RECORD_TEMPLATE.name).render(**context)
    content = env.from_string(RECORD_TEMPLATE.read_text(encoding="utf-8")).render(**context)
    return name, content


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def env(
    subprocess_env: dict[str, str], cookiecutter_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """git and cookiecutter configured by the test alone, whatever the machine's setup."""
    gitconfig = tmp_path_factory.mktemp("git-home") / "gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgSign = false\n[tag]\n\tgpgSign = false\n"
        "[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    return subprocess_env | {
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Template Test",
        "GIT_AUTHOR_EMAIL": "template-test@example.com",
        "GIT_COMMITTER_NAME": "Template Test",
        "GIT_COMMITTER_EMAIL": "template-test@example.com",
        "COOKIECUTTER_CONFIG": str(cookiecutter_config),
    }


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> TemplateRepo:
    """base (tagged v<VERSION>) -> docs_only (template repository files only) -> release
    (tagged v<next>). "git" in the folder name lets plain cookiecutter clone a file:// URL."""
    path = tmp_path_factory.mktemp("lifecycle") / "template.git"
    path.mkdir()
    copy_working_tree(path)
    git(path, env, "init", "--quiet")
    base = commit_all(path, env, "The template as it is now")
    git(path, env, "tag", "--annotate", f"v{VERSION}", "--message", VERSION)
    append(path / "CHANGELOG.md", "\n<!-- A template repository change that no service sees. -->\n")
    docs_only = commit_all(path, env, "Template repository docs only")
    next_version = next_minor(VERSION)
    release(path, next_version)
    release_sha = commit_all(path, env, f"Release {next_version}")
    git(path, env, "tag", "--annotate", f"v{next_version}", "--message", next_version)
    return TemplateRepo(path, base, docs_only, release_sha, next_version)


def cruft_create(repo: TemplateRepo, out: Path, env: dict[str, str], commit: str) -> Path:
    """``cruft create`` at ``commit``, then the project committed as its team would."""
    created = cruft(out, env, "create", str(repo.path), "--checkout", commit, "--no-input", "--output-dir", str(out))
    assert created.returncode == 0, created.stdout + created.stderr
    project = out / answers()["project_slug"]
    git(project, env, "init", "--quiet")
    commit_all(project, env, "Baked from the template")
    return project


def cruft_update(project: Path, env: dict[str, str], checkout: str) -> subprocess.CompletedProcess[str]:
    return cruft(project, env, "update", "--checkout", checkout, "--skip-apply-ask")


# --- what a bake records ---------------------------------------------------------------


def test_a_plain_bake_records_source_release_and_answers(tmp_path: Path, env: dict[str, str]) -> None:
    baked = cookiecutter(str(ROOT), tmp_path, env)
    assert baked.returncode == 0, baked.stdout + baked.stderr
    state = record(tmp_path / answers()["project_slug"])
    assert state["template"] == str(ROOT)
    assert state["commit"] == f"v{VERSION}^{{commit}}"
    assert state["directory"] is None
    assert user_answers(state["context"]) == answers()
    assert state["context"]["cookiecutter"]["_template_version"] == VERSION


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("gh:acme/sam-template", "https://github.com/acme/sam-template.git"),
        ("gl:acme/sam-template", "https://gitlab.com/acme/sam-template.git"),
        ("bb:acme/sam-template", "https://bitbucket.org/acme/sam-template"),
        ("git+https://git.example.com/acme/sam-template.git", "https://git.example.com/acme/sam-template.git"),
        ("https://github.com/acme/sam-template.git", "https://github.com/acme/sam-template.git"),
        ("git@github.com:acme/sam-template.git", "git@github.com:acme/sam-template.git"),
        ("/srv/templates/sam-template", "/srv/templates/sam-template"),
    ],
    ids=["gh", "gl", "bb", "git+https", "https", "ssh", "local-path"],
)
def test_the_record_names_the_source_as_git_reads_it(typed: str, recorded: str) -> None:
    name, content = render_record(_template=typed, _checkout="v9.9.9")
    assert name == RECORD
    state = json.loads(content)
    assert state["template"] == state["context"]["cookiecutter"]["_template"] == recorded
    assert state["checkout"] == "v9.9.9"


def test_cruft_renders_no_record_and_writes_its_own() -> None:
    """cruft sets _commit whenever it renders: no rendered record then, so an update never
    diffs one, and `cruft create` writes the record with the exact commit."""
    name, _ = render_record(_template="https://example.com/t.git", _commit="0" * 40)
    assert name == ""


def test_cruft_create_records_the_commit_and_a_fresh_render_matches_the_project(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """`cruft diff` renders the recorded commit again, hooks included, and compares it with
    the project: nothing differs, so the hooks give the same tree on every run."""
    project = cruft_create(template_repo, tmp_path, env, template_repo.base)
    state = record(project)
    assert state["template"] == str(template_repo.path)
    assert state["commit"] == template_repo.base
    assert user_answers(state["context"]) == answers()
    assert state["context"]["cookiecutter"]["_template_version"] == VERSION
    diff = cruft(project, env, "diff", "--exit-code")
    assert diff.returncode == 0, diff.stdout + diff.stderr
    behind = cruft(project, env, "check")
    assert behind.returncode == 1
    assert "out of date" in behind.stdout
    pinned = cruft(project, env, "check", "--checkout", template_repo.base)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr


# --- hooks: deterministic and without side effects ---------------------------------------


@pytest.mark.parametrize("hook", sorted(path.name for path in (ROOT / "hooks").glob("*.py")))
def test_hooks_import_nothing_that_reaches_outside(hook: str) -> None:
    tree = ast.parse((ROOT / "hooks" / hook).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name.split(".")[0] for name in imported} & FORBIDDEN_HOOK_MODULES


def test_an_update_that_changes_no_baked_file_changes_only_the_record(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """cruft runs the hooks again for both commits: nothing but the record may change."""
    project = cruft_create(template_repo, tmp_path, env, template_repo.base)
    updated = cruft_update(project, env, template_repo.docs_only)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert changed_paths(project, env) == {RECORD}
    assert record(project)["commit"] == template_repo.docs_only


def test_rebaking_over_a_repository_keeps_it_and_changes_nothing(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """`cookiecutter -f` runs the post-generation hook inside an existing repository."""
    template = str(template_repo.path)  # a snapshot: the same template for both bakes
    assert cookiecutter(template, tmp_path, env).returncode == 0
    project = tmp_path / answers()["project_slug"]
    git(project, env, "init", "--quiet")
    commit_all(project, env, "Baked from the template")
    git(project, env, "gc", "--quiet")  # packs the refs: .git/refs/heads is empty now
    rebaked = cookiecutter(template, tmp_path, env, "--overwrite-if-exists")
    assert rebaked.returncode == 0, rebaked.stdout + rebaked.stderr
    assert changed_paths(project, env) == set()


# --- updates ---------------------------------------------------------------------------


@pytest.mark.slow
def test_an_untouched_project_updates_cleanly_and_passes_make_check(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str], uv: str
) -> None:
    project = cruft_create(template_repo, tmp_path, env, template_repo.base)
    updated = cruft_update(project, env, template_repo.release)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "conflict" not in (updated.stdout + updated.stderr).lower()
    assert rejects(project) == []
    assert changed_paths(project, env) == {RECORD, "Makefile", "README.md", RELEASE_NEW_FILE}
    assert (project / "Makefile").read_text(encoding="utf-8").endswith(RELEASE_TARGET)
    rendered = RELEASE_NEW_FILE_TEXT.replace("{{ cookiecutter.project_name }}", answers()["project_name"])
    assert (project / RELEASE_NEW_FILE).read_text(encoding="utf-8") == rendered
    state = record(project)
    assert state["commit"] == template_repo.release
    assert state["context"]["cookiecutter"]["_template_version"] == template_repo.next_version
    assert user_answers(state["context"]) == answers()
    up_to_date = cruft(project, env, "check")
    assert up_to_date.returncode == 0, up_to_date.stdout + up_to_date.stderr
    version = run(["make", "template-version"], project, env)
    assert version.stdout.strip() == template_repo.next_version
    checked = run(["make", "check", f"UV={uv}"], project, env, timeout=1200)
    assert checked.returncode == 0, checked.stdout[-6000:] + checked.stderr[-6000:]


def test_a_local_change_elsewhere_in_the_file_merges_cleanly(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    project = cruft_create(template_repo, tmp_path, env, template_repo.base)
    makefile = project / "Makefile"
    makefile.write_text(LOCAL_HEADER + makefile.read_text(encoding="utf-8"), encoding="utf-8")
    commit_all(project, env, "Name the owners")
    updated = cruft_update(project, env, template_repo.release)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "conflict" not in (updated.stdout + updated.stderr).lower()
    assert rejects(project) == []
    assert git(project, env, "diff", "--name-only", "--diff-filter=U") == ""
    text = makefile.read_text(encoding="utf-8")
    assert text.startswith(LOCAL_HEADER)
    assert text.endswith(RELEASE_TARGET)


def test_a_local_change_to_the_same_lines_is_reported_as_a_conflict(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """git's three-way merge: conflict markers in the file, the path unmerged in git (so
    it cannot be committed as is), the rest of the update applied, no .rej files."""
    project = cruft_create(template_repo, tmp_path, env, template_repo.base)
    append(project / "Makefile", LOCAL_TARGET)
    commit_all(project, env, "A smoke target")
    updated = cruft_update(project, env, template_repo.release)
    output = updated.stdout + updated.stderr
    assert "Makefile" in output, output
    assert "conflict" in output.lower(), output
    assert git(project, env, "diff", "--name-only", "--diff-filter=U") == "Makefile"
    text = (project / "Makefile").read_text(encoding="utf-8")
    assert "<<<<<<<" in text
    assert ">>>>>>>" in text
    assert LOCAL_TARGET.strip() in text
    assert RELEASE_TARGET.strip().splitlines()[0] in text
    assert (project / RELEASE_NEW_FILE).is_file()
    assert rejects(project) == []


def test_a_plain_bake_from_a_release_moves_to_the_next_release(
    template_repo: TemplateRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    """`cookiecutter <url> --checkout vX.Y.Z` records the tag; cruft takes it from there."""
    url = template_repo.path.as_uri()
    baked = cookiecutter(url, tmp_path, env, "--checkout", f"v{VERSION}")
    assert baked.returncode == 0, baked.stdout + baked.stderr
    project = tmp_path / answers()["project_slug"]
    state = record(project)
    assert (state["template"], state["commit"], state["checkout"]) == (url, f"v{VERSION}^{{commit}}", f"v{VERSION}")
    git(project, env, "init", "--quiet")
    commit_all(project, env, "Baked from the template")
    diff = cruft(project, env, "diff", "--exit-code")
    assert diff.returncode == 0, diff.stdout + diff.stderr
    updated = cruft_update(project, env, f"v{template_repo.next_version}")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert rejects(project) == []
    assert changed_paths(project, env) == {RECORD, "Makefile", "README.md", RELEASE_NEW_FILE}
    state = record(project)
    assert (state["commit"], state["checkout"]) == (template_repo.release, f"v{template_repo.next_version}")


# --- releases --------------------------------------------------------------------------


def test_the_newest_changelog_release_is_the_template_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = CHANGELOG_RELEASE.findall(changelog)
    assert versions, "CHANGELOG.md names no release as '## [X.Y.Z] - YYYY-MM-DD'"
    assert versions[0] == VERSION
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{VERSION}]")
    as_numbers = [tuple(int(part) for part in version.split(".")) for version in versions]
    assert as_numbers == sorted(set(as_numbers), reverse=True), "releases must be newest first and unique"


def test_the_template_version_is_semantic() -> None:
    assert re.fullmatch(SEMVER, VERSION)
