"""The ``loyalscope survey ...`` command group (commands live in their own modules)."""

from __future__ import annotations

import typer

from loyalscope.cli.app import app

survey_app = typer.Typer(help="Survey analysis: NPS, CSAT, PLS path models / 问卷分析", no_args_is_help=True)
app.add_typer(survey_app, name="survey")
