"""``--help`` shows every option's help whole: Typer reads help as Rich markup, where a
loyalscope.toml section such as ``[engine]`` is a style tag and used to vanish."""

from __future__ import annotations

import re

import click
import typer
from typer.testing import CliRunner

from loyalscope.cli import app


def _commands(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = [(path, cmd)]
    for name, sub in getattr(cmd, "commands", {}).items():
        out += _commands(sub, (*path, name))
    return out


def test_bracketed_words_of_every_help_text_are_shown() -> None:
    runner = CliRunner()
    checked = 0
    for path, cmd in _commands(typer.main.get_command(app)):
        words = {w for p in cmd.params for w in re.findall(r"\[[a-z_.]+\]", getattr(p, "help", None) or "")}
        if not words:
            continue
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        text = re.sub(r"\s+", " ", res.output.replace("│", " "))
        for w in words:
            assert w in text, f"loyalscope {' '.join(path)} --help lost {w}"
            checked += 1
    assert checked >= 3  # [engine] twice (analyze), [monitor.notify]
