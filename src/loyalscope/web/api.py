"""The JSON API (``/api/...``): datasets, analysis jobs, dashboards, customer lookup, users.

Errors come back as ``{"error": {"type", "message", "fix", "where"}}`` with 400 (bad input),
401 (no credentials), 403 (role, cross-site or CSRF), 404 (unknown id), 409 (analysis not
finished), 413 (body too large), 422 (malformed parameter) or 429 (job queue full).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from loyalscope.i18n import t
from loyalscope.web import customers
from loyalscope.web.app import page_lang
from loyalscope.web.auth import USER_NAME, hash_password
from loyalscope.web.cache import Board
from loyalscope.web.confine import Refused
from loyalscope.web.guard import csrf_form_check
from loyalscope.web.settings import ROLES
from loyalscope.web.state import NotFound, WebState

router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(csrf_form_check)])


def _web(request: Request) -> WebState:
    return request.app.state.web


class PathDataset(BaseModel):
    """A folder or file on the server, inside one of the data roots."""

    path: str = Field(max_length=4096)
    name: str | None = Field(default=None, max_length=1000)


class ConnectionDataset(BaseModel):
    """A named connection of the server config (``[web.connections]``)."""

    connection: str = Field(max_length=200)
    name: str | None = Field(default=None, max_length=1000)


class NewAnalysis(BaseModel):
    dataset_id: str = Field(max_length=64)
    lang: str | None = Field(default=None, max_length=8)
    sections: list[str] | None = Field(default=None, max_length=100)
    """Only these section ids (default: every section whose inputs exist)."""


class NewUser(BaseModel):
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    password: str = Field(min_length=1, max_length=1024)


def cached(request: Request, pair: tuple[bytes, bytes], etag: str) -> Response:
    """A cached JSON payload: 304 when the client has it, gzip when the client takes it."""
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(pair[1], media_type="application/json", headers=headers | {"Content-Encoding": "gzip"})
    return Response(pair[0], media_type="application/json", headers=headers)


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """Who the server thinks you are: name, role, and how you authenticated."""
    who = request.state.user
    return {"name": who.name, "role": who.role, "auth": who.via}


@router.get("/datasets")
def list_datasets(request: Request) -> list[dict[str, Any]]:
    return [d.to_dict() for d in _web(request).store.datasets()]


@router.post("/datasets/upload", status_code=201)
def upload_dataset(request: Request, files: Annotated[list[UploadFile], File()],
                   name: Annotated[str, Form()] = "") -> dict[str, Any]:
    """Upload data files (CSV, Excel, Parquet ...); they are kept as one dataset."""
    row = _web(request).add_upload(name, [(f.filename or "", f.file) for f in files])
    return row.to_dict()


@router.post("/datasets/path", status_code=201)
def path_dataset(request: Request, body: PathDataset) -> dict[str, Any]:
    """A folder or file inside the server's data roots (a URL is refused)."""
    return _web(request).add_path(body.path, body.name).to_dict()


@router.post("/datasets/connection", status_code=201)
def connection_dataset(request: Request, body: ConnectionDataset) -> dict[str, Any]:
    """A database by the name the server config gives it."""
    return _web(request).add_connection(body.connection, body.name).to_dict()


@router.get("/connections")
def list_connections(request: Request) -> list[str]:
    """Names of the server's named connections (never their URLs)."""
    return sorted(_web(request).settings.connections)


@router.get("/datasets/{dataset_id}")
def get_dataset(request: Request, dataset_id: str) -> dict[str, Any]:
    return _web(request).dataset(dataset_id).to_dict()


@router.delete("/datasets/{dataset_id}", status_code=204)
def delete_dataset(request: Request, dataset_id: str) -> Response:
    _web(request).delete_dataset(dataset_id)
    return Response(status_code=204)


@router.get("/analyses")
def list_analyses(request: Request) -> list[dict[str, Any]]:
    return [a.to_dict() for a in _web(request).store.analyses()]


@router.post("/analyses", status_code=202)
def start_analysis(request: Request, body: NewAnalysis) -> dict[str, Any]:
    """Queue an analysis of a dataset; poll ``GET /api/analyses/{id}`` for its status."""
    return _web(request).start_analysis(body.dataset_id, body.lang, body.sections).to_dict()


@router.get("/analyses/{analysis_id}")
def get_analysis(request: Request, analysis_id: str) -> dict[str, Any]:
    """Status (queued, running, done, failed, cancelled, interrupted), progress, error and fix."""
    return _web(request).analysis_row(analysis_id).to_dict()


