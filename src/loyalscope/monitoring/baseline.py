"""Expected value and expected range of a metric in each period, from the metric's own history.

One pass over the periods in time order; the forecast of period ``t`` uses only periods before
``t``, so every period of the series is checked exactly as a run at its end would check it.

Forecasts
---------
- ``ewma``: an exponentially weighted mean of the past values,
  ``L_t = sum_k w^(t-k) y_k / sum_k w^(t-k)`` with ``w = 0.5 ** (1 / halflife)`` (weights decay
  per calendar period, so a gap counts as time passing); ``yhat_t = L_(t-1)``.
- ``seasonal``: the same period last year plus an EWMA of the recent year-over-year changes,
  ``yhat_t = y_(t-s) + D_(t-1)``, ``D`` the EWMA of ``y_k - y_(k-s)``.
- ``auto`` uses ``seasonal`` where it has forecast the last 12 comparable periods with a
  root-mean-square error at most 0.8 times that of ``ewma``, else ``ewma``.

Values that left the range update the baselines only up to ``clip`` standard deviations (so a
drop does not drag the baseline down with it); three such values in a row on the same side
are taken as a new level and restart the baselines from them.

Spread (from the one-step errors ``e_k = y_k - yhat_k`` of the last ``window`` periods that
did not leave the range):

- ``share`` (a count out of the denominator ``n``): beta-binomial,
  ``Var = p (1 - p) / n_t + tau^2`` with ``tau^2 = max(0, mean(e_k^2 - p_k (1 - p_k) / n_k))``,
  i.e. intra-period correlation ``rho = tau^2 / (p (1 - p))``; the p-value is the larger of
  the exact beta-binomial tail and a t tail with Satterthwaite degrees of freedom
  ``(Var)^2 / (tau^4 / (m - 1))`` (``m`` errors), so that an over-dispersion estimated from a
  short history widens the range;
- ``mean`` (a mean over ``n`` units): ``Var = sigma^2 / n_t``, ``sigma^2 = mean(e_k^2 n_k)``,
  t with ``m - 1`` degrees of freedom;
- ``count`` (a count ``x`` times a unit value ``c``, e.g. complainants x 25):
  ``Var = max(1, phi) c yhat`` with ``phi = mean(e_k^2 / (c yhat_k))`` (Poisson, or
  over-dispersed Poisson), the p-value the larger of the exact Poisson tail and the t tail;
- ``level`` (no unit count): ``Var = mean(e_k^2)``, t with ``m - 1`` degrees of freedom.

References: Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed. (2021),
sections 5.2 (seasonal naive) and 8.1 (simple exponential smoothing); Montgomery,
*Introduction to Statistical Quality Control*, 7th ed. (2013), 7.2 (p chart) and 9.2 (EWMA);
Williams (1975), "The analysis of binary responses from toxicological experiments involving
reproduction and teratogenicity", Biometrics 31 (beta-binomial over-dispersion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import special

Kind = Literal["share", "mean", "count", "level"]
RESTART_AFTER = 3
"""Consecutive out-of-range values on one side after which they are taken as a new level."""
MEDIAN_CHI2_1 = 0.454936
"""Median of a chi-square with one degree of freedom: weighted median of z^2 / this estimates
the variance robustly (a start-up period or an old shock does not widen the range for years)."""
SMALL_COUNT = 50
"""Below this expected count (successes or failures) a share's p-value is also computed
exactly from the beta-binomial."""
SELECT_PERIODS = 12
SELECT_RATIO = 0.8


@dataclass(frozen=True)
class Settings:
    """How a series is tracked (see the module docstring)."""

    halflife: float = 2.0
    trend: float = 1.0
    """Smoothing of the trend as a fraction of the level's (0: no trend)."""
    damping: float = 0.95
    """Damping of the trend per period ahead (Gardner & McKenzie 1985)."""
    scale_halflife: float = 12.0
    """Half-life in periods of the weights of past errors in the spread."""
    level: float = 0.99
    seasonal: Literal["auto", "on", "off"] = "auto"
    season: int | None = 12
    """Periods per year (12 for months); None: no seasonal forecast."""
    min_history: int = 6
    window: int = 24
    clip: float = 3.0
    cap: float = 2.5
    """Errors beyond ``cap`` robust standard deviations (from the weighted median of the squared
    errors) count as ``cap`` in the spread, which is then corrected for the winsorising."""
    burn_in: int = 0
    """Errors of the first ``burn_in`` usable periods (an unsettled baseline) are not used."""
    outlier_p: float = 1e-3
    """Errors with a p-value below this are left out of the spread."""
    bounds: tuple[float | None, float | None] = (None, None)


