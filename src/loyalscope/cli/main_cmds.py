"""Top-level commands: ``version``, ``analyze`` and ``demo``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from loyalscope import __version__
from loyalscope.cli.app import app, console, emit_json, fail, load_config
from loyalscope.config import AnalysisConfig
from loyalscope.errors import ConfigError, LoyalscopeError
from loyalscope.i18n import normalise_lang, t, use_lang


@app.command()
def version(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the Loyalscope version."""
    if as_json:
        emit_json({"version": __version__})
    else:
        typer.echo(__version__)


def run_analysis(data: list[str], out: Path, config: AnalysisConfig, lang: str,
                 quiet: bool = False) -> dict[str, Any]:
    """Load ``data``, analyse it and write every output into ``out``; return the output paths,
    the sections' states, the data quality, the total seconds and the seconds per step
    (``load``, each section in report order, ``write``)."""
    from loyalscope.analysis import analyze
    from loyalscope.data.load import load
    from loyalscope.engine import open_engine, resource_error
    from loyalscope.report.format import render_value
    from loyalscope.report.outputs import require_transactions, write_outputs

    started = time.perf_counter()
    from loyalscope.report import charts

    charts.warm_up()  # the report's template, beside the load's queries
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, disable=quiet, transient=True) as bar:
        task = bar.add_task(t("cli.loading"), total=None)
        steps = _StepClock()
        con = open_engine(config.engine, engine_for(data, config))
        try:
            dataset = load(*data, config=config, con=con)
            require_transactions(dataset, out)

            def progress(section_id: str, i: int, n: int) -> None:
                steps.lap(section_id if section_id != "done" else "write")
                label = t(f"report.section.{section_id}") if section_id != "done" else t("cli.writing")
                bar.update(task, description=label, completed=i, total=n)

            analysis = analyze(dataset, config, progress=progress)
            paths = {k: str(v) for k, v in write_outputs(analysis, dataset, out, lang).items()}
        except Exception as exc:  # out of memory or of spill disk: what to change, not a traceback
            if (err := resource_error(exc, con)) is not None:
                raise err from exc
            raise
        steps.lap("")
    return {
        "outputs": paths,
        "sections": {s.id: f"skipped: {render_value(s.skipped_kw.get('reason', ''), lang)}" if s.skipped else "ok"
                     for s in analysis.sections},
        "quality": dataset.quality.to_dict(),
        "seconds": round(time.perf_counter() - started, 2),
        "steps": steps.seconds,
    }


# help is read as Rich markup, where [engine] (a loyalscope.toml section) is a style tag: escaped
ENGINE_HELP = escape(t("engine.help"))
ENGINE_OPTION_HELP = escape(t("engine.option_help"))


def engine_for(data: list[str], config: AnalysisConfig) -> str:
    """``[engine] use``; when it is left at its default and the data is one Spark URL
    (``pyspark://``), the analysis runs on that Spark session rather than copying its tables
    into DuckDB."""
    if "use" not in config.engine.model_fields_set and len(data) == 1 and str(data[0]).startswith(
            ("pyspark://", "sc://")):
        return str(data[0])
    return config.engine.use


def engine_overrides(engine: str | None, options: list[str]) -> dict[str, str | None]:
    """``--engine`` and ``--engine-option KEY=VALUE`` as dotted overrides of ``[engine]``."""
    out: dict[str, str | None] = {"engine.use": engine}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(t("engine.bad_option", value=item), value=item,
                              fix=t("engine.bad_option_fix"))
        out[f"engine.{key.strip()}"] = value.strip()
    return out


class _StepClock:
    """Seconds per step of ``analyze``: ``load``, each section, ``write`` (the outputs)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._step, self._since = "load", time.perf_counter()

    def lap(self, next_step: str) -> None:
        now = time.perf_counter()
        self.seconds[self._step] = round(self.seconds.get(self._step, 0.0) + now - self._since, 3)
        self._step, self._since = next_step, now


@app.command()
def analyze(
    data: list[str] = typer.Argument(..., help="Files, a folder, or a database URL."),
    out: Path = typer.Option(Path("loyalscope-out"), "--out", "-o", help="Output folder."),
    lang: str = typer.Option(None, "--lang", help="Report language: zh or en."),
    config_path: Path | None = typer.Option(None, "--config", "-c", help="loyalscope.toml"),
    period: str | None = typer.Option(None, "--period", help="day|week|month|quarter|year"),
    engine: str | None = typer.Option(None, "--engine", help=ENGINE_HELP),
    engine_options: list[str] = typer.Option([], "--engine-option", help=ENGINE_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Analyse DATA and write report.html, loyalscope.xlsx, analysis.json, customers.parquet and
    quarantine.csv into --out."""
    try:
        config = load_config(config_path, data, **{"locale": lang, "analysis.period": period},
                             **engine_overrides(engine, engine_options))
        language = normalise_lang(lang or config.locale)
        with use_lang(language):
            result = run_analysis(data, out, config, language, quiet=as_json)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json(result)
        return
    with use_lang(language):
        console.print(t("cli.report_written", path=result["outputs"]["report"]))
    for key, path in result["outputs"].items():
        console.print(f"  {key}: {path}", markup=False)


@app.command()
def demo(
    out: Path = typer.Option(Path("loyalscope-demo"), "--out", "-o", help="Output folder."),
    customers: int = typer.Option(3000, help="Simulated customers."),
    days: int = typer.Option(730, help="Simulated days."),
    seed: int = typer.Option(0, help="Random seed."),
    lang: str = typer.Option("zh", "--lang", help="Report language: zh or en."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Simulate a company, validate its data, analyse it and print where the report is."""
    from loyalscope.data.simulate import simulate

    try:
        language = normalise_lang(lang)
        with use_lang(language):
            if not as_json:
                console.print(t("cli.demo_simulating", customers=customers, days=days))
            company = simulate(customers=customers, days=days, seed=seed)
            data_dir = out / "data"
            company.write(data_dir)
            # the simulated survey asks loyalty on 1-10, the other ratings on 1-5 (simulate_survey.py)
            config = AnalysisConfig.model_validate({"locale": language,
                                                    "survey": {"scales": {"loyalty_score": "1-10"}}})
            result = run_analysis([str(data_dir)], out, config, language, quiet=as_json)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    result["data"] = str(data_dir)
    if as_json:
        emit_json(result)
        return
    with use_lang(language):
        console.print(t("cli.report_written", path=Path(result["outputs"]["report"]).resolve()))
        console.print(t("cli.demo_next", data=data_dir))
