"""`make bake`: bake the template with --no-input into an output directory.

    python tests/bake.py [--output-dir baked] [answer=value ...]

A project baked before under the same slug is replaced, so that no file of an earlier
bake with other answers survives. Refused answers print the hook's ERROR lines and exit 1.
An answer the template does not ask is refused before anything is written: cookiecutter
itself drops it without a word (and bakes the default), so a typo would go unnoticed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from cookiecutter.exceptions import CookiecutterException
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent


def answer(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not answer=value (e.g. event_source=api)")
    return name, value


def unknown_answers(given: dict[str, str]) -> list[str]:
    """ERROR lines for the answers cookiecutter.json does not have (its _private keys are not answers)."""
    known = [name for name in json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8")) if not name.startswith("_")]
    errors = []
    for name in given:
        if name not in known:
            closest = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {closest[0]}?" if closest else ""
            errors.append(f"ERROR: {name}: not an answer of this template{hint}")
    return errors + [f"The answers: {', '.join(known)}"] if errors else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", type=Path, default=Path("baked"))
    parser.add_argument("answers", nargs="*", type=answer, metavar="answer=value")
    args = parser.parse_args(argv)
    errors = unknown_answers(dict(args.answers))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1

    # The hook prints its own ERROR lines; cookiecutter's traceback of the failed hook adds nothing.
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.output_dir, prefix=".baking-") as staging:
        try:
            # default_config: no ~/.cookiecutterrc may change what `make bake` gives.
            baked = Path(
                cookiecutter(
                    str(ROOT),
                    no_input=True,
                    extra_context=dict(args.answers),
                    output_dir=staging,
                    default_config=True,
                )
            )
        except (CookiecutterException, ValueError) as error:  # ValueError: a value that is not a choice
            print(f"make bake: not baked: {error}", file=sys.stderr)
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
