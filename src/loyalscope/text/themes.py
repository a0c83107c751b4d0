"""Themes that separate two groups of texts (low vs high ratings, churned vs retained customers).

Terms are weighted by class-based TF-IDF (c-TF-IDF, Grootendorst 2022): the texts of each group
are joined into one document and

    W(t, c) = tf(t, c) x log(1 + A / f(t))

with ``tf(t, c)`` the frequency of term t in group c divided by the group's word count, ``f(t)``
the frequency of t over all groups and ``A`` the mean number of words per group. A theme is a
term of the *focus* group (low ratings, churned) among its highest-weighted terms whose share of
texts in that group exceeds its share in the other group by a two-proportion z of at least 1.96
(Newcombe 1998), with at least ``min_texts`` texts; each theme keeps both shares, the trend of its
share in the focus group (last period against the one before) and up to two example texts.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalscope.text.tokens import tokens


@dataclass
class Theme:
    term: str
    share_focus: float
    """Share of the focus group's texts that mention the term."""
    share_other: float
    n_focus: int
    n_other: int
    weight: float
    """c-TF-IDF weight in the focus group."""
    z: float
    trend: float | None = None
    """Share in the last period minus the period before (focus group); None without periods."""
    examples: list[str] = field(default_factory=list)


def c_tf_idf(groups: dict[str, list[list[str]]]) -> dict[str, dict[str, float]]:
    """c-TF-IDF weight of every term in every group (groups of tokenised texts)."""
    counts = {g: Counter(w for doc in docs for w in doc) for g, docs in groups.items()}
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    sizes = {g: sum(c.values()) for g, c in counts.items()}
    mean_words = sum(sizes.values()) / max(len(sizes), 1)
    return {g: {t: (n / sizes[g]) * math.log(1 + mean_words / total[t]) for t, n in c.items()}
            for g, c in counts.items() if sizes[g]}


def themes(texts: pd.Series, focus: pd.Series, periods: pd.Series | None = None, top: int = 30,
           max_themes: int = 6, min_texts: int = 5) -> list[Theme]:
    """Themes of the texts where ``focus`` is True against those where it is False.

    texts: one text per row; focus: boolean per row (e.g. rating <= 2, customer churned);
    periods: optional period label per row for the trend. Rows without text are left out.
    """
    keep = texts.notna() & texts.astype(str).str.strip().ne("") & focus.notna()
    texts, focus = texts[keep].astype(str), focus[keep].astype(bool)
    periods = periods[keep] if periods is not None else None
    # each distinct text is segmented once (complaint and survey texts repeat a lot)
    codes, uniques = pd.factorize(texts)
    udocs = [set(tokens(x)) for x in uniques]
    docs = [udocs[c] for c in codes]
    if not docs or focus.all() or not focus.any():
        return []
    f_mask = focus.to_numpy()
    groups = {"focus": [list(d) for d, f in zip(docs, f_mask, strict=True) if f],
              "other": [list(d) for d, f in zip(docs, f_mask, strict=True) if not f]}
    weights = c_tf_idf(groups).get("focus", {})
    n1, n0 = len(groups["focus"]), len(groups["other"])
    out: list[Theme] = []
    seen: list[tuple[Theme, set[int]]] = []
    # ties in weight are taken in the terms' order (not in the order of a set, which changes
    # from one Python process to the next)
    for term, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        has = pd.Series(np.array([term in d for d in udocs], dtype=bool)[codes],
                        index=texts.index)
        where = {i for i, v in enumerate(has.to_numpy()) if v}
        twin = next((th for th, w2 in seen if len(where & w2) >= 0.8 * len(where | w2)), None)
        if twin is not None:  # words that come together ("退换货 流程 麻烦") are one theme
            twin.term += f" · {term}"
            continue
        x1, x0 = int(has[focus].sum()), int(has[~focus].sum())
        if x1 < min_texts:
            continue
        p = (x1 + x0) / (n1 + n0)
        se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0)) if 0 < p < 1 else 0.0
        z = (x1 / n1 - x0 / n0) / se if se else 0.0
        if z < 1.96:
            continue
        theme = Theme(term, x1 / n1, x0 / n0, n1, n0, w, z)
        if periods is not None:
            theme.trend = _trend(has[focus], periods[focus])
        # the two shortest texts, equal lengths in text order: the same examples whatever order
        # the engine returned the rows in (a parallel scan's order changes from run to run)
        theme.examples = sorted(set(texts[focus & has]), key=lambda x: (len(x), x))[:2]
        out.append(theme)
        seen.append((theme, where))
        if len(out) == max_themes:
            break
    return out


def _trend(has: pd.Series, periods: pd.Series) -> float | None:
    by = has.groupby(periods.astype(str)).agg(["mean", "size"]).sort_index()
    by = by[by["size"] >= 5]
    if len(by) < 2:
        return None
    return float(by["mean"].iloc[-1] - by["mean"].iloc[-2])
