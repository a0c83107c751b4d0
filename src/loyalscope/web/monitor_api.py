"""Monitors and alerts in the JSON API and on the alerts page.

API (errors as the rest of ``/api``):

=============================================  ===========================================
``GET /api/monitors``                          monitors with their next fire time
``POST /api/monitors``                         ``{"dataset_id", "cron", "name"?, "timezone"?,
                                               "period"?, "lang"?}`` (analyst) -> 201
``GET /api/monitors/{id}``, ``DELETE`` (analyst)
``POST /api/monitors/{id}/run`` (analyst)      a run now, besides the schedule -> 202
``GET /api/monitors/{id}/runs``                runs: status, period, checks, alerts, error
``GET /api/alerts?monitor_id=&severity=``      alerts, newest first, as ``monitor --json``
=============================================  ===========================================

The page ``/alerts`` lists the same alerts and monitors, with a form to add a monitor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from loyalscope.errors import ConfigError
from loyalscope.i18n import normalise_lang, t
from loyalscope.metrics.registry import GRAINS
from loyalscope.monitoring.message import fmt, segment_name
from loyalscope.web.app import page_lang
from loyalscope.web.guard import csrf_form_check
from loyalscope.web.monitor_jobs import MonitorScheduler, next_fire, trigger
from loyalscope.web.monitor_store import MonitorRow, MonitorStore
from loyalscope.web.state import NotFound, WebState

api = APIRouter(prefix="/api", tags=["monitors"], dependencies=[Depends(csrf_form_check)])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_form_check)])
SEVERITIES = ("high", "medium", "low")


class NewMonitor(BaseModel):
    dataset_id: str = Field(max_length=64)
    cron: str = Field(max_length=200)
    """Five fields (minute hour day month weekday), e.g. ``0 8 2 * *``; six with seconds first."""
    name: str | None = Field(default=None, max_length=300)
    timezone: str = Field(default="UTC", max_length=64)
    period: str | None = Field(default=None, max_length=16)
    lang: str | None = Field(default=None, max_length=8)


def _web(request: Request) -> WebState:
    return request.app.state.web


def _runs(request: Request) -> MonitorStore:
    return request.app.state.web.monitors.runs


def _scheduler(request: Request) -> MonitorScheduler:
    return request.app.state.web.monitors


def create(web: WebState, body: NewMonitor) -> MonitorRow:
    """Check and add a monitor (the dataset, cron expression, time zone, grain, language)."""
    dataset = web.dataset(body.dataset_id)
    trigger(body.cron.strip(), body.timezone)
    if body.period is not None and body.period not in GRAINS:
        raise ConfigError(t("monitoring.errors.bad_grain", grain=body.period), value=body.period,
                          fix=t("monitoring.errors.bad_grain_fix"))
    lang = normalise_lang(body.lang or web.lang)
    name = (body.name or "").strip()[:300] or dataset.name
    return web.monitors.runs.add_monitor(dataset.id, name, body.cron.strip(), body.timezone,
                                         body.period, lang)


def monitor_dict(row: MonitorRow, runs: MonitorStore) -> dict[str, Any]:
    nxt = next_fire(row.cron, row.timezone)
    last = runs.runs(row.id, limit=1)
    return {**row.to_dict(), "next_run": nxt.isoformat() if nxt else None,
            "last_run": last[0].to_dict() if last else None}


def _monitor(request: Request, monitor_id: str) -> MonitorRow:
    row = _runs(request).monitor(monitor_id)
    if row is None:
        raise NotFound(t("web.monitors.not_found", id=monitor_id[:64]),
                       fix=t("web.monitors.not_found_fix"))
    return row


@api.get("/monitors")
def list_monitors(request: Request) -> list[dict[str, Any]]:
    runs = _runs(request)
    return [monitor_dict(r, runs) for r in runs.monitors()]


@api.post("/monitors", status_code=201)
def add_monitor(request: Request, body: NewMonitor) -> dict[str, Any]:
    return monitor_dict(create(_web(request), body), _runs(request))


@api.get("/monitors/{monitor_id}")
def get_monitor(request: Request, monitor_id: str) -> dict[str, Any]:
    return monitor_dict(_monitor(request, monitor_id), _runs(request))


@api.delete("/monitors/{monitor_id}", status_code=204)
def delete_monitor(request: Request, monitor_id: str) -> Response:
    _runs(request).delete_monitor(_monitor(request, monitor_id).id)
    return Response(status_code=204)


@api.post("/monitors/{monitor_id}/run", status_code=202)
def run_monitor(request: Request, monitor_id: str) -> dict[str, Any]:
    row = _monitor(request, monitor_id)
    _scheduler(request).run_now(row.id)
    return monitor_dict(row, _runs(request))


@api.get("/monitors/{monitor_id}/runs")
def monitor_runs(request: Request, monitor_id: str,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return [r.to_dict() for r in _runs(request).runs(_monitor(request, monitor_id).id,
                                                     limit=limit)]


@api.get("/alerts")
def list_alerts(request: Request, monitor_id: Annotated[str | None, Query(max_length=64)] = None,
                severity: Annotated[str | None, Query(pattern="^(high|medium|low)$")] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[dict[str, Any]]:
    return [a.to_dict() for a in _runs(request).alerts(monitor_id, severity, limit, offset)]


# pages ------------------------------------------------------------------------------------
@pages.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, severity: Annotated[str | None, Query(
        pattern="^(high|medium|low)$")] = None) -> HTMLResponse:
    from loyalscope.web.pages import render

    web, runs = _web(request), _runs(request)
    monitors = [monitor_dict(r, runs) for r in runs.monitors()]
    names = {m["id"]: m["name"] for m in monitors}
    found = [a.to_dict() for a in runs.alerts(severity=severity, limit=500)]
    lang = page_lang(request)
    return render(request, "alerts.html", monitors=monitors, alerts=found, names=names,
                  datasets=web.store.datasets(), severity=severity, severities=SEVERITIES,
                  grains=GRAINS, fmt=fmt, segment=lambda d, v: segment_name(d, v, lang))


@pages.post("/monitors")
def add_monitor_form(request: Request, dataset_id: Annotated[str, Form(max_length=64)],
                     cron: Annotated[str, Form(max_length=200)],
                     name: Annotated[str, Form(max_length=300)] = "",
                     timezone: Annotated[str, Form(max_length=64)] = "UTC",
                     period: Annotated[str, Form(max_length=16)] = "") -> Response:
    create(_web(request), NewMonitor(dataset_id=dataset_id, cron=cron, name=name or None,
                                     timezone=timezone or "UTC", period=period or None,
                                     lang=page_lang(request)))
    return RedirectResponse(f"/alerts?lang={page_lang(request)}", status_code=303)


@pages.post("/monitors/{monitor_id}/run")
def run_monitor_form(request: Request, monitor_id: str) -> Response:
    _scheduler(request).run_now(_monitor(request, monitor_id).id)
    return RedirectResponse(f"/alerts?lang={page_lang(request)}", status_code=303)


@pages.post("/monitors/{monitor_id}/delete")
def delete_monitor_form(request: Request, monitor_id: str) -> Response:
    _runs(request).delete_monitor(_monitor(request, monitor_id).id)
    return RedirectResponse(f"/alerts?lang={page_lang(request)}", status_code=303)
