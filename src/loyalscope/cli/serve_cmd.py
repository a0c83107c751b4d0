"""``loyalscope serve [DIR]``: the web dashboard (``loyalscope.web``) on a local port, and
``loyalscope user``: the dashboard's named users."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape

from loyalscope.cli.app import app, console, fail
from loyalscope.errors import ConfigError, LoyalscopeError
from loyalscope.i18n import normalise_lang, t, use_lang

STATE_SUBDIR = ".loyalscope-web"


def state_for(folder: Path) -> tuple[Path, list[Path]]:
    """(state folder, output folders to show) for ``serve DIR``.

    An output folder of ``analyze``/``demo`` (it has analysis.json) keeps the app's state in
    ``DIR/.loyalscope-web`` and is listed as a finished analysis; any other folder is the state.
    """
    if (folder / "analysis.json").is_file():
        return folder / STATE_SUBDIR, [folder]
    return folder, []


def default_http_workers() -> int:
    """One request process per core, at most 4 (the machine allows what it has)."""
    return max(1, min(4, os.cpu_count() or 1))


@app.command(help=t("web.cli.serve_help"))
def serve(
    folder: Path = typer.Argument(Path("loyalscope-web"), help=t("web.cli.dir_help")),
    host: str = typer.Option("127.0.0.1", "--host", help=t("web.cli.host_help")),
    port: int = typer.Option(8000, "--port", help=t("web.cli.port_help")),
    lang: str = typer.Option("zh", "--lang", help=t("web.cli.lang_help")),
    db: str | None = typer.Option(None, "--db", help=t("web.cli.db_help")),
    config: Path | None = typer.Option(None, "--config", help=escape(t("web.cli.config_help"))),
    token: str | None = typer.Option(None, "--token", help=t("web.cli.token_help")),
    no_auth: bool = typer.Option(False, "--no-auth", help=t("web.cli.no_auth_help")),
    data_root: list[Path] = typer.Option([], "--data-root", help=t("web.cli.data_root_help")),
    max_upload_mb: int | None = typer.Option(None, "--max-upload-mb", min=1, help=t("web.cli.max_upload_help")),
    max_queue: int | None = typer.Option(None, "--max-queue", min=1, help=t("web.cli.max_queue_help")),
    workers: int | None = typer.Option(None, "--workers", "--job-workers", min=1, help=t("web.cli.workers_help")),
    job_timeout: float | None = typer.Option(None, "--job-timeout-minutes", min=0.01,
                                             help=t("web.cli.job_timeout_help")),
    job_memory: int | None = typer.Option(None, "--job-memory-mb", min=64, help=t("web.cli.job_memory_help")),
    http_workers: int | None = typer.Option(None, "--http-workers", min=1, help=t("web.cli.http_workers_help")),
) -> None:
    """Serve the dashboard until interrupted."""
    import uvicorn

    from loyalscope.web.settings import is_loopback, load_settings

    try:
        language = normalise_lang(lang)
        with use_lang(language):
            if no_auth and not is_loopback(host):
                raise ConfigError(t("web.cli.no_auth_refused", host=host), fix=t("web.cli.no_auth_refused_fix"))
            settings = load_settings(
                config, token=token, no_auth=no_auth or None, data_roots=[str(p) for p in data_root],
                max_upload_mb=max_upload_mb, max_queue=max_queue, job_workers=workers,
                job_timeout_minutes=job_timeout, job_memory_mb=job_memory).with_token()
        state, imports = state_for(folder)
        processes = http_workers or default_http_workers()
        if processes == 1:
            from loyalscope.web import create_app

            target: object = create_app(state, db_url=db, lang=language, imports=imports, settings=settings)
        else:  # each worker process builds the app from the environment
            from loyalscope.web.state import import_output
            from loyalscope.web.store import Store

            store = Store(state, db)
            for out in imports:
                import_output(store, out, language)
            store.engine.dispose()
            os.environ.update(settings.to_env())
            os.environ.update({"LOYALSCOPE_WEB_STATE": str(Path(state).resolve()),
                               "LOYALSCOPE_WEB_DB": db or "", "LOYALSCOPE_WEB_LANG": language})
            target = "loyalscope.web.app:from_env"
    except LoyalscopeError as exc:
        fail(exc, False)
    shown = f"[{host}]" if ":" in host else host
    with use_lang(language):
        url = f"http://{shown}:{port}/"
        console.print(t("web.cli.serving", url=url), soft_wrap=True)
        if settings.no_auth:
            console.print(t("web.cli.no_auth_line"), soft_wrap=True)
        else:
            console.print(t("web.cli.token_line"), soft_wrap=True)
            console.print(f"    {url}?token={settings.token}", soft_wrap=True, highlight=False)
    if isinstance(target, str):
        uvicorn.run(target, factory=True, host=host, port=port, workers=processes, log_level="warning")
    else:
        uvicorn.run(target, host=host, port=port, log_level="warning")  # type: ignore[arg-type]


@app.command(help=t("web.cli.user_help"))
def user(
    action: str = typer.Argument(..., help=t("web.cli.user_action_help")),
    name: str = typer.Argument("", help=t("web.cli.user_name_help")),
    folder: Path = typer.Option(Path("loyalscope-web"), "--dir", help=t("web.cli.dir_help")),
    db: str | None = typer.Option(None, "--db", help=t("web.cli.db_help")),
    role: str = typer.Option("viewer", "--role", help=t("web.cli.user_role_help")),
) -> None:
    """Add (or change), remove or list dashboard users; the password is asked for, or read from
    ``LOYALSCOPE_PASSWORD``, and stored only as an Argon2id hash."""
    from loyalscope.web.api import put_user
    from loyalscope.web.store import Store

    class _Web:  # put_user needs only the store
        def __init__(self, store: Store) -> None:
            self.store = store

    try:
        store = Store(state_for(folder)[0], db)
        if action == "list":
            for row in store.users():
                typer.echo(f"{row.name}\t{row.role}")
        elif action == "add":
            password = os.environ.get("LOYALSCOPE_PASSWORD") or typer.prompt(
                t("web.cli.password_prompt", name=name), hide_input=True, confirmation_prompt=True)
            put_user(_Web(store), name, role, password)  # type: ignore[arg-type]
            console.print(t("web.cli.user_added", name=name, role=role), highlight=False)
        elif action == "remove":
            if not store.delete_user(name):
                raise ConfigError(t("web.cli.user_missing", name=name), fix=t("web.users.no_user_fix"))
            console.print(t("web.cli.user_removed", name=name), highlight=False)
        else:
            raise ConfigError(t("web.cli.user_bad_action", action=action), fix=t("web.cli.user_bad_action_fix"))
    except LoyalscopeError as exc:
        fail(exc, False)
