"""Bake the covering set into one folder, to prove that a refactor of the template
changes no baked file:

    python tests/bake_covering_set.py OUT        # before the change (e.g. from a git worktree)
    python tests/bake_covering_set.py OUT2       # after it
    diff -r OUT OUT2                             # must print nothing

The set is test_bake's (every triple of values of any three answers, so every value of
every answer, and each event source with kms, vpc and code_signing both ways), each
baked twice: with the default names and with the longest names the hook accepts.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter
from support import ROOT, bake_set, combination_id

LONGEST_NAMES = {
    "project_slug": "payments-settlement-reconciliation-svc01",
    "package_name": "payments_settlement_reconciliation_svc01",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output_dir", type=Path)
    args = parser.parse_args(argv)
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    # Rendered hook scripts are temporary files that cookiecutter never removes.
    tempfile.tempdir = tempfile.mkdtemp(prefix="covering-set-hooks-")
    bakes = 0
    for combination in bake_set():
        for suffix, names in (("", {}), ("-longest-names", LONGEST_NAMES)):
            target = args.output_dir / (combination_id(combination) + suffix)
            target.mkdir(parents=True, exist_ok=False)
            cookiecutter(
                str(ROOT),
                no_input=True,
                extra_context=combination | names,
                output_dir=str(target),
                default_config=True,
            )
            bakes += 1
    print(f"baked {bakes} projects into {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
