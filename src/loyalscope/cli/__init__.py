"""Command-line interface: ``loyalscope <command>``.

Each area keeps its commands in its own module in this package; every module here (except
``app``) is imported and registers its commands on ``app``. Every command that computes takes
``--json``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import get_type_hints

import typer
from rich.markup import escape
from typer.models import ParameterInfo

from loyalscope.cli.app import app

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "app":
        importlib.import_module(f"{__name__}.{_info.name}")


def _escape_help(group: typer.Typer) -> None:
    """Help texts are plain text: Typer reads them as Rich markup, where ``[engine]`` or
    ``[monitor.notify]`` (a loyalscope.toml section) is a style tag and vanishes from
    ``--help``. Escape the brackets of every option's and argument's help once."""
    infos = [*group.registered_commands]
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _escape_help(sub.typer_instance)
    for info in infos:
        if info.callback is None:
            continue
        hints = get_type_hints(info.callback, include_extras=True)
        for param in inspect.signature(info.callback).parameters.values():
            found = [param.default, *getattr(hints.get(param.name), "__metadata__", ())]
            for item in found:
                if isinstance(item, ParameterInfo) and item.help and "[" in item.help:
                    item.help = escape(item.help)


_escape_help(app)


def main() -> None:
    """Entry point of the ``loyalscope`` console script."""
    app()


__all__ = ["app", "main"]
