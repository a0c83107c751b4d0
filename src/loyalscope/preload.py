"""The analysis' numerical libraries imported in a background thread while the load runs.

``loyalscope analyze`` spends most of its load in the engine, whose queries leave the
interpreter free; SciPy's statistics and optimisers, which the report's sections import on
first use, take about a second to import (1.2-1.6 s on a 2-core machine). Importing them beside
the load's queries instead of in the middle of the first section that needs them takes that
second off the run. The command-line interface itself no longer imports them at its start
(``loyalscope --help`` 3.7 -> 0.6 s on the same machine).

Only third-party packages that never import Loyalscope are imported here, so that the two
threads never wait on each other's half-imported modules (Python's per-module import locks
would otherwise report a deadlock in one of them).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence

NUMERICS: tuple[str, ...] = ("scipy.special", "scipy.stats", "scipy.optimize", "scipy.linalg")
"""The packages the report's models and tests import: the SciPy modules named in ``models``,
``monitoring``, ``sections`` and ``strategy``."""


def in_background(modules: Sequence[str] = NUMERICS) -> threading.Thread:
    """Import ``modules`` in a daemon thread and return it (started).

    Parameters
    ----------
    modules : sequence of str
        Module names, each imported with :func:`importlib.import_module`, in order. They must
        not import Loyalscope (see the module's docstring).

    Returns
    -------
    threading.Thread
        The started thread; joining it is optional (a module the main thread imports while the
        thread is importing it waits for that import, as for any import in Python).

    Notes
    -----
    An import that fails here is left alone: the section that needs the module imports it
    again and raises there, with its own traceback and the section's message.
    """

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the section that needs it imports it again and raises there
                continue

    thread = threading.Thread(target=run, name="loyalscope-preload", daemon=True)
    thread.start()
    return thread
