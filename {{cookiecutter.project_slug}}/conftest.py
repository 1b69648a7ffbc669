"""Hypothesis profiles, loaded before any test module builds its settings.

``ci`` (the default, used by ``make test`` and ``make check``) is derandomized: the same code
always meets the same examples, so a pull request never fails on a draw it did not cause.
``fuzz`` (``make fuzz``) draws fresh examples, many more of them, to find what ``ci`` misses;
a failure prints the ``@reproduce_failure`` blob to pin it as a regression test.
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=50, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("fuzz", max_examples=2_000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
