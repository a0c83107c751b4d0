"""``loyalscope simulate``: write a simulated company (tables + truth.json + GBK CRM export)."""

from __future__ import annotations

from pathlib import Path

import typer

from loyalscope.cli.app import app, emit_json, fail
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t


@app.command(help=t("simulate.help", "en") + " / " + t("simulate.help", "zh"))
def simulate(
    customers: int = typer.Option(3000, "--customers", help=t("simulate.customers", "en")),
    days: int = typer.Option(730, "--days", help=t("simulate.days", "en")),
    density: float = typer.Option(1.0, "--density", help=t("simulate.density", "en")),
    seed: int = typer.Option(0, "--seed", help=t("simulate.seed", "en")),
    out: str = typer.Option(..., "--out", help=t("simulate.out", "en")),
    fmt: str = typer.Option("csv", "--format", help=t("simulate.format", "en")),
    acquisition_share: float = typer.Option(0.5, "--acquisition-share",
                                            help=t("simulate.acquisition_share", "en")),
    change: list[str] = typer.Option([], "--change", help=t("simulate.change", "en")),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Simulate a company with known ground truth and write its tables to ``--out``."""
    from loyalscope.data.simulate import simulate as run
    from loyalscope.data.simulate_io import FORMATS

    try:
        if fmt not in FORMATS:
            from loyalscope.errors import ConfigError

            raise ConfigError(t("core.input_errors.unknown_format", format=fmt), value=fmt, fix=t("core.input_errors.unknown_format_fix"))
        from loyalscope.data.simulate_changes import parse

        company = run(customers=customers, days=days, seed=seed, purchase_density=density,
                      acquisition_share=acquisition_share, changes=[parse(c) for c in change])
        paths = company.write(Path(out), format=fmt)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    rows = {name: len(df) for name, df in company.tables.items()}
    if as_json:
        emit_json({
            "out": str(out),
            "format": fmt,
            "seed": seed,
            "files": {name: str(path) for name, path in paths.items()},
            "rows": rows,
            "truth": company.truth,
        })
        return
    typer.echo(t("simulate.wrote", tables=len(rows), orders=rows["transactions"], customers=rows["customers"],
                 out=out))
    typer.echo(t("simulate.truth", path=paths["truth"]))
    typer.echo(t("simulate.crm_export", path=paths["crm_export"]))
