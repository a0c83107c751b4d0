"""``loyalscope serve``: which folder holds the state, and errors before the server starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.cli.serve_cmd import STATE_SUBDIR, state_for
from loyalscope.errors import ConfigError
from loyalscope.web.state import WebState


def test_output_folder_is_shown_and_state_kept_beside(tmp_path) -> None:
    (tmp_path / "analysis.json").write_text("{}", encoding="utf-8")
    assert state_for(tmp_path) == (tmp_path / STATE_SUBDIR, [tmp_path])
    plain = tmp_path / "state"
    assert state_for(plain) == (plain, [])


def test_bad_language_fails_with_a_fix(tmp_path) -> None:
    result = CliRunner().invoke(app, ["serve", str(tmp_path), "--lang", "fr"])
    assert result.exit_code == 2
    assert "--lang zh" in result.output


def test_folder_without_results_is_refused_when_imported(tmp_path) -> None:
    web = WebState(tmp_path / "state")
    with pytest.raises(ConfigError) as info:
        web.import_output(tmp_path)
    assert "analysis.json" in info.value.message and info.value.fix
