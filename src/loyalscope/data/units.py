"""Money stated in a multiple of its currency: ``销售额(万元)``, ``Revenue (USD thousands)``.

Chinese reports and exports often give amounts in 万元 (10,000 yuan), 千元 or 百万元, and say so
only in the header; English ones in thousands (``Amount ('000)``). Read as written, every such
amount would be 10,000 (or 1,000) times too small, silently: CLV, order values and revenue
shares all wrong. So:

- a header of a money column (a column of unit ``currency`` in :mod:`loyalscope.data.schema`)
  that states a multiple in brackets or after a slash is mapped to that column
  (:func:`loyalscope.data.mapping.header_parts`), and its values are multiplied by the multiple
  when parsed (:func:`loyalscope.data.validate.parse_source`), exactly: ``1.2345`` 万元 is
  ``12345.0``, not ``12344.999999999998``;
- ``[units]`` in ``loyalscope.toml`` states it where the header does not:
  ``[units] transactions.amount = "万元"`` (or ``[units.transactions] amount = "万元"``);
- a header that states a unit (``(元)``, ``(USD)``: a multiple of 1, or another multiple) and a
  setting that says otherwise is an error naming the file, the column and the fix;
- each column multiplied gets a note in the quality report saying by what and why; rejected
  values are quarantined as written.

A multiple on a column that is no money (``数量(万件)``, ``数量(千元)``) is not guessed: such a
header stays unmapped, with the advice that names it.

Recognised multiples (:func:`unit_multiple`): 千 (1,000), 万 (10,000), 十万, 百万, 千万, 亿
(100,000,000), 十亿, each followed by a currency (元, 人民币, 美元, 港元, 港币, 欧元, 英镑, 日元:
``万元``, ``百万美元``, ``万元人民币``); in English ``thousand(s)``, ``'000``, ``000s``,
``million(s)``, ``billion(s)`` alone or with a currency word or sign and ``in`` / ``of``
(``in thousands``, ``USD thousands``, ``thousands of USD``, ``$'000``), and ``k``, ``m``,
``mn``, ``mm``, ``bn`` only beside a currency word or sign (``$k``, ``USD mn``; ``(k)`` or
``(m)`` alone may be anything).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from loyalscope.data import schema
from loyalscope.errors import ConfigError
from loyalscope.i18n import t

if TYPE_CHECKING:
    from loyalscope.config import AnalysisConfig

_ZH_MULTIPLES = {"千": 1_000, "万": 10_000, "十万": 100_000, "百万": 1_000_000,
                 "千万": 10_000_000, "亿": 100_000_000, "十亿": 1_000_000_000}
_ZH_CURRENCIES = ("元人民币", "元", "人民币", "美元", "港元", "港币", "欧元", "英镑", "日元", "块")
_ZH_UNIT = re.compile(
    "^(?:人民币)?(?P<m>" + "|".join(sorted(_ZH_MULTIPLES, key=len, reverse=True)) + ")?"
    "(?P<c>" + "|".join(_ZH_CURRENCIES) + ")$")
"""A Chinese money unit, its multiple optional: ``万元``, ``百万美元``, ``人民币万元``, ``元``."""

_EN_STRONG = {"thousand": 1_000, "thousands": 1_000, "'000": 1_000, "'000s": 1_000, "000s": 1_000,
              "million": 1_000_000, "millions": 1_000_000, "billion": 1_000_000_000,
              "billions": 1_000_000_000}
"""English multiples that say so on their own (``(in thousands)``, ``('000)``)."""
_EN_WEAK = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "mm": 1_000_000, "bn": 1_000_000_000}
"""English multiples that do only beside a currency (``$k``, ``USD mn``; a bare ``m`` may be
metres or minutes)."""
_EN_CURRENCIES = frozenset({"usd", "rmb", "cny", "hkd", "eur", "gbp", "jpy", "$", "¥", "€", "£",
                            "dollar", "dollars", "yuan", "euro", "euros"})
_EN_FILLERS = frozenset({"in", "of"})
_EN_TOKEN = re.compile(r"\s*(\$|¥|€|£|['\u2019]000s?|000s|[a-z]+)\s*")


def _unit_text(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip().casefold()


def unit_multiple(text: object) -> int | None:
    """The multiple of the currency unit that a unit text states, or None when it is no money
    unit: ``万元`` 10,000, ``千元`` 1,000, ``USD thousands`` 1,000, ``('000)`` 1,000, ``元`` /
    ``USD`` / ``$`` 1 (the currency itself), ``件`` / ``(k)`` / ``含税`` None."""
    raw = _unit_text(str(text)).strip("()[]【】 ")
    if not raw:
        return None
    zh = _ZH_UNIT.match(re.sub(r"\s+", "", raw))
    if zh is not None:
        return _ZH_MULTIPLES[zh["m"]] if zh["m"] else 1
    tokens = []
    pos = 0
    while pos < len(raw):
        m = _EN_TOKEN.match(raw, pos)
        if m is None or m.end() == pos:
            return None
        tokens.append(m[1].replace("\u2019", "'"))
        pos = m.end()
    currency = [w for w in tokens if w in _EN_CURRENCIES]
    strong = [w for w in tokens if w in _EN_STRONG]
    weak = [w for w in tokens if w in _EN_WEAK]
    others = [w for w in tokens if w not in _EN_CURRENCIES and w not in _EN_STRONG
              and w not in _EN_WEAK and w not in _EN_FILLERS]
    if others or len(strong) + len(weak) > 1:
        return None
    if strong:
        return _EN_STRONG[strong[0]]
    if weak:
        return _EN_WEAK[weak[0]] if currency else None
    return 1 if currency else None


_BRACKETED = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]")


@dataclass(frozen=True)
class Stated:
    """A money unit a header states: ``text`` as written (``万元``) and its ``multiple``."""

    text: str
    multiple: int


def stated_unit(header: object) -> Stated | None:
    """The money unit a header states in brackets or after its last slash (``销售额(万元)``,
    ``合同金额/千元``, ``Revenue (USD thousands)``, ``实付金额(元)``: 1), or None (``销售额``,
    ``金额(含税)``, ``Amount (k)``, ``订单金额/Order Amount``)."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    pieces = [m.group(1) for m in _BRACKETED.finditer(text)]
    if "/" in text:
        pieces.append(text.rsplit("/", 1)[1])
    for piece in pieces:
        multiple = unit_multiple(piece)
        if multiple is not None:
            return Stated(piece.strip(), multiple)
    return None


def stated_multiple(header: object) -> Stated | None:
    """:func:`stated_unit` when it is a multiple (more than 1), else None."""
    found = stated_unit(header)
    return found if found is not None and found.multiple > 1 else None


def setting_multiple(value: object) -> int | None:
    """The multiple a ``[units]`` value states: a unit text (``"万元"``, ``"千元"``,
    ``"thousands"``, ``"元"``) or a power of ten (``10000`` or ``"10000"``); None when it is
    neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 and str(value).strip("0") == "1" else None
    if isinstance(value, str):
        digits = _unit_text(value)
        return setting_multiple(int(digits)) if digits.isdigit() else unit_multiple(value)
    return None


def column_multiples(table: str, name: str, mapping: Mapping[str, str],
                     config: AnalysisConfig) -> tuple[dict[str, int], list[str]]:
    """The money columns of one source stated in a multiple of their currency, and a note for
    each: canonical column -> multiple (more than 1), from its header (:func:`stated_multiple`)
    or ``[units] <table>.<column>``.

    Raises
    ------
    ConfigError
        The header states a unit (``万元``, or ``元``: 1) and ``[units]`` another: the message
        names the file, the column and both; the fix says which line to remove.
    """
    spec = schema.table(table)
    out: dict[str, int] = {}
    notes: list[str] = []
    for canon, header in mapping.items():
        if not spec.allows(canon) or spec.column(canon).unit != "currency":
            continue
        stated = stated_unit(header)
        setting = config.unit_multiple(table, canon)
        if stated is not None and setting is not None and stated.multiple != setting[0]:
            raise ConfigError(
                t("data.validate.unit_conflict", table=table, canon=canon, column=header,
                  stated=stated.text, stated_multiple=f"{stated.multiple:,}", setting=setting[1],
                  setting_multiple=f"{setting[0]:,}"),
                file=name, column=canon, value=header,
                fix=t("data.validate.unit_conflict_fix", table=table, canon=canon))
        if stated is not None and stated.multiple > 1:
            key, unit, multiple = "note_multiple_header", stated.text, stated.multiple
        elif stated is None and setting is not None and setting[0] > 1:
            key, unit, multiple = "note_multiple_setting", setting[1], setting[0]
        else:
            continue
        out[canon] = multiple
        notes.append(t(f"data.validate.{key}", table=table, canon=canon, column=header, unit=unit,
                       multiple=f"{multiple:,}", example=f"{int(Decimal('1.5') * multiple):,}"))
    return out, notes
