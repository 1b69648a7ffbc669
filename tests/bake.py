"""`make bake`: bake the template with --no-input into an output directory.

    python tests/bake.py [--output-dir baked] [--config-file team.yaml] [answer=value ...]

A project baked before under the same slug is replaced, so that no file of an earlier
bake with other answers survives. Refused answers print the hook's ERROR lines and exit 1.
An answer the template does not ask is refused before anything is written: cookiecutter
itself drops it without a word (and bakes the default), so a typo would go unnoticed.

``--config-file`` takes a cookiecutter user config whose ``default_context`` holds a team's
answers (README, "Team defaults"): each of them is checked like a typed one, and a refusal
names the file. Answers given on the command line win over the file's.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from cookiecutter.config import get_config
from cookiecutter.exceptions import CookiecutterException
from cookiecutter.main import cookiecutter
from support import choice_options, raw_context

ROOT = Path(__file__).resolve().parent.parent


def answer(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not answer=value (e.g. event_source=api)")
    return name, value


def unknown_answers(given: dict[str, str], where: str = "") -> list[str]:
    """ERROR lines for the answers cookiecutter.json does not have (its _private keys are not
    answers); ``where`` names the file they came from, if any."""
    known = [name for name in raw_context() if not name.startswith("_")]
    errors = []
    for name in given:
        if name not in known:
            closest = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {closest[0]}?" if closest else ""
            errors.append(f"ERROR: {name}{where}: not an answer of this template{hint}")
    return errors + [f"The answers: {', '.join(known)}"] if errors else []


def invalid_choices(given: dict[str, str], where: str) -> list[str]:
    """ERROR lines for values that are not among an answer's choices. cookiecutter only warns
    about such a default and bakes the first choice instead, so it must be refused here."""
    choices = choice_options()
    return [
        f"ERROR: {name}{where}: {value!r} is not a choice; choose one of {', '.join(choices[name])}"
        for name, value in given.items()
        if name in choices and value not in choices[name]
    ]


def team_answers(config_file: Path | None) -> dict[str, str]:
    """The default_context of a cookiecutter user config (empty without one)."""
    if config_file is None:
        return {}
    answers: dict[str, str] = get_config(config_file).get("default_context") or {}
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", type=Path, default=Path("baked"))
    parser.add_argument("--config-file", type=Path, help="a cookiecutter config whose default_context holds a team's answers")
    parser.add_argument("answers", nargs="*", type=answer, metavar="answer=value")
    args = parser.parse_args(argv)
    try:
        team = team_answers(args.config_file)
    except CookiecutterException as error:  # missing or not YAML
        print(f"make bake: not baked: {error}", file=sys.stderr)
        return 1
    where = f" (in {args.config_file})"
    errors = invalid_choices(team, where) + unknown_answers(team, where) + unknown_answers(dict(args.answers))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1

    # The hook prints its own ERROR lines; cookiecutter's traceback of the failed hook adds nothing.
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.output_dir, prefix=".baking-") as staging:
        try:
            # Only the given config: no ~/.cookiecutterrc may change what `make bake` gives.
            baked = Path(
                cookiecutter(
                    str(ROOT),
                    no_input=True,
                    extra_context=dict(args.answers),
                    output_dir=staging,
                    config_file=str(args.config_file) if args.config_file else None,
                    default_config=args.config_file is None,
                )
            )
        except (CookiecutterException, ValueError) as error:  # ValueError: a value that is not a choice
            source = f" (with the team defaults of {args.config_file})" if args.config_file else ""
            print(f"make bake: not baked{source}: {error}", file=sys.stderr)
            return 1
        target = args.output_dir / baked.name
        replaced = target.exists()
        if replaced:
            shutil.rmtree(target)
        baked.rename(target)
    print(f"Baked {'(replacing the earlier bake) ' if replaced else ''}into {target.resolve()}")
    print(f"Next: cd {target} && make help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
