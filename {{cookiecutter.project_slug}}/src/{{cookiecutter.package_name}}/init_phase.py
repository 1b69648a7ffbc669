"""The handler module's import at INIT, without Python's cycle collector.

What that import creates (modules, classes, pydantic's validators, boto3's service models and
clients) lives as long as the execution environment. The cycle collector walks it anyway as it
grows: on Python 3.13 the api's import ran 50 collections over its 120,000 objects, about 33 ms
of the 300 ms of CPU of its INIT, and found some 500 unreachable objects (README, Performance). So on
Lambda the package's import pauses the collector (``__init__``), and the end of each handler
module calls ``finished``: it moves every object the import made to the permanent generation,
which no collection walks (``gc.freeze``; otherwise the first full collection, in some warm
invocation, takes 25 ms to walk them), and resumes the collector for the invocations.

A frozen object is still freed when its last reference goes; only a garbage cycle with a frozen
member stays: the import's some 700 objects, and the clients a SnapStart restore replaces (snapshot.py):
about 180 KB for the api's two, once per restored environment. Off Lambda (tests, tools)
nothing is paused.
"""

from __future__ import annotations

import gc

from .snapshot import on_lambda

PAUSED = on_lambda() and gc.isenabled()
if PAUSED:
    gc.disable()


def finished() -> None:
    """The handler module is imported: freeze what INIT built, then collect cycles again."""
    global PAUSED  # one pause per interpreter, ended by the first handler module's import
    if PAUSED:
        gc.freeze()
        gc.enable()
        PAUSED = False
