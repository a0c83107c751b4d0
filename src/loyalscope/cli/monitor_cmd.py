"""``loyalscope monitor``: check the latest complete period of every headline metric, print the
alerts, optionally send them, and exit with a code cron and CI jobs can act on:

- 0: no high alert; 3: at least one high alert; 4: a delivery failed (``--notify``);
- 2: the data or the configuration could not be used (the error says how to fix it).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn

from loyalscope.cli.app import app, emit_json, err_console, fail, load_config
from loyalscope.errors import ConfigError, LoyalscopeError
from loyalscope.i18n import normalise_lang, t, use_lang

EXIT_HIGH = 3
EXIT_DELIVERY = 4


@app.command(help=t("monitoring.cli.help", "en") + " / " + t("monitoring.cli.help", "zh"))
def monitor(
    data: list[str] = typer.Argument(..., help="Files, a folder, or a database URL."),
    config_path: Path | None = typer.Option(
        None, "--config", "-c", help="loyalscope.toml (default: the one beside the data)"),
    period: str | None = typer.Option(None, "--period", help="day|week|month|quarter|year"),
    at: str | None = typer.Option(None, "--at", help="Period to check, e.g. 2025-11 (default: "
                                                     "the latest complete one)."),
    notify: bool = typer.Option(False, "--notify", help=escape("Send the alerts to [monitor.notify].")),
    lang: str | None = typer.Option(None, "--lang", help="Language: zh or en."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check every headline metric against its expected range."""
    from loyalscope.data.load import load
    from loyalscope.metrics import wording
    from loyalscope.monitoring import monitor as run
    from loyalscope.monitoring.deliver import notify as send
    from loyalscope.monitoring.message import build

    try:
        config = load_config(config_path, data, **{"locale": lang, "monitor.period": period})
        language = normalise_lang(lang or config.locale)
        channels = config.monitor.notify
        if notify and not (channels.webhooks or channels.email):
            raise ConfigError(t("monitoring.cli.no_channels", language),
                              fix=t("monitoring.cli.no_channels_fix", language))
        with use_lang(language), Progress(
                TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.completed}/{task.total}"), console=err_console,
                disable=as_json, transient=True) as bar:
            task = bar.add_task(t("cli.loading"), total=None)
            ds = load(*data, config=config)

            def progress(metric_id: str, i: int, n: int) -> None:
                label = t(wording(metric_id, ds).name) if metric_id != "done" else ""
                bar.update(task, description=label, completed=i, total=n)

            result = run(ds, config, at=at, progress=progress)
            notify_lang = config.monitor.notify.lang or language
            if notify:
                result.delivery = send(result, config.monitor.notify, notify_lang)
    except LoyalscopeError as exc:
        fail(exc, as_json)
    failed = [d for d in result.delivery or [] if not d["ok"]]
    if as_json:
        emit_json(result.to_dict())
    else:
        with use_lang(language):
            typer.echo(build(result, language, "low", 1000).text)
            for d in result.delivery or []:
                key = "sent" if d["sent"] else ("failed" if not d["ok"] else "not_sent")
                typer.echo(t(f"monitoring.cli.{key}", channel=d["channel"], name=d["name"],
                             attempts=d["attempts"], error=d["error"]))
    if failed:
        with use_lang(language):
            for d in failed:
                typer.echo(t("monitoring.cli.failed", channel=d["channel"], name=d["name"],
                             attempts=d["attempts"], error=d["error"]), err=True)
        raise typer.Exit(code=EXIT_DELIVERY)
    if result.has_high:
        raise typer.Exit(code=EXIT_HIGH)
