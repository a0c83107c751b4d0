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


def test_help_imports_neither_the_engine_nor_scipy() -> None:
    """``loyalscope --help`` (and the start of every command) loads the command-line modules
    only: pandas, Ibis, DuckDB and SciPy load when a command needs them (they made ``--help``
    take 3.7 s on a 2-core machine; 0.6 s without them)."""
    import subprocess
    import sys

    code = ("import sys; from loyalscope.cli import main; sys.argv = ['loyalscope', '--help']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'ibis', 'duckdb', 'scipy', 'numpy'})\n"
            "print('HEAVY', ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert "Usage" in out and "analyze" in out, out
    assert out.strip().splitlines()[-1] == "HEAVY", out  # nothing heavy
