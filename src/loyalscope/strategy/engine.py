"""Evaluate the strategy rule file over a dict of diagnosis facts.

Each fired rule becomes a :class:`Recommendation` with its evidence (the conditions that held,
with the actual values), the target group, its size and its past spend (from the facts
``segment_size.<target>`` and ``segment_value.<target>`` when present). Recommendations keep
the rule file's order here; :mod:`loyalscope.strategy.value` ranks them by value at stake.

Thresholds sit on evidence, not on knife edges: a fact that comes with its sample size
(``n.<fact>``, for shares) or its standard error (``se.<fact>``) must clear the threshold with a
one-sided 95% margin: ``share >= 0.25`` fires when the Wilson lower bound of the share is at
least 0.25, ``gap < 0`` when ``gap + 1.645 se`` is below 0. A fact without either is compared
as it is (counts, 0/1 flags).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from loyalscope.conditions import holds, is_valid
from loyalscope.errors import ConfigError


@dataclass(frozen=True)
class StrategyRule:
    id: str
    strategy: str
    target: str
    when: tuple[tuple[str, str, float], ...]
    zh: str
    en: str

    def evidence(self, facts: Mapping[str, float]) -> list[dict[str, Any]] | None:
        """The conditions with their actual values (and the bound that cleared the threshold)
        if all hold, else None."""
        out = []
        for fact, op, value in self.when:
            actual = facts.get(fact)
            if not holds(actual, op, value):  # a missing or NaN fact is false
                return None
            bound = margin_bound(actual, op, facts.get(f"n.{fact}"), facts.get(f"se.{fact}"))
            if not holds(bound, op, value):
                return None
            item = {"fact": fact, "op": op, "threshold": value, "actual": actual}
            if bound != actual:
                item["bound"] = bound
            if f"n.{fact}" in facts:
                item["n"] = facts[f"n.{fact}"]
            out.append(item)
        return out


Z_ONE_SIDED = 1.6448536269514722
"""One-sided 95% normal quantile of the firing margin."""


def margin_bound(actual: float | None, op: str, n: float | None, se: float | None) -> float | None:
    """The end of the one-sided 95% interval of ``actual`` that must clear the threshold.

    For ``>``/``>=`` the lower bound, for ``<``/``<=`` the upper bound; ``n`` given: Wilson score
    bound of a share (Wilson 1927); ``se`` given: ``actual -/+ 1.645 se``; neither: ``actual``.
    """
    if actual is None or op not in ("<", "<=", ">", ">=") or actual != actual:
        return actual
    sign = -1.0 if op in (">", ">=") else 1.0
    z = Z_ONE_SIDED
    if n is not None and n > 0 and 0.0 <= actual <= 1.0:
        centre = (actual + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(actual * (1 - actual) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return centre + sign * half
    if se is not None and se == se:
        return actual + sign * z * float(se)
    return actual


@dataclass
class Recommendation:
    rule: str
    strategy: str
    text: str
    target: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    size: float | None = None
    """Customers in the target group (before customers are given to higher-ranked actions)."""
    spend: float | None = None
    """Their spend before the analysis date (context, not the value at stake)."""
    value_at_stake: float | None = None
    """Expected value at stake over the horizon (set by :mod:`loyalscope.strategy.value`)."""
    customers: float | None = None
    """Customers this recommendation targets after de-duplication."""
    rank: int | None = None
    basis: str | None = None
    """How value_at_stake was computed: ``excess_churn`` or ``spend`` (no CLV / churn model)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_rules(path: str | Path | None = None) -> list[StrategyRule]:
    """Read and check the rule file (default: the bundled ``strategy/rules.toml``)."""
    if path is None:
        text = (resources.files("loyalscope.strategy") / "rules.toml").read_text(encoding="utf-8")
        source = "strategy/rules.toml"
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    rules = []
    for item in tomllib.loads(text).get("rule", []):
        missing = [k for k in ("id", "strategy", "when", "zh", "en") if k not in item]
        bad = [c for c in item.get("when", []) if not is_valid(c, "fact")]
        if missing or bad or not item.get("when"):
            raise ConfigError(
                f"Strategy rule {item.get('id')!r} is incomplete ({missing or bad or 'no conditions'}).",
                file=source, value=item.get("id"),
                fix="Each [[rule]] needs id, strategy, target, zh, en and when = [{ fact, op, value }].",
            )
        rules.append(StrategyRule(
            str(item["id"]), str(item["strategy"]), str(item.get("target", "all")),
            tuple((str(c["fact"]), str(c["op"]), float(c["value"])) for c in item["when"]),
            str(item["zh"]), str(item["en"]),
        ))
    return rules


def recommend(
    facts: Mapping[str, float], rules: list[StrategyRule] | None = None, lang: str = "en"
) -> list[Recommendation]:
    """Recommendations whose rules fire on ``facts``, in rule-file order."""
    rules = rules if rules is not None else load_rules()
    out = []
    for r in rules:
        ev = r.evidence(facts)
        if ev is None:
            continue
        out.append(Recommendation(
            r.id, r.strategy, r.zh if lang.startswith("zh") else r.en, r.target, ev,
            facts.get(f"segment_size.{r.target}"), facts.get(f"segment_value.{r.target}"),
        ))
    return out
