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


def test_no_auth_is_refused_off_loopback(tmp_path) -> None:
    result = CliRunner().invoke(app, ["serve", str(tmp_path), "--no-auth", "--host", "0.0.0.0",
                                      "--lang", "en"])
    assert result.exit_code == 2
    assert "--no-auth is only allowed on a loopback host" in result.output


def test_bad_data_root_and_config_fail_before_serving(tmp_path) -> None:
    result = CliRunner().invoke(app, ["serve", str(tmp_path), "--data-root", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "nope" in result.output
    config = tmp_path / "web.toml"
    config.write_text('[web.connections]\nwh = "postgresql://u:${NOT_SET_ANYWHERE}@h/db"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", str(tmp_path), "--config", str(config), "--lang", "en"])
    assert result.exit_code == 2 and "NOT_SET_ANYWHERE" in result.output


def test_users_are_added_listed_and_removed_with_hashed_passwords(tmp_path, monkeypatch) -> None:
    import sqlite3

    monkeypatch.setenv("LOYALSCOPE_PASSWORD", "s3cret-password")
    run = CliRunner().invoke
    assert run(app, ["user", "add", "li.wei", "--role", "analyst", "--dir", str(tmp_path)]).exit_code == 0
    listed = run(app, ["user", "list", "--dir", str(tmp_path)])
    assert listed.exit_code == 0 and "li.wei\tanalyst" in listed.output
    stored = sqlite3.connect(tmp_path / "loyalscope-web.db").execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "s3cret-password" not in stored
    assert run(app, ["user", "add", "x", "--role", "boss", "--dir", str(tmp_path)]).exit_code == 2
    assert run(app, ["user", "remove", "li.wei", "--dir", str(tmp_path)]).exit_code == 0
    assert run(app, ["user", "remove", "li.wei", "--dir", str(tmp_path)]).exit_code == 2
