"""``loyalscope survey pls``: fit a PLS path model (ACSI / ECSI style) from a TOML spec."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from loyalscope.cli.app import console, emit_json, fail, load_config, mapped, read_table
from loyalscope.cli.survey_app import survey_app
from loyalscope.errors import ConfigError, LoyalscopeError
from loyalscope.i18n import t

if TYPE_CHECKING:  # pandas loads when a command runs, not for --help
    import pandas as pd


def _num(x: float) -> float | None:
    import numpy as np

    return None if x is None or not np.isfinite(x) else float(x)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def run_pls(data: pd.DataFrame, spec_path: Path, n_boot: int = 0, seed: int | None = None,
            data_file: str | None = None, consistent: str | None = None, groups: str | None = None,
            n_perm: int = 1000, predict: bool = False) -> dict[str, Any]:
    """Fit the spec on ``data``; return the JSON-ready result of ``survey pls``.

    ``consistent`` ("auto", "true", "false") overrides the spec; ``groups`` names a column for the
    permutation multi-group analysis; ``predict`` adds Q-squared (blindfolding) and PLSpredict.
    """
    import numpy as np

    from loyalscope.models.survey import reliability as rel  # SciPy: not at the CLI's start
    from loyalscope.models.survey.plspm import PLSPM
    from loyalscope.models.survey.plspm_assess import (
        htmt_interval,
        inner_vif,
        pls_predict,
        q2_blindfolding,
    )
    from loyalscope.models.survey.plspm_mga import permutation_test
    from loyalscope.models.survey.plspm_spec import check_columns, load_spec

    spec = load_spec(spec_path)
    check_columns(spec, list(data.columns), file=data_file)
    if consistent is not None:
        if consistent not in ("auto", "true", "false"):
            raise ConfigError(t("survey_model.errors.consistent", value=consistent), fix=t("survey_model.errors.consistent_fix"),
                              value=consistent)
        spec.consistent = consistent if consistent == "auto" else consistent == "true"
    if groups is not None and groups not in data.columns:
        raise ConfigError(t("survey_model.cli.no_group_column", column=groups), file=data_file, column=groups,
                          fix=t("survey_model.cli.no_group_column_fix", columns=", ".join(map(str, data.columns))))
    model = PLSPM.from_spec(spec).fit(data)
    lo, hi = spec.scale if spec.scale else (None, None)
    index = model.index(lo, hi, errors="coerce")
    table = rel.reliability_table(data, spec.blocks, model.loadings_)
    out: dict[str, Any] = {
        "paths": model.path_dict(),
        "r2": {k: float(v) for k, v in model.r2_.items()},
        "gof": model.gof_,
        "index": {k: _num(v) for k, v in index.items()},
        "reliability": {
            lv: {"alpha": _num(r.alpha), "alpha_std": _num(r.alpha_std), "rho": _num(r.rho),
                 "ave": _num(r.ave), "htmt_max": _num(r.htmt_max),
                 "flags": [f for f in r["flags"].split(", ") if f]}
            for lv, r in table.iterrows()
        },
        "thresholds": {"alpha": rel.ALPHA_MIN, "rho": rel.RHO_MIN, "ave": rel.AVE_MIN,
                       "htmt": [rel.HTMT_STRICT, rel.HTMT_LIBERAL]},
        "n": len(data),
        "iterations": model.n_iter_,
        "estimator": "PLSc" if model.consistent_ else "PLS",
        "admissible": model.admissible_,
        "paths_pls": {f"{a} -> {b}": float(model.path_coefs_pls_.loc[b, a]) for a, b in model._edges},
        "r2_pls": {k: float(v) for k, v in model.r2_pls_.items()},
        "rho_a": {k: _num(v) for k, v in model.rho_a_.items()},
        "vif": _records(inner_vif(model)),
    }
    negative = [lv for lv, v in index.items() if not np.isfinite(v)]
    if negative:
        out["warnings"] = [t("survey_model.cli.index_undefined", lvs=", ".join(negative))]
    if n_boot > 0:
        boot = model.bootstrap(n_boot, seed=seed)
        paths = boot.loc["path"]
        out["bootstrap"] = {
            "n": boot.attrs["n_boot"], "failed": boot.attrs["n_failed"], "seed": seed, "level": boot.attrs["level"],
            "paths": {name: {"se": float(r.std_error), "percentile": [float(r.perc_lo), float(r.perc_hi)],
                             "bca": [float(r.bca_lo), float(r.bca_hi)]} for name, r in paths.iterrows()},
        }
        out["htmt"] = _records(htmt_interval(model, n_boot=n_boot, seed=seed))
    if groups is not None:
        mga = permutation_test(model, data[groups], n_perm=n_perm, seed=seed)
        out["mga"] = {"column": groups, "permutations": mga.attrs["n_perm"], "paths": _records(mga)}
    if predict:
        distance = next(d for d in range(7, 100) if len(data) % d)
        out["q2"] = {"distance": distance, "constructs": _records(q2_blindfolding(model, distance))}
        out["pls_predict"] = _records(pls_predict(model, folds=10, repeats=1, seed=seed))
    return out


def _print(out: dict[str, Any]) -> None:
    boot = out.get("bootstrap")
    paths = Table(title=f"{t('survey_model.paths')} ({out['estimator']})")
    paths.add_column(t("survey_model.columns.path"))
    paths.add_column(t("survey_model.columns.coef"), justify="right")
    if out["estimator"] == "PLSc":
        paths.add_column(t("survey_model.columns.coef_pls"), justify="right")
    if boot:
        paths.add_column(t("survey_model.columns.ci", level=round(boot["level"] * 100)) + " (BCa)", justify="right")
    for name, value in out["paths"].items():
        row = [name, f"{value:.3f}"]
        if out["estimator"] == "PLSc":
            row.append(f"{out['paths_pls'][name]:.3f}")
        if boot:
            lo, hi = boot["paths"][name]["bca"]
            row.append(f"[{lo:.3f}, {hi:.3f}]")
        paths.add_row(*row)
    console.print(paths)
    lvs = Table(title=f"{t('survey_model.gof')} = {out['gof']:.4f}")
    lvs.add_column(t("survey_model.columns.lv"))
    lvs.add_column(t("survey_model.r2"), justify="right")
    lvs.add_column(t("survey_model.index"), justify="right")
    for lv, idx in out["index"].items():
        r2 = out["r2"].get(lv)
        lvs.add_row(lv, "" if r2 is None else f"{r2:.3f}", "-" if idx is None else f"{idx:.1f}")
    console.print(lvs)
    rtab = Table(title=t("survey_model.reliability"))
    rtab.add_column(t("survey_model.columns.lv"))
    for key in ("alpha", "alpha_std", "rho", "ave", "flags"):
        rtab.add_column(t(f"survey_model.columns.{key}"), justify="right")
    for lv, r in out["reliability"].items():
        flags = ", ".join(r["flags"]) or t("survey_model.ok")
        rtab.add_row(lv, *(f"{r[k]:.3f}" for k in ("alpha", "alpha_std", "rho", "ave")), flags)
    console.print(rtab)
    for warning in out.get("warnings", []):
        console.print(f"[yellow]{warning}[/]")


@survey_app.command("pls")
def pls(
    data: Annotated[Path, typer.Option("--data", help="Survey answers (CSV, Parquet or Excel), one row per respondent.")],
    spec: Annotated[Path, typer.Option("--spec", help="Model spec TOML with a blocks table and a model table (paths, scheme, scaled).")],
    n_boot: int = typer.Option(0, "--bootstrap", min=0, help="Bootstrap resamples for confidence intervals."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed of the bootstrap."),
    consistent: str | None = typer.Option(None, "--consistent", help="auto (PLSc when every block is reflective), true or false; default: the spec's."),
    groups: str | None = typer.Option(None, "--groups", help="Column of group labels (region, tier ...): permutation multi-group analysis."),
    n_perm: int = typer.Option(1000, "--permutations", min=10, help="Permutations of the multi-group test."),
    predict: bool = typer.Option(False, "--predict", help="Also Q-squared by blindfolding and PLSpredict (10 folds)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    config: Path | None = typer.Option(None, "--config", "-c", help=t("data.cli.config_help")),
) -> None:
    """Fit a PLS path model (e.g. ACSI / ECSI): paths, R squared, GoF, 0-100 index, reliability."""
    try:
        cfg = load_config(config, [str(data)])  # [mapping.surveys] renames columns to the spec's
        out = run_pls(mapped(read_table(data, cfg), cfg, "surveys"), spec, n_boot=n_boot, seed=seed,
                      data_file=str(data), consistent=consistent, groups=groups, n_perm=n_perm,
                      predict=predict)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json(out)
    else:
        _print(out)
