"""``monitor(dataset) -> MonitorResult``: check every headline metric in one period.

Each metric's series (total and segments) is tracked over the whole calendar
(:mod:`loyalscope.monitoring.baseline`), so the result also holds every earlier period's
expected range for the report. The period checked is ``at`` (default: the latest complete
period); a metric whose value for it is not final yet (``lag``) is checked at its latest
final period instead, and says so in its alert's ``period``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from loyalscope.config import AnalysisConfig, MonitorConfig
from loyalscope.errors import ConfigError, InsufficientDataError, LoyalscopeError
from loyalscope.i18n import t
from loyalscope.metrics import REGISTRY, wording
from loyalscope.metrics.registry import prefetch
from loyalscope.monitoring import alerts as al
from loyalscope.monitoring import catalogue, drivers, periods, series
from loyalscope.monitoring.baseline import Kind, Settings, Track, track
from loyalscope.monitoring.series import Frame, Series

if TYPE_CHECKING:
    from loyalscope.data.dataset import Dataset

Progress = Callable[[str, int, int], None]
DEFAULT_SEGMENTS = ("region", "channel", "member_tier")
MAX_SEGMENTS = 50
"""A segment column with more distinct values than this is not used (it is an id, not a
segment)."""


@dataclass
class Watched:
    """One metric: its total series and track, and those of its segments."""

    metric: str
    total: Series
    track: Track
    segments: dict[str, list[tuple[Series, Track]]]
    direction: catalogue.Direction
    target: float | None
    check_segments: bool = False
    """Whether every segment is checked on its own (else segments only name drivers)."""
    name: str | None = None
    """i18n key of the metric's name on this data (:func:`loyalscope.metrics.wording`)."""


@dataclass
class Check:
    """The check of one metric (total) in one period."""

    metric: str
    period: str
    value: float | None
    expected: float | None
    low: float | None
    high: float | None
    p_value: float | None
    n: float | None
    state: str
    """``ok`` (checked), a series state (``small_n``, ``undefined`` ...) or ``history``."""
    severity: str | None = None


