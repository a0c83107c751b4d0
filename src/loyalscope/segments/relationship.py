"""Kotler's relationship levels (客户关系类型) from customer count and margin.

Kotler, P. *Marketing Management*, table "Levels of relationship marketing":

=================  =============  ==============  ===========
customers \\ margin  high           medium          low
=================  =============  ==============  ===========
many               accountable    reactive        basic
medium             proactive      accountable     reactive
few                partnership    proactive       accountable
=================  =============  ==============  ===========

基本型 basic, 被动型 reactive, 负责型 accountable, 能动型 proactive, 伙伴型 partnership.
Count and margin levels come from thresholds: ``count_cuts = (few_max, medium_max)`` customers,
``margin_cuts = (low_max, medium_max)`` as margin rate (0-1). Defaults are illustrative and
belong in the user's config: 100 and 10,000 customers; 10% and 30% margin.
"""

from __future__ import annotations

from loyalscope.errors import ConfigError

LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")

TABLE: dict[tuple[str, str], str] = {
    ("many", "high"): "accountable", ("many", "medium"): "reactive", ("many", "low"): "basic",
    ("medium", "high"): "proactive", ("medium", "medium"): "accountable", ("medium", "low"): "reactive",
    ("few", "high"): "partnership", ("few", "medium"): "proactive", ("few", "low"): "accountable",
}


def relationship_level(
    n_customers: int,
    margin_rate: float,
    count_cuts: tuple[int, int] = (100, 10_000),
    margin_cuts: tuple[float, float] = (0.10, 0.30),
) -> str:
    """Kotler level for a business (or a product line) with ``n_customers`` and ``margin_rate``."""
    if not (count_cuts[0] < count_cuts[1] and margin_cuts[0] < margin_cuts[1]):
        raise ConfigError(
            f"Cut-offs must increase: count_cuts={count_cuts}, margin_cuts={margin_cuts}.",
            fix="Give (lower, upper) with lower < upper.",
        )
    count = "few" if n_customers <= count_cuts[0] else "medium" if n_customers <= count_cuts[1] else "many"
    margin = "low" if margin_rate <= margin_cuts[0] else "medium" if margin_rate <= margin_cuts[1] else "high"
    return TABLE[(count, margin)]
