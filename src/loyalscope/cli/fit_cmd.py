"""``loyalscope fit MODEL --data FILE``: fit one customer-lifetime model and print its parameters."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from loyalscope.cli.app import app, console, emit_json, fail, load_config, read_table
from loyalscope.errors import ConfigError, DataQualityError, LoyalscopeError, SchemaError
from loyalscope.i18n import t

if TYPE_CHECKING:  # pandas and NumPy load when a command runs, not for --help
    import numpy as np
    import pandas as pd

    from loyalscope.config import AnalysisConfig


MODELS = {
    "bgnbd": ("bgnbd", "BGNBD"),
    "pareto_nbd": ("pareto_nbd", "ParetoNBD"),
    "mbgnbd": ("mbgnbd", "MBGNBD"),
    "nbd": ("nbd", "NBD"),
    "bgbb": ("bgbb", "BGBB"),
    "gamma_gamma": ("gamma_gamma", "GammaGamma"),
    "sbg": ("sbg", "ShiftedBetaGeometric"),
}
ALIASES = {
    "frequency": ("frequency", "x"),
    "recency": ("recency", "t_x"),
    "T": ("T",),
    "periods": ("periods", "n", "T"),
    "monetary": ("monetary_value", "monetary", "zbar"),
    "weights": ("weights", "count", "n_customers"),
    "survivors": ("survivors", "active"),
}
UNITS = {"hour": 1.0 / 24.0, "day": 1.0, "week": 7.0, "month": 365.25 / 12.0}


def _optional(df: pd.DataFrame, name: str) -> np.ndarray | None:
    import pandas as pd

    for alias in ALIASES[name]:
        if alias in df.columns:
            return pd.to_numeric(df[alias], errors="raise").to_numpy(dtype=float)
    return None


def _column(df: pd.DataFrame, name: str, file: str) -> np.ndarray:
    values = _optional(df, name)
    if values is not None:
        return values
    raise SchemaError(t("models.cli.missing_column", column=name, aliases=", ".join(ALIASES[name])),
                      fix=t("models.cli.missing_column_fix", column=ALIASES[name][0]), file=file, column=name)


def _summary_from_transactions(data: str, config: AnalysisConfig, calibration_end: str | None,
                               unit: str, spend: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Customer summary in ``unit`` from a transactions export, and what the load did with its
    rows: the distinct (frequency, monetary_value) when ``spend`` (Gamma-Gamma), else the
    distinct (frequency, recency, T), each with its ``count`` of customers (the fit's weights).

    The file is read as ``analyze`` reads it (:func:`loyalscope.data.load.load`: encoding,
    Excel, header aliases and ``[mapping.transactions]``, day-first dates, order lines made
    orders, cancelled, unpaid and closed orders left out, refunds kept as returns, bad rows
    quarantined with their reason); the summary is
    :func:`loyalscope.metrics.summary.customer_summary`, computed and compressed in the engine:
    purchases on the same calendar day count as one (the same clock hour for ``unit="hour"``),
    T runs to the end of the last day (``--calibration-end``, else the last order's day)."""
    import pandas as pd

    from loyalscope.data.load import load
    from loyalscope.metrics.summary import compress, customer_summary

    try:
        end = pd.Timestamp(calibration_end).date() if calibration_end else None
    except ValueError as exc:
        raise ConfigError(t("models.cli.bad_date", value=calibration_end), fix=t("models.cli.bad_date_fix")) from exc
    ds = load({"transactions": data}, config=config)
    rep = ds.quality.tables["transactions"]
    quality = {"rows_read": rep.rows_read, "rows_accepted": rep.rows_accepted,
               "rows_quarantined": rep.rows_quarantined, "quarantine_reasons": dict(rep.reasons),
               "orders": ds.quality.orders.get("sale_orders")}
    if "transactions" not in ds.tables:  # no customer id: orders only
        raise SchemaError(t("models.cli.missing_column", column="customer_id", aliases="customer_id"),
                          fix=t("models.cli.missing_column_fix", column="customer_id"), file=data,
                          column="customer_id")
    summary = customer_summary(ds, calibration_end=end, time_unit=unit)  # type: ignore[arg-type]
    if spend:
        distinct = summary.group_by(["frequency", "monetary_value"]).aggregate(count=summary.count())
    else:
        distinct = compress(summary)
    return distinct.to_pandas(), {"data": quality}


