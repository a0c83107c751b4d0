"""The JSON API (``/api/...``): datasets, analysis jobs, dashboards and customer lookup.

Errors come back as ``{"error": {"type", "message", "fix", "where"}}`` with 400 (bad input),
404 (unknown id) or 409 (analysis not finished).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel

from loyalscope.i18n import t
from loyalscope.web import customers, views
from loyalscope.web.app import page_lang
from loyalscope.web.state import NotFound, WebState

router = APIRouter(prefix="/api", tags=["api"])


def _web(request: Request) -> WebState:
    return request.app.state.web


class PathDataset(BaseModel):
    """A folder or file on the server, or a database URL."""

    path: str
    name: str | None = None


class NewAnalysis(BaseModel):
    dataset_id: str
    lang: str | None = None
    sections: list[str] | None = None
    """Only these section ids (default: every section whose inputs exist)."""


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
    return _web(request).add_path(body.path, body.name).to_dict()


@router.get("/datasets/{dataset_id}")
def get_dataset(request: Request, dataset_id: str) -> dict[str, Any]:
    return _web(request).dataset(dataset_id).to_dict()


@router.get("/analyses")
def list_analyses(request: Request) -> list[dict[str, Any]]:
    return [a.to_dict() for a in _web(request).store.analyses()]


@router.post("/analyses", status_code=202)
def start_analysis(request: Request, body: NewAnalysis) -> dict[str, Any]:
    """Queue an analysis of a dataset; poll ``GET /api/analyses/{id}`` for its status."""
    return _web(request).start_analysis(body.dataset_id, body.lang, body.sections).to_dict()


@router.get("/analyses/{analysis_id}")
def get_analysis(request: Request, analysis_id: str) -> dict[str, Any]:
    """Status (queued, running, done, failed), progress, and the error with its fix."""
    return _web(request).analysis_row(analysis_id).to_dict()


@router.get("/analyses/{analysis_id}/dashboard")
def get_dashboard(request: Request, analysis_id: str) -> dict[str, Any]:
    """Each section's headline numbers and charts (Plotly figures), in ``?lang=``."""
    _, analysis = _web(request).finished(analysis_id)
    return {"id": analysis_id, **views.dashboard(analysis, page_lang(request))}


@router.get("/analyses/{analysis_id}/customers")
def search_customers(request: Request, analysis_id: str, q: str = "",
                     limit: Annotated[int, Query(ge=1, le=customers.MAX_LIMIT)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Scored customers whose id starts with ``q``, ``limit`` rows from ``offset``."""
    path = _web(request).customers_file(analysis_id)
    return customers.search(path, q, limit, offset).to_dict()


@router.get("/analyses/{analysis_id}/customers/{customer_id}")
def get_customer(request: Request, analysis_id: str, customer_id: str) -> dict[str, Any]:
    row = customers.get(_web(request).customers_file(analysis_id), customer_id)
    if row is None:
        raise NotFound(t("web.errors.no_customer", id=customer_id), fix=t("web.errors.no_customer_fix"))
    return row
