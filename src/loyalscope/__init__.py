"""Loyalscope: customer-loyalty analytics.

>>> import loyalscope as ls
>>> ds = ls.load("path/to/folder")           # doctest: +SKIP
>>> analysis = ls.analyze(ds)                # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "connect", "load"]


def __getattr__(name: str) -> Any:  # lazy, so `import loyalscope` stays fast
    if name == "connect":
        from loyalscope.engine import connect

        return connect
    if name == "load":
        from loyalscope.data.load import load

        return load
    if name == "analyze":
        from loyalscope.analysis import analyze

        return analyze
    raise AttributeError(name)
