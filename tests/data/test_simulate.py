"""The simulator: determinism, canonical schema, the GBK export, and ground truth recovered
from the simulated data by independent closed forms (BG/NBD, Gamma-Gamma, sBG, ECSI)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from loyalscope.data import schema
from loyalscope.data.samples import sample_company
from loyalscope.data.simulate import SimulatedCompany, simulate
from loyalscope.data.simulate_survey import PATHS, latent_scores
from loyalscope.errors import ConfigError

START = dt.date(2024, 1, 1)


@pytest.fixture(scope="module")
def small() -> SimulatedCompany:
    return simulate(customers=800, days=400, seed=3)


@pytest.fixture(scope="module")
def pure() -> SimulatedCompany:
    """A larger company without the complaint effect: purchases are a pure BG/NBD process."""
    return simulate(customers=20000, days=730, seed=11, complaint_effect=False)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_writes_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    a = simulate(customers=300, days=200, seed=5).write(tmp_path / "a", format=fmt)
    b = simulate(customers=300, days=200, seed=5).write(tmp_path / "b", format=fmt)
    assert set(a) == set(b) == set(schema.TABLE_NAMES) | {"truth", "crm_export"}
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert a["transactions"].name == f"transactions.{fmt}"
    other = simulate(customers=300, days=200, seed=6).write(tmp_path / "c", format=fmt)
    assert other["transactions"].read_bytes() != a["transactions"].read_bytes()


def test_parquet_round_trips_to_the_same_values(tmp_path: Path, small: SimulatedCompany) -> None:
    paths = small.write(tmp_path, format="parquet")
    back = pd.read_parquet(paths["transactions"])
    tx = small.tables["transactions"]
    assert list(back.columns) == list(tx.columns)
    assert (back["order_id"].astype(str).to_numpy() == tx["order_id"].astype(str).to_numpy()).all()
    np.testing.assert_array_equal(back["amount"].to_numpy(), tx["amount"].to_numpy())
    assert (pd.to_datetime(back["order_ts"]).to_numpy() == tx["order_ts"].to_numpy()).all()


def _dtype_ok(series: pd.Series, dtype: str) -> bool:
    if dtype == "string":
        return isinstance(series.dtype, pd.StringDtype)
    if dtype == "boolean":
        return isinstance(series.dtype, pd.BooleanDtype)
    if dtype in ("timestamp", "date"):
        return pd.api.types.is_datetime64_dtype(series.dtype)
    return str(series.dtype) == dtype


@pytest.mark.parametrize("name", schema.TABLE_NAMES)
def test_tables_follow_the_canonical_schema(small: SimulatedCompany, name: str) -> None:
    df = small.tables[name]
    spec = schema.table(name)
    assert len(df) > 0
    for column in df.columns:
        assert spec.allows(column), column
        assert _dtype_ok(df[column], spec.column(column).dtype), (column, df[column].dtype)
    for column in spec.required:
        assert column in df.columns and df[column].notna().all(), column
    key = [k for k in spec.key if k in df.columns] or [k for k in spec.fallback_key if k in df.columns]
    if key:  # the columns the duplicate-key rule checks
        assert not df.duplicated(key).any()
    for c in spec.columns:
        if c.nonnegative and c.name in df.columns:
            assert (df[c.name].dropna() >= 0).all(), c.name


@pytest.mark.parametrize("name", schema.TABLE_NAMES)
def test_timestamps_are_whole_seconds_inside_the_window(small: SimulatedCompany, name: str) -> None:
    lo, hi = np.datetime64("2024-01-01"), np.datetime64("2024-01-01") + np.timedelta64(400, "D")
    for column in small.tables[name].columns:
        values = small.tables[name][column]
        if not pd.api.types.is_datetime64_dtype(values.dtype):
            continue
        v = values.dropna().to_numpy()
        assert (v >= lo).all() and (v < hi).all(), column
        assert (v.astype("datetime64[s]") == v).all(), column


def test_relations_between_tables_hold(small: SimulatedCompany) -> None:
    tb = small.tables
    tx = tb["transactions"].set_index("order_id")
    cust = tb["customers"].set_index("customer_id")
    assert (tx["amount"] > 0).all()
    assert set(tx["customer_id"]) == set(cust.index)  # everyone bought at signup
    first = tx.groupby("customer_id")["order_ts"].min()
    assert (first == cust.loc[first.index, "signup_date"]).all()
    ret = tb["returns"].join(tx, on="order_id", rsuffix="_order")
    assert ret["amount_order"].notna().all()
    assert (ret["amount"] <= ret["amount_order"]).all() and (ret["return_ts"] > ret["order_ts"]).all()
    comp = tb["complaints"]
    closed = comp.dropna(subset=["closed_ts"])
    assert (closed["closed_ts"] > closed["opened_ts"]).all()
    assert set(comp["severity"]) == {"major", "minor"}
    assert comp["closed_ts"].notna().eq(comp["resolved"].astype(bool)).all()
    ref = tb["referrals"]
    conv = ref[ref["converted"].astype(bool)]
    assert set(conv["referred_id"]) <= set(cust.index)
    assert not set(ref.loc[~ref["converted"].astype(bool), "referred_id"]) & set(cust.index)
    assert (cust.loc[conv["referrer_id"], "signup_date"].to_numpy() <= conv["referred_ts"].to_numpy()).all()
    assert (cust.loc[conv["referred_id"], "channel"] == "referral").all()
    assert 0.3 < cust["member_tier"].notna().mean() < 0.55
    pts = tb["loyalty_points"]
    bal = pts.groupby("customer_id")[["points_earned", "points_redeemed"]].sum()
    assert (bal["points_redeemed"] <= bal["points_earned"]).all() and bal["points_redeemed"].sum() > 0
    assert set(pts["customer_id"]) <= set(cust.index[cust["member_tier"].notna()])
    surveys = tb["surveys"]
    for latent in ("imag", "expe", "qual", "val", "sat", "loy"):
        for k in (1, 2, 3):
            assert surveys[f"q_{latent}{k}"].between(1, 10).all()
    assert surveys["nps"].between(0, 10).all() and surveys["csat"].between(1, 5).all()
    assert {"comp_competitorA_price", "comp_competitorB_nps", "imp_quality", "dim_brand"} <= set(surveys.columns)


def test_gbk_crm_export_decodes_and_matches_the_orders(tmp_path: Path, small: SimulatedCompany) -> None:
    path = small.write(tmp_path)["crm_export"]
    assert path.parent.name == "crm_export" and path.name == "订单_gbk.csv"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    crm = pd.read_csv(io.StringIO(raw.decode("gb18030")), dtype=str)
    assert list(crm.columns) == ["订单编号", "会员号", "下单时间", "实付金额", "渠道", "商品类别"]
    tx = small.tables["transactions"]
    assert list(crm["订单编号"]) == list(tx["order_id"].astype(str))
    money = crm["实付金额"].str.replace("￥", "", regex=False).str.replace(",", "", regex=False).astype(float)
    np.testing.assert_allclose(money.to_numpy(), tx["amount"].to_numpy(), atol=0.005)
    assert crm["实付金额"].str.startswith("￥").any() and not crm["实付金额"].str.startswith("￥").all()
    when = pd.to_datetime(crm["下单时间"], format="%Y/%m/%d %H:%M")
    assert (when.to_numpy() == tx["order_ts"].dt.floor("min").to_numpy()).all()
    assert set(crm["渠道"]) <= {"线上商城", "门店", "App", "微信小程序"}


def _expected_repeats(t: np.ndarray, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """BG/NBD E[X(t)] (Fader, Hardie & Lee 2005, eq. 9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def _repeats_and_T(company: SimulatedCompany) -> tuple[np.ndarray, np.ndarray]:
    tx = company.tables["transactions"]
    cust = company.tables["customers"]
    counts = tx.groupby("customer_id").size().reindex(cust["customer_id"]).to_numpy()
    end = pd.Timestamp(company.truth["start"]) + pd.Timedelta(days=company.truth["days"])
    T = ((end - cust["signup_date"]).dt.total_seconds() / 86400).to_numpy()
    return counts - 1, T


@pytest.mark.slow
def test_repeat_purchases_match_bgnbd_closed_form(pure: SimulatedCompany) -> None:
    g = pure.truth["bgnbd"]
    x, T = _repeats_and_T(pure)
    expected = _expected_repeats(T, g["r"], g["alpha"], g["a"], g["b"]).mean()
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert abs(x.mean() - expected) < 4 * se, (x.mean(), expected, se)
    # P(X(t) = 0) = (alpha / (alpha + t))^r: nobody drops out before a first repeat purchase
    p0 = ((g["alpha"] / (g["alpha"] + T)) ** g["r"]).mean()
    share0 = (x == 0).mean()
    assert abs(share0 - p0) < 4 * np.sqrt(p0 * (1 - p0) / x.size), (share0, p0)


@pytest.mark.slow
def test_complaints_raise_dropout(pure: SimulatedCompany) -> None:
    with_effect = simulate(customers=20000, days=730, seed=11)
    x0, _ = _repeats_and_T(pure)
    x1, _ = _repeats_and_T(with_effect)
    assert x1.mean() < x0.mean()
    assert with_effect.truth["observed"]["share_alive_at_end"] < pure.truth["observed"]["share_alive_at_end"]


@pytest.mark.slow
def test_first_order_spend_matches_gamma_gamma_mean(pure: SimulatedCompany) -> None:
    tx = pure.tables["transactions"]
    first = tx.sort_values("order_ts").drop_duplicates("customer_id")["amount"].to_numpy()
    gg = pure.truth["gamma_gamma"]
    mean = gg["spend_scale"] * gg["p"] * gg["gamma"] / (gg["q"] - 1)
    assert mean == pytest.approx(gg["mean_amount"])
    assert abs(first.mean() - mean) < 4 * first.std(ddof=1) / np.sqrt(first.size), (first.mean(), mean)


@pytest.mark.slow
def test_first_renewal_rate_matches_sbg(pure: SimulatedCompany) -> None:
    con = pure.tables["contracts"]
    firsts = con.sort_values("start_date").drop_duplicates("customer_id")
    decided = firsts["renewed"].dropna().astype(bool)
    sbg = pure.truth["contracts"]
    expected = sbg["beta"] / (sbg["alpha"] + sbg["beta"])  # E[1 - theta]
    assert abs(decided.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / decided.size)


def test_satisfaction_lowers_dropout(pure: SimulatedCompany) -> None:
    lat = pure.latent
    rho = pure.truth["satisfaction_dropout"]["rho"]
    assert lat["sat"].corr(lat["p"], method="spearman") < -0.3 * rho
    surveys = pure.tables["surveys"].merge(lat, on="customer_id")
    sat_items = surveys[["q_sat1", "q_sat2", "q_sat3"]].mean(axis=1)
    assert sat_items.corr(surveys["p"], method="spearman") < -0.1


def test_latent_model_is_standardised_with_the_recorded_paths() -> None:
    eta = latent_scores(np.random.default_rng(0), 200_000)
    for name, values in eta.items():
        assert values.var() == pytest.approx(1.0, abs=0.02), name
    assert np.corrcoef(eta["imag"], eta["expe"])[0, 1] == pytest.approx(PATHS["expe"]["imag"], abs=0.01)
    x = np.column_stack([eta["imag"], eta["sat"]])
    coef, *_ = np.linalg.lstsq(x, eta["loy"], rcond=None)
    np.testing.assert_allclose(coef, [PATHS["loy"]["imag"], PATHS["loy"]["sat"]], atol=0.01)


def test_truth_is_json_and_names_the_parameters(small: SimulatedCompany, tmp_path: Path) -> None:
    import json

    truth = json.loads(small.write(tmp_path)["truth"].read_text(encoding="utf-8"))
    assert truth["bgnbd"] == {"r": 0.5, "alpha": 40.0, "a": 0.8, "b": 2.5, "time_unit": "days"}
    assert {p["from"] + "->" + p["to"] for p in truth["survey"]["paths"]} >= {
        "imag->expe", "imag->sat", "expe->qual", "qual->val", "val->sat", "sat->loy", "imag->loy"}
    assert truth["complaints"]["dropout_effect"]["major_unresolved"] > truth["complaints"]["dropout_effect"]["minor"]
    assert truth["observed"]["orders"] == len(small.tables["transactions"])


def test_sample_company_is_the_demo_default() -> None:
    company = sample_company()
    assert len(company.tables["customers"]) == 3000
    assert company.truth["days"] == 730 and company.truth["start"] == "2024-01-01"


@pytest.mark.parametrize("kwargs", [{"customers": 0}, {"days": 1}])
def test_bad_arguments_say_how_to_fix(kwargs: dict) -> None:
    with pytest.raises(ConfigError) as err:
        simulate(**kwargs)
    assert err.value.fix


def test_unknown_format_is_refused(tmp_path: Path, small: SimulatedCompany) -> None:
    with pytest.raises(ConfigError, match="format"):
        small.write(tmp_path, format="xlsx")


def test_tables_load_into_a_dataset(small: SimulatedCompany) -> None:
    from loyalscope.data.dataset import Dataset

    ds = Dataset.from_frames(small.tables)
    assert ds.table("transactions").count().execute() == len(small.tables["transactions"])
    last = small.tables["transactions"]["order_ts"].max()
    assert ds.analysis_date == last.date() + dt.timedelta(days=1)
    assert ds.analysis_date <= START + dt.timedelta(days=small.truth["days"])


def test_csv_files_read_back_with_plain_pandas(tmp_path: Path, small: SimulatedCompany) -> None:
    paths = small.write(tmp_path)
    back = pd.read_csv(paths["customers"], dtype={"customer_id": str}, parse_dates=["signup_date"])
    cust = small.tables["customers"]
    assert list(back.columns) == list(cust.columns)
    assert (back["customer_id"].to_numpy() == cust["customer_id"].astype(str).to_numpy()).all()
    assert (back["signup_date"].to_numpy() == cust["signup_date"].to_numpy()).all()
    assert back["member_tier"].isna().sum() == cust["member_tier"].isna().sum()
    assert paths["crm_export"].read_bytes().count(b"\r\n") == len(small.tables["transactions"]) + 1


@pytest.mark.slow
def test_purchase_density_multiplies_orders_and_stays_bgnbd(pure: SimulatedCompany) -> None:
    dense = simulate(customers=20000, days=730, seed=11, complaint_effect=False, purchase_density=4.0)
    g = dense.truth["bgnbd"]
    assert (g["alpha"], g["b"]) == (10.0, 10.0)
    x, T = _repeats_and_T(dense)
    expected = _expected_repeats(T, g["r"], g["alpha"], g["a"], g["b"]).mean()
    assert abs(x.mean() - expected) < 4 * x.std(ddof=1) / np.sqrt(x.size), (x.mean(), expected)
    # same seed and lifetimes: the extra orders come from the density, not from longer lives
    assert 2.5 < len(dense.tables["transactions"]) / len(pure.tables["transactions"]) < 3.5
    assert abs(dense.truth["observed"]["share_alive_at_end"] - pure.truth["observed"]["share_alive_at_end"]) < 0.1


@pytest.mark.parametrize("density", [0.0, -1.0, float("nan"), 1000.0])
def test_bad_purchase_density_says_how_to_fix(density: float) -> None:
    with pytest.raises(ConfigError) as err:
        simulate(customers=10, purchase_density=density)
    assert "--density" in (err.value.fix or "")
