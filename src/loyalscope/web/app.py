"""``create_app(state_dir)``: the FastAPI dashboard (pages and ``/api``) over one state folder.

Pages are rendered on the server with the package's Jinja templates; the only scripts are
Plotly (the copy the HTML report inlines, served from ``/static/plotly.min.js``) and
``static/web.js``. Nothing is fetched from another host. Every request passes
:class:`loyalscope.web.guard.Guard` first (authentication, roles, limits, CSRF, headers).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException

from loyalscope import __version__
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import normalise_lang, t
from loyalscope.web.guard import Guard
from loyalscope.web.settings import WebSettings
from loyalscope.web.state import WebState, status_of

STATIC = Path(__file__).parent / "static"


@cache
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def templates() -> Environment:
    return Environment(loader=PackageLoader("loyalscope", "web/templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def page_lang(request: Request) -> str:
    """``?lang=zh|en`` when given (anything else falls back), else the app's default language."""
    state: WebState = request.app.state.web
    try:
        return normalise_lang(request.query_params.get("lang") or state.lang)
    except LoyalscopeError:
        return state.lang


def error_payload(exc: LoyalscopeError) -> dict[str, object]:
    return {"error": {"type": type(exc).__name__, "message": exc.message, "fix": exc.fix,
                      "where": exc.location() or None}}


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    first = (exc.errors() or [{}])[0]
    where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "body", "path"))
    return t("web.errors.bad_request", field=where[:100] or "-", detail=str(first.get("msg", ""))[:200]), where


def create_app(state_dir: str | Path, db_url: str | None = None, lang: str = "zh",
               workers: int | None = None, imports: Iterable[str | Path] = (),
               settings: WebSettings | None = None) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    state_dir : path
        Where the state database (SQLite by default), uploads and analysis outputs live.
    db_url : str, optional
        SQLAlchemy URL of the state database (e.g. ``postgresql+psycopg://...``).
    lang : {"zh", "en"}
        Default page language; every page takes ``?lang=``.
    workers : int, optional
        Analyses run at the same time (overrides ``settings.job_workers``).
    imports : paths
        Output folders of ``loyalscope analyze`` / ``demo`` to list as finished analyses.
    settings : WebSettings, optional
        Authentication, data roots, connections and limits. Default: token authentication with
        a random token (``app.state.settings.token``), upload only, default limits.
    """
    from loyalscope.web import account, api, monitor_api, pages
    from loyalscope.web.auth import Auth, server_secret

    settings = (settings or WebSettings()).with_token()
    if workers is not None:
        settings = replace(settings, job_workers=workers)
    web = WebState(state_dir, db_url, lang, settings)
    for folder in imports:
        web.import_output(folder)
    auth = Auth(settings, web.store, server_secret(web.state_dir))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        web.runner.shutdown()
        web.monitors.shutdown()

    # no Swagger/ReDoc pages: FastAPI loads them from a CDN; the schema itself is served
    app = FastAPI(title="Loyalscope", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.web = web
    app.state.settings = settings
    app.state.auth = auth
    app.state.templates = templates()

    def _json_or_page(request: Request, exc: LoyalscopeError, status: int) -> Response:
        if request.url.path.startswith(("/api", "/static")):
            return JSONResponse(error_payload(exc), status_code=status,
                                headers={"Retry-After": "30"} if status == 429 else None)
        return pages.error_page(request, exc, status)

    @app.exception_handler(LoyalscopeError)
    async def _loyalscope_error(request: Request, exc: LoyalscopeError) -> Response:
        return _json_or_page(request, exc, status_of(exc))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(("/api", "/static")) or exc.status_code == 413:
            kind = "UploadTooLarge" if exc.status_code == 413 else "HTTPError"
            return JSONResponse({"error": {"type": kind, "message": str(exc.detail),
                                           "fix": getattr(exc, "fix", None), "where": None}},
                                status_code=exc.status_code)
        err = LoyalscopeError(str(exc.detail), fix=t("web.errors.http_fix"))
        return pages.error_page(request, err, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        message, where = _validation_message(exc)
        err = LoyalscopeError(message, fix=t("web.errors.bad_request_fix"), column=where or None)
        return _json_or_page(request, err, 422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # never a traceback in an answer; the server log has it
        err = LoyalscopeError(t("web.errors.internal"), fix=t("web.errors.internal_fix"))
        return JSONResponse(error_payload(err), status_code=500)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(_plotly_js(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(monitor_api.api)
    app.include_router(pages.router)
    app.include_router(monitor_api.pages)
    app.include_router(account.router)
    app.add_middleware(Guard, auth=auth, lang_of=page_lang, error_page=pages.error_page)
    return app


def from_env() -> FastAPI:
    """The app of ``loyalscope serve`` in each of uvicorn's worker processes (factory): the
    serve command passes its settings through the environment, never on a command line."""
    env = os.environ
    settings = WebSettings.from_env(env["LOYALSCOPE_WEB_SETTINGS"])
    imports = [p for p in env.get("LOYALSCOPE_WEB_IMPORTS", "").split(os.pathsep) if p]
    return create_app(env["LOYALSCOPE_WEB_STATE"], db_url=env.get("LOYALSCOPE_WEB_DB") or None,
                      lang=env.get("LOYALSCOPE_WEB_LANG", "zh"), imports=imports, settings=settings)
