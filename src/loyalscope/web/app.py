"""``create_app(state_dir)``: the FastAPI dashboard (pages and ``/api``) over one state folder.

Pages are rendered on the server with the package's Jinja templates; the only scripts are
Plotly (the copy the HTML report inlines, served from ``/static/plotly.min.js``) and
``static/web.js``. Nothing is fetched from another host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from loyalscope import __version__
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import normalise_lang, t, use_lang
from loyalscope.web.state import NotFound, NotReady, WebState

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


def _status(exc: LoyalscopeError) -> int:
    return 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, NotReady) else 400


def create_app(state_dir: str | Path, db_url: str | None = None, lang: str = "zh",
               workers: int = 1, imports: Iterable[str | Path] = ()) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    state_dir : path
        Where the state database (SQLite by default), uploads and analysis outputs live.
    db_url : str, optional
        SQLAlchemy URL of the state database (e.g. ``postgresql+psycopg://...``).
    lang : {"zh", "en"}
        Default page language; every page takes ``?lang=``.
    workers : int
        Analyses run at the same time (background threads).
    imports : paths
        Output folders of ``loyalscope analyze`` / ``demo`` to list as finished analyses.
    """
    from loyalscope.web import api, pages

    web = WebState(state_dir, db_url, lang, workers)
    for folder in imports:
        web.import_output(folder)
    web.runner.recover()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        web.runner.shutdown()

    # no Swagger/ReDoc pages: FastAPI loads them from a CDN; the schema itself is served
    app = FastAPI(title="Loyalscope", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.web = web
    app.state.templates = templates()

    @app.middleware("http")
    async def _language(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        with use_lang(page_lang(request)):  # messages and errors in the page's language
            return await call_next(request)

    @app.exception_handler(LoyalscopeError)
    async def _loyalscope_error(request: Request, exc: LoyalscopeError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse(error_payload(exc), status_code=_status(exc))
        return pages.error_page(request, exc, _status(exc))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api") or request.url.path.startswith("/static"):
            return JSONResponse({"error": {"type": "HTTPError", "message": str(exc.detail),
                                           "fix": None, "where": None}}, status_code=exc.status_code)
        lang = page_lang(request)
        err = LoyalscopeError(str(exc.detail), fix=t("web.errors.http_fix", lang))
        return pages.error_page(request, err, exc.status_code)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(_plotly_js(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
