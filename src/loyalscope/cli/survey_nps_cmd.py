"""``loyalscope survey nps``: Net Promoter Score of a 0-10 column with three intervals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from loyalscope.cli.app import console, emit_json, fail, load_config, mapped, read_table
from loyalscope.cli.survey_app import survey_app
from loyalscope.config import SurveyConfig
from loyalscope.errors import LoyalscopeError, SchemaError
from loyalscope.i18n import t

if TYPE_CHECKING:  # pandas loads when a command runs, not for --help
    import pandas as pd


def run_nps(data: pd.DataFrame, column: str, seed: int = 0, file: str | None = None,
            min_n: int | None = None) -> dict[str, Any]:
    """NPS of ``data[column]`` as the JSON-ready dict printed by ``survey nps``."""
    import pandas as pd

    from loyalscope.models.survey.nps import NPS  # SciPy's statistics: not at the CLI's start

    column = _header_for(data, column)
    if column not in data.columns:
        raise SchemaError(t("survey.cli.no_column", column=column), file=file, column=column,
                          fix=t("survey.cli.no_column_fix", columns=", ".join(map(str, data.columns))))
    from loyalscope.data.forms import NO_ANSWER

    answers = data[column].mask(data[column].astype(str).str.strip().isin(NO_ANSWER))  # 问卷星's (空)
    values = pd.to_numeric(answers, errors="coerce")
    bad = values.isna() & answers.notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise SchemaError(t("survey.cli.not_numeric", column=column), file=file, column=column,
                          row=row + 2, value=data[column].iloc[row], fix=t("survey.cli.range_fix"))
    try:
        model = NPS(seed=seed, min_n=min_n or SurveyConfig().min_n).fit(values.to_numpy())
    except ValueError as exc:
        raise SchemaError(str(exc), file=file, column=column, fix=t("survey.cli.range_fix")) from exc
    return {**model.to_dict(), "column": str(column)}


def _header_for(data: pd.DataFrame, column: str) -> str:
    """The header of ``data`` that a canonical survey column (``nps``) stands for when it is not
    there by that name: the spellings the loader recognises (``NPS``, ``推荐值``, ``Likelihood to
    recommend`` ...) or the question that asks for it (:mod:`loyalscope.data.questions`), when
    exactly one header has one; else ``column`` unchanged."""
    from loyalscope.data import schema
    from loyalscope.data.mapping import aliases, normalise_header
    from loyalscope.data.questions import match_questions

    if column in data.columns or column not in {c.name for c in schema.table("surveys").columns}:
        return column
    wanted = {normalise_header(a) for a in aliases("surveys", column)}
    found = [h for h in data.columns if normalise_header(h) in wanted]
    if not found:  # a questionnaire's question (问卷星: 4、您向朋友推荐本店的可能性有多大？)
        found = list(match_questions([str(h) for h in data.columns], [column]).values())
    return str(found[0]) if len(found) == 1 else column


@survey_app.command("nps")
def nps_command(
    data: Annotated[Path, typer.Option("--data", help="CSV, Excel or Parquet file.")],
    column: Annotated[str, typer.Option("--column", help="Column of 0-10 answers.")] = "nps",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and posterior draws.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", help=t("data.cli.config_help"))] = None,
) -> None:
    """Net Promoter Score with normal, bootstrap and Bayesian intervals / 净推荐值."""
    try:
        cfg = load_config(config, [str(data)])  # [mapping.surveys] names the columns, [survey] min_n
        frame = read_table(data, cfg)
        # a header [mapping.surveys] renames is asked for by its canonical name (Sudzilla's question -> csat)
        column = {src: canon for canon, src in (cfg.mapping.get("surveys") or {}).items()}.get(column, column)
        out = run_nps(mapped(frame, cfg, "surveys"), column, seed=seed, file=str(data),
                      min_n=cfg.survey.min_n)
        out["notes"] = frame.attrs.get("notes", [])  # what staging judged: a survey tool's header rows
    except LoyalscopeError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json(out)
        return
    for note in out["notes"]:
        console.print(escape(note), style="dim")
    if out["column"] != column:
        console.print(t("survey.cli.column_read", header=out["column"], column=column))
    console.print(t("survey.cli.nps_line", nps=out["nps"], n=out["n"], promoters=out["promoters"],
                    passives=out["passives"], detractors=out["detractors"]))
    for method, (lo, hi) in out["intervals"].items():
        console.print(t("survey.cli.interval_line", method=t(f"survey.interval.{method}"), lo=lo, hi=hi))
    if out["small_sample"]:
        console.print(t("survey.small_sample", n=out["n"]), style="yellow")
