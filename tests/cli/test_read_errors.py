"""The one-file commands (``fit --format summary``, ``survey nps / efa / pls``) say why a file
cannot be read, where, and how to fix it. Before: ``fit`` answered every cause with "Cannot read
the data file / check the path", and the survey commands stopped with pandas' traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyalscope.cli import app

runner = CliRunner()
COMMANDS = {
    "fit": ["fit", "bgnbd", "--data"],
    "nps": ["survey", "nps", "--data"],
    "efa": ["survey", "efa", "--data"],
}


def _error(args: list[str]) -> dict:
    res = runner.invoke(app, [*args, "--json"], env={"LOYALSCOPE_LANG": "en"})
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return json.loads(res.stdout)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_line_with_too_many_fields_is_named(tmp_path: Path, command: str) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("x,t_x,T\n1,2,3\n2,3,4\n4,5,6,7\n", encoding="utf-8")
    err = _error([*COMMANDS[command], str(path)])
    assert err["error"] == "SchemaError" and err["file"] == str(path) and err["row"] == 4
    assert "Line 4 has 4 fields where the header has 3" in err["message"] and "quotes" in err["fix"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_empty_file_and_a_fake_workbook_say_so(tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    err = _error([*COMMANDS[command], str(empty)])  # staged as analyze stages a file: its words
    assert err["message"] == "empty.csv is empty (0 bytes)." and "header line and rows" in err["fix"]
    fake = tmp_path / "summary.xlsx"
    fake.write_text("x,t_x,T\n1,2,3\n", encoding="utf-8")  # a CSV named .xlsx
    err = _error([*COMMANDS[command], str(fake)])
    assert "summary.xlsx cannot be opened" in err["message"] and "not what its name says" in err["message"]
    assert "export it again" in err["fix"]


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "summary.csv"
    folder.mkdir()
    err = _error([*COMMANDS["fit"], str(folder)])
    assert "a folder" in err["message"] and err["file"] == str(folder)
