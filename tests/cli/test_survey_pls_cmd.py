"""``loyalscope survey pls`` on plspm's bank data (published numbers in tests/data/README.md)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.models.survey.plspm_spec import bank_spec_path

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["survey", "pls", *args])


def test_json_output_reproduces_plspm(data_dir) -> None:
    res = _run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec", str(bank_spec_path()),
               "--bootstrap", "50", "--seed", "4", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) >= {"paths", "r2", "gof", "index", "reliability", "bootstrap"}
    assert out["paths"]["Satisfaction -> Loyalty"] == pytest.approx(0.4955, abs=1e-4)
    assert out["r2"]["Quality"] == pytest.approx(0.7197, abs=1e-4)
    assert out["gof"] == pytest.approx(0.609741624338411, abs=1e-6)
    assert out["reliability"]["Image"]["alpha_std"] == pytest.approx(0.8302, abs=1e-4)
    assert all(0 < v < 100 for v in out["index"].values())
    lo, hi = out["bootstrap"]["paths"]["Image -> Expectations"]["percentile"]
    assert lo < out["paths"]["Image -> Expectations"] < hi
    again = json.loads(_run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec",
                            str(bank_spec_path()), "--bootstrap", "50", "--seed", "4", "--json").stdout)
    assert again["bootstrap"] == out["bootstrap"]


def test_table_output(data_dir) -> None:
    res = _run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec", str(bank_spec_path()))
    assert res.exit_code == 0, res.output
    assert "Satisfaction -> Loyalty" in res.stdout and "0.495" in res.stdout


def test_unknown_column_is_a_clear_error(data_dir, tmp_path) -> None:
    spec = tmp_path / "m.toml"
    spec.write_text('[blocks]\nImage = ["IMAG1", "imag2"]\nLoyalty = ["loy1", "loy2"]\n'
                    '[model]\npaths = ["Image -> Loyalty"]\n')
    res = _run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec", str(spec), "--json")
    assert res.exit_code == 2
    err = json.loads(res.stdout)
    assert err["error"] == "ConfigError" and "IMAG1" in err["message"] and err["fix"]


def test_plsc_mga_and_prediction(data_dir, tmp_path) -> None:
    spec = tmp_path / "ecsi.toml"
    spec.write_text(bank_spec_path().read_text(encoding="utf-8").replace("consistent = false", 'consistent = "auto"'),
                    encoding="utf-8")
    res = _run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec", str(spec), "--groups", "gender",
               "--permutations", "50", "--seed", "1", "--predict", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["estimator"] == "PLSc" and isinstance(out["admissible"], bool)
    assert out["paths_pls"]["Satisfaction -> Loyalty"] == pytest.approx(0.4955, abs=1e-4)  # plspm, beside PLSc
    assert abs(out["paths"]["Satisfaction -> Loyalty"]) != pytest.approx(0.4955, abs=1e-3)
    assert {r["target"] for r in out["vif"]} == {"Satisfaction", "Loyalty", "Value"}
    assert {r["group_1"] for r in out["mga"]["paths"]} == {"female"} and len(out["mga"]["paths"]) == 10
    assert all(0 < r["p_value"] <= 1 for r in out["mga"]["paths"])
    assert out["q2"]["constructs"][0]["lv"] == "Expectations" and out["q2"]["distance"] == 7
    assert len(out["pls_predict"]) == 22
    plain = json.loads(_run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec", str(spec),
                            "--consistent", "false", "--json").stdout)
    assert plain["estimator"] == "PLS" and plain["paths"] == plain["paths_pls"]
    bad = _run("--data", str(data_dir / "ecsi_bank_satisfaction.csv"), "--spec", str(spec), "--groups", "region", "--json")
    assert bad.exit_code == 2 and json.loads(bad.stdout)["column"] == "region"


def test_a_gbk_export_with_chinese_headers_gives_the_same_model(data_dir, tmp_path) -> None:
    """A survey tool's export (GBK, semicolons, Chinese column names mapped in loyalscope.toml)
    gives the bank data's published paths: ``read_csv`` stopped on the first GBK byte."""
    import pandas as pd

    bank = pd.read_csv(data_dir / "ecsi_bank_satisfaction.csv")
    names = {c: f"题{i}_{c}" for i, c in enumerate(bank.columns)}
    path = tmp_path / "问卷导出.csv"
    bank.rename(columns=names).to_csv(path, index=False, sep=";", encoding="gbk")
    lines = "\n".join(f'"{c}" = "{n}"' for c, n in names.items())
    (tmp_path / "loyalscope.toml").write_text(f"[mapping.surveys]\n{lines}\n", encoding="utf-8")
    res = _run("--data", str(path), "--spec", str(bank_spec_path()), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["paths"]["Satisfaction -> Loyalty"] == pytest.approx(0.4955, abs=1e-4)
    assert out["gof"] == pytest.approx(0.609741624338411, abs=1e-6)
