"""Server-rendered pages: the index (datasets, analyses, upload), an analysis's dashboard or job
status, the customer lookup and a customer's page. Every page takes ``?lang=zh|en``; every form
carries the CSRF token (``csrf_token``) and posts back here."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from loyalscope import __version__
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t
from loyalscope.sections import ORDER
from loyalscope.web import views
from loyalscope.web.app import page_lang
from loyalscope.web.customers import MAX_OFFSET
from loyalscope.web.guard import csrf_form_check
from loyalscope.web.state import NotFound, WebState

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_form_check)])
PAGE_SIZE = 25
_BODIES: dict[tuple[str, str, str], Markup] = {}


def _web(request: Request) -> WebState:
    return request.app.state.web


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` in the request's language, with the caller and CSRF token."""
    lang = page_lang(request)
    other = "en" if lang == "zh" else "zh"
    query = dict(request.query_params)
    query["lang"] = other
    query.pop("token", None)
    state = request.scope.get("state", {})
    user = state.get("user")
    html = request.app.state.templates.get_template(name).render(
        lang=lang, html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        t=lambda key, **kw: t(key, lang, **kw), other_lang=other,
        switch_url=f"{request.url.path}?{urlencode(query)}", q_lang=f"lang={lang}",
        csrf=state.get("csrf", ""), user=user,
        may=lambda role: user is not None and user.may(role),
        auth_on=not request.app.state.settings.no_auth, **context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, exc: LoyalscopeError, status_code: int) -> HTMLResponse:
    return render(request, "error.html", status_code, error=exc, where=exc.location())


def _back(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?lang={page_lang(request)}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    web = _web(request)
    return render(request, "index.html", datasets=web.store.datasets(),
                  analyses=web.store.analyses(), sections=ORDER,
                  connections=sorted(web.settings.connections), roots=web.settings.data_roots)


@router.post("/datasets/upload")
def upload(request: Request, files: Annotated[list[UploadFile], File()],
           name: Annotated[str, Form()] = "") -> Response:
    _web(request).add_upload(name, [(f.filename or "", f.file) for f in files])
    return _back(request, "/")


@router.post("/datasets/path")
def add_path(request: Request, path: Annotated[str, Form(max_length=4096)],
             name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    _web(request).add_path(path, name or None)
    return _back(request, "/")


@router.post("/datasets/connection")
def add_connection(request: Request, connection: Annotated[str, Form(max_length=200)],
                   name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    _web(request).add_connection(connection, name or None)
    return _back(request, "/")


@router.post("/datasets/{dataset_id}/delete")
def delete_dataset(request: Request, dataset_id: str) -> Response:
    _web(request).delete_dataset(dataset_id)
    return _back(request, "/")


@router.post("/analyses")
def start(request: Request, dataset_id: Annotated[str, Form(max_length=64)],
          lang: Annotated[str, Form(max_length=8)] = "",
          sections: Annotated[list[str] | None, Form()] = None) -> Response:
    row = _web(request).start_analysis(dataset_id, lang or page_lang(request), sections)
    return _back(request, f"/analyses/{row.id}")


@router.post("/analyses/{analysis_id}/cancel")
def cancel(request: Request, analysis_id: str) -> Response:
    _web(request).cancel(analysis_id)
    return _back(request, f"/analyses/{analysis_id}")


@router.post("/analyses/{analysis_id}/rerun")
def rerun(request: Request, analysis_id: str) -> Response:
    _web(request).rerun(analysis_id)
    return _back(request, f"/analyses/{analysis_id}")


@router.post("/analyses/{analysis_id}/delete")
def delete(request: Request, analysis_id: str) -> Response:
    _web(request).delete_analysis(analysis_id)
    return _back(request, "/")


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def dashboard(request: Request, analysis_id: str) -> HTMLResponse:
    web = _web(request)
    row = web.analysis_row(analysis_id)
    if row.status != "done":
        return render(request, "status.html", row=row.to_dict(), owned=bool(row.owned))
    lang = page_lang(request)
    board = web.board(analysis_id, lang)
    key = (analysis_id, lang, board.etag)
    body = _BODIES.get(key)
    if body is None:  # the sections depend on the analysis and language only: render them once
        body = Markup(request.app.state.templates.get_template("dashboard_body.html").render(
            board=board.page, lang=lang, t=lambda k, **kw: t(k, lang, **kw)))
        if len(_BODIES) > 32:
            _BODIES.clear()
        _BODIES[key] = body
    return render(request, "dashboard.html", row=row.to_dict(), board=board.page, body=body)


@router.get("/analyses/{analysis_id}/report")
def report(request: Request, analysis_id: str) -> FileResponse:
    """The self-contained HTML report written by the job, in ``?lang=`` (served sandboxed)."""
    return FileResponse(_web(request).report_file(analysis_id, page_lang(request)), media_type="text/html")


@router.get("/analyses/{analysis_id}/files/{name}")
def output_file(request: Request, analysis_id: str, name: str) -> FileResponse:
    return FileResponse(_web(request).output_file(analysis_id, name), filename=name,
                        content_disposition_type="attachment")


def _cell(column: str, value: Any, lang: str) -> tuple[str, bool]:
    """(display text, whether it is a number to right-align)."""
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    return views.customer_value(column, value, lang), numeric


@router.get("/analyses/{analysis_id}/customers", response_class=HTMLResponse)
def customer_search(request: Request, analysis_id: str, q: Annotated[str, Query(max_length=200)] = "",
                    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1) -> HTMLResponse:
    web = _web(request)
    row = web.analysis_row(analysis_id)
    found = web.lookup(analysis_id).search(q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    lang = page_lang(request)
    shown = [c for c in found.columns if c != "customer_id"]
    return render(request, "customers.html", row=row.to_dict(), found=found, q=q,
                  headers=[views.customer_label(c, lang) for c in shown],
                  rows=[(r["customer_id"], [_cell(c, r[c], lang) for c in shown]) for r in found.rows])


@router.get("/analyses/{analysis_id}/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, analysis_id: str, customer_id: str) -> HTMLResponse:
    web = _web(request)
    row = web.analysis_row(analysis_id)
    record = web.lookup(analysis_id).get(customer_id)
    lang = page_lang(request)
    if record is None:
        raise NotFound(t("web.errors.no_customer", lang, id=customer_id[:200]),
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
