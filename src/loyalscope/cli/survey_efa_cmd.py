"""``loyalscope survey efa``: exploratory factor analysis of survey items, with KMO and Bartlett."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from loyalscope.cli.app import console, emit_json, fail, read_table
from loyalscope.cli.survey_app import survey_app
from loyalscope.errors import InsufficientDataError, LoyalscopeError, SchemaError
from loyalscope.i18n import t

if TYPE_CHECKING:  # pandas loads when a command runs, not for --help
    import pandas as pd


ROTATIONS = ("varimax", "promax", "none")


def item_columns(data: pd.DataFrame, items: str | None, file: str | None = None) -> list[str]:
    """The columns to analyse: ``items`` (comma separated) or every numeric column except ids (a
    header ending in "id", or a spelling of the response or customer id: 序号, 答卷编号)."""
    import pandas as pd

    if items:
        cols = [c.strip() for c in items.split(",") if c.strip()]
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise SchemaError(t("survey.cli.no_column", column=missing[0]), file=file, column=missing[0],
                              fix=t("survey.efa.no_column_fix", columns=", ".join(map(str, data.columns))))
        for c in cols:
            values = pd.to_numeric(data[c], errors="coerce")
            bad = values.isna() & data[c].notna()
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise SchemaError(t("survey.cli.not_numeric", column=c), file=file, column=c, row=row + 2,
                                  value=data[c].iloc[row], fix=t("survey.efa.items_fix"))
        return cols
    from loyalscope.data.mapping import aliases, normalise_header

    ids = {normalise_header(a) for col in ("response_id", "customer_id") for a in aliases("surveys", col)}
    numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and not str(c).lower().endswith("id")
               and normalise_header(str(c)) not in ids  # 问卷星's 序号, SurveyMonkey's Respondent ID
               and data[c].nunique(dropna=True) > 1]
    return numeric


def run_efa(data: pd.DataFrame, items: list[str], n_factors: int | None = None, rotation: str = "varimax",
            file: str | None = None) -> dict[str, Any]:
    """EFA of ``items``: JSON-ready loadings, communalities, KMO, Bartlett (complete answers only)."""
    import numpy as np
    import pandas as pd

    from loyalscope.models.survey.factor_analysis import (  # SciPy: not at the CLI's start
        FactorAnalysis,
        kmo_label,
        suggest_factors,
    )

    if len(items) < 3:
        raise InsufficientDataError(t("survey.efa.too_few_items", n=len(items)), fix=t("survey.efa.items_fix"))
    x = data[items].apply(pd.to_numeric, errors="coerce")
    complete = x.dropna()
    r = np.corrcoef(complete.to_numpy(float), rowvar=False) if len(complete) > 1 else np.eye(len(items))
    k = n_factors or suggest_factors(r)
    fa = FactorAnalysis(k, rotation=None if rotation == "none" else rotation).fit(complete.to_numpy(float), names=items)  # type: ignore[arg-type]
    chi2, df, p = fa.bartlett_
    return {
        "n": fa.n_, "left_out": len(x) - len(complete), "items": items, "factors": k,
        "factors_rule": "given" if n_factors else "kaiser",
        "rotation": rotation, "kmo": fa.kmo_, "kmo_label": kmo_label(fa.kmo_),
        "kmo_items": dict(zip(items, map(float, fa.kmo_items_), strict=True)),
        "bartlett": {"chi2": chi2, "df": df, "p": p},
        "loadings": {item: dict(zip([f"F{j + 1}" for j in range(k)], map(float, row), strict=True))
                     for item, row in zip(items, fa.loadings_, strict=True)},
        "communalities": dict(zip(items, map(float, fa.communalities_), strict=True)),
        "factor_correlations": fa.phi_.tolist(),
    }


def _print(out: dict[str, Any]) -> None:
    console.print(t("survey.efa.adequacy", kmo=f"{out['kmo']:.3f}", label=t(f"survey.efa.kmo.{out['kmo_label']}"),
                    chi2=f"{out['bartlett']['chi2']:.1f}", df=out["bartlett"]["df"], p=f"{out['bartlett']['p']:.3g}",
                    n=out["n"]))
    table = Table(title=t("survey.efa.title", factors=out["factors"], rotation=out["rotation"]))
    table.add_column(t("survey.efa.item"))
    names = [f"F{j + 1}" for j in range(out["factors"])]
    for name in names:
        table.add_column(name, justify="right")
    table.add_column(t("survey.efa.communality"), justify="right")
    for item in out["items"]:
        table.add_row(item, *(f"{out['loadings'][item][f]:.3f}" for f in names), f"{out['communalities'][item]:.3f}")
    console.print(table)


@survey_app.command("efa")
def efa(
    data: Annotated[Path, typer.Option("--data", help="Survey answers (CSV, Parquet or Excel), one row per respondent.")],
    items: str | None = typer.Option(None, "--items", help="Comma-separated item columns (default: every numeric column)."),
    factors: int | None = typer.Option(None, "--factors", min=1, help="Number of factors (default: eigenvalues > 1)."),
    rotation: str = typer.Option("varimax", "--rotation", help="varimax, promax or none."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Exploratory factor analysis (minres) with KMO and Bartlett's test of sphericity."""
    try:
        if rotation not in ROTATIONS:
            raise SchemaError(t("survey.efa.rotation", value=rotation), value=rotation, fix=t("survey.efa.rotation_fix"))
        frame = read_table(data)
        out = run_efa(frame, item_columns(frame, items, str(data)), factors, rotation, str(data))
    except LoyalscopeError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json(out)
    else:
        _print(out)
