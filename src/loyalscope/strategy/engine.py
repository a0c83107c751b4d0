"""Evaluate the strategy rule file over a dict of diagnosis facts.

Each fired rule becomes a :class:`Recommendation` with its evidence (the conditions that held,
with the actual values), the target segment, its size and the value at stake (from the facts
``segment_size.<target>`` and ``segment_value.<target>`` when present). Recommendations keep
the rule file's order, which follows the documents' order of strategies.
"""

from __future__ import annotations

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
        """The conditions with their actual values if all hold, else None."""
        out = []
        for fact, op, value in self.when:
            actual = facts.get(fact)
            if not holds(actual, op, value):  # a missing or NaN fact is false
                return None
            out.append({"fact": fact, "op": op, "threshold": value, "actual": actual})
        return out


@dataclass
class Recommendation:
    rule: str
    strategy: str
    text: str
    target: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    size: float | None = None
    value_at_stake: float | None = None

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
