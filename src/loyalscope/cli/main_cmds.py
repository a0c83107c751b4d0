"""Top-level commands: ``version`` (``demo`` and ``analyze`` join when the report lands)."""

from __future__ import annotations

import typer

from loyalscope import __version__
from loyalscope.cli.app import app, emit_json


@app.command()
def version(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the Loyalscope version."""
    if as_json:
        emit_json({"version": __version__})
    else:
        typer.echo(__version__)
