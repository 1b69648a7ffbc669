"""Bake the combinations of choices that the pre-generation hook accepts, and check the
baked tree: no Jinja left, no variant or option files of answers not chosen, and the
files that must parse do parse.

Which combinations: every triple of values of any three answers appears in at least one
bake (a 3-wise covering set, computed from the hook's tables). Every accepted combination
(TEMPLATE_BAKE_STRENGTH=all) is thousands of bakes, past the suite's time budget."""

from __future__ import annotations

import ast
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.utils import create_env_with_context
from support import (
    ROOT,
    VARIANTS_DIR,
    answers,
    bake_set,
    combination_id,
    covered,
    enabled_combinations,
    load_cloudformation,
    load_yaml,
    raw_context,
    owned_path_cases,
    post_gen_tables,
)

TEMPLATE_DIR = ROOT / "{{cookiecutter.project_slug}}"
POST_GEN = post_gen_tables()

# Jinja that survived the bake. `${{ ... }}` is a GitHub Actions expression,
# `{{{`/`}}}` an f-string brace escape next to a placeholder and `{{resolve:` a CloudFormation
# dynamic reference (cdn=yes: the origin secret), so none of them counts.
LEFTOVERS = [
    re.compile(rb"(?<![${])\{\{(?!\{|resolve:)"),
    re.compile(rb"\{%"),
    re.compile(rb"cookiecutter\.(?:" + "|".join(re.escape(key) for key in raw_context()).encode() + rb")\b"),
]


def leftovers_in(data: bytes) -> list[str]:
    found = []
    for pattern in LEFTOVERS:
        for match in pattern.finditer(data):
            start = data.rfind(b"\n", 0, match.start()) + 1
            end = data.find(b"\n", match.end())
            found.append(data[start : end if end != -1 else len(data)].decode("utf-8", "replace").strip())
    return found


def bake(cookies: Any, combination: dict[str, str]) -> Path:
    result = cookies.bake(extra_context=combination)
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    project: Path = result.project_path
    assert project.name == answers()["project_slug"]
    return project


def function_settings(template: dict[str, Any], key: str) -> list[Any]:
    """The effective value of a function property for every AWS::Serverless::Function."""
    default = template.get("Globals", {}).get("Function", {}).get(key)
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert functions, "template.yaml declares no AWS::Serverless::Function"
    return [function.get("Properties", {}).get(key, default) for function in functions]


def variant_only_paths(chosen_event_source: str, context: dict[str, str]) -> set[str]:
    """Files that only other event sources' variants bring, as rendered relative paths."""

    def files(directory: Path) -> set[str]:
        return {path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()}

    variants = TEMPLATE_DIR / VARIANTS_DIR
    chosen = POST_GEN.overlays(context)  # the event source's folder, then the overlays that refine it
    assert chosen[0] == chosen_event_source
    kept = set().union(*(files(variants / folder) for folder in chosen))
    kept |= {p for p in files(TEMPLATE_DIR) if not p.startswith(f"{VARIANTS_DIR}/")}
    others = set().union(*(files(v) for v in variants.iterdir() if v.name not in chosen)) - kept
    env = create_env_with_context({"cookiecutter": context})
    return {env.from_string(path).render(cookiecutter=context) for path in others}


def test_the_bake_set_covers_every_tuple_of_its_strength() -> None:
    strength = os.environ.get("TEMPLATE_BAKE_STRENGTH", "3")
    if strength == "all":
        assert bake_set() == list(enabled_combinations())
    else:
        assert covered(bake_set(), int(strength)) == covered(enabled_combinations(), int(strength))


@pytest.mark.parametrize("combination", bake_set(), ids=combination_id)
def test_bake(cookies: Any, combination: dict[str, str]) -> None:
    project = bake(cookies, combination)
    context = answers() | combination

    templated = templated_paths(context)
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project).as_posix()
        assert not leftovers_in(relative.encode()), f"Jinja left in a path: {relative}"
        assert VARIANTS_DIR not in path.relative_to(project).parts, f"variant folder left: {relative}"
        if path.is_file():
            data = path.read_bytes()
            assert not leftovers_in(data), f"Jinja left in {relative}: {leftovers_in(data)}"
            if relative in templated:
                check_parses(path, relative, data)

    for relative in POST_GEN.paths_to_delete(context) + sorted(variant_only_paths(context["event_source"], context)):
        assert not (project / relative).exists(), f"{relative} belongs to an answer that was not chosen"

    template = load_cloudformation(project / "template.yaml")
    assert set(function_settings(template, "Runtime")) == {context["python_runtime"]}
    assert function_settings(template, "Architectures") == [[context["architecture"]]] * len(
        function_settings(template, "Architectures")
    )

    check_user_pool(template, context)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == context["project_slug"]


