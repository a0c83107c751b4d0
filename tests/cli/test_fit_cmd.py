"""``loyalscope fit`` end to end on the bundled reference data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from loyalscope.cli import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, ["fit", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _cdnow(data_dir) -> pd.DataFrame:
    """CDNOW's 2,357-customer sample of purchases (master id, customer, yyyymmdd date, CDs, amount)."""
    return pd.read_csv(data_dir / "cdnow_sample_transactions.txt", sep=r"\s+", header=None,
                       names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})


def _published_bgnbd(path) -> dict:
    """``fit bgnbd`` of the purchases in ``path`` (weeks, calibration to 1997-09-30): the
    published BG/NBD fit of CDNOW's sample (Fader, Hardie & Lee 2005)."""
    out = _json(["bgnbd", "--data", str(path), "--format", "transactions", "--calibration-end", "1997-09-30",
                 "--time-unit", "week"])
    assert out["n"] == 2357
    published = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}
    for k, v in published.items():
        assert out["params"][k] == pytest.approx(v, abs=1e-3)
    return out


def test_bgnbd_summary_json(data_dir):
    out = _json(["bgnbd", "--data", str(data_dir / "cdnow_sample_summary.csv"), "--time-unit", "week"])
    assert out["model"] == "bgnbd" and out["n"] == 2357 and out["time_unit"] == "week"
    assert set(out["params"]) == {"r", "alpha", "a", "b"} == set(out["se"])
    assert out["params"]["alpha"] == pytest.approx(4.4135, abs=5e-4)
    assert out["loglik"] == pytest.approx(-9582.43, abs=0.01)


def test_gamma_gamma_uses_repeat_buyers(data_dir):
    out = _json(["gamma_gamma", "--data", str(data_dir / "cdnow_sample_summary.csv")])
    assert out["n"] == 946 and out["left_out"] == 1411
    assert out["params"]["p"] == pytest.approx(6.2488, abs=5e-4)


def test_bgbb_weights_and_periods(data_dir):
    out = _json(["bgbb", "--data", str(data_dir / "bgbb_donations.csv")])
    assert out["n"] == 11104
    assert out["loglik"] == pytest.approx(-33225.58, abs=0.01)


def test_sbg_survivor_counts(tmp_path):
    path = tmp_path / "cohort.csv"
    pd.DataFrame({"active": [1000, 869, 743, 653, 593, 551, 517, 491]}).to_csv(path, index=False)
    out = _json(["sbg", "--data", str(path)])
    assert out["params"]["alpha"] == pytest.approx(0.668, abs=5e-4)
    assert out["params"]["beta"] == pytest.approx(3.806, abs=5e-4)


def test_transactions_format_reproduces_summary_fit(tmp_path, data_dir):
    tx = _cdnow(data_dir)
    tx["order_ts"] = pd.to_datetime(tx.date, format="%Y%m%d")
    path = tmp_path / "transactions.csv"
    tx[["customer_id", "order_ts", "amount"]].to_csv(path, index=False)
    _published_bgnbd(path)


def test_errors_say_how_to_fix(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"frequency": [1, 2], "T": [5, 6]}).to_csv(path, index=False)
    result = runner.invoke(app, ["fit", "bgnbd", "--data", str(path), "--json"])
    assert result.exit_code == 2
    err = json.loads(result.stdout)
    assert err["error"] == "SchemaError" and err["column"] == "recency" and "t_x" in err["message"]
    result = runner.invoke(app, ["fit", "weibull", "--data", str(path), "--json"])
    assert result.exit_code == 2 and "bgnbd" in json.loads(result.stdout)["fix"]