def _fit(model_name: str, df: pd.DataFrame, file: str, as_of: str | None = None,
         q_constraint: bool = False) -> tuple[Any, dict[str, Any]]:
    module, cls_name = MODELS[model_name]
    cls = getattr(importlib.import_module(f"loyalscope.models.purchase.{module}"), cls_name)
    extra: dict[str, Any] = {}
    weights = _optional(df, "weights")
    if model_name == "sbg":
        if set(CONTRACT_COLUMNS) <= set(df.columns):
            return _fit_contracts(cls, df, as_of)
        return cls().fit(_column(df, "survivors", file)), extra
    x = _column(df, "frequency", file)
    if model_name == "gamma_gamma":
        z = _column(df, "monetary", file)
        keep: np.ndarray = (x > 0) & (z > 0)
        if not keep.any():
            raise DataQualityError(t("models.cli.no_repeat_buyers"), fix=t("models.cli.no_repeat_buyers_fix"), file=file)
        extra["left_out"] = int((~keep).sum() if weights is None else weights[~keep].sum())
        spend = cls(q_constraint=q_constraint)
        return spend.fit(x[keep], z[keep], weights=None if weights is None else weights[keep]), extra
    tx = _column(df, "recency", file)
    age = _column(df, "periods" if model_name == "bgbb" else "T", file)
    return cls().fit(x, tx, age, weights=weights), extra


CONTRACT_COLUMNS = ("customer_id", "start_date", "end_date")


def _fit_contracts(cls: Any, df: pd.DataFrame, as_of: str | None) -> tuple[Any, dict[str, Any]]:
    """sBG from the canonical contracts table (one row per contract term; ``renewed`` optional)."""
    import pandas as pd

    from loyalscope.models.purchase.sbg import contracts_to_durations

    try:
        day = pd.Timestamp(as_of) if as_of else pd.to_datetime(df["start_date"]).max()
    except ValueError as exc:
        raise ConfigError(t("models.cli.bad_date", value=as_of), fix=t("models.cli.bad_date_fix")) from exc
    periods, churned, _ = contracts_to_durations(
        df["customer_id"], pd.to_datetime(df["start_date"]), pd.to_datetime(df["end_date"]),
        df["renewed"] if "renewed" in df.columns else None, day)
    fitted = cls().fit_durations(periods, churned)
    return fitted, {"source": "contracts", "contracts": len(df), "customers": int(periods.size),
                    "churned": int(churned.sum()), "as_of": str(day.date())}