def check_user_pool(template: dict[str, Any], context: dict[str, str]) -> None:
    """A Cognito bake's user pool asks every sign-in for a TOTP code (no SMS), resets passwords
    through the verified email alone, and has threat protection ENFORCED by default, on the
    Plus plan it needs; only UserPoolThreatProtection=OFF puts the pool on the cheaper Lite
    plan. Every other bake has no user pool."""
    pools = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Cognito::UserPool"}
    if context["event_source"] not in ("api", "appsync") or context["api_auth"] != "cognito":
        assert not pools, f"a user pool in a bake without Cognito: {sorted(pools)}"
        assert "UserPoolThreatProtection" not in template.get("Parameters", {})
        return
    assert list(pools) == ["UserPool"]
    pool = pools["UserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON", "MFA must be required (a quoted \"ON\": YAML reads a bare ON as true)"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert "SmsConfiguration" not in pool
    assert pool.get("AccountRecoverySetting") == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}

    parameter = template["Parameters"]["UserPoolThreatProtection"]
    assert parameter["Default"] == "ENFORCED"
    assert set(parameter["AllowedValues"]) == {"ENFORCED", "AUDIT", "OFF"}
    assert pool.get("UserPoolAddOns") == {"AdvancedSecurityMode": {"Ref": "UserPoolThreatProtection"}}
    tier = pool.get("UserPoolTier")
    assert isinstance(tier, dict) and "Fn::If" in tier, f"the feature plan must follow UserPoolThreatProtection: {tier}"
    condition, if_true, if_false = tier["Fn::If"]
    reference, off = template["Conditions"][condition]["Fn::Equals"]
    assert reference == {"Ref": "UserPoolThreatProtection"}
    tiers = {value: if_true if value == off else if_false for value in parameter["AllowedValues"]}
    assert tiers == {"ENFORCED": "PLUS", "AUDIT": "PLUS", "OFF": "LITE"}


JINJA = re.compile(rb"\{\{|\{%")


def templated_paths(context: dict[str, str]) -> set[str]:
    """Baked paths of the files whose template source holds Jinja, so rendering could
    break their format. Files without Jinja are copied as they are (some are meant to be
    invalid, like a truncated sample document for a failure test)."""
    env = create_env_with_context({"cookiecutter": context})
    variants = TEMPLATE_DIR / VARIANTS_DIR
    sources = [
        (TEMPLATE_DIR, path) for path in TEMPLATE_DIR.rglob("*") if variants not in path.parents
    ] + [(variants / context["event_source"], path) for path in (variants / context["event_source"]).rglob("*")]
    return {
        env.from_string(path.relative_to(base).as_posix()).render(cookiecutter=context)
        for base, path in sources
        if path.is_file() and JINJA.search(path.read_bytes())
    }


def check_parses(path: Path, relative: str, data: bytes) -> None:
    """A rendered file whose format we know must still be valid."""
    if path.suffix == ".py":
        ast.parse(data, filename=relative)
    elif path.suffix == ".json" or path.name == ".secrets.baseline":
        json.loads(data)
    elif path.suffix == ".toml" or path.name == "uv.lock":
        tomllib.loads(data.decode("utf-8"))
    elif path.suffix in (".yml", ".yaml"):
        load_yaml(data)


@pytest.mark.parametrize("chosen", owned_path_cases(), ids=combination_id)
def test_the_files_of_each_chosen_value_exist(cookies: Any, chosen: dict[str, str]) -> None:
    # The post-generation hook deletes the paths of the values not chosen; the chosen
    # value's own paths must be there, or choosing it does nothing.
    project = bake(cookies, chosen)
    given = answers() | chosen
    # What a chosen overlay drops (a variant's paths it has no use for) is deleted on purpose.
    dropped = {path for (name, value), (_, paths) in POST_GEN.VARIANT_OVERLAYS.items() if given[name] == value for path in paths}
    # What only another event source's variant brings (api_auth=oidc's authorizer) cannot be there.
    variants = TEMPLATE_DIR / VARIANTS_DIR
    elsewhere = {
        relative
        for owned in POST_GEN.OWNED_PATHS.values()
        for paths in owned.values()
        for relative in paths
        if not (variants / given["event_source"] / relative).exists()
        and any((variant / relative).exists() for variant in variants.iterdir())
    }
    for name, owned in POST_GEN.OWNED_PATHS.items():
        for relative in (path for path in owned[given[name]] if path not in dropped | elsewhere):
            assert (project / relative).exists(), f"{name}={chosen.get(name, answers()[name])} should bring {relative}"