def test_sbg_contracts_table(tmp_path):
    """Canonical contracts (one row per yearly term) of FH 2007's regular cohort give its published fit."""
    survivors = [1000, 631, 468, 382, 326, 289, 262, 241]
    rows = []
    for i in range(1000):
        terms = next((t for t in range(1, 8) if i < 1000 - survivors[t]), 8)  # churned after `terms` years
        rows += [(f"c{i}", f"{2010 + j}-01-01", f"{2010 + j}-12-31", int(j < terms - 1 or terms == 8))
                 for j in range(terms)]
    path = tmp_path / "contracts.csv"
    pd.DataFrame(rows, columns=["customer_id", "start_date", "end_date", "renewed"]).to_csv(path, index=False)
    out = _json(["sbg", "--data", str(path)])
    assert out["source"] == "contracts" and out["customers"] == 1000 and out["churned"] == 759
    assert out["as_of"] == "2017-01-01"  # the latest start date: the survivors' eighth term is running
    assert out["params"]["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert out["params"]["beta"] == pytest.approx(1.182, abs=5e-4)
    assert out["loglik"] == pytest.approx(-1680.27, abs=0.01)
    # an earlier as-of date censors everyone after 3 years: survivors of 3 years are still active
    early = _json(["sbg", "--data", str(path), "--calibration-end", "2013-06-30"])
    assert early["churned"] == 1000 - 382 and early["customers"] == 1000
    text = runner.invoke(app, ["fit", "sbg", "--data", str(path)])
    assert text.exit_code == 0 and "1000" in text.stdout


def test_config_maps_transaction_headers(tmp_path, data_dir):
    """``--config`` (and a loyalscope.toml beside the data) name the columns of a transactions file."""
    tx = _cdnow(data_dir)
    tx["order_ts"] = pd.to_datetime(tx.date, format="%Y%m%d")
    frame = tx[["customer_id", "order_ts", "amount"]].set_axis(["会员", "日期", "金额"], axis=1)
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    args = ["bgnbd", "--data", str(path), "--format", "transactions", "--calibration-end", "1997-09-30",
            "--time-unit", "week", "--json"]
    # read as analyze reads it: 会员, 日期 and 金额 are known headers (日期 as the English "date")
    assert _json(args[:-1])["params"]["alpha"] == pytest.approx(4.4135, abs=1e-3)
    toml = '[mapping.transactions]\ncustomer_id = "会员"\norder_ts = "日期"\namount = "金额"\n'
    (tmp_path / "my.toml").write_text(toml, encoding="utf-8")
    out = _json([*args[:-1], "--config", str(tmp_path / "my.toml")])
    assert out["n"] == 2357 and out["params"]["alpha"] == pytest.approx(4.4135, abs=1e-3)
    (tmp_path / "loyalscope.toml").write_text(toml, encoding="utf-8")  # discovered beside the data
    assert _json(args[:-1])["params"]["r"] == pytest.approx(0.2426, abs=1e-3)


def test_hour_unit_on_transactions_matches_the_day_fit_rescaled(tmp_path):
    # purchases at whole hours; --time-unit hour floors to the hour and works in hours
    rng = np.random.default_rng(3)
    rows = []
    for c in range(600):  # BG/NBD-like: exponential gaps (mean 20 days), geometric number of purchases
        hours = int(rng.integers(0, 24 * 60)) + np.cumsum(rng.exponential(20 * 24, rng.geometric(0.35))).astype(int)
        hours[0] = hours[0] - int(rng.exponential(20 * 24))
        for h in hours[hours < 24 * 200]:
            rows.append({"customer_id": f"C{c}", "order_ts": pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(h), minutes=17),
                         "amount": 10.0})
    frame = pd.DataFrame(rows)
    path = tmp_path / "tx.csv"
    frame.to_csv(path, index=False)
    hours = _json(["bgnbd", "--data", str(path), "--format", "transactions", "--time-unit", "hour"])
    assert hours["time_unit"] == "hour"
    assert len(hours["covariance"]["matrix"]) == 4 and hours["covariance"]["params"] == ["r", "alpha", "a", "b"]
    # independent summary in hours (pandas), fitted directly
    from loyalscope.models import BGNBD

    t = pd.to_datetime(frame.order_ts).dt.floor("h")
    # T runs to the last hour of the last day (metrics.summary: orders on the end day count)
    origin, end = t.min(), t.max().normalize() + pd.Timedelta(hours=23)
    g = frame.assign(t=t).drop_duplicates(["customer_id", "t"]).groupby("customer_id").t
    x = g.size() - 1
    rec = (g.max() - g.min()).dt.total_seconds() / 3600
    age = (end - g.min()).dt.total_seconds() / 3600
    direct = BGNBD().fit(x, rec, age)
    for p in ("r", "alpha", "a", "b"):
        assert hours["params"][p] == pytest.approx(direct.params_[p], rel=1e-6)
    days = _json(["bgnbd", "--data", str(path), "--format", "transactions", "--time-unit", "day"])
    assert days["params"]["alpha"] * 24 == pytest.approx(hours["params"]["alpha"], rel=0.05)  # same data, coarser clock
    assert origin <= end