@app.command("fit", help=t("models.cli.fit_help"))
def fit(
    model: str = typer.Argument(..., help=t("models.cli.model_help")),
    data: str = typer.Option(..., "--data", help=t("models.cli.data_help")),
    fmt: str = typer.Option("summary", "--format", help=t("models.cli.format_help")),
    calibration_end: str | None = typer.Option(None, "--calibration-end", help=t("models.cli.calibration_end_help")),
    time_unit: str = typer.Option("day", "--time-unit", help=t("models.cli.time_unit_help")),
    q_constraint: bool = typer.Option(False, "--q-constraint", help=t("models.cli.q_constraint_help")),
    as_json: bool = typer.Option(False, "--json", help=t("models.cli.json_help")),
    config: Path | None = typer.Option(None, "--config", "-c", help=t("data.cli.config_help")),
) -> None:
    """Fit MODEL on FILE and print parameters, standard errors and the log-likelihood."""

    try:
        cfg = load_config(config, [data])  # --config, else loyalscope.toml beside the data / here
        if model not in MODELS:
            raise ConfigError(t("models.cli.unknown_model", model=model), fix=t("models.cli.unknown_model_fix", choices=", ".join(MODELS)))
        if fmt not in ("summary", "transactions"):
            raise ConfigError(t("models.cli.unknown_format", fmt=fmt), fix=t("models.cli.unknown_format_fix"))
        if time_unit not in UNITS:
            raise ConfigError(t("models.cli.unknown_unit", unit=time_unit), fix=t("models.cli.unknown_unit_fix"))
        loaded: dict[str, Any] = {}
        if fmt == "transactions":
            if model in ("bgbb", "sbg"):
                raise ConfigError(t("models.cli.transactions_not_for", model=model), fix=t("models.cli.transactions_not_for_fix"))
            df, loaded = _summary_from_transactions(data, cfg, calibration_end, time_unit,
                                                    spend=model == "gamma_gamma")
        else:
            df = read_table(Path(data), cfg)  # staged as analyze stages a file; errors say why
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitted, extra = _fit(model, df, str(data), calibration_end, q_constraint)
                extra.update(loaded)
            except ValueError as exc:
                raise DataQualityError(t("models.cli.bad_values", detail=str(exc)), fix=t("models.cli.bad_values_fix"), file=str(data)) from exc
    except LoyalscopeError as exc:
        fail(exc, as_json)
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    unit = {"bgbb": "period", "sbg": "period", "gamma_gamma": None}.get(model, time_unit)
    if as_json:
        d = fitted.to_dict()
        emit_json({"model": model, "params": d["params"], "se": d["se"], "loglik": d["loglik"], "n": d["n"],
                   "aic": d["aic"], "bic": d["bic"], "time_unit": unit, "warnings": notes,
                   "covariance": {"params": list(d["params"]), "matrix": d.get("covariance")},
                   "status": d.get("status"), **extra})
        return
    _print(model, fitted, unit, notes, extra)


def _print(model: str, fitted: Any, unit: str | None, notes: list[str], extra: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=t("models.cli.title", model=model, n=f"{fitted.n_:,.0f}", unit=unit or "-"))
    summary = fitted.summary()
    for col in summary.columns:
        table.add_column(t(f"models.summary.{col}"), justify="left" if col == "param" else "right")
    for row in summary.itertuples(index=False):
        table.add_row(row.param, *(f"{v:.4f}" for v in row[1:]))
    console.print(table)
    console.print(f"{t('models.cli.loglik')} {fitted.loglik_:.2f}   {t('models.cli.aic')} {fitted.aic_:.2f}   "
                  f"{t('models.cli.bic')} {fitted.bic_:.2f}")
    if extra.get("source") == "contracts":
        console.print(t("sbg.cli.from_contracts", contracts=extra["contracts"], customers=extra["customers"],
                        churned=extra["churned"], as_of=extra["as_of"]))
    if "data" in extra:  # read as analyze reads it: what was kept and what was quarantined
        d = extra["data"]
        reasons = ", ".join(f"{k} {v:,}" for k, v in d["quarantine_reasons"].items())
        console.print(t("models.cli.data_rows", read=f"{d['rows_read']:,}", accepted=f"{d['rows_accepted']:,}",
                        quarantined=f"{d['rows_quarantined']:,}", reasons=reasons or "-"))
    if extra.get("left_out"):
        console.print(t("models.cli.left_out", count=extra["left_out"]))
    for note in notes:
        console.print(f"[yellow]{note}[/]")
    status = getattr(fitted, "status_", None)
    if status is not None:  # ok / weakly identified / not estimable, with the reasons
        colour = {"ok": "green", "weak": "yellow", "not_estimable": "red"}[status.status]
        console.print(f"{t('models.status.label')}: [{colour}]{t(f'models.status.{status.status}')}[/]")
        for issue in status.issues:
            console.print(f"  [{colour}]{t(f'models.issue.{issue.code}', **issue.detail)}[/]")
