"""Server-rendered pages: the index (datasets, analyses, upload), an analysis's dashboard, the
customer lookup and a customer's page. Every page takes ``?lang=zh|en``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from loyalscope import __version__
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t
from loyalscope.sections import ORDER
from loyalscope.web import customers, views
from loyalscope.web.app import page_lang
from loyalscope.web.state import NotFound, WebState

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25


def _web(request: Request) -> WebState:
    return request.app.state.web


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` in the request's language."""
    lang = page_lang(request)
    other = "en" if lang == "zh" else "zh"
    query = dict(request.query_params)
    query["lang"] = other
    html = request.app.state.templates.get_template(name).render(
        lang=lang, html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        t=lambda key, **kw: t(key, lang, **kw), other_lang=other,
        switch_url=f"{request.url.path}?{urlencode(query)}", q_lang=f"lang={lang}", **context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, exc: LoyalscopeError, status_code: int) -> HTMLResponse:
    return render(request, "error.html", status_code, error=exc, where=exc.location())


def _back(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?lang={page_lang(request)}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    web = _web(request)
    return render(request, "index.html", datasets=web.store.datasets(),
                  analyses=web.store.analyses(), sections=ORDER)


@router.post("/datasets/upload")
def upload(request: Request, files: Annotated[list[UploadFile], File()],
           name: Annotated[str, Form()] = "") -> Response:
    _web(request).add_upload(name, [(f.filename or "", f.file) for f in files])
    return _back(request, "/")


@router.post("/datasets/path")
def add_path(request: Request, path: Annotated[str, Form()], name: Annotated[str, Form()] = "") -> Response:
    _web(request).add_path(path, name or None)
    return _back(request, "/")


@router.post("/analyses")
def start(request: Request, dataset_id: Annotated[str, Form()],
          lang: Annotated[str, Form()] = "", sections: Annotated[list[str] | None, Form()] = None) -> Response:
    row = _web(request).start_analysis(dataset_id, lang or page_lang(request), sections)
    return _back(request, f"/analyses/{row.id}")


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def dashboard(request: Request, analysis_id: str) -> HTMLResponse:
    web = _web(request)
    row = web.analysis_row(analysis_id)
    if row.status != "done":
        return render(request, "status.html", row=row.to_dict())
    _, analysis = web.finished(analysis_id)
    board = views.dashboard(analysis, page_lang(request))
    return render(request, "dashboard.html", row=row.to_dict(), board=board)


@router.get("/analyses/{analysis_id}/report")
def report(request: Request, analysis_id: str) -> FileResponse:
    """The self-contained HTML report written by the job, in ``?lang=``."""
    return FileResponse(_web(request).report_file(analysis_id, page_lang(request)), media_type="text/html")


@router.get("/analyses/{analysis_id}/files/{name}")
def output_file(request: Request, analysis_id: str, name: str) -> FileResponse:
    return FileResponse(_web(request).output_file(analysis_id, name), filename=name)


def _cell(column: str, value: Any, lang: str) -> tuple[str, bool]:
    """(display text, whether it is a number to right-align)."""
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    return views.customer_value(column, value, lang), numeric


@router.get("/analyses/{analysis_id}/customers", response_class=HTMLResponse)
def customer_search(request: Request, analysis_id: str, q: str = "", page: int = 1) -> HTMLResponse:
    web = _web(request)
    row = web.analysis_row(analysis_id)
    page = max(1, page)
    found = customers.search(web.customers_file(analysis_id), q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    lang = page_lang(request)
    shown = [c for c in found.columns if c != "customer_id"]
    return render(request, "customers.html", row=row.to_dict(), found=found, q=q,
                  headers=[views.customer_label(c, lang) for c in shown],
                  rows=[(r["customer_id"], [_cell(c, r[c], lang) for c in shown]) for r in found.rows])


@router.get("/analyses/{analysis_id}/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, analysis_id: str, customer_id: str) -> HTMLResponse:
    web = _web(request)
    row = web.analysis_row(analysis_id)
    record = customers.get(web.customers_file(analysis_id), customer_id)
    lang = page_lang(request)
    if record is None:
        raise NotFound(t("web.errors.no_customer", lang, id=customer_id),
                       fix=t("web.errors.no_customer_fix", lang))
    fields = [(c, views.customer_label(c, lang), *_cell(c, v, lang))
              for c, v in record.items() if c not in ("customer_id", "repeat_purchase_days")]
    alive = _alive_history(web, analysis_id, record, lang)  # P(alive) history chart (issue 17)
    return render(request, "customer.html", row=row.to_dict(), customer_id=customer_id, fields=fields, alive=alive)


def _alive_history(web: WebState, analysis_id: str, record: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """The customer's P(alive) history figure from the value section's model, or None."""
    from loyalscope.report.charts_btyd import customer_alive_history

    try:
        value = web.finished(analysis_id)[1].section("value")
    except (KeyError, LoyalscopeError):
        return None
    return customer_alive_history(value.data, record, lang) if not value.skipped else None
