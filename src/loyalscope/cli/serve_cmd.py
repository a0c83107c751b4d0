"""``loyalscope serve [DIR]``: the web dashboard (``loyalscope.web``) on a local port."""

from __future__ import annotations

from pathlib import Path

import typer

from loyalscope.cli.app import app, console, fail
from loyalscope.errors import LoyalscopeError
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


@app.command(help=t("web.cli.serve_help"))
def serve(
    folder: Path = typer.Argument(Path("loyalscope-web"), help=t("web.cli.dir_help")),
    host: str = typer.Option("127.0.0.1", "--host", help=t("web.cli.host_help")),
    port: int = typer.Option(8000, "--port", help=t("web.cli.port_help")),
    lang: str = typer.Option("zh", "--lang", help=t("web.cli.lang_help")),
    db: str | None = typer.Option(None, "--db", help=t("web.cli.db_help")),
    workers: int = typer.Option(1, "--workers", min=1, help=t("web.cli.workers_help")),
) -> None:
    """Serve the dashboard until interrupted."""
    import uvicorn

    from loyalscope.web import create_app

    try:
        language = normalise_lang(lang)
        state, imports = state_for(folder)
        web_app = create_app(state, db_url=db, lang=language, workers=workers, imports=imports)
    except LoyalscopeError as exc:
        fail(exc, False)
    with use_lang(language):
        console.print(t("web.cli.serving", url=f"http://{host}:{port}/"))
    uvicorn.run(web_app, host=host, port=port, log_level="warning")