@dataclass
class MonitorResult:
    """The alerts of one run, with every check and the tracked series."""

    grain: str
    period: date
    alerts: list[al.Alert]
    checks: list[Check]
    skipped: list[dict[str, Any]]
    watched: dict[str, Watched] = field(default_factory=dict, repr=False)
    calendar: Frame | None = field(default=None, repr=False)
    delivery: list[dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        return periods.label(self.period, self.grain)

    @property
    def checked(self) -> int:
        return sum(c.state == "ok" for c in self.checks)

    @property
    def has_high(self) -> bool:
        return any(a.severity == "high" for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "period": self.label, "grain": self.grain,
            "alerts": [a.to_dict() for a in self.alerts], "checked": self.checked,
            "not_checked": [{"metric": c.metric, "period": c.period, "reason": c.state}
                            for c in self.checks if c.state != "ok"],
            "skipped": self.skipped,
        }
        if self.delivery is not None:
            out["delivery"] = self.delivery
        return out


def monitor(ds: Dataset, config: AnalysisConfig | None = None, *, at: str | date | None = None,
            period: str | None = None, progress: Progress | None = None) -> MonitorResult:
    """Check every monitored metric of ``ds`` in period ``at`` (default: the latest complete
    period) against its expected range; see the package docstring.

    Parameters
    ----------
    ds : Dataset
    config : AnalysisConfig, optional
        ``[monitor]`` settings (default ``ds.config``).
    at : str or date, optional
        The period: ``2025-11``, ``2025-Q4``, ``2025-W45``, ``2025`` or a date inside it.
    period : str, optional
        Grain (``day`` ... ``year``), default ``[monitor] period``.
    progress : callable, optional
        ``progress(metric_id, i, n)`` before each metric.
    """
    config = config or ds.config
    cfg = config.monitor
    grain = period or cfg.period
    if grain not in periods.SEASON:
        raise ConfigError(t("monitoring.errors.bad_grain", grain=grain), value=grain,
                          fix=t("monitoring.errors.bad_grain_fix"))
    ids, skipped = monitored(ds, cfg)
    dims = segment_columns(ds, cfg)
    fr = series.frame(ds, grain)
    target = target_period(fr, at)
    split = set(catalogue.SEGMENT_CHECKED if cfg.segment_metrics is None else cfg.segment_metrics)
    watched: dict[str, Watched] = {}
    for i, mid in enumerate(ids):
        if progress is not None:
            progress(mid, i, len(ids))
        try:
            watched[mid] = watch(ds, mid, fr, config, dims if mid in split else [])
        except LoyalscopeError as exc:
            skipped.append({"metric": mid, "reason": "error", "detail": exc.message})
    if progress is not None:
        progress("done", len(ids), len(ids))
    checks, found = [], []
    at_index = fr.periods.index(target)
    for w in watched.values():
        check, new = evaluate(w, at_index, fr, cfg)
        if new and not w.check_segments and dims:  # split it now to name the drivers
            w.segments = segments(ds, w.metric, fr, config, dims, w.total.kind)
            check, new = evaluate(w, at_index, fr, cfg)
        checks.append(check)
        found.extend(new)
    found.sort(key=lambda a: (-al.RANK[a.severity], a.metric, a.segment is not None,
                              str(a.segment)))
    return MonitorResult(grain, target, found, checks, skipped, watched, fr)


def monitored(ds: Dataset, cfg: MonitorConfig) -> tuple[list[str], list[dict[str, Any]]]:
    """The metric ids to watch and the ones left out with their reason."""
    known = catalogue.headline_ids()
    for where, ids in (("include", cfg.include or []), ("exclude", cfg.exclude),
                       ("metrics", list(cfg.metrics)), ("segment_metrics",
                                                        cfg.segment_metrics or [])):
        bad = [m for m in ids if m not in known]
        if bad:
            raise ConfigError(
                t("monitoring.errors.unknown_metric", metric=bad[0], where=where),
                column=f"monitor.{where}", value=bad[0],
                fix=t("monitoring.errors.unknown_metric_fix", known=", ".join(known)))
    wanted = [m for m in known if (cfg.include is None or m in cfg.include)
              and m not in cfg.exclude]
    ids, skipped = [], []
    for mid in wanted:
        mcfg = cfg.metric(mid)
        missing = ds.missing(REGISTRY[mid].requires)
        if not mcfg.enabled:
            skipped.append({"metric": mid, "reason": "disabled", "detail": None})
        elif missing:
            skipped.append({"metric": mid, "reason": "missing", "detail": ", ".join(missing)})
        elif mid in catalogue.OPEN_ENDED and mcfg.lag is None:
            skipped.append({"metric": mid, "reason": "open_ended", "detail": None})
        else:
            ids.append(mid)
    return ids, skipped


def segment_columns(ds: Dataset, cfg: MonitorConfig) -> list[str]:
    """Segment columns of ``customers``: ``[monitor] segments`` (each must exist) or the
    default ones present with at most :data:`MAX_SEGMENTS` distinct values."""
    if cfg.segments is not None:
        for col in cfg.segments:
            if not ds.has("customers", col):
                raise ConfigError(
                    t("monitoring.errors.unknown_segment", column=col), column="monitor.segments",
                    value=col, fix=t("monitoring.errors.unknown_segment_fix"))
        wanted = list(cfg.segments)
    else:
        wanted = [c for c in DEFAULT_SEGMENTS if ds.has("customers", c)]
    if not wanted:
        return []
    tbl = ds.table("customers", *wanted)
    # every column's count of distinct values in one query (was one query per column)
    distinct = tbl.aggregate(**{f"_n{i}": tbl[c].nunique() for i, c in enumerate(wanted)})
    counts = distinct.execute().iloc[0]
    return [c for i, c in enumerate(wanted) if int(counts[f"_n{i}"]) <= MAX_SEGMENTS]


def target_period(fr: Frame, at: str | date | None) -> date:
    """The period to check: ``at``, or the latest complete one."""
    complete = [p for p in fr.periods if periods.shift(p, fr.grain) <= fr.end]
    if at is None:
        if not complete:
            # too little data, not a wrong setting: the report skips its monitoring section
            raise InsufficientDataError(t("monitoring.errors.no_full_period", end=fr.end.isoformat()),
                                        fix=t("monitoring.errors.no_full_period_fix"))
        return complete[-1]
    p = periods.start_of(at, fr.grain) if isinstance(at, date) else periods.parse(at, fr.grain)
    if p not in complete:
        first = periods.label(complete[0], fr.grain) if complete else "-"
        last = periods.label(complete[-1], fr.grain) if complete else "-"
        raise ConfigError(
            t("monitoring.errors.not_complete", period=periods.label(p, fr.grain),
              first=first, last=last), value=str(at),
            fix=t("monitoring.errors.not_complete_fix", first=first, last=last))
    return p


def settings(cfg: MonitorConfig, metric_id: str, grain: str) -> Settings:
    return Settings(halflife=cfg.halflife, level=cfg.level, seasonal=cfg.seasonal,
                    season=periods.SEASON[grain], min_history=cfg.min_history,
                    outlier_p=cfg.medium_p, bounds=catalogue.bounds(metric_id))


def watch(ds: Dataset, metric_id: str, fr: Frame, config: AnalysisConfig,
          dims: list[str]) -> Watched:
    """Build and track the total and segment series of one metric."""
    cfg = config.monitor
    mcfg = cfg.metric(metric_id)
    lag = mcfg.lag if mcfg.lag is not None else catalogue.LAG.get(metric_id, 0)
    min_n = mcfg.min_n or cfg.min_n
    st = settings(cfg, metric_id, fr.grain)
    total = series.build(ds, metric_id, fr, min_n, lag)[0]
    tr = follow(total, st)
    segs = segments(ds, metric_id, fr, config, dims, total.kind)
    target = mcfg.target if mcfg.target is not None else config.analysis.targets.get(metric_id)
    return Watched(metric_id, total, tr, segs, mcfg.direction or catalogue.direction(metric_id),
                   target, check_segments=bool(dims), name=wording(metric_id, ds).name)


def segments(ds: Dataset, metric_id: str, fr: Frame, config: AnalysisConfig, dims: list[str],
             kind: Kind) -> dict[str, list[tuple[Series, Track]]]:
    """The tracked series of every segment of every column in ``dims``."""
    cfg = config.monitor
    mcfg = cfg.metric(metric_id)
    lag = mcfg.lag if mcfg.lag is not None else catalogue.LAG.get(metric_id, 0)
    st = settings(cfg, metric_id, fr.grain)
    prefetch(ds, metric_id, fr.grain, dims)  # type: ignore[arg-type]  # every split, one query
    out: dict[str, list[tuple[Series, Track]]] = {}
    for dim in dims:
        try:
            parts = series.build(ds, metric_id, fr, mcfg.min_n or cfg.min_n, lag, by=dim,
                                 kind=kind)
        except LoyalscopeError:
            continue  # the metric cannot be split by this column
        out[dim] = [(s, follow(s, st)) for s in parts]
    return out


def follow(s: Series, st: Settings) -> Track:
    """Track ``s`` per unit of exposure; expected values and ranges back in the metric's
    units."""
    e = s.exposure
    units = s.units / e if s.kind == "count" else s.units
    tr = track(s.value / e, units, s.usable, s.kind, st, x=s.counts)
    for name in ("expected", "low", "high", "sd"):
        setattr(tr, name, getattr(tr, name) * e)
    return tr


def evaluate(w: Watched, at: int, fr: Frame, cfg: MonitorConfig) -> tuple[Check, list[al.Alert]]:
    """Check ``w`` at period index ``at`` (or its latest final period before it)."""
    i = at
    while i > 0 and w.total.state[i] == "not_final":
        i -= 1
    s, tr = w.total, w.track
    label = periods.label(fr.periods[i], fr.grain)
    state = s.state[i] if s.state[i] != "ok" or np.isfinite(tr.p[i]) else "history"
    check = Check(w.metric, label, _num(s.value[i]), _num(tr.expected[i]), _num(tr.low[i]),
                  _num(tr.high[i]), _num(tr.p[i]), s.sample(i), state)
    if s.state[i] == "not_final":
        return check, []
    mcfg = cfg.metric(w.metric)
    found: list[al.Alert] = []
    prev = _num(s.value[i - 1]) if i > 0 else None
    rule = None
    if state == "ok" or (s.state[i] == "ok" and state == "history"):
        rule = al.worst(
            _stat(tr, i, s.value[i], w, cfg, 1),
            al.thresholds(float(s.value[i]), prev, w.direction, mcfg, w.target))
    contrib = drivers.contributions(w.segments, i)
    dev = float(s.value[i] - tr.expected[i]) if np.isfinite(tr.expected[i]) else 0.0
    if rule is not None:
        check.severity = rule[0]
        found.append(_alert(w, s, tr, i, label, rule, fr, None,
                            drivers.rank(contrib, dev, cfg.max_drivers)))
    if s.kind != "level" and w.check_segments:
        checked = [(dim, seg, str_) for dim, parts in w.segments.items()
                   for seg, str_ in parts if np.isfinite(str_.p[i])]
        for dim, seg, st in checked:
            rule = _stat(st, i, seg.value[i], w, cfg, len(checked))
            if rule is None:
                continue
            where = (dim, seg.segment)
            sdev = float(seg.value[i] - st.expected[i])
            ranked = drivers.rank(contrib, sdev, cfg.max_drivers, first=where)
            found.append(_alert(w, seg, st, i, label, rule, fr,
                                {"dimension": dim, "value": seg.segment}, ranked))
    return check, found


def history(w: Watched, fr: Frame, cfg: MonitorConfig) -> list[dict[str, Any]]:
    """Every period of ``w``'s total series: value, expected range, p-value, state and the
    severity its check gave (or would have given, at that period's end)."""
    s, tr = w.total, w.track
    mcfg = cfg.metric(w.metric)
    rows = []
    for i, p in enumerate(fr.periods):
        sev = None
        if s.state[i] == "ok":
            prev = _num(s.value[i - 1]) if i > 0 else None
            rule = al.worst(_stat(tr, i, s.value[i], w, cfg, 1),
                            al.thresholds(float(s.value[i]), prev, w.direction, mcfg, w.target))
            sev = rule[0] if rule else None
        rows.append({"period": periods.label(p, fr.grain), "start": p,
                     "value": _num(s.value[i]), "expected": _num(tr.expected[i]),
                     "low": _num(tr.low[i]), "high": _num(tr.high[i]), "p_value": _num(tr.p[i]),
                     "n": s.sample(i), "state": s.state[i], "severity": sev})
    return rows


def _stat(tr: Track, i: int, value: float, w: Watched, cfg: MonitorConfig, tests: int
          ) -> tuple[str, str] | None:
    p = tr.p[i]
    if not np.isfinite(p):
        return None
    p = min(1.0, float(p) * tests)
    sev = al.statistical(p, float(value), float(tr.expected[i]), w.direction, cfg,
                         cfg.metric(w.metric), w.metric in catalogue.PER_DAY)
    if sev is None:
        return None
    return sev, tr.test


def _alert(w: Watched, s: Series, tr: Track, i: int, label: str, rule: tuple[str, str],
           fr: Frame, segment: dict[str, Any] | None, ranked: list[al.Driver]) -> al.Alert:
    season = periods.SEASON[fr.grain]
    prev = s.value[i - 1] if i > 0 else np.nan
    yoy = s.value[i - season] if season and i >= season else np.nan
    return al.Alert(
        metric=w.metric, period=label, value=float(s.value[i]), expected=_num(tr.expected[i]),
        low=_num(tr.low[i]), high=_num(tr.high[i]), severity=rule[0], test=rule[1],
        p_value=_num(tr.p[i]), change_prev=_num(s.value[i] - prev),
        change_yoy=_num(s.value[i] - yoy), n=s.sample(i), segment=segment, target=w.target,
        drivers=ranked, name=w.name)


def _num(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None