@router.post("/analyses/{analysis_id}/cancel")
def cancel_analysis(request: Request, analysis_id: str) -> dict[str, Any]:
    return _web(request).cancel(analysis_id).to_dict()


@router.post("/analyses/{analysis_id}/rerun", status_code=202)
def rerun_analysis(request: Request, analysis_id: str) -> dict[str, Any]:
    """Run an interrupted, failed or cancelled analysis again."""
    return _web(request).rerun(analysis_id).to_dict()


@router.delete("/analyses/{analysis_id}", status_code=204)
def delete_analysis(request: Request, analysis_id: str) -> Response:
    """Stop it if it runs; remove it with its outputs."""
    _web(request).delete_analysis(analysis_id)
    return Response(status_code=204)


async def _board(request: Request, analysis_id: str) -> Board:
    """In memory: answered on the event loop; else built (or read) in a worker thread."""
    web, lang = _web(request), page_lang(request)
    ready = web.board_ready(analysis_id, lang)
    return ready if ready is not None else await run_in_threadpool(web.board, analysis_id, lang)


@router.get("/analyses/{analysis_id}/dashboard")
async def get_dashboard(request: Request, analysis_id: str) -> Response:
    """Each section's headline numbers and charts (Plotly figures), in ``?lang=``."""
    board = await _board(request, analysis_id)
    return cached(request, board.api, board.etag)


@router.get("/analyses/{analysis_id}/figures")
async def get_figures(request: Request, analysis_id: str) -> Response:
    """The dashboard's Plotly figures by chart id (what the dashboard page draws)."""
    board = await _board(request, analysis_id)
    return cached(request, board.figures, board.etag)


@router.get("/analyses/{analysis_id}/customers")
def search_customers(request: Request, analysis_id: str,
                     q: Annotated[str, Query(max_length=200)] = "",
                     limit: Annotated[int, Query(ge=1, le=customers.MAX_LIMIT)] = 50,
                     offset: Annotated[int, Query(ge=0, le=customers.MAX_OFFSET)] = 0) -> dict[str, Any]:
    """Scored customers whose id starts with ``q``, ``limit`` rows from ``offset``."""
    return _web(request).lookup(analysis_id).search(q, limit, offset).to_dict()


@router.get("/analyses/{analysis_id}/customers/{customer_id}")
def get_customer(request: Request, analysis_id: str, customer_id: str) -> dict[str, Any]:
    row = _web(request).lookup(analysis_id).get(customer_id)
    if row is None:
        raise NotFound(t("web.errors.no_customer", id=customer_id[:200]), fix=t("web.errors.no_customer_fix"))
    return row


# admin -------------------------------------------------------------------------------------
@router.get("/users")
def list_users(request: Request) -> list[dict[str, Any]]:
    """Named users and their roles (never a password or its hash)."""
    return [u.to_dict() for u in _web(request).store.users()]


def put_user(web: WebState, name: str, role: str, password: str) -> dict[str, Any]:
    if not USER_NAME.match(name):
        raise Refused(t("web.users.bad_name"), fix=t("web.users.bad_name_fix"))
    if role not in ROLES:
        raise Refused(t("web.users.bad_role", role=role[:16]), fix=t("web.users.bad_role_fix"))
    if len(password) < 8:
        raise Refused(t("web.users.short_password"), fix=t("web.users.short_password_fix"))
    return web.store.put_user(name, role, hash_password(password)).to_dict()


@router.post("/users", status_code=201)
def add_user(request: Request, body: NewUser) -> dict[str, Any]:
    """Add a user (or set a user's role and password)."""
    return put_user(_web(request), body.name, body.role, body.password)


@router.delete("/users/{name}", status_code=204)
def delete_user(request: Request, name: str) -> Response:
    if not _web(request).store.delete_user(name):
        raise NotFound(t("web.users.no_user", name=name[:64]), fix=t("web.users.no_user_fix"))
    return Response(status_code=204)


@router.get("/settings")
def get_settings(request: Request) -> dict[str, Any]:
    """The server's limits, data roots and connection names (no token, URL or password)."""
    s = _web(request).settings
    return {"auth": not s.no_auth, "data_roots": [str(p) for p in s.data_roots],
            "connections": sorted(s.connections), "max_upload_mb": s.max_upload_mb,
            "max_queue": s.max_queue, "job_workers": s.job_workers,
            "job_timeout_minutes": s.job_timeout_s / 60, "job_memory_mb": s.job_memory_mb}
