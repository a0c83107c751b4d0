"""Value parsing as Ibis expressions: amounts, dates and times, booleans, identifiers.

Every parser takes an Ibis column (text read from a file, or an already typed column from
Parquet, a database or a frame) and returns a :class:`Parsed`: the canonical value, and the
reason code and a short English detail tag when a present value cannot be used (empty inputs
are NULL and not bad). The expressions compile to SQL, so parsing runs where the data is
(DuckDB, Spark, PostgreSQL) and no row passes through Python.

Supported spellings
-------------------
amounts   ``1,234.50``  ``¥1,200``  ``￥300元``  ``RMB 5``  ``$12``  ``(300)`` (= -300)  full-width digits,
          one currency (before and/or after the number, ``¥ ... 元`` counts as one)
dates     ``2024-01-05``  ``2024/1/5``  ``2024.1.5``  ``2024年1月5日``  ``05/01/2024`` (day- or month-first,
          decided on the whole column, see :func:`date_order`)  ``20240105``, each optionally with a time
          ``10:30[:15[.123]]`` (``10时30分``) and an offset (``Z``, ``+08:00``: converted to ``[data] timezone``,
          stored naive; an offset drops fractions of a second); Excel serial days (10,000 to 100,000:
          1927 to 2173); epoch seconds (1e9 to 1e11) and milliseconds (1e11 to 1e14)
booleans  是/否 对/错 有/无 Y/N yes/no true/false T/F 1/0

Strict values (quarantined with reason ``out_of_range`` or ``unparseable``): ``inf``, ``NaN``,
``1e400`` and amounts of 1e14 or more; text between digits (``12元34``); two currencies
(``USD1EUR2``, ``$5 EUR``); half parentheses (``(12``); years before 1900 or after 2200; a boolean
column used as an amount (``wrong_type``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from loyalscope.data.staged import Relation

MAX_AMOUNT = 1e14
"""Largest absolute amount accepted (exclusive): the money sums are DECIMAL(18, 4), which hold
values below 1e14 (an amount of 5e14 made the load fail on the cast), and float64 holds cents
exactly there."""
MIN_YEAR, MAX_YEAR = 1900, 2200

_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u2212\uffe5"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " -¥"
_FULL_CLASS = f"[{chr(0xFF01)}-{chr(0xFF5E)}\u3000\u2212\uffe5]"
"""A character of :data:`_FULL` (literal characters: the same class in RE2, Java and PostgreSQL)."""
_TRUE = ("是", "对", "有", "真", "y", "yes", "true", "t", "1", "1.0", "已", "✓")
_FALSE = ("否", "错", "无", "假", "n", "no", "false", "f", "0", "0.0", "未", "✗")
_CUR_PRE = r"(¥|\$|€|£|RMB|CNY|USD|EUR|US\$|HK\$)"
_CUR_SUF = r"(元|RMB|CNY|USD|EUR)"
_NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)([eE][-+]?\d{1,4})?"
AMOUNT_RE = rf"(?i)^([-+]?)\s*(?:{_CUR_PRE}\s*)?([-+]?)\s*{_NUM}\s*(?:{_CUR_SUF})?(%?)$"
_SIMPLE_NUM = r"^-?\d{1,15}(\.\d{1,9})?$"
_NONFINITE = r"(?i)^[-+]?(inf|infinity|nan)$"
DATE_RE = (
    r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})"
    r"(?: +(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,9}))?)?)?"
    r" *([AaPp][Mm])? *(Z|[+-]\d{1,2}(?::?\d{2})?)?$"
)
"""A date, its time (12-hour with AM / PM: ``2024/03/05 2:03:05 PM``, as US exports, Google
Forms and SurveyMonkey write them) and its UTC offset (``+08:00``, ``-0500``, ``+8``).
Groups: year or day or month (1-3), hour, minute, second, fraction, AM / PM, offset."""
_ISO_FAST = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$"
DMY_RE = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T].*)?$"


@dataclass(frozen=True)
class Parsed:
    """A parsed column: ``value`` (canonical type, NULL when empty or bad), ``reason``
    (NULL, ``"unparseable"``, ``"out_of_range"`` or ``"wrong_type"``) and ``tag`` (why: the suffix
    of an i18n key ``data.validate.why_<tag>``, NULL when ``reason`` is)."""

    value: ir.Value
    reason: ir.StringValue
    tag: ir.StringValue


_NULL_STR = ibis.null().cast("string")


def _ok(value: ir.Value) -> Parsed:
    return Parsed(value, _NULL_STR, _NULL_STR)


_EDGE_SPACE = "^[ \\t\\n\\r\\x0b\\x0c]|[ \\t\\n\\r\\x0b\\x0c]$"
"""A value beginning or ending with what ``strip`` removes (space, tab, LF, CR, VT, FF)."""


def strip(s: ir.StringValue) -> ir.StringValue:
    """``s.strip()``, run only on values with white space at an end: DuckDB's ``TRIM`` with a
    character set costs ~2x a regular-expression test (1.8 vs 0.8 s of CPU for 4 columns of
    2M rows), and almost no value of an export needs it."""
    return ibis.ifelse(s.re_search(_EDGE_SPACE), s.strip(), s)


_NEEDS_CLEANING = "[^\\x00-\\x7f]|" + _EDGE_SPACE
"""Non-ASCII text (full-width forms to fold) or white space at an end (to strip)."""


@ibis.udf.scalar.builtin(name="strlen")
def _strlen(s: str) -> int:  # type: ignore[empty-body]
    """Bytes of a UTF-8 string (DuckDB)."""


@ibis.udf.scalar.builtin(name="octet_length")
def _octet_length(s: str) -> int:  # type: ignore[empty-body]
    """Bytes of a UTF-8 string (Spark)."""


_SPACE_CHARS = (" ", "\t", "\n", "\r", "\x0b", "\x0c")


def needs_cleaning(raw: ir.StringValue, backend: str | None = None) -> ir.BooleanValue:
    """Whether ``raw`` may need :func:`clean`'s folding or stripping: non-ASCII, or white space
    at an end (or any control character first).

    On DuckDB and Spark without a regular expression (the byte length against the character
    length, the first character's code, the last character by ``endswith``): on 10M short
    values 0.38 s against 1.05 s for :data:`_NEEDS_CLEANING`, a cost paid on every text
    column of every row. The test may admit a value that needs nothing (a leading control
    character): cleaning leaves it as it is. Other engines: the regular expression."""
    if backend == "duckdb":
        octets = _strlen(raw)
    elif backend == "pyspark":
        octets = _octet_length(raw)
    else:
        return raw.re_search(_NEEDS_CLEANING)
    test = (octets != raw.length()) | (raw.ascii_str() <= 32)
    for c in _SPACE_CHARS:
        test = test | raw.endswith(c)
    return test


def clean(s: ir.Value, backend: str | None = None) -> ir.StringValue:
    """Text, full-width forms folded to ASCII (``１２３`` -> ``123``, ``￥`` -> ``¥``), stripped;
    ``""`` -> NULL.

    One test (:func:`needs_cleaning`) picks the values that need any of it (almost none in an
    export); the others are kept as they are."""
    raw = s.cast("string")
    # only text with a full-width form needs the translate, which costs ~2.8 us a value on
    # DuckDB (5.7 s for 2M amounts like "¥3,990.63", whose yen sign is not full width; a
    # test of these characters 0.13 s): Chinese text, ¥ and 年月日 dates skip it
    wide = raw.re_search(_FULL_CLASS)
    folded = ibis.ifelse(wide, raw.translate(_FULL, _HALF), raw).strip()
    return ibis.ifelse(needs_cleaning(raw, backend), folded, raw).nullif("")


def _is_text(s: ir.Value) -> bool:
    return s.type().is_string()


# ---- identifiers and labels ------------------------------------------------------------------
DECIMAL_ID = r"^-?[0-9]+\.0+$"
"""An identifier written as a decimal number (``12533.0``): what pandas writes for a number
column with an empty cell (a float column), and Excel for some number formats."""


def whole_number_text(s: ir.StringValue) -> ir.StringValue:
    """``12533.0`` -> ``12533``; any other text unchanged (see :data:`DECIMAL_ID`)."""
    return ibis.ifelse(s.re_search(DECIMAL_ID), s.re_replace(r"\.0+$", ""), s)


def string(tbl: Relation, col: str, out: str, backend: str | None = None,
           decimal: bool = False) -> Any:
    """Identifiers and labels: stripped text; integral floats lose their ``.0``, and so do
    text values of :data:`DECIMAL_ID` form when ``decimal`` (an identifier column that a
    sample shows written as decimals: the same customer as in a sheet or Parquet file, whose
    number cells are read without ``.0``)."""
    if tbl[col].type().is_string():
        value = clean(tbl[col], backend)
        if decimal:
            value = whole_number_text(value)
        tbl = tbl.mutate(**{out: value, f"{out}__r": _NULL_STR, f"{out}__g": _NULL_STR})
        return tbl.mutate(**{f"{out}__p": tbl[out].notnull()})
    return _put(tbl, out, _string(tbl[col]))


def boolean(tbl: Relation, col: str, out: str, backend: str | None = None) -> Any:
    """是/否, Y/N, true/false, 1/0 ... -> boolean."""
    if tbl[col].type().is_string():
        tbl = tbl.mutate(**{f"{out}__t": clean(tbl[col], backend).lower()})
        txt = tbl[f"{out}__t"]
        # the word lists tested once, in a stage of their own: DuckDB runs an IN list of this
        # size as a join, once per place the test appears (five, in value, reason and tag)
        tbl = tbl.mutate(**{f"{out}__y": txt.isin(list(_TRUE)), f"{out}__n": txt.isin(list(_FALSE))})
        tbl = _put(tbl, out, _words_boolean(txt, tbl[f"{out}__y"], tbl[f"{out}__n"]),
                   present=txt.notnull())
        return tbl.drop(f"{out}__t", f"{out}__y", f"{out}__n")
    return _put(tbl, out, _boolean(tbl[col]))


def _put(tbl: Relation, out: str, p: Parsed, present: ir.BooleanValue | None = None) -> Any:
    return tbl.mutate(**{out: p.value, f"{out}__r": p.reason, f"{out}__g": p.tag,
                         f"{out}__p": present if present is not None else _present(tbl, out, p)})


def _present(tbl: Relation, out: str, p: Parsed) -> ir.BooleanValue:
    return p.value.notnull() | p.reason.notnull()


def _string(s: ir.Value) -> Parsed:
    """Identifiers and labels: stripped text; integral floats lose their ``.0``."""
    typ = s.type()
    if typ.is_floating() or typ.is_decimal():
        f = s.cast("float64")
        integral = (f == f.floor()) & (f.abs() < 1e15)
        txt = ibis.ifelse(integral, f.cast("int64").cast("string"), f.cast("string"))
        return _ok(txt)
    if typ.is_boolean():
        return _ok(ibis.ifelse(s, "true", "false"))
    return _ok(clean(s))


# ---- numbers and money -----------------------------------------------------------------------
def _groups_type(n: int) -> dt.Struct:
    return dt.Struct({f"g{i}": dt.string for i in range(1, n + 1)})


@functools.cache
def _extract_groups(n: int) -> Callable[..., ir.StructValue]:
    """DuckDB's ``regexp_extract(text, pattern, [names])``: groups 1..n of one match as a struct
    of texts (``''`` for a group that took no part, every field ``''`` without a match)."""
    def regexp_extract(s: Any, pattern: Any, names: Any) -> Any:  # a builtin: no Python body
        ...
    return ibis.udf.scalar.builtin(regexp_extract, name="regexp_extract",
                                   signature=((dt.string, dt.string, dt.Array(dt.string)), _groups_type(n)))


def _regex_stage(tbl: Relation, txt: ir.StringValue, pattern: str, n: int, skip: ir.BooleanValue,
                 first: int, prefix: str, backend: str | None) -> tuple[Relation, dict[str, ir.Value]]:
    """Whether ``txt`` matches ``pattern`` (anchored; its group ``first`` is never empty in a
    match) and its groups 1..n: columns ``{prefix}m`` and ``{prefix}g{i}`` for the caller's
    next projection; rows where ``skip`` holds get ``False`` and ``''``.

    On DuckDB one run of the expression gives every group (a struct column added to ``tbl``
    first; "matches" is its group ``first`` not being empty) instead of n + 1 runs, and n + 1
    compilations per statement and thread (~0.15 s of fixed cost in a 54-column file).
    Elsewhere ``re_search`` and one ``re_extract`` per group."""
    no = ibis.literal(False)
    if backend == "duckdb":
        names = ibis.literal([f"g{i}" for i in range(1, n + 1)], type="array<string>")
        found = _extract_groups(n)(txt, pattern, names)
        tbl = tbl.mutate(**{prefix + "grp": ibis.ifelse(skip, ibis.null().cast(_groups_type(n)), found)})
        grp = tbl[prefix + "grp"]
        cols: dict[str, ir.Value] = {prefix + "m": ibis.ifelse(skip, no, grp[f"g{first}"] != "")}
        cols.update({prefix + f"g{i}": ibis.ifelse(skip, "", grp[f"g{i}"]) for i in range(1, n + 1)})
        return tbl, cols
    cols = {prefix + "m": ibis.ifelse(skip, no, txt.re_search(pattern))}
    cols.update({prefix + f"g{i}": ibis.ifelse(skip, "", txt.re_extract(pattern, i))
                 for i in range(1, n + 1)})
    return tbl, cols


LIKERT: dict[str, int] = {
    **dict.fromkeys(("非常满意", "很满意", "十分满意", "特别满意", "非常愿意", "一定会", "肯定会", "非常可能",
                     "极有可能", "非常同意", "完全同意", "very satisfied", "extremely satisfied",
                     "completely satisfied", "definitely will", "definitely", "very likely",
                     "extremely likely", "strongly agree"), 5),
    **dict.fromkeys(("满意", "比较满意", "较满意", "愿意", "比较愿意", "可能会", "应该会", "比较可能",
                     "同意", "比较同意", "satisfied", "somewhat satisfied", "probably will", "likely",
                     "agree", "somewhat agree"), 4),
    **dict.fromkeys(("一般", "中立", "不确定", "说不清", "不好说", "还行", "neutral", "not sure",
                     "neither satisfied nor dissatisfied", "neither likely nor unlikely",
                     "neither agree nor disagree", "might or might not"), 3),
    **dict.fromkeys(("不满意", "比较不满意", "不太满意", "不愿意", "不太愿意", "可能不会", "不太可能",
                     "不同意", "不太同意", "dissatisfied", "somewhat dissatisfied", "probably not",
                     "probably will not", "unlikely", "disagree", "somewhat disagree"), 2),
    **dict.fromkeys(("非常不满意", "很不满意", "极不满意", "非常不愿意", "一定不会", "肯定不会", "绝对不会",
                     "非常不可能", "非常不同意", "完全不同意", "very dissatisfied",
                     "extremely dissatisfied", "definitely not", "definitely will not",
                     "very unlikely", "extremely unlikely", "strongly disagree"), 1),
}
"""The five-point answer words of satisfaction, intent and agreement questions (a survey tool's
text download: 问卷星's 按选项文本, SurveyMonkey's and Qualtrics' "choice text") as their points,
5 the best. Read only in the columns of a 1-N scale (csat, intents, loyalty score ...)."""


YES_NO: dict[str, str] = {
    **dict.fromkeys(("会", "是", "是的", "会的", "要", "yes", "y"), "1"),
    **dict.fromkeys(("不会", "否", "不是", "不要", "no", "n"), "0"),
    **dict.fromkeys(("不确定", "不一定", "说不清", "不好说", "看情况", "maybe", "not sure"), "0.5"),
}
"""The answers of a yes / no intent or satisfaction question (您还会再次购买吗？会 / 不会 / 不确定;
您对我们的服务满意吗？是 / 否; Would you buy again? Yes / No / Maybe) as the chance they state:
yes 1, no 0, unsure 0.5. Read only in the intent and csat columns whose answers are these words
and nothing else (see :func:`loyalscope.data.forms.answer_forms`), on the scale 0-1."""


def yes_no_points(s: ir.StringValue) -> ir.StringValue:
    """A yes / no / unsure answer as its points (``会`` -> ``1``, see :data:`YES_NO`); any other
    text unchanged."""
    key = s.strip().lower()
    return key.substitute(YES_NO, else_=s)


def likert_points(s: ir.StringValue) -> ir.StringValue:
    """A five-point answer word as its points (``非常满意`` -> ``5``, see :data:`LIKERT`); any
    other text unchanged (a number is read as written, other words fail as numbers)."""
    key = s.strip().lower()
    return key.substitute({w: str(n) for w, n in LIKERT.items()}, else_=s)


def number(tbl: Relation, col: str, out: str, percent: bool = False,
           backend: str | None = None) -> Any:
    """Numbers and money: thousands separators, one currency, ``(negative)``, full width.

    Adds ``out`` (float64), ``out__r`` (reason) and ``out__g`` (tag) to ``tbl``. Values of
    ``MAX_AMOUNT`` (1e14) or more in absolute value, infinities and NaN are ``out_of_range``; a
    boolean column is ``wrong_type``. Computed in stages (each a projection) so that the SQL
    stays linear in size.
    """
    s = tbl[col]
    typ = s.type()
    if typ.is_boolean():
        return tbl.mutate(**{out: ibis.null().cast("float64"),
                             f"{out}__r": ibis.ifelse(s.notnull(), "wrong_type", _NULL_STR),
                             f"{out}__g": ibis.ifelse(s.notnull(), "bool_type", _NULL_STR)})
    if typ.is_numeric():
        tbl = tbl.mutate(**{f"{out}__f": s.cast("float64")})
        v = tbl[f"{out}__f"]
        bad = v.notnull() & (v.isnan() | v.isinf() | (v.abs() >= MAX_AMOUNT))
        return tbl.mutate(**{out: ibis.ifelse(bad, ibis.null().cast("float64"), v),
                             f"{out}__r": ibis.ifelse(bad, "out_of_range", _NULL_STR),
                             f"{out}__g": ibis.ifelse(bad, "not_finite", _NULL_STR)}).drop(
            f"{out}__f")
    k = f"{out}__"
    tbl = tbl.mutate(**{k + "t": clean(s, backend)})
    txt = tbl[k + "t"]
    tbl = tbl.mutate(**{k + "simple": txt.re_search(_SIMPLE_NUM).fill_null(False)})
    simple = tbl[k + "simple"]  # plain numbers skip every other regular expression below
    no = ibis.literal(False)
    tbl = tbl.mutate(**{k + "paren": ibis.ifelse(simple, no, txt.re_search(r"^\(.*\)$")),
                        k + "nonfinite": ibis.ifelse(simple, no, txt.re_search(_NONFINITE))})
    tbl = tbl.mutate(**{k + "core": ibis.ifelse(tbl[k + "paren"],
                                                 txt.substr(1, txt.length() - 2).strip(), txt)})
    core = tbl[k + "core"]
    tbl, groups = _regex_stage(tbl, core, AMOUNT_RE, 7, simple, 4, k, backend)  # group 4: digits
    tbl = tbl.mutate(**{k + "half": ibis.ifelse(simple, no, core.contains("(") | core.contains(")")),
                        **groups})
    g = {i: tbl[k + f"g{i}"] for i in range(1, 8)}
    pre, suf, pct = g[2], g[6], g[7]
    yuan_pre = pre.upper().isin(["¥", "RMB", "CNY"])
    tbl = tbl.mutate(**{
        k + "two_cur": (pre != "") & (suf != "") & ~((suf == "元") & yuan_pre)
        & (pre.upper() != suf.upper()),
        k + "two_signs": (g[1] != "") & (g[3] != ""),
        k + "neg": (g[1] == "-") | (g[3] == "-") | tbl[k + "paren"],
        k + "mag": (g[4].replace(",", "") + g[5]).try_cast("float64"),
        k + "pct_bad": (pct == "%") & (not percent),
        k + "scale": (pct == "%").ifelse(0.01, 1.0),
        k + "st": txt.try_cast("float64"),
    })
    mag = tbl[k + "mag"]
    tbl = tbl.mutate(**{
        k + "value": ibis.ifelse(tbl[k + "simple"], tbl[k + "st"],
                                 ibis.ifelse(tbl[k + "neg"], -mag, mag) * tbl[k + "scale"]),
        k + "ok": tbl[k + "simple"] | (tbl[k + "m"] & ~tbl[k + "half"] & ~tbl[k + "two_cur"]
                                       & ~tbl[k + "two_signs"] & ~tbl[k + "pct_bad"]),
    })
    value = tbl[k + "value"]
    finite = value.notnull() & ~value.isnan() & ~value.isinf() & (value.abs() < MAX_AMOUNT)
    tbl = tbl.mutate(**{k + "r": ibis.cases(
        (txt.isnull(), _NULL_STR),
        (tbl[k + "nonfinite"], "out_of_range"),
        (~tbl[k + "ok"], "unparseable"),
        (~finite, "out_of_range"),
        else_=_NULL_STR,
    )})
    reason = tbl[k + "r"]
    tbl = tbl.mutate(**{
        f"{out}__g": ibis.cases(
            (reason.isnull(), _NULL_STR),
            (reason == "out_of_range", "not_finite"),
            (tbl[k + "half"], "paren"),
            (tbl[k + "two_cur"], "two_currencies"),
            (tbl[k + "pct_bad"], "percent"),
            else_="not_number"),
        out: ibis.ifelse(reason.isnull() & txt.notnull(), value, ibis.null().cast("float64")),
    })
    tbl = tbl.mutate(**{f"{out}__p": tbl[k + "present"] if k + "present" in tbl.columns
                        else tbl[k + "t"].notnull()})
    tmp = [c for c in tbl.columns if c.startswith(k) and c not in (f"{out}__g", f"{out}__r", f"{out}__p")]
    return tbl.drop(*tmp)


def is_plain_number(s: ir.StringValue) -> ir.BooleanValue:
    """Whether a text value is a plain number (``-12.5``: :data:`_SIMPLE_NUM`, nothing to clean)."""
    return s.re_search(_SIMPLE_NUM).fill_null(False)


def not_plain_number(s: ir.StringValue) -> ir.BooleanValue:
    """A value that is neither empty nor a plain number (see :func:`plain_number`)."""
    return s.notnull() & (s != "") & ~is_plain_number(s)


def plain_number(tbl: Relation, col: str, out: str) -> Any:
    """:func:`number` for a text column whose values are all plain numbers or empty.

    Adds what :func:`number` adds (``out``, ``out__r``, ``out__g``, ``out__p``), equal to its
    columns on such values (a plain number is its own cleaned text, read by the same cast, and
    :data:`MAX_AMOUNT` or more out of range; an empty value is NULL and absent) and undefined on others: the caller
    makes sure there are none (:func:`not_plain_number` over the whole column). One stage where
    :func:`number`'s is a dozen: an engine plans a wide file's parse (a survey of fifty answer
    columns) in a fraction of the time, and runs it without the cleaning tests on every value.
    """
    s = tbl[col]
    v = s.nullif("").try_cast("float64")
    big = v.notnull() & (v.abs() >= MAX_AMOUNT)  # 15 digits: a plain number, out of range
    return tbl.mutate(**{
        out: ibis.ifelse(big, ibis.null().cast("float64"), v),
        f"{out}__r": ibis.ifelse(big, "out_of_range", _NULL_STR),
        f"{out}__g": ibis.ifelse(big, "not_finite", _NULL_STR),
        f"{out}__p": s.notnull() & (s != ""),
    })


def scaled(tbl: Relation, out: str, multiple: int) -> Any:
    """``out`` (a parsed amount) multiplied by ``multiple``, a power of ten (an amount stated
    in 万元: 10,000; :mod:`loyalscope.data.units`), exactly: the number as its shortest text
    (``1.2345``, what the file wrote) with its decimal point moved (``1.2345e4``), read as
    float64, the float nearest to the decimal product: ``1.2345`` x 10,000 is ``12345.0`` and
    ``0.07`` x 10,000 ``700.0``, where float64 multiplication gives ``12344.999999999998`` and
    ``700.0000000000001``; ``1/3`` (``0.3333333333333333``) is ``3333.333333333333``, every
    digit kept (a decimal type of 38 digits keeps a fixed number of decimals, and Spark's
    decimal product fewer). A product of :data:`MAX_AMOUNT` or more is ``out_of_range`` as an
    amount read so large would be, tagged ``scaled_too_large`` (the text itself is below it)."""
    power = len(str(multiple)) - 1
    if multiple != 10 ** power:
        raise ValueError(f"not a power of ten: {multiple}")
    v = tbl[out]
    s = v.cast("string")  # the shortest text: '1.2345', '1e-05' (DuckDB), '1.0E-5' (Spark)
    has_exp = s.re_search("[eE]")
    exp = ibis.ifelse(has_exp, s.re_extract(r"[eE]\+?(-?[0-9]+)$", 1).try_cast("int64"), 0)
    shifted = (s.re_replace(r"[eE].*$", "") + "e" + (exp + power).cast("string")).try_cast("float64")
    tbl = tbl.mutate(**{f"{out}__x": ibis.coalesce(shifted, v * multiple)})
    x = tbl[f"{out}__x"]
    big = x.notnull() & (x.abs() >= MAX_AMOUNT)
    return tbl.mutate(**{out: ibis.ifelse(big, ibis.null().cast("float64"), x),
                         f"{out}__r": ibis.ifelse(big, "out_of_range", tbl[f"{out}__r"]),
                         f"{out}__g": ibis.ifelse(big, "scaled_too_large", tbl[f"{out}__g"])}).drop(
        f"{out}__x")


# ---- booleans --------------------------------------------------------------------------------
def _boolean(s: ir.Value) -> Parsed:
    """是/否, Y/N, true/false, 1/0 ... -> boolean."""
    typ = s.type()
    if typ.is_boolean():
        return _ok(s)
    if typ.is_numeric():
        v = s.cast("float64")
        bad = v.notnull() & ~v.isin([0.0, 1.0])
        return Parsed(ibis.ifelse(bad, ibis.null().cast("boolean"), v == 1.0),
                      ibis.ifelse(bad, "unparseable", _NULL_STR),
                      ibis.ifelse(bad, "not_bool", _NULL_STR))
    return _words_boolean(s, s.isin(list(_TRUE)), s.isin(list(_FALSE)))


def _words_boolean(txt: ir.StringValue, yes: ir.BooleanValue, no: ir.BooleanValue) -> Parsed:
    """Cleaned, lower-cased text -> boolean, given whether it is a word for true (``yes``) or
    for false (``no``)."""
    bad = txt.notnull() & ~yes & ~no
    value = ibis.cases((yes, True), (no, False), else_=ibis.null().cast("boolean"))
    return Parsed(value, ibis.ifelse(bad, "unparseable", _NULL_STR),
                  ibis.ifelse(bad, "not_bool", _NULL_STR))


# ---- dates and times -------------------------------------------------------------------------
_DATE_PARTS_NEEDED = "[年月日号时点分秒T\t\n\x0b\x0c\r]|  |^ |[: -]$|GMT|UTC|上午|下午|凌晨|早上|中午|晚上"
"""Text that :func:`date_parts` changes: a unit or ``T``, white space other than single
spaces inside, at either end, or a trailing separator (literal characters: the same in RE2,
Java and PostgreSQL)."""


def date_parts(s: ir.Value, cleaned: bool = False) -> ir.StringValue:
    """Date text normalised for :data:`DATE_RE` (Chinese units, ``T``, full width).

    The six replacements run only on text that one of them changes (:data:`_DATE_PARTS_NEEDED`):
    on 2M dates like ``2024/8/21 12:50`` they cost ~2 s, the test ~0.15 s."""
    txt = s if cleaned else clean(s)
    return ibis.ifelse(txt.re_search(_DATE_PARTS_NEEDED), _date_parts_replaced(txt), txt)


def _date_parts_replaced(txt: ir.StringValue) -> ir.StringValue:
    """:func:`date_parts`' replacements, on any text. Each step reads the one before it once
    (an expression read twice is planned twice: a chain of such steps grows the statement
    exponentially), except the first, which reads the column itself."""
    # 2024/3/5 下午2:03:05 (a Chinese system's 12-hour time): the half of the day after the time
    half = ibis.cases((txt.re_search("下午|晚上|中午"), " PM"), (txt.re_search("上午|凌晨|早上"), " AM"),
                      else_="")
    txt = txt.re_replace("上午|凌晨|早上|下午|晚上|中午", " ") + half
    # Google Forms' "GMT+8", "UTC-05:00": the offset itself; a bare GMT / UTC is UTC (before
    # the T of an ISO time becomes a space)
    txt = txt.re_replace("(GMT|UTC)$", "Z").re_replace("GMT|UTC", "")
    txt = txt.re_replace(r"[年月]", "-").re_replace(r"[日号]", " ").re_replace(r"[时点分]", ":")
    txt = txt.replace("秒", "").replace("T", " ")
    txt = txt.re_replace(r"\s+", " ").strip()
    return txt.re_replace(r"[:\- ]+$", "")


def datetime(tbl: Relation, col: str, out: str, dayfirst: bool, timezone: str,
             backend: str, day_one: date | None = None) -> Any:
    """Dates and times -> naive timestamps, wall-clock time in ``timezone``.

    Adds ``out``, ``out__r``, ``out__g``; for a text column also ``out__s``, true on the values
    that :func:`date_order` would count (normalised text matching :data:`DMY_RE`: a/b/yyyy
    dates; ISO and y/m/d dates never do), so that the whole-column decision runs only on files
    that have one (see :func:`loyalscope.data.validate.parse_source`). ``dayfirst`` is the
    column's decided order (see :func:`date_order`) for a/b/yyyy dates. Years outside
    1900-2200 are ``out_of_range``. ``day_one``: the date of day 1 of a column of day numbers
    (``[data] day_one``, see :func:`_numeric_date`); without it a whole number below 10,000 is
    ``unparseable`` with the tag ``day_number``.
    """
    s = tbl[col]
    typ = s.type()
    k = f"{out}__"
    if typ.is_timestamp() or typ.is_date():
        ts = s.cast("timestamp")
        if typ.is_timestamp() and typ.timezone is not None:
            ts = to_zone(s.cast(dt.Timestamp(timezone="UTC")).cast("timestamp"), timezone, backend)
        tbl = tbl.mutate(**{k + "ts": ts, k + "present": s.notnull()})
        return _year_checked(tbl, out)
    if typ.is_boolean():
        return tbl.mutate(**{out: ibis.null().cast("timestamp"),
                             f"{out}__r": ibis.ifelse(s.notnull(), "wrong_type", _NULL_STR),
                             f"{out}__g": ibis.ifelse(s.notnull(), "bool_type", _NULL_STR)})
    if typ.is_numeric():
        tbl = tbl.mutate(**{k + "num": s.cast("float64"), k + "present": s.notnull()})
        tbl = tbl.mutate(**{k + "ts": _numeric_date(tbl[k + "num"], timezone, backend, day_one),
                            k + "dn": is_day_number(tbl[k + "num"])})
        return _year_checked(tbl, out, day_number=k + "dn")
    tbl = tbl.mutate(**{k + "c": clean(s, backend)})
    tbl = tbl.mutate(**{k + "fast": tbl[k + "c"].re_search(_ISO_FAST).fill_null(False)})
    tbl = tbl.mutate(**{k + "t": ibis.ifelse(tbl[k + "fast"], tbl[k + "c"],
                                              date_parts(tbl[k + "c"], cleaned=True))})
    txt = tbl[k + "t"]
    fast, no = tbl[k + "fast"], ibis.literal(False)  # ISO dates skip the regular expressions below
    tbl, groups = _regex_stage(tbl, txt, DATE_RE, 9, fast, 1, k, backend)  # group 1: a number
    tbl = tbl.mutate(**{f"{out}__s": ibis.ifelse(fast, no, txt.re_search(DMY_RE).fill_null(False)),
                        k + "isnum": ibis.ifelse(fast, no, txt.re_search(r"^\d+(\.\d+)?$")),
                        k + "present": txt.notnull(), **groups})
    tbl = tbl.mutate(**{k + "num": ibis.ifelse(tbl[k + "isnum"], txt.try_cast("float64"),
                                               ibis.null().cast("float64"))})
    a, b, c, hh, mi, ss, frac, half, off = (tbl[k + f"g{i}"] for i in range(1, 10))
    hour = hh.nullif("").try_cast("int64")
    pm, am = half.lower() == "pm", half.lower() == "am"
    tbl = tbl.mutate(**{k + "ymd": a.length() == 4,
                        k + "dmy": (a.length() <= 2) & c.length().isin([2, 4]),
                        # 12-hour: 12 AM is 0, 1-11 PM are 13-23; an AM / PM hour is 1-12
                        k + "h24": ibis.cases((pm & (hour < 12), hour + 12), (am & (hour == 12), 0),
                                              else_=hour).cast("string"),
                        k + "h12ok": (half == "") | ((hour >= 1) & (hour <= 12)).fill_null(False)})
    hh = ibis.ifelse(half == "", hh, tbl[k + "h24"].fill_null(""))
    ymd, first_day = tbl[k + "ymd"], ibis.literal(bool(dayfirst))
    tbl = tbl.mutate(**{
        k + "year": ibis.ifelse(ymd, a, ibis.ifelse(c.length() == 4, c, ("20" + c))),
        k + "month": ibis.ifelse(ymd, b, ibis.ifelse(first_day, b, a)),
        k + "day": ibis.ifelse(ymd, c, ibis.ifelse(first_day, a, b)),
        k + "digits": ibis.ifelse(off == "", "0000", _offset_digits(off)),
        k + "valid": tbl[k + "m"] & (ymd | tbl[k + "dmy"]) & tbl[k + "h12ok"],
    })
    text = (tbl[k + "year"].lpad(4, "0") + "-" + tbl[k + "month"].lpad(2, "0") + "-"
            + tbl[k + "day"].lpad(2, "0") + " "
            + ibis.ifelse(hh == "", "00", hh.lpad(2, "0")) + ":"
            + ibis.ifelse(mi == "", "00", mi.lpad(2, "0")) + ":"
            + ibis.ifelse(ss == "", "00", ss.lpad(2, "0"))
            + ibis.ifelse(frac == "", "", "." + frac.substr(0, 6)))
    digits = tbl[k + "digits"]
    minutes = (digits.substr(0, 2).try_cast("int64") * 60 + digits.substr(2, 2).try_cast("int64"))
    tbl = tbl.mutate(**{
        k + "stamp": ibis.ifelse(tbl[k + "valid"], text.try_cast("timestamp"),
                                 ibis.null().cast("timestamp")),
        k + "min": ibis.ifelse(off == "", 0, ibis.ifelse(off.startswith("-"), -minutes, minutes)),
        k + "ndate": ibis.ifelse(tbl[k + "isnum"], _numeric_date(tbl[k + "num"], timezone, backend, day_one),
                                 ibis.null().cast("timestamp")),
        k + "dn": is_day_number(tbl[k + "num"]).fill_null(False),
    })
    stamp = tbl[k + "stamp"]
    if backend == "duckdb":  # naive arithmetic (see _epoch)
        utc = stamp - tbl[k + "min"].as_interval("m")
    else:
        utc = (stamp.epoch_seconds() - tbl[k + "min"] * 60).as_timestamp("s")
    tbl = tbl.mutate(**{
        k + "ts": ibis.cases(
            (tbl[k + "fast"], txt.try_cast("timestamp")),
            (tbl[k + "isnum"], tbl[k + "ndate"]),
            (off != "", to_zone(utc, timezone, backend)),
            else_=stamp),
        k + "ytext": ibis.ifelse(tbl[k + "valid"], tbl[k + "year"], ""),
    })
    return _year_checked(tbl, out, year_text=k + "ytext", day_number=k + "dn")


def _offset_digits(off: ir.StringValue) -> ir.StringValue:
    """A UTC offset's hours and minutes as four digits: ``+08:00`` -> 0800, ``-0530`` -> 0530,
    ``+8`` -> 0800, ``Z`` -> 0000."""
    core = off.re_replace(r"[+:\-Z]", "")
    return ibis.ifelse((core.length() == 1) | (core.length() == 3), "0" + core, core).rpad(4, "0")


def is_plain_date(s: ir.StringValue) -> ir.BooleanValue:
    """Whether a text value is an ISO date or time as it stands (:data:`_ISO_FAST`)."""
    return s.re_search(_ISO_FAST).fill_null(False)


def not_plain_date(s: ir.StringValue) -> ir.BooleanValue:
    """A value that is neither empty nor an ISO date (see :func:`plain_datetime`)."""
    return s.notnull() & (s != "") & ~is_plain_date(s)


def plain_datetime(tbl: Relation, col: str, out: str) -> Any:
    """:func:`datetime` for a text column whose values are all ISO dates (``2024-03-05``,
    ``2024-03-05 07:08:09.5``, ``2024-03-05T07:08``) or empty.

    Adds what :func:`datetime` adds for text (``out``, ``out__r``, ``out__g``, ``out__p``, and
    ``out__s``: false, an ISO date is never a/b/yyyy), equal to its columns on such values (it
    reads them by the same cast, its fast path, and checks the year the same way) and undefined
    on others: the caller makes sure there are none (:func:`not_plain_date` over the whole
    column). Three stages where :func:`datetime`'s are a dozen (see :func:`plain_number`).
    """
    s = tbl[col]
    k = f"{out}__"
    tbl = tbl.mutate(**{k + "ts": s.nullif("").try_cast("timestamp"),
                        k + "present": s.notnull() & (s != ""),
                        f"{out}__s": ibis.literal(False)})
    return _year_checked(tbl, out)


DAY_NUMBERS = 10_000
"""Whole numbers below this in a date column are day numbers (see :func:`is_day_number`)."""


def is_day_number(num: ir.FloatingValue) -> ir.BooleanValue:
    """A whole number from 0 to 9,999: a day number (day 1, 2, 3 ...), never a date by itself
    (yyyymmdd starts at 19000101, Excel serials of our years at 10,000)."""
    return (num == num.floor()) & (num >= 0) & (num < DAY_NUMBERS)


def _numeric_date(num: ir.FloatingValue, timezone: str, backend: str,
                  day_one: date | None = None) -> ir.TimestampValue:
    """yyyymmdd, Excel serial days, epoch seconds or milliseconds (UTC, converted); with
    ``day_one``, day numbers (:func:`is_day_number`): day ``n`` is ``day_one + (n - 1)`` days,
    a calendar date like yyyymmdd (no time zone conversion)."""
    integral = num == num.floor()
    ymd = integral & (num >= 19000101) & (num <= 22001231)
    ymd_text = num.try_cast("int64").cast("string")
    ymd_ts = (ymd_text.substr(0, 4) + "-" + ymd_text.substr(4, 2) + "-" + ymd_text.substr(6, 2)).try_cast(
        "timestamp")
    serial = _epoch(((num - 25569.0) * 86400.0).round().try_cast("int64"), backend)
    secs = to_zone(_epoch(num.floor().try_cast("int64"), backend), timezone, backend)
    millis = to_zone(_epoch((num / 1000.0).floor().try_cast("int64"), backend), timezone, backend)
    cases: list[tuple[ir.BooleanValue, ir.TimestampValue]] = []
    if day_one is not None:
        origin = (day_one - date(1970, 1, 1)).days - 1  # day 0, in days since 1970-01-01
        days = (num.try_cast("int64") + origin) * 86_400
        cases.append((is_day_number(num), _epoch(days, backend)))
    return ibis.cases(
        *cases,
        (ymd, ymd_ts),
        ((num >= 10_000) & (num < 100_000), serial),
        ((num >= 1e9) & (num < 1e11), secs),
        ((num >= 1e11) & (num < 1e14), millis),
        else_=ibis.null().cast("timestamp"),
    )


def _epoch(seconds: ir.IntegerValue, backend: str) -> ir.TimestampValue:
    """Seconds since 1970-01-01 00:00 as a naive timestamp.

    On DuckDB ``to_timestamp`` (Ibis' ``as_timestamp``) returns ``TIMESTAMP WITH TIME ZONE``:
    one such branch made a whole parsed column time-zone aware, and every later use of it a
    conversion through the time-zone library (~1 microsecond a row: 2 s of CPU per 2M rows in
    the checks and shapes after parsing). The epoch plus an interval stays naive."""
    if backend == "duckdb":
        return ibis.timestamp("1970-01-01 00:00:00") + seconds.as_interval("s")
    return seconds.as_timestamp("s")


def _year_checked(tbl: Relation, out: str, year_text: str | None = None,
                  day_number: str | None = None) -> Any:
    k = f"{out}__"
    ts, present = tbl[k + "ts"], tbl[k + "present"]
    tbl = tbl.mutate(**{k + "year_": ts.year()})
    year = tbl[k + "year_"]
    bad_year = year.notnull() & ((year < MIN_YEAR) | (year > MAX_YEAR))
    if year_text is not None:  # a text year that did not even reach the cast (e.g. 0001-02-30)
        y = tbl[year_text].try_cast("int64")
        bad_year = bad_year | (ts.isnull() & y.notnull() & ((y < MIN_YEAR) | (y > MAX_YEAR)))
    tbl = tbl.mutate(**{f"{out}__r": ibis.cases(
        (~present, _NULL_STR),
        (bad_year, "out_of_range"),
        (ts.isnull(), "unparseable"),
        else_=_NULL_STR,
    )})
    reason = tbl[f"{out}__r"]
    tbl = tbl.mutate(**{
        f"{out}__g": ibis.cases((reason == "out_of_range", "year_range"),
                                *([((reason == "unparseable") & tbl[day_number], "day_number")]
                                  if day_number is not None else []),
                                (reason == "unparseable", "not_date"), else_=_NULL_STR),
        out: ibis.ifelse(reason.isnull(), ts, ibis.null().cast("timestamp")),
    })
    tbl = tbl.mutate(**{f"{out}__p": tbl[k + "present"] if k + "present" in tbl.columns
                        else tbl[k + "t"].notnull()})
    kept = (f"{out}__g", f"{out}__r", f"{out}__p", f"{out}__s")
    tmp = [c for c in tbl.columns if c.startswith(k) and c not in kept]
    return tbl.drop(*tmp)


_TS, _TS_UTC = dt.Timestamp(), dt.Timestamp(timezone="UTC")


@ibis.udf.scalar.builtin(name="timezone")
def _duck_timezone(zone: str, ts: _TS_UTC) -> _TS:  # type: ignore[valid-type]
    """DuckDB: a UTC instant as wall-clock time in ``zone``."""


@ibis.udf.scalar.builtin(name="from_utc_timestamp")
def _spark_from_utc(ts: _TS, zone: str) -> _TS:  # type: ignore[valid-type]
    """Spark: a UTC wall-clock time as wall-clock time in ``zone``."""


def to_zone(utc: ir.TimestampValue, timezone: str, backend: str) -> ir.TimestampValue:
    """Naive UTC timestamps -> naive wall-clock time in ``timezone``."""
    if timezone.upper() in ("UTC", "ETC/UTC", "Z"):
        return utc
    if backend == "pyspark":
        return _spark_from_utc(utc, timezone)
    if backend == "duckdb":
        return _duck_timezone(timezone, utc.cast(dt.Timestamp(timezone="UTC")))
    return utc.cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp(timezone=timezone)).cast("timestamp")


# ---- the date order of a whole column --------------------------------------------------------
@dataclass(frozen=True)
class DateOrder:
    """Evidence on a/b/yyyy dates of one column: counts and the first example of each kind."""

    day_first: int
    month_first: int
    ambiguous: int
    day_example: tuple[str, int] | None
    month_example: tuple[str, int] | None
    ambiguous_examples: tuple[str, ...]


def date_order_query(tbl: ir.Table, column: str, line: str = "_line") -> ir.Table:
    """The one-row aggregate :func:`date_order` runs (counts and first examples)."""
    # cheap pre-filter, one regular expression: a separator second or third once white space
    # is stripped (a one- or two-digit first part), or any non-ASCII text (full-width forms)
    ws = "[ \\t\\n\\r\\x0b\\x0c]"
    tbl = tbl.filter(tbl[column].re_search(f"(?s)^{ws}*..?[-/.]|[^\\x00-\\x7f]"))
    # in steps, each a projection: the SQL of one expression would repeat the text
    # normalisation (six regular expressions) in every condition below
    tbl = tbl.select(ls_v=tbl[column], ls_l=tbl[line], ls_t=date_parts(tbl[column]))
    txt = tbl.ls_t
    tbl = tbl.select("ls_v", "ls_l", ls_m=txt.re_search(DMY_RE).fill_null(False),
                     ls_a=txt.re_extract(DMY_RE, 1).try_cast("int64"),
                     ls_b=txt.re_extract(DMY_RE, 2).try_cast("int64"))
    a, b, m = tbl.ls_a, tbl.ls_b, tbl.ls_m
    tbl = tbl.select("ls_v", "ls_l", ls_day=m & (a > 12) & (b <= 12),
                     ls_mon=m & (b > 12) & (a <= 12),
                     ls_amb=m & (a <= 12) & (b <= 12) & (a != b))
    col, ln = tbl.ls_v, tbl.ls_l
    day, mon, amb = tbl.ls_day, tbl.ls_mon, tbl.ls_amb
    return tbl.aggregate(
        nd=day.sum(), nm=mon.sum(), na=amb.sum(),
        dl=ln.min(where=day), ml=ln.min(where=mon),
        dv=col.argmin(ln, where=day), mv=col.argmin(ln, where=mon),
        av=col.argmin(ln, where=amb),
    )


def date_order(tbl: ir.Table, column: str, line: str = "_line",
               run: Callable[[ir.Table], pd.DataFrame] | None = None) -> DateOrder:
    """Count, over the whole column, the a/b/yyyy dates that only fit day-first (a > 12),
    only month-first (b > 12) or both (a != b, both <= 12); one aggregate query in the engine
    (:func:`date_order_query`; ``run`` executes it, by default ``expr.execute()``)."""
    if not tbl[column].type().is_string():
        return DateOrder(0, 0, 0, None, None, ())
    if run is None:
        agg = date_order_query(tbl, column, line).execute().iloc[0]
    else:
        agg = run(tbl).iloc[0]

    def _n(v: object) -> int:
        return 0 if v is None or v != v else int(v)  # type: ignore[call-overload]

    return DateOrder(
        _n(agg["nd"]), _n(agg["nm"]), _n(agg["na"]),
        (str(agg["dv"]), _n(agg["dl"])) if _n(agg["nd"]) else None,
        (str(agg["mv"]), _n(agg["ml"])) if _n(agg["nm"]) else None,
        (str(agg["av"]),) if _n(agg["na"]) else (),
    )
