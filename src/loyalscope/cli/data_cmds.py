"""``loyalscope validate``: read, map and validate data; report counts, mapping and reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from loyalscope.cli.app import app, console, emit_json, fail, load_config
from loyalscope.cli.main_cmds import ENGINE_HELP, ENGINE_OPTION_HELP, engine_for, engine_overrides
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t


@app.command(help=t("data.cli.validate_help"))
def validate(
    paths: Annotated[list[str], typer.Argument(help=t("data.cli.paths_help"))],
    config: Annotated[Path | None, typer.Option("--config", "-c", help=t("data.cli.config_help"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=t("data.cli.json_help"))] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=t("data.cli.out_help"))] = None,
    engine: Annotated[str | None, typer.Option("--engine", help=ENGINE_HELP)] = None,
    engine_options: Annotated[list[str] | None, typer.Option("--engine-option", help=ENGINE_OPTION_HELP)] = None,
) -> None:
    """Validate data files (see ``loyalscope validate --help``); the files are read and checked
    by the engine of ``--engine`` (DuckDB by default, Spark reads them itself)."""
    from loyalscope.data.load import load, write_quarantine  # the engine's modules: not for --help
    from loyalscope.data.mapping import not_found
    from loyalscope.engine import open_engine

    try:
        cfg = load_config(config, paths, **engine_overrides(engine, engine_options or []))
        ds = load(*paths, config=cfg, con=open_engine(cfg.engine, engine_for(paths, cfg)))
    except LoyalscopeError as exc:
        fail(exc, as_json)
    report = ds.quality
    written = write_quarantine(report, out) if out is not None else None
    if as_json:
        doc = report.to_dict()  # {table: {rows_read, rows_accepted, ..., joins, statuses}}
        if report.orders:
            doc["_orders"] = report.orders
        if report.unused:
            doc["_unused_files"] = report.unused
        if report.no_customer_reason:
            doc["_no_customer_id"] = report.no_customer_reason
        emit_json(doc)
        return
    for name, rep in report.tables.items():
        grid = Table(title=f"{t('data.cli.table')}: {name}", show_header=False)
        grid.add_row(t("data.cli.read"), f"{rep.rows_read:,}")
        grid.add_row(t("data.cli.accepted"), f"{rep.rows_accepted:,}")
        grid.add_row(t("data.cli.quarantined"), f"{rep.rows_quarantined:,}")
        grid.add_row(t("data.cli.orphans"), f"{rep.orphans:,}")
        grid.add_row(t("data.cli.mapping"),
                     escape("\n".join(f"{k} ← {v}" for k, v in rep.mapping.items())))
        grid.add_row(t("data.cli.reasons"),
                     "\n".join(f"{r}: {n:,}" for r, n in rep.reasons.most_common(5)) or "-")
        for info in rep.files:
            if "encoding" in info:
                grid.add_row(t("data.intake.cli_encoding"), t(
                    "data.intake.cli_encoding_value", source=Path(str(info["source"])).name,
                    name=info["encoding"], confidence=f"{float(info['confidence']):.0%}",
                    undecodable=info["undecodable_lines"], evidence=info["evidence"]),
                    )
        if rep.joins:
            grid.add_row(t("data.shapes.joins"), escape("\n".join(
                t("data.cli.join_line", **j) for j in rep.joins)))
        if rep.statuses:
            grid.add_row(t("data.shapes.statuses"), escape("\n".join(
                f"{s['value'] or '-'} → {s['class']}: {s['orders']:,}" for s in rep.statuses)))
        if rep.unused_columns:
            grid.add_row(t("data.cli.unused_columns"), escape("\n".join(
                [f"{Path(u['source']).name}: {', '.join(u['columns'])}" for u in rep.unused_columns]
                + [t("data.cli.unused_columns_fix", table=name,
                     canonical=", ".join(not_found(name, rep.mapping)) or "-")])))
        for note in rep.notes:
            grid.add_row("", escape(note))
        console.print(grid)
    if report.orders:
        o = report.orders
        console.print(escape(t("data.cli.orders_line", **o)))
    for item in report.unused:
        console.print(escape(f"{t('data.shapes.unused')}: {item['file']}: {item['reason']}"))
    if written is not None:
        console.print(t("data.cli.wrote", path=written))
