"""``loyalscope metrics list`` and ``loyalscope metrics compute``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from loyalscope.cli.app import app, console, emit_json, fail
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t

_DATA_OPT = typer.Argument(None, help="Data folder or file; shows what is computable.")
_DATA = typer.Argument(..., help="Data folder or file.")
metrics_app = typer.Typer(help="Loyalty metric catalogue / 忠诚度指标", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


_CONFIG = typer.Option(None, "--config", "-c", help="loyalscope.toml (default: beside the data, "
                       "else in the working directory)")


def _load(data: Path, config_path: Path | None = None):
    from loyalscope.cli.app import load_config
    from loyalscope.data.load import load

    return load(data, config=load_config(config_path, [str(data)]))


def catalogue(ds: Any = None) -> list[dict[str, Any]]:
    """One dict per metric: id, section, name, formula, requires, [computable, why]."""
    from loyalscope.metrics import REGISTRY

    rows = []
    for m in REGISTRY.values():
        row: dict[str, Any] = {
            "id": m.id, "section": m.section, "name": m.name(ds=ds), "formula": m.formula(ds=ds),
            "requires": list(m.requires),
        }
        if ds is not None:
            missing = ds.missing(m.requires)
            row["computable"] = not missing
            row["why"] = t("metrics.cli.needs", what=", ".join(missing)) if missing else None
        rows.append(row)
    return rows


@metrics_app.command("list")
def list_cmd(
    data: Path | None = _DATA_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    config_path: Path | None = _CONFIG,
) -> None:
    """List the metric catalogue; with DATA, which metrics can be computed and why not."""
    try:
        ds = _load(data, config_path) if data is not None else None
        rows = catalogue(ds)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({"metrics": rows})
        return
    for r in rows:
        mark = ""
        if "computable" in r:
            mark = "  [green]✓[/]" if r["computable"] else f"  [red]✗ {r['why']}[/]"
        console.print(f"[bold]{r['id']}[/] ({r['section']}) {r['name']}: {r['formula']}{mark}")


@metrics_app.command("compute")
def compute_cmd(
    data: Path = _DATA,
    metric: str = typer.Option(..., "--metric", "-m", help="Metric id (see `metrics list`)."),
    period: str = typer.Option("month", "--period", help="day, week, month, quarter or year."),
    by: str | None = typer.Option(None, "--by", help="Group by a customers column."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    config_path: Path | None = _CONFIG,
) -> None:
    """Compute one metric per period (and group)."""
    from loyalscope.metrics import compute

    try:
        ds = _load(data, config_path)
        df = compute(ds, metric, period=period, by=by)  # type: ignore[arg-type]
    except LoyalscopeError as exc:
        fail(exc, as_json)
    rows = [
        {k: _clean(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")
    ]
    if as_json:
        emit_json({"metric": metric, "rows": rows})
        return
    console.print(df.to_string(index=False))


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v
