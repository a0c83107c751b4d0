"""``loyalscope segment rfm``, ``loyalscope index`` and ``loyalscope churn``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from loyalscope.cli.app import app, console, emit_json, fail
from loyalscope.config import AnalysisConfig
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import normalise_lang, t, use_lang

if TYPE_CHECKING:  # the engine's modules load when a command runs, not for --help
    from loyalscope.data.dataset import Dataset


segment_app = typer.Typer(help="Customer segments / 客户分群", no_args_is_help=True)
app.add_typer(segment_app, name="segment")

_LANG = typer.Option(None, "--lang", help="Language: zh or en.")
_CONFIG = typer.Option(None, "--config", "-c", help="loyalscope.toml")
_JSON = typer.Option(False, "--json", help="Print JSON.")


def load_data(data: str, config: AnalysisConfig) -> Dataset:
    """Read and validate DATA (files, a folder or a URL) with the data layer."""
    from loyalscope.data.load import load

    return load(data, config=config)


def _setup(lang: str | None, config_path: Path | None, data: str | None = None,
           **overrides: object) -> tuple[AnalysisConfig, str]:
    from loyalscope.cli.app import load_config

    config = load_config(config_path, [data] if data else [], **{"locale": lang, **overrides})
    return config, normalise_lang(lang or config.locale)


@segment_app.command("rfm")
def rfm(
    data: str = typer.Argument(..., help="A folder of canonical files (or any source `analyze` reads)."),
    scheme: str = typer.Option("classic11", "--scheme", help="classic11, cn8 or a scheme TOML file."),
    lang: str | None = _LANG,
    config_path: Path | None = _CONFIG,
    as_json: bool = _JSON,
) -> None:
    """RFM scores (1-5, recent = 5) and named segments of every customer."""
    from loyalscope.segments.rfm import rfm_segments, segment_counts
    from loyalscope.segments.scheme import load_scheme

    try:
        config, language = _setup(lang, config_path, data)
        with use_lang(language):
            sch = load_scheme(scheme)
            seg = rfm_segments(load_data(data, config), sch, lang=language)
            counts = segment_counts(seg, sch, language)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({
            "scheme": sch.name,
            "customers": [{"customer_id": r.customer_id, "r": int(r.r), "f": int(r.f), "m": int(r.m),
                           "segment": r.segment} for r in seg.itertuples()],
            "segments": counts,
        })
        return
    table = Table(title=f"RFM ({sch.name})")
    table.add_column(t("segments.cli.segment", language))
    table.add_column(t("segments.cli.customers", language), justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    console.print(table)


@app.command("index")
def index(
    data: str = typer.Argument(..., help="A folder of canonical files (or any source `analyze` reads)."),
    weights: str = typer.Option("ahp", "--weights", help="ahp, entropy or a TOML file of weights / AHP matrices."),
    lang: str | None = _LANG,
    config_path: Path | None = _CONFIG,
    as_json: bool = _JSON,
) -> None:
    """Composite loyalty index (0-100) over the A1-A3 indicators."""
    import pandas as pd

    from loyalscope.indices.excellent import evaluate_excellent
    from loyalscope.indices.excellent_inputs import excellent_components
    from loyalscope.indices.indicators import loyalty_indicators
    from loyalscope.indices.loyalty_index import loyalty_index

    try:
        config, language = _setup(lang, config_path, data)
        with use_lang(language):
            ds = load_data(data, config)
            ind = loyalty_indicators(ds)
            scored, used, notes = loyalty_index(ind, weights, language)
            li = scored["loyalty_index"]
            # no value model here: CLV drops out and potential is the frequency trend (A13)
            ex, ex_used, ex_notes = evaluate_excellent(
                excellent_components(ds, li, ind), lang=language)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    tiers = ex.tier.value_counts().reindex(["A", "B", "C", "D"], fill_value=0)
    if as_json:
        emit_json({
            "weights": used, "notes": notes,
            "summary": {"n": len(li), "mean": float(li.mean()), "median": float(li.median())},
            "excellent": {"weights": ex_used, "notes": ex_notes,
                          "tiers": {k: int(v) for k, v in tiers.items()}},
            "customers": [
                {"customer_id": cid, "loyalty_index": float(v),
                 "excellent_score": None if pd.isna(sc) else float(sc),
                 "excellent_tier": tier}
                for cid, v, sc, tier in zip(li.index, li.to_numpy(), ex.score.to_numpy(),
                                            ex.tier.to_numpy(), strict=True)
            ],
        })
        return
    table = Table(title=t("segments.cli.weights", language))
    table.add_column(t("segments.cli.indicator", language))
    table.add_column(t("segments.cli.weight", language), justify="right")
    for k, w in used.items():
        table.add_row(k, f"{w:.3f}")
    console.print(table)
    for note in notes:
        console.print(f"[yellow]{note}[/]")
    console.print(t("segments.cli.index_mean", language, mean=li.mean(), median=li.median(), n=len(li)))
    for note in ex_notes:
        console.print(f"[yellow]{note}[/]")
    console.print(t("segments.cli.excellent_tiers", language,
                    tiers=", ".join(f"{k} {v}" for k, v in tiers.items())))


@app.command("churn")
def churn(
    data: str = typer.Argument(..., help="A folder of canonical files (or any source `analyze` reads)."),
    horizon: int | None = typer.Option(None, "--horizon", help="Days without purchase that count as churn "
                                       "(default: the inactivity window from the data)."),
    lang: str | None = _LANG,
    config_path: Path | None = _CONFIG,
    as_json: bool = _JSON,
) -> None:
    """Churn risk: a model trained at an earlier cut-off, validated out of time."""
    from loyalscope.segments.churn import churn_risk

    try:
        config, language = _setup(lang, config_path, data, **{"segments.churn_horizon_days": horizon})
        with use_lang(language):
            res = churn_risk(load_data(data, config))
    except LoyalscopeError as exc:
        fail(exc, as_json)
    p = res.scores["churn_probability"]
    lo, hi = res.auc_valid_interval
    refusal = None if res.discriminates else t(
        "segments.report.churn.no_discrimination", language, **res.no_discrimination_kw())
    if as_json:
        doc = {
            "horizon_days": res.horizon, "train_cutoff": res.train_cutoff, "valid_cutoff": res.valid_cutoff,
            "auc_train": res.auc_train, "auc_valid": res.auc_valid,
            "auc_valid_interval": None if lo != lo else [lo, hi], "discriminates": res.discriminates,
            "base_rate": res.base_rate,
        }
        if refusal is not None:  # no better than chance: no scores to rank anyone by
            emit_json({**doc, "not_used": "no_discrimination", "message": refusal, "customers": []})
            return
        emit_json({
            **doc,
            "calibration": res.calibration.to_dict(orient="records"),
            "lift": res.lift.to_dict(orient="records"),
            "coefficients": res.model.summary().reset_index().to_dict(orient="records"),
            "customers": [{"customer_id": cid, "churn_probability": float(v), "lift": float(res.scores.churn_lift[cid]),
                           "tier": res.scores.churn_tier[cid]} for cid, v in p.items()],
        })
        return
    console.print(t("segments.cli.churn_summary", language, train=res.train_cutoff,
                    valid=res.valid_cutoff, horizon=res.horizon))
    console.print(t("segments.cli.churn_auc", language, train=res.auc_train, valid=res.auc_valid))
    if refusal is not None:
        console.print(f"[yellow]{escape(refusal)}[/]")
        return
    console.print(t("segments.cli.churn_top_lift", language, lift=float(res.lift.lift.iloc[0]),
                    base=res.base_rate, horizon=res.horizon, high=int((res.scores.churn_tier == "high").sum())))
