"""Command-line interface: ``loyalscope <command>``.

Each area keeps its commands in its own module in this package; every module here (except
``app``) is imported and registers its commands on ``app``. Every command that computes takes
``--json``.
"""

from __future__ import annotations

import importlib
import pkgutil

from loyalscope.cli.app import app

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "app":
        importlib.import_module(f"{__name__}.{_info.name}")


def main() -> None:
    """Entry point of the ``loyalscope`` console script."""
    app()


__all__ = ["app", "main"]