def test_fit_reports_its_status(tmp_path, data_dir):
    """A published fit is "ok"; one renewal period observed is "not estimable", with the reason."""
    assert _json(["bgnbd", "--data", str(data_dir / "cdnow_sample_summary.csv")])["status"]["status"] == "ok"
    path = tmp_path / "cohort.csv"
    pd.DataFrame({"active": [1000, 631]}).to_csv(path, index=False)
    out = _json(["sbg", "--data", str(path)])
    assert out["status"]["status"] == "not_estimable"
    assert "one_renewal_period" in [i["code"] for i in out["status"]["issues"]]
    text = runner.invoke(app, ["fit", "sbg", "--data", str(path)], env={"LOYALSCOPE_LANG": "en"}).output
    assert "not estimable" in text and "only 1 renewal period observed" in text


def test_transactions_read_as_analyze_reads_them(tmp_path, data_dir):
    """A shop's export of CDNOW's purchases (GBK, Chinese headers, day-first dates, an order of
    several CDs split into lines, cancelled orders beside them) gives the published BG/NBD fit:
    the lines are one order, the cancelled orders are no purchases. pandas' ``read_csv`` failed
    on the encoding, and would have counted every cancelled order as a purchase."""
    tx = _cdnow(data_dir)
    day = pd.to_datetime(tx.date, format="%Y%m%d")
    rows = []
    for i, r in enumerate(tx.itertuples(index=False)):
        when = day.iloc[i].strftime("%d/%m/%Y")
        cents = round(r.amount * 100)
        parts = [cents // 2, cents - cents // 2] if r.cds >= 2 else [cents]
        for j, c in enumerate(parts):
            rows.append((f"D{i}", r.customer_id, when, f"CD{j}", f"{c / 100:.2f}", "交易成功"))
        if i % 10 == 0:  # a cancelled order of the same customer, a day later
            later = (day.iloc[i] + pd.Timedelta(days=1)).strftime("%d/%m/%Y")
            rows.append((f"X{i}", r.customer_id, later, "CD0", "99.99", "交易关闭"))
    frame = pd.DataFrame(rows, columns=["订单编号", "会员ID", "下单时间", "商品编号", "金额", "订单状态"])
    path = tmp_path / "订单导出.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    out = _published_bgnbd(path)
    data = out["data"]
    assert data["rows_read"] == len(frame) and data["rows_quarantined"] == 0
    assert data["orders"] == len(tx)  # sale orders: the cancelled ones are not among them
    text = runner.invoke(app, ["fit", "bgnbd", "--data", str(path), "--format", "transactions"],
                         env={"LOYALSCOPE_LANG": "en"}).output
    assert f"Rows read {len(frame):,}" in text and "0 quarantined" in text


def test_summary_from_excel_and_a_semicolon_csv(tmp_path, data_dir):
    """A summary saved from Excel (.xlsx) or as a semicolon CSV gives the published fit
    (``read_csv`` stopped on the workbook's bytes and split nothing at the semicolons)."""
    summary = pd.read_csv(data_dir / "cdnow_sample_summary.csv")
    book, semi = tmp_path / "summary.xlsx", tmp_path / "summary.csv"
    summary.to_excel(book, index=False)
    summary.to_csv(semi, index=False, sep=";")
    for path in (book, semi):
        out = _json(["bgnbd", "--data", str(path), "--time-unit", "week"])
        assert out["n"] == 2357 and out["params"]["alpha"] == pytest.approx(4.4135, abs=5e-4), path


def test_fit_nbd_on_a_summary_is_the_independent_negative_binomial_fit(tmp_path, data_dir) -> None:
    """``fit nbd`` on CDNOW's published summary: the estimates of scipy's negative binomial
    count likelihood maximised directly (the NBD model's likelihood differs by T^x / x! only)."""
    from scipy import optimize, stats

    s = pd.read_csv(data_dir / "cdnow_sample_summary.csv")
    path = tmp_path / "summary.csv"
    s.to_csv(path, index=False)
    out = _json(["nbd", "--data", str(path)])

    def nll(lp):
        r, a = np.exp(lp)
        return -stats.nbinom.logpmf(s["x"], r, a / (a + s["T"])).sum()

    res = optimize.minimize(nll, [0.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-11})
    r, alpha = np.exp(res.x)
    assert out["params"]["r"] == pytest.approx(r, rel=1e-5) and out["params"]["alpha"] == pytest.approx(alpha, rel=1e-5)