@dataclass
class Track:
    """Per period: expected value, range, p-value (NaN where not checked) and how."""

    expected: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p: np.ndarray
    sd: np.ndarray
    history: np.ndarray
    """Usable periods before this one."""
    method: list[str | None] = field(default_factory=list)
    test: str = "t"

    @property
    def checked(self) -> np.ndarray:
        return ~np.isnan(self.p)


@dataclass
class _Errors:
    """One-step errors of a forecast: all of them choose the forecast, those that stayed in
    range give the spread."""

    e: list[float] = field(default_factory=list)
    v: list[float] = field(default_factory=list)
    """Binomial variance (share), 1 / n (mean), the unit value times the forecast (count) or 1
    (level) at the error's period."""
    k: list[int] = field(default_factory=list)
    out: list[bool] = field(default_factory=list)

    def add(self, k: int, e: float, v: float, out: bool) -> None:
        self.e.append(e)
        self.v.append(v)
        self.k.append(k)
        self.out.append(out)

    def recent(self, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(errors, variances, periods) of the last ``window`` errors that stayed in range."""
        keep = [i for i, o in enumerate(self.out) if not o][-window:]
        return (np.asarray([self.e[i] for i in keep]), np.asarray([self.v[i] for i in keep]),
                np.asarray([self.k[i] for i in keep]))


class _State:
    """Baselines of the two forecasts: a damped-trend exponential smoothing of the values
    (values that left the range enter clipped) and an EWMA of the year-over-year changes of
    the values as they were (a seasonal peak is information, not an outlier)."""

    def __init__(self, alpha: float, beta: float, phi: float, season: int | None,
                 size: int) -> None:
        self.alpha, self.beta, self.phi, self.season = alpha, beta, phi, season
        self.level: float | None = None
        self.trend = 0.0
        self.count = 0
        self.gap = 0
        self.dif = np.zeros(2)
        self.raw = np.full(size, np.nan)

    def step(self) -> None:
        self.gap += 1
        self.dif *= 1.0 - self.alpha

    def ewma(self) -> float | None:
        if self.level is None:
            return None
        damp = sum(self.phi**i for i in range(1, self.gap + 1))
        return self.level + damp * self.trend

    def seasonal(self, t: int) -> float | None:
        s = self.season
        if s is None or t < s or np.isnan(self.raw[t - s]) or self.dif[1] <= 0:
            return None
        return float(self.raw[t - s] + self.dif[0] / self.dif[1])

    def add(self, t: int, value: float, raw: float) -> None:
        """Learn period ``t``: ``value`` (clipped) for the level, ``raw`` for the seasons."""
        self._smooth(value)
        self.raw[t] = raw
        s = self.season
        if s is not None and t >= s and not np.isnan(self.raw[t - s]):
            self.dif += (raw - self.raw[t - s], 1.0)

    def _smooth(self, value: float) -> None:
        self.count += 1
        forecast = self.ewma()
        if forecast is None or self.level is None:
            self.level = value
        else:
            a = max(self.alpha, 1.0 / self.count)
            b = max(self.beta, 1.0 / self.count) if self.count > 2 else 0.0
            new = a * value + (1 - a) * forecast
            step = (new - self.level) / max(self.gap, 1)
            self.trend = b * step + (1 - b) * self.phi**self.gap * self.trend
            self.level = new
        self.gap = 0

    def restart(self, ts: list[int], values: list[float]) -> None:
        """Start again from ``values`` at periods ``ts`` (a new level)."""
        gap = self.gap
        self.level, self.trend, self.count = None, 0.0, 0
        self.dif[:] = 0.0
        last = ts[0]
        s = self.season
        for t, v in zip(ts, values, strict=True):
            self.gap = t - last
            self._smooth(v)
            if s is not None and t >= s and not np.isnan(self.raw[t - s]):
                self.dif += (v - self.raw[t - s], 1.0)
            last = t
        self.gap = gap


def _unit_var(kind: Kind, f: float, n: float) -> float:
    if kind == "share":
        p = min(max(f, 0.5 / max(n, 1.0)), 1 - 0.5 / max(n, 1.0))
        return p * (1 - p) / max(n, 1.0)
    if kind == "mean":
        return 1.0 / max(n, 1.0)
    if kind == "count":  # n is the value of one counted unit (y = n x)
        return n * max(f, 0.5 * n)
    return 1.0


def _spread(kind: Kind, errs: _Errors, t: int, settings: Settings, f: float, n: float
            ) -> tuple[float, float, float] | None:
    """(variance of the value, degrees of freedom, tau^2 of a share) or None: past errors
    weighted by ``0.5 ** (age / scale_halflife)``, degrees of freedom from the effective
    number of errors ``(sum w)^2 / sum w^2``."""
    e, v, k = errs.recent(settings.window)
    if e.size < 3:
        return None
    age = t - k
    w = 0.5 ** (age / settings.scale_halflife)
    m = float(w.sum() ** 2 / (w**2).sum())
    sq = e**2 if kind == "share" else e**2 / v
    limit = settings.cap**2 * _weighted_median(sq, w) / MEDIAN_CHI2_1
    if limit > 0:
        sq = np.minimum(sq, limit) / _winsor_consistency(settings.cap)
    if kind == "share":
        tau2 = max(0.0, _average(sq - v, w))
        var = _unit_var(kind, f, n) + tau2
        df = np.inf if tau2 == 0 else var**2 / (tau2**2 / (m - 1))
        return var, float(df), tau2
    sigma2 = _average(sq, w)
    if kind == "count":  # never less spread than a Poisson count
        sigma2 = max(sigma2, 1.0)
    return sigma2 * _unit_var(kind, f, n), m - 1, 0.0


def _average(x: np.ndarray, w: np.ndarray) -> float:
    """``np.average(x, weights=w)`` of float arrays with positive weights: the same operations
    (``sum(x * w) / sum(w)``) without its argument checks (thousands of calls a run)."""
    return float((x * w).sum() / w.sum())


@lru_cache(maxsize=16)
def _winsor_consistency(c: float) -> float:
    """E[min(Z^2, c^2)] of a standard normal Z: the share of the variance a winsorised
    mean of squares keeps."""
    tail = float(special.ndtr(-c))
    dens = float(np.exp(-c * c / 2) / np.sqrt(2 * np.pi))
    return 1.0 - 2 * tail - 2 * c * dens + 2 * c * c * tail


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def _two_sided(cdf: float, sf_below: float) -> float:
    """Two-sided p-value of a discrete count from P(X <= x) and P(X >= x)."""
    return min(1.0, 2.0 * min(cdf, sf_below))


def _share_test(x: float, n: float, f: float, tau2: float, alpha: float
                ) -> tuple[float, float, float] | None:
    """Exact two-sided p-value of count ``x`` out of ``n`` and its (1 - alpha) range: binomial
    without over-dispersion; beta-binomial with intra-period correlation ``tau2 / (p (1 - p))``
    when the expected counts are small (< 50; above, the t approximation is used alone)."""
    nn = max(int(np.rint(n)), 1)
    p = min(max(f, 0.5 / nn), 1 - 0.5 / nn)
    xi = int(np.rint(x))
    if not 0 <= xi <= nn:
        return None
    rho = min(tau2 / (p * (1 - p)), 0.5) if tau2 > 0 else 0.0
    if rho <= 1e-9:
        pv = _two_sided(float(special.bdtr(xi, nn, p)),
                        1.0 if xi <= 0 else float(special.bdtrc(xi - 1, nn, p)))
        lo = np.floor(special.bdtrik(alpha / 2, nn, p)) / nn
        hi = np.ceil(special.bdtrik(1 - alpha / 2, nn, p)) / nn
        return pv, _finite(lo, 0.0), _finite(hi, 1.0)
    if min(nn * p, nn * (1 - p)) >= SMALL_COUNT:
        return None
    a, b = p * (1 / rho - 1), (1 - p) * (1 / rho - 1)
    cdf = _betabinom_cdf(nn, a, b, xi, 1 - alpha / 2)
    pv = _two_sided(float(cdf[xi]), 1.0 if xi <= 0 else 1.0 - float(cdf[xi - 1]))
    lo = int(np.searchsorted(cdf, alpha / 2))
    hi = int(np.searchsorted(cdf, 1 - alpha / 2))
    return pv, lo / nn, min(hi, nn) / nn


def _finite(v: float, nan: float) -> float:
    """``np.nan_to_num(v, nan=nan)`` of one number: ``nan`` for NaN, the largest float for an
    infinity (of its sign)."""
    v = float(v)
    if math.isnan(v):
        return nan
    if math.isinf(v):
        return math.copysign(np.finfo(np.float64).max, v)
    return v


def _betabinom_pmf(k: np.ndarray, n: int, a: float, b: float) -> np.ndarray:
    """``scipy.stats.betabinom.pmf(k, n, a, b)`` for whole ``k`` in ``[0, n]`` and ``a, b > 0``:
    its formula, ``C(n, k) B(k + a, n - k + b) / B(a, b)`` in logs with
    ``log C(n, k) = -log(n + 1) - log B(n - k + 1, k + 1)``, term by term in its order (the same
    numbers), without its argument checks and broadcasting (a millisecond a call, ~900 calls
    a run)."""
    combiln = -np.log(n + 1) - special.betaln(n - k + 1, k + 1)
    return np.clip(np.exp(combiln + special.betaln(k + a, n - k + b) - special.betaln(a, b)), 0, 1)


def _betabinom_cdf(n: int, a: float, b: float, upto: int, level: float) -> np.ndarray:
    """The beta-binomial(n, a, b) distribution function at 0, 1, ... m: m at least ``upto`` and
    far enough that it reaches ``level`` (else m = n).

    The same numbers as the cumulative sum over all n + 1 values, which :func:`_share_test` used
    to compute (each value is computed on its own and the sum runs in order, so a prefix of the
    sum is the sum of the prefix); a share with few expected counts among a million customers
    has its mass on the first hundred values, not on the million (0.05 s a test)."""
    size = max(upto + 1, 1024)
    while True:
        m = min(size, n + 1)
        cdf = np.cumsum(_betabinom_pmf(np.arange(m, dtype=np.float64), n, a, b))
        if m == n + 1 or cdf[-1] >= level:
            return cdf
        size *= 8


def _count_test(x: float, scale: float, f: float, _tau2: float, alpha: float
                ) -> tuple[float, float, float] | None:
    """Exact Poisson two-sided p-value of count ``x`` (value ``scale * x``) and its
    (1 - alpha) range, expected count ``f / scale``."""
    lam = max(f / scale, 1e-9)
    xi = int(np.rint(x))
    pv = _two_sided(float(special.pdtr(xi, lam)),
                    1.0 if xi <= 0 else float(special.pdtrc(xi - 1, lam)))
    lo = math.floor(_finite(special.pdtrik(alpha / 2, lam), 0.0))
    hi = math.ceil(_finite(special.pdtrik(1 - alpha / 2, lam), 0.0))
    return pv, float(lo) * scale, float(hi) * scale


def track(
    y: np.ndarray,
    n: np.ndarray,
    usable: np.ndarray,
    kind: Kind,
    settings: Settings,
    x: np.ndarray | None = None,
) -> Track:
    """Forecast, range and p-value of every period of one series.

    Parameters
    ----------
    y : array of float
        The metric per period (calendar order, one entry per period; NaN where undefined).
    n : array of float
        Units behind each value (customers, orders, answers); for ``count``, the value of one
        counted unit (25 when the value is complainants x 25); 1 for ``level``.
    usable : array of bool
        Periods that may be checked and learnt from: full, final, with enough units.
    kind : {"share", "mean", "level"}
        Spread model (module docstring).
    x : array of float, optional
        For ``share``: the counts (numerators), so that ``y = x / n``; for ``count``: the
        counts, so that ``y = n x``.
    """
    size = y.size
    nan = np.full(size, np.nan)
    out = Track(expected=nan.copy(), low=nan.copy(), high=nan.copy(), p=nan.copy(),
                sd=nan.copy(), history=np.zeros(size, dtype=int), method=[None] * size,
                test={"share": "beta_binomial", "count": "poisson"}.get(kind, "t"))
    alpha = 1.0 - 0.5 ** (1.0 / settings.halflife)
    state = _State(alpha, settings.trend * alpha, settings.damping, settings.season, size)
    errs = {"ewma": _Errors(), "seasonal": _Errors()}
    miss = 1.0 - settings.level
    seen = 0
    streak: list[tuple[int, float, int]] = []
    for t in range(size):
        state.step()
        out.history[t] = seen
        fc = {"ewma": state.ewma(), "seasonal": state.seasonal(t)}
        method = _choose(settings.seasonal, fc, errs)
        f = fc[method] if method else None
        ok = bool(usable[t]) and np.isfinite(y[t])
        if f is None or method is None:
            if ok:
                state.add(t, float(y[t]), float(y[t]))
                seen += 1
            continue
        out.expected[t], out.method[t] = f, method
        # a period without units (no answers, no customers) has an expected value but no range:
        # the spread of a mean or share of no units is none (the range of one unit's value,
        # 0 - 385 for a satisfaction score, was shown)
        units = kind in ("count", "level") or n[t] > 0
        spread = _spread(kind, errs[method], t, settings, f, n[t]) if units else None
        flagged = False
        if spread is not None:
            var, df, tau2 = spread
            sd = float(np.sqrt(var))
            q = _quantile(1 - miss / 2, df)
            lo, hi = f - q * sd, f + q * sd
            pv = np.nan
            if ok:
                z = (y[t] - f) / sd if sd > 0 else (0.0 if y[t] == f else np.inf)
                pv = 2.0 * _upper_tail(abs(z), df)
            if kind in ("share", "count") and x is not None:
                test = _share_test if kind == "share" else _count_test
                count = x[t] if ok else (f * n[t] if kind == "share" else f / n[t])
                exact = test(count, n[t], f, tau2, miss)
                if exact is not None:
                    lo, hi = min(lo, exact[1]), max(hi, exact[2])
                    pv = max(pv, exact[0]) if ok else pv
            out.low[t], out.high[t] = _bound(lo, hi, settings.bounds)
            out.sd[t] = sd
            if ok and seen >= settings.min_history:
                out.p[t] = pv
            flagged = ok and pv < settings.outlier_p
        if not ok:
            continue
        for name, fk in fc.items():
            if fk is not None and seen >= settings.burn_in:
                errs[name].add(t, float(y[t] - fk), _unit_var(kind, fk, n[t]),
                               flagged and name == method)
        value = float(y[t])
        if flagged:
            c = settings.clip * out.sd[t]
            value = float(np.clip(value, f - c, f + c))
            side = int(np.sign(y[t] - f))
            streak = [s for s in streak if s[2] == side] + [(t, float(y[t]), side)]
        else:
            streak = []
        state.add(t, value, float(y[t]))
        seen += 1
        if len(streak) >= RESTART_AFTER:
            state.restart([s[0] for s in streak], [s[1] for s in streak])
            streak = []
    return out


def _quantile(q: float, df: float) -> float:
    """Quantile of Student's t (the normal for infinite ``df``)."""
    return float(special.stdtrit(df, q)) if np.isfinite(df) else float(special.ndtri(q))


def _upper_tail(z: float, df: float) -> float:
    """P(T > z) of Student's t (the normal for infinite ``df``)."""
    return float(special.stdtr(df, -z)) if np.isfinite(df) else float(special.ndtr(-z))


def _choose(mode: str, fc: dict[str, float | None], errs: dict[str, _Errors]) -> str | None:
    if fc["ewma"] is None:
        return None
    if fc["seasonal"] is None or mode == "off":
        return "ewma"
    if mode == "on":
        return "seasonal"
    both = sorted(set(errs["ewma"].k) & set(errs["seasonal"].k))[-SELECT_PERIODS:]
    if len(both) < 6:
        return "ewma"
    rms = {}
    for name in ("ewma", "seasonal"):
        pos = {k: i for i, k in enumerate(errs[name].k)}
        rms[name] = float(np.sqrt(np.mean([errs[name].e[pos[k]] ** 2 for k in both])))
    return "seasonal" if rms["seasonal"] <= SELECT_RATIO * rms["ewma"] else "ewma"


def _bound(lo: float, hi: float, bounds: tuple[float | None, float | None]) -> tuple[float, float]:
    bmin, bmax = bounds
    if bmin is not None:
        lo, hi = max(lo, bmin), max(hi, bmin)
    if bmax is not None:
        lo, hi = min(lo, bmax), min(hi, bmax)
    return lo, hi
