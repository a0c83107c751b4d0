"""Command-line interface: ``loyalscope <command>``.

Each area keeps its commands in its own module here; importing the module registers them on
``app``. Every command that computes takes ``--json``.
"""

from __future__ import annotations

import importlib

from loyalscope.cli.app import app

_COMMAND_MODULES = ("main_cmds", "survey_app", "data_cmds")

for _mod in _COMMAND_MODULES:
    importlib.import_module(f"loyalscope.cli.{_mod}")


def main() -> None:
    """Entry point of the ``loyalscope`` console script."""
    app()


__all__ = ["app", "main"]
