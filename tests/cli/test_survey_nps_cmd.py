"""``loyalscope survey nps`` end to end with Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.models.survey.nps import NPS

runner = CliRunner()


@pytest.fixture
def answers() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame({"id": range(120), "likely": rng.integers(0, 11, 120)})


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_json_output(tmp_path: Path, answers: pd.DataFrame, suffix: str) -> None:
    path = tmp_path / f"answers{suffix}"
    {".csv": answers.to_csv, ".parquet": answers.to_parquet, ".xlsx": answers.to_excel}[suffix](path, index=False)
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--column", "likely", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    x = answers["likely"]
    assert out["n"] == 120
    assert out["promoters"] == int((x >= 9).sum())
    assert out["detractors"] == int((x <= 6).sum())
    assert out["passives"] == 120 - out["promoters"] - out["detractors"]
    assert out["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
    expected = NPS(seed=0).fit(x.to_numpy()).intervals_
    for method in ("normal", "bootstrap", "bayes"):
        assert out["intervals"][method] == pytest.approx(list(expected[method]))
        assert out["intervals"][method][0] < out["nps"] < out["intervals"][method][1]


def test_text_output(tmp_path: Path, answers: pd.DataFrame) -> None:
    path = tmp_path / "a.csv"
    answers.to_csv(path, index=False)
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--column", "likely"])
    assert res.exit_code == 0, res.output
    assert "NPS" in res.stdout or "净推荐值" in res.stdout


def test_errors_as_json(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    pd.DataFrame({"nps": [9, 12, 3]}).to_csv(path, index=False)
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"] == "SchemaError"
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--column", "x", "--json"])
    err = json.loads(res.stdout)
    assert err["column"] == "x" and "nps" in err["fix"]
    res = runner.invoke(app, ["survey", "nps", "--data", str(tmp_path / "none.csv"), "--json"])
    assert json.loads(res.stdout)["error"] == "ConfigError"


def _gbk_nps(tmp_path: Path, text: str) -> dict:
    """``survey nps --column 推荐意愿`` on ``text`` written in GBK: answers 10, 6, 8, 9."""
    path = tmp_path / "问卷.csv"
    path.write_bytes(text.encode("gbk"))
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--column", "推荐意愿", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["n"], out["promoters"], out["passives"], out["detractors"]) == (4, 2, 1, 1)
    assert out["nps"] == pytest.approx(25.0)
    return out


def test_gbk_csv_with_chinese_header(tmp_path: Path) -> None:
    _gbk_nps(tmp_path, "客户;推荐意愿\n甲;10\n乙;6\n丙;8\n丁;9\n")


def test_config_names_the_column_and_min_n(tmp_path: Path, answers: pd.DataFrame) -> None:
    path = tmp_path / "a.csv"
    answers.rename(columns={"likely": "推荐意愿"}).to_csv(path, index=False)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[mapping.surveys]\nnps = "推荐意愿"\n[survey]\nmin_n = 500\n', encoding="utf-8")
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--json", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    x = answers["likely"]
    assert out["n"] == 120 and out["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
    assert out["small_sample"]  # 120 answers < min_n = 500 from the config
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--json"])
    assert res.exit_code != 0  # without the mapping there is no "nps" column


@pytest.mark.parametrize("header", ["NPS", "推荐值", "Likelihood to recommend"])
def test_the_nps_column_is_found_by_its_spellings(tmp_path: Path, header: str) -> None:
    """An NPS export's column is "NPS" (github.com/Analyst-Aslam/Customer-NPS-Insights: ID,
    Market, Survey date, Customer Name, Month, Quarter, NPS), not "nps": the command asked for
    --column. It finds the spellings the loader knows, and says which column it read."""
    rng = np.random.default_rng(8)
    x = rng.integers(0, 11, 300)
    frame = pd.DataFrame({"ID": range(1000, 1300), "Market": "US", "Survey date": "01/09/2021",
                          "Customer Name": [f"n{i}" for i in range(300)], header: x})
    path = tmp_path / "NPS_timeseries_data.csv"
    frame.to_csv(path, index=False)
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["column"] == header and out["n"] == 300
    assert out["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
    res = runner.invoke(app, ["survey", "nps", "--data", str(path)], env={"LOYALSCOPE_LANG": "en"})
    assert f"Column '{header}' read as nps." in res.stdout


def test_a_header_wrapped_over_lines_names_its_column(tmp_path: Path) -> None:
    """A GBK export whose header cells hold line breaks (Alt+Enter in Excel): the command read
    line 1 only (``"推荐``) and found no column; now the header is the first record, and a bad
    line is named by its line in the file."""
    out = _gbk_nps(tmp_path, '客户,"推荐\n意愿"\n甲,10\n乙,6\n丙,8\n丁,9\n')
    assert out["column"] == "推荐意愿"
    path = tmp_path / "问卷.csv"
    path.write_bytes('客户,"推荐\n意愿"\n甲,10\n乙,6,7\n'.encode("gbk"))
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--column", "推荐意愿", "--json"],
                        env={"LOYALSCOPE_LANG": "en"})
    err = json.loads(res.stdout)
    assert res.exit_code == 2 and err["row"] == 4 and "Line 4 has 3 fields" in err["message"]


def test_a_real_export_named_by_its_header_in_the_mapping() -> None:
    """Sudzilla's Google Forms export (tests/data/real/sudzilla, its loyalscope.toml maps the 0-10
    question to csat): asked for by its header, the column was "not in the data" (the mapping had
    renamed it); NPS of those answers equals pandas on the file."""
    folder = Path(__file__).parents[1] / "data" / "real" / "sudzilla"
    question = "On a scale of 0-10, how would you rate Sudzilla?"
    res = runner.invoke(app, ["survey", "nps", "--data", str(folder / "sudzilla_survey.csv"),
                              "--column", question, "--json", "--config", str(folder / "loyalscope.toml")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    x = pd.to_numeric(pd.read_csv(folder / "sudzilla_survey.csv")[question], errors="coerce").dropna()
    assert out["n"] == len(x) and out["promoters"] == (x >= 9).sum() and out["detractors"] == (x <= 6).sum()
    assert out["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
