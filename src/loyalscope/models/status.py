"""Fit status of a model: ok, weakly identified, or not estimable, with the reasons.

A maximum-likelihood fit can converge to numbers that mean nothing: a parameter running off to
the edge of its space (``a = b = 2e6``), a flat likelihood whose Hessian is singular, standard
errors larger than the estimates. Every fitted :class:`~loyalscope.models.base.MLEModel` carries
``status_``, a :class:`FitStatus` built from the checks below, and the report shows a model's
numbers only when it is estimable (with a visible warning when it is weak).

=========================  ===============  =====================================================
issue code                 status           meaning (``detail`` keys)
=========================  ===============  =====================================================
``too_few_customers``      not estimable    fewer customers than the minimum (n, need)
``too_few_repeat_buyers``  not estimable    fewer repeat buyers than the minimum (n, need)
``too_few_churned``        not estimable    fewer churned contract customers than the minimum
``param_extreme``          not estimable    a parameter beyond ``EXTREME`` x its scale, or
                                            below ``1 / EXTREME`` x its scale (param, value)
``param_at_bound``         not estimable    a bounded parameter ended on its bound (param,
                                            value): the likelihood's optimum lies beyond it
``hessian_singular``       not estimable    the observed information is not positive definite
``q_not_above_1``          not estimable    Gamma-Gamma q <= 1: mean spend is infinite (q)
``one_renewal_period``     not estimable    sBG with one observed renewal period: only one
                                            retention rate, two parameters (periods)
``no_dropout``             not estimable    a purchase model expects fewer than half a customer
                                            to have left in all the data: no dropout to measure
                                            (expected)
``not_converged``          not estimable    the optimiser stopped without converging (message)
``ill_conditioned``        weak             condition number of the estimates' correlation
                                            matrix above ``ILL_CONDITIONED`` (condition)
``se_exceeds_estimate``    weak             a standard error larger than its estimate (param)
=========================  ===============  =====================================================

The translated text of each issue is ``models.issue.<code>`` and what data would fix it
``models.issue_fix.<code>`` (both formatted with ``detail``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["ok", "weak", "not_estimable"]
STATUSES: tuple[Status, ...] = ("ok", "weak", "not_estimable")
#: A parameter this many times its natural scale (or this many times smaller) is at the edge of
#: its space: the likelihood is flat in that direction and the value is arbitrary.
EXTREME = 1e6
#: Condition number of the correlation matrix of the estimates above which the fit is weak.
ILL_CONDITIONED = 1e6

ISSUES: dict[str, Status] = {
    "too_few_customers": "not_estimable",
    "too_few_repeat_buyers": "not_estimable",
    "too_few_churned": "not_estimable",
    "param_extreme": "not_estimable",
    "param_at_bound": "not_estimable",
    "hessian_singular": "not_estimable",
    "q_not_above_1": "not_estimable",
    "one_renewal_period": "not_estimable",
    "no_dropout": "not_estimable",
    "not_converged": "not_estimable",
    "ill_conditioned": "weak",
    "se_exceeds_estimate": "weak",
}


@dataclass(frozen=True)
class FitIssue:
    """One reason a fit is not fully trustworthy: ``code`` (see :data:`ISSUES`) and its details."""

    code: str
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in ISSUES:
            raise ValueError(f"Unknown fit issue {self.code!r}; use one of {sorted(ISSUES)}.")

    @property
    def status(self) -> Status:
        return ISSUES[self.code]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "status": self.status, **{k: _plain(v) for k, v in self.detail.items()}}


@dataclass(frozen=True)
class FitStatus:
    """The checks' verdict: ``status`` is the worst status among ``issues`` ("ok" without any)."""

    issues: tuple[FitIssue, ...] = ()

    @property
    def status(self) -> Status:
        worst = max((STATUSES.index(i.status) for i in self.issues), default=0)
        return STATUSES[worst]

    @property
    def estimable(self) -> bool:
        """True unless some issue makes the model not estimable (its numbers may be shown)."""
        return self.status != "not_estimable"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def plus(self, *issues: FitIssue) -> FitStatus:
        """A status with ``issues`` added (duplicates of the same code and detail dropped)."""
        out = list(self.issues)
        for issue in issues:
            if issue not in out:
                out.append(issue)
        return FitStatus(tuple(out))

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "issues": [i.to_dict() for i in self.issues]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FitStatus:
        issues = tuple(FitIssue(i["code"], {k: v for k, v in i.items() if k not in ("code", "status")})
                       for i in d.get("issues", []))
        return cls(issues)


def sample_size_issues(n: int, need: int, n_repeat: int | None = None, need_repeat: int | None = None
                       ) -> list[FitIssue]:
    """Issues for fewer than ``need`` customers or fewer than ``need_repeat`` repeat buyers."""
    out = []
    if n < need:
        out.append(FitIssue("too_few_customers", {"n": int(n), "need": int(need)}))
    if n_repeat is not None and need_repeat is not None and n_repeat < need_repeat:
        out.append(FitIssue("too_few_repeat_buyers", {"n": int(n_repeat), "need": int(need_repeat)}))
    return out


def extreme(theta: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Which parameters lie beyond ``EXTREME`` x their scale or below ``1 / EXTREME`` x it (or
    are not finite): the ``param_extreme`` test, as a boolean array."""
    rel = np.asarray(theta, dtype=float) / np.asarray(scales, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(rel) | (rel > EXTREME) | (rel < 1.0 / EXTREME)


def mle_issues(names: tuple[str, ...], theta: np.ndarray, scales: np.ndarray, hessian: np.ndarray | None,
               se: np.ndarray, free: np.ndarray | None = None) -> list[FitIssue]:
    """The generic checks of a maximum-likelihood fit.

    Parameters
    ----------
    names, theta : parameter names and estimates (natural scale, all > 0).
    scales : each parameter's natural scale (1 for shape parameters; e.g. the mean customer age
        for a rate's scale parameter, the mean spend for Gamma-Gamma's gamma), so that the
        edge-of-space check does not depend on the time or currency unit.
    hessian : observed information (Hessian of -LL in the natural parameters), or None.
    se : standard errors (NaN where unavailable).
    free : parameters not held on a bound (default: all); the information checks use these.
    """
    out: list[FitIssue] = []
    for name, value, far in zip(names, theta, extreme(theta, scales), strict=True):
        if far:
            out.append(FitIssue("param_extreme", {"param": name, "value": float(value)}))
    keep = np.ones(theta.size, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    if not keep.any():
        return out
    names, theta, se = tuple(n for n, k in zip(names, keep, strict=True) if k), theta[keep], se[keep]
    if hessian is None or not np.all(np.isfinite(hessian[np.ix_(keep, keep)])):
        out.append(FitIssue("hessian_singular"))
        return out
    hessian = hessian[np.ix_(keep, keep)]
    eig = np.linalg.eigvalsh(hessian)
    if not np.all(eig > 0) or eig.min() <= 1e-14 * eig.max() or not np.all(np.isfinite(se)):
        out.append(FitIssue("hessian_singular"))
        return out
    cov = np.linalg.inv(hessian)
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    cond = float(np.linalg.cond(corr))
    if not np.isfinite(cond) or cond > ILL_CONDITIONED:
        out.append(FitIssue("ill_conditioned", {"condition": cond}))
    for name, value, s in zip(names, theta, se, strict=True):
        if s > value:
            out.append(FitIssue("se_exceeds_estimate", {"param": name, "value": float(value), "se": float(s)}))
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
