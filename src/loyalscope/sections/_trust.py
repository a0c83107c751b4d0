"""What the sections say about a model's fit status and a number's trustworthiness.

A model that is not estimable gets a warning that names it, one line per reason and what data
would fix it, and none of its numbers; a weakly identified model gets the same warning above
numbers flagged ``weak_fit``. Numbers from fewer than ``[analysis] min_n`` cases are flagged
``small_sample``.
"""

from __future__ import annotations

from loyalscope.models.status import FitStatus
from loyalscope.results import Block, Flag, Text

#: i18n key of each model's display name.
MODEL_NAMES = {"bgnbd": "models.name.bgnbd", "mbgnbd": "models.name.mbgnbd", "nbd": "models.name.nbd",
               "pareto_nbd": "models.name.pareto_nbd", "gamma_gamma": "models.name.gamma_gamma",
               "sbg": "models.name.sbg", "churn_risk": "models.name.churn_risk",
               "transaction_models": "models.name.transaction_models"}


def model_name(model_id: str) -> str:
    """The i18n key of a model's name (the id itself when unknown)."""
    return MODEL_NAMES.get(model_id, model_id)


def status_blocks(model_id: str, status: FitStatus) -> list[Block]:
    """Warning texts for a fit that is not ok (empty list when it is)."""
    if status.ok:
        return []
    key = "models.trust.weak" if status.estimable else "models.trust.not_estimable"
    blocks: list[Block] = [Text(key, {"model": model_name(model_id)}, style="warning")]
    fixes: list[str] = []
    for issue in status.issues:
        blocks.append(Text(f"models.issue.{issue.code}", _detail(issue.detail), style="warning"))
        if issue.code not in fixes:
            fixes.append(issue.code)
    blocks += [Text("models.trust.fix", {"fix": f"models.issue_fix.{code}"}, style="note") for code in fixes]
    return blocks


def fit_flags(status: FitStatus) -> list[Flag]:
    """Flags for a number computed from a model with this status."""
    if status.ok:
        return []
    return ["weak_fit"] if status.estimable else ["not_estimable"]


def sample_flags(n: float | None, min_n: int) -> list[Flag]:
    """``["small_sample"]`` when ``n`` is below ``min_n``."""
    return ["small_sample"] if n is not None and n < min_n else []


def _detail(detail: dict) -> dict:
    """Issue details as text arguments; parameter names are shown as they are."""
    return {k: (v if v is not None else float("nan")) for k, v in detail.items()}
