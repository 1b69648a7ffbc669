"""Keep the files of the chosen answers and delete the rest.

One declarative table decides everything. The hook does no network access and no
``git init``, and running it twice gives the same tree, because cruft re-runs hooks on
every template update.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ANSWERS: dict[str, str] = json.loads(
    r"""{{ {
        "event_source": cookiecutter.event_source,
        "api_auth": cookiecutter.api_auth,
        "package_name": cookiecutter.package_name,
        "dependency_bot": cookiecutter.dependency_bot,
        "ci": cookiecutter.ci,
        "stream_delivery": cookiecutter.stream_delivery,
        "cdn": cookiecutter.cdn,
        "waf": cookiecutter.waf,
    } | tojson }}"""
)

# Every event source brings its whole files from this folder, overlaid on the project root.
VARIANTS_DIR = "_variants"

# The service package: the shared handler modules that only some event sources use live here.
PACKAGE = f"src/{ANSWERS['package_name']}"
# Shared modules of the common tree that only some event sources use, by what they serve.
IDEMPOTENCY = ["tests/support/idempotency.py", f"{PACKAGE}/idempotency.py"]
ASYNC_INVOCATIONS = ["tests/support/async_invocations.py", f"{PACKAGE}/async_invocation.py"]
BATCHES = ["tests/support/batches.py", f"{PACKAGE}/batch.py"]
ITEMS = [f"{PACKAGE}/items.py"]  # the inventory items of the APIs
# The Lambda authorizer of api_auth=oidc, with its own package (the api variant brings it).
OIDC_AUTHORIZER = [
    "authorizer",
    "events/authorizer_token.json",
    "tests/support/identity_provider.py",
    "tests/unit/test_authorizer.py",
    "tests/unit/test_authorizer_keys.py",
    "tests/unit/test_authorizer_properties.py",
]

# answer -> value -> paths that this value keeps. Paths owned only by values that were not
# chosen are deleted; a path that any chosen value keeps stays.
OWNED_PATHS: dict[str, dict[str, list[str]]] = {
    "event_source": {
        "api": IDEMPOTENCY + ITEMS,
        "s3": IDEMPOTENCY + ASYNC_INVOCATIONS,
        "eventbridge": IDEMPOTENCY + ASYNC_INVOCATIONS,
        "sqs": IDEMPOTENCY + BATCHES,
        "dynamodb": IDEMPOTENCY + BATCHES,
        "appsync": IDEMPOTENCY + ITEMS,
    },
    "api_auth": {
        "cognito": [],
        "iam": [],
        "oidc": OIDC_AUTHORIZER,  # appsync's OIDC is AppSync's own: no function, no files
    },
    "stream_delivery": {
        "lambda": [],
        "eventbridge": ASYNC_INVOCATIONS,  # the function is invoked asynchronously, by a rule
    },
    "ci": {
        "github": [".github/workflows", "pipeline"],
        "gitlab": [".gitlab-ci.yml", "pipeline"],
        "none": [],
    },
    "dependency_bot": {
        "dependabot": [".github/dependabot.yml"],
        "renovate": ["renovate.json"],
    },
}

# Paths that only a combination of answers keeps: deleted unless every (answer, value) holds.
COMBINED_PATHS: dict[str, list[tuple[str, str]]] = {
    "edge": [("cdn", "yes"), ("waf", "yes")],  # the us-east-1 web ACL of the CloudFront distribution
}

# (answer, value) -> a folder of _variants/ overlaid after the event source's (whole files it
# replaces or adds), and the event source's paths it has no use for.
VARIANT_OVERLAYS: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("stream_delivery", "eventbridge"): (
        "dynamodb-eventbridge",
        # The stream batches as Lambda delivers them, which a rule-invoked function never sees.
        BATCHES
        + [
            "events/stock_batch_mixed.json",
            "events/stock_dropped_below_reorder_level.json",
            "events/stock_invalid_image.json",
            "events/on_failure_destination_message.json",
            "tests/unit/test_restock.py",
            "tests/unit/test_restock_properties.py",
            "tests/unit/test_idempotency.py",
            "tests/unit/test_stream_source.py",
        ],
    ),
}


def overlays(answers: dict[str, str]) -> list[str]:
    """The event source's folder, then the folders of the other chosen values that refine it."""
    chosen = [overlay for (name, value), overlay in VARIANT_OVERLAYS.items() if answers[name] == value]
    return [answers["event_source"], *(folder for folder, _ in chosen)]


def overlay_variant(root: Path, *chosen_folders: str) -> None:
    variants = root / VARIANTS_DIR
    if not variants.is_dir():
        return
    for folder in chosen_folders:
        chosen = variants / folder
        for source in sorted(path for path in chosen.rglob("*") if path.is_file()):
            target = root / source.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
    shutil.rmtree(variants)


def paths_to_delete(answers: dict[str, str]) -> list[str]:
    kept = {path for name, owned in OWNED_PATHS.items() for path in owned[answers[name]]}
    doomed = []
    for name, owned in OWNED_PATHS.items():
        doomed += [path for value, paths in owned.items() if value != answers[name] for path in paths if path not in kept]
    doomed += [path for (name, value), (_, dropped) in VARIANT_OVERLAYS.items() if answers[name] == value for path in dropped]
    doomed += [path for path, needs in COMBINED_PATHS.items() if not all(answers[name] == value for name, value in needs)]
    return list(dict.fromkeys(doomed))


def delete(root: Path, relative: str) -> None:
    path = root / relative
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def remove_empty_dirs(root: Path) -> None:
    # Never inside .git: `cookiecutter -f` over an existing repository runs this hook
    # there, and git needs its empty refs/ folders.
    directories = (p for p in root.rglob("*") if p.is_dir() and ".git" not in p.relative_to(root).parts)
    for directory in sorted(directories, key=lambda p: len(p.parts), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def main(root: Path) -> int:
    overlay_variant(root, *overlays(ANSWERS))
    for relative in paths_to_delete(ANSWERS):
        delete(root, relative)
    remove_empty_dirs(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd()))
