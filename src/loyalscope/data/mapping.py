"""Header mapping: user column headers (Chinese or English, CRM exports) -> canonical columns.

Resolution order for each canonical column of a table:

1. an explicit ``[mapping.<table>] <canonical> = "<header>"`` line in ``loyalscope.toml``;
2. the CRM preset (``[data] preset = "zoho"`` / ``"fxiaoke"``, or detected from the headers):
   an ordered list, the first header present wins;
3. the canonical name itself or one of its aliases below. Two different headers matching the
   same canonical column is ambiguous and raises :class:`SchemaError`.

Headers are compared after :func:`normalise_header` (NFKC so full-width letters become ASCII,
case folded, spaces / underscores / hyphens / dots removed), so ``Customer_No``, ``customer no``
and ``ＣＵＳＴＯＭＥＲ－ＮＯ`` are one header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from loyalscope.data import schema
from loyalscope.data.questions import MEASURES, asked_measures, is_question, match_questions
from loyalscope.data.traditional import TO_SIMPLIFIED
from loyalscope.data.units import stated_multiple
from loyalscope.errors import ConfigError, SchemaError
from loyalscope.i18n import t

_STRIP = re.compile(r"[\s_\-.:：/\\()（）\[\]【】]+")


def normalise_header(header: object) -> str:
    """Comparable form of a header: NFKC, case folded, separators and brackets removed,
    Traditional Chinese characters of the alias tables in their Simplified form (``會員卡號`` is
    ``会员卡号``; :mod:`loyalscope.data.traditional`)."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    return _STRIP.sub("", text).casefold().translate(TO_SIMPLIFIED)


from loyalscope.data.aliases import (  # noqa: E402  (the alias tables live in their own module)
    _COMMON,
    _FALLBACK,
    _PRESET_MARKERS,
    _TABLE_ALIASES,
    PRESETS,
    TABLE_NAMES,
    TABLE_SYNONYMS,
)


def aliases(table: str, column: str) -> tuple[str, ...]:
    """All header spellings recognised for ``table.column`` (the canonical name first)."""
    spec = schema.table(table)
    spec.column(column)
    own = _TABLE_ALIASES.get(table, {}).get(column, ())
    return (column, *own, *_COMMON.get(column, ()))


def table_for_name(name: str) -> str | None:
    """The canonical table a file stem / DB table name stands for, or None.

    ``订单2024`` -> transactions, ``Customers`` -> customers, ``olist_order_items_dataset`` ->
    order_items, ``product_sales`` -> None (judged from its columns). A name of
    :data:`~loyalscope.data.aliases.TABLE_NAMES` stands for its table only as a whole. Latin
    synonyms match whole words of the name (split at separators, digits and lower-to-upper
    case changes; ``order_items`` also as ``OrderItems`` or ``orderitems``), and the one ending
    last wins (the head noun: ``customer_reviews`` is reviews), then the longest; a name of one
    word may also hold one (``myorders``). Chinese synonyms are found anywhere in the name, and
    the one ending last wins, then the longest: the head noun of a Chinese compound is its last
    (``客户投诉`` is complaints, ``会员积分明细`` loyalty points, ``顾客满意度调查`` surveys,
    ``订单明细2024`` transactions).
    """
    norm = normalise_header(name)
    for whole, tbl in TABLE_NAMES.items():
        if norm == normalise_header(whole):
            return tbl
    words = _name_words(name)
    by_words: tuple[int, int, str] | None = None
    by_text: tuple[int, int, str] | None = None
    for tbl, synonyms in TABLE_SYNONYMS.items():
        for syn in synonyms:
            s = normalise_header(syn)
            if not s:
                continue
            if s.isascii():
                for end in _word_runs(words, s):
                    if by_words is None or (end, len(s)) > by_words[:2]:
                        by_words = (end, len(s), tbl)
                if len(words) > 1:
                    continue
            at = norm.rfind(s)
            if at >= 0 and (by_text is None or (at + len(s), len(s)) > by_text[:2]):
                by_text = (at + len(s), len(s), tbl)
    if by_words is not None:
        return by_words[2]
    return None if by_text is None else by_text[2]


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")


def _name_words(name: str) -> list[str]:
    """The Latin words of a name, case folded: ``OrderItems-2024`` -> order, items, 2024."""
    text = _CAMEL.sub(" ", unicodedata.normalize("NFKC", str(name)))
    return [w.casefold() for w in re.split(r"[^0-9A-Za-z]+", text) if w]


def _word_runs(words: list[str], synonym: str) -> list[int]:
    """The end indexes of the runs of consecutive ``words`` that spell ``synonym``."""
    ends = []
    for i in range(len(words)):
        text = ""
        for j in range(i, len(words)):
            text += words[j]
            if text == synonym:
                ends.append(j)
            if len(text) >= len(synonym):
                break
    return ends


def detect_preset(headers: Iterable[str]) -> str | None:
    """The export preset (``"qualtrics"``, ``"zoho"``, ``"fxiaoke"``, ``"shopify"``,
    ``"tafeng"``) whose marker columns the headers carry, or None."""
    norm = {normalise_header(h) for h in headers}
    for name, markers in _PRESET_MARKERS.items():
        if any(normalise_header(m) in norm for m in markers):
            return name
    return None


def _fix_line(table: str, column: str, header: str) -> str:
    return _fix_lines(table, [(column, header)])


def _fix_lines(table: str, pairs: Iterable[tuple[str, str]]) -> str:
    """The ``[mapping.<table>]`` block mapping each column to its header."""
    return f"[mapping.{table}]\n" + "\n".join(f'{c} = "{h}"' for c, h in pairs)


# ---- kinds of headers, for advice that names a plausible column -----------------------------
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "amount": ("金额", "amount", "price", "total", "revenue", "sales", "value", "费", "价", "款", "额", "sum",
               "cost", "fee", "积分", "points"),
    "date": ("时间", "日期", "date", "time", "timestamp", "created", "paidat", "月份", "年份", "day"),
    "address": ("地址", "address", "street", "city", "province", "zip", "postcode", "postal", "邮编",
                "省", "市", "区", "县", "country", "state", "收货"),
    "id": ("id", "编号", "号", "code", "no", "number", "num", "账号", "帐号", "会员名", "昵称", "email", "mail",
           "phone", "mobile", "手机", "用户", "买家", "客户", "会员", "customer", "member", "user", "buyer"),
}
_WEAK_AMOUNT = frozenset({"费", "价", "款", "额"})
"""Amount characters that a date word outweighs (``付款时间``, ``缴费日期``)."""
_KIND_OF_COLUMN = {"customer_id": "id", "order_id": "id", "order_ts": "date", "amount": "amount",
                   "return_ts": "date", "answered_ts": "date", "opened_ts": "date", "ts": "date"}


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_SHORT_SUFFIXES = frozenset({"id", "no", "num", "day", "fee"})
"""Latin kind words of three letters or fewer that may end a glued word after four letters or
more (``orderno``, ``customerid``, ``birthday``, ``shippingfee``; not ``coffee``); the others
must be a word of their own."""


def _latin_words(header: str) -> list[str]:
    """The Latin words of a header, case folded: split at separators and at camel case
    (``CustomerID`` -> customer, id; ``unit_price`` -> unit, price)."""
    text = unicodedata.normalize("NFKC", str(header))
    return _LATIN_TOKEN.findall(_CAMEL.sub(" ", text).casefold())


def _has_word(word: str, words: list[str], norm: str) -> bool:
    """Whether kind ``word`` occurs in a header: a Chinese word anywhere in its normalised form
    ``norm`` (Chinese has no spaces), a Latin word as one of its ``words``, or glued to another
    word (``totalamount``, ``customerid``): at the start of a word for words of four letters or
    more, at its end after three letters or more for those and after four or more for
    :data:`_SHORT_SUFFIXES`.
    A Latin word inside another word is none (``keynote`` holds no ``no``, ``feedback`` no
    ``fee``, ``consumer`` no ``sum``)."""
    if not word.isascii():
        return word in norm
    for w in words:
        if w == word:
            return True
        if len(word) >= 4 and w.startswith(word):
            return True
        if w.endswith(word) and (len(w) - len(word) >= 4 if word in _SHORT_SUFFIXES
                                 else len(word) >= 4 and len(w) - len(word) >= 3):
            return True
    return False


def header_kind(header: str) -> str | None:
    """``"amount"``, ``"date"``, ``"address"`` or ``"id"`` from the words of a header (None: other).

    Amount, date and address words win over id words ("订单金额" is an amount, "收货地址" an address);
    a date word wins over the single characters 费 / 价 / 款 / 额 ("付款时间" is a date; 销售额 an
    amount).
    Latin words count only as words, not as letters inside another word (:func:`_has_word`): a
    Google Forms question mentioning a *keynote* was offered as the customer id (``no``).
    """
    norm = normalise_header(header)
    words = _latin_words(header)
    for kind in ("amount", "date", "address", "id"):
        found = [w for w in _KIND_WORDS[kind] if _has_word(w, words, norm)]
        if kind == "amount" and found and set(found) <= _WEAK_AMOUNT \
                and any(_has_word(w, words, norm) for w in _KIND_WORDS["date"]):
            return "date"  # 付款时间 is the time of a payment, 付款金额 its amount
        if found:
            return kind
    return None


def candidates(column: str, headers: Iterable[str], used: Iterable[str] = ()) -> list[str]:
    """Headers that could hold ``column``: of the right kind, not already mapped. An id is never
    suggested from an amount, date or address column; an empty list means the file has none."""
    kind = _KIND_OF_COLUMN.get(column)
    taken = set(used)
    free = [h for h in headers if h not in taken]
    if kind is None:
        return free
    return [h for h in free if header_kind(h) == kind]


def _match(
    table: str, headers: list[str], explicit: Mapping[str, str], preset: str | None, file: str | None,
) -> dict[str, str]:
    """canonical -> header for every column found (explicit, preset, name, aliases, fallbacks)."""
    spec = schema.table(table)
    by_norm: dict[str, list[str]] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), []).append(h)
    preset_cols = PRESETS.get(preset or "", {}).get(table, {})
    out: dict[str, str] = {}
    used: set[str] = set()

    for canon, header in explicit.items():
        spec.column(canon)
        if header not in headers:
            matches = by_norm.get(normalise_header(header), [])
            if len(matches) != 1:
                raise SchemaError(
                    t("data.mapping.explicit_absent", table=table, column=canon, header=header,
                      headers=", ".join(headers)),
                    file=file, column=canon, value=header,
                    fix=t("data.mapping.fix_prefix") + "\n" + _fix_line(table, canon, headers[0] if headers else "..."),
                )
            header = matches[0]
        out[canon] = header
        used.add(header)

    for col in spec.columns:
        canon = col.name
        if canon in out:
            continue
        for cand in preset_cols.get(canon, ()):
            found = [h for h in by_norm.get(normalise_header(cand), []) if h not in used]
            if found:
                out[canon] = found[0]
                used.add(found[0])
                break
        if canon in out:
            continue
        exact = [h for h in by_norm.get(normalise_header(canon), []) if h not in used]
        if exact:
            out[canon] = exact[0]
            used.add(exact[0])
            continue
        found = []
        for alias in aliases(table, canon)[1:]:
            for h in by_norm.get(normalise_header(alias), []):
                if h not in used and h not in found:
                    found.append(h)
        if len(found) > 1:
            raise SchemaError(
                t("data.mapping.ambiguous", table=table, column=canon, headers=", ".join(found)),
                file=file, column=canon,
                fix=t("data.mapping.fix_prefix") + "\n" + _fix_line(table, canon, found[0]),
            )
        if found:
            out[canon] = found[0]
            used.add(found[0])

    _split_headers(table, headers, out, used, file)

    for canon, spellings in _FALLBACK.items():
        if canon in out or not spec.allows(canon) or canon not in spec.names:
            continue
        for alias in spellings:
            hit = [h for h in by_norm.get(normalise_header(alias), []) if h not in used]
            if hit:
                out[canon] = hit[0]
                used.add(hit[0])
                break

    if table == "surveys":  # a questionnaire's columns are its questions (data.questions)
        free = [h for h in headers if h not in used]
        for canon, h in match_questions(free, [m for m in MEASURES if m not in out]).items():
            out[canon] = h
            used.add(h)

    for h in headers:
        if h in used:
            continue
        low = unicodedata.normalize("NFKC", h).strip().lower()
        if any(low.startswith(p) for p in spec.prefixes) and low not in out:
            out[low] = h
            used.add(h)
    return out


_PART_BREAK = re.compile(r"\s*[/|｜\n\r()（）\[\]【】]+\s*"
                         r"|(?<=[\u3400-\u9fff])\s*(?=[A-Za-z])|(?<=[A-Za-z])\s*(?=[\u3400-\u9fff])")


_UNITS = frozenset({"元", "人民币", "rmb", "cny", "美元", "usd", "港元", "港币", "hkd", "欧元", "eur",
                    "英镑", "gbp", "日元", "jpy", "$", "¥", "￥", "€", "£", "件", "个", "pcs",
                    "天", "日", "days", "小时", "hours", "分", "points", "%"})
"""Units a header may carry in brackets or after a slash (``金额(元)``, ``Amount (USD)``,
``单价/元``, ``数量(件)``, ``间隔(天)``): the column's values are in them, and the header is its
other part. A multiple of a currency (``销售额(万元)``, ``合同金额/千元``, ``Revenue (USD
thousands)``, :func:`loyalscope.data.units.stated_multiple`) is such a unit for a money column
only (unit ``currency`` in the schema): the header is that column, and its values are multiplied
by the multiple when parsed (``1.5`` 万元 is read as 15,000, with a note; :mod:`loyalscope.data.units`).
A multiple of anything else (``数量(万件)``) is none: that header stays unmapped, with advice."""


def header_parts(header: str) -> list[str]:
    """The parts of a header: split at slashes, bars, brackets and line breaks and where Chinese
    text meets Latin letters (``客户编号/Customer ID``, ``Customer ID（客户编号）``, a wrapped
    cell's ``订单编号 Order ID``, ``实付金额(元)``); one part (the header itself) when there is
    nothing to split."""
    text = unicodedata.normalize("NFKC", str(header))
    return [p for p in (q.strip() for q in _PART_BREAK.split(text)) if p]


def _split_headers(table: str, headers: list[str], out: dict[str, str], used: set[str],
                   file: str | None) -> None:
    """Map a column still missing from ``out`` to a header of two or more parts
    (:func:`header_parts`) whose parts other than units (:data:`_UNITS`, and for a money column
    a multiple of its currency) are each a spelling of that column, and only of that one: a
    bilingual template's ``客户编号/Customer ID`` is the customer id, ``实付金额(元)``,
    ``Amount (USD)`` and ``销售额(万元)`` the amount; ``商品ID`` (商品 names no column),
    ``实付金额/Paid Amount`` (amount and paid amount) and ``数量(万件)`` stay unmapped."""
    spec = schema.table(table)
    parts: dict[str, set[str]] = {}
    multiples: set[str] = set()  # headers stating a multiple of a currency: money columns only
    for h in headers:
        split = {normalise_header(p) for p in header_parts(h)} if h not in used else set()
        named = split - {normalise_header(u) for u in _UNITS}
        if (stated := stated_multiple(h)) is not None and normalise_header(stated.text) in named:
            named.discard(normalise_header(stated.text))
            multiples.add(h)
        if len(split) >= 2 and named:
            parts[h] = named
    if not parts:
        return
    for col in spec.columns:
        canon = col.name
        if canon in out:
            continue
        names = {normalise_header(a) for a in aliases(table, canon)}
        found = [h for h, ps in parts.items() if h not in used and ps <= names
                 and (h not in multiples or col.unit == "currency")]
        if len(found) > 1:
            raise SchemaError(
                t("data.mapping.ambiguous", table=table, column=canon, headers=", ".join(found)),
                file=file, column=canon,
                fix=t("data.mapping.fix_prefix") + "\n" + _fix_line(table, canon, found[0]))
        if found:
            out[canon] = found[0]
            used.add(found[0])


def last_resort(table: str, headers: Iterable[str], mapping: Mapping[str, str],
                explicit: Mapping[str, str] | None = None,
                preset: str | None = None) -> tuple[str, str, list[str]] | None:
    """``(column, header, others)`` when ``mapping`` took ``column`` from a last-resort spelling
    (:data:`~loyalscope.data.aliases._FALLBACK`: an e-mail, a phone, a customer name), with the
    other last-resort headers the file has: the choice between a phone and a name is the user's
    (Sample Sales Data: two companies share the phone 6175558555, and were one customer). None
    when the column was named in ``[mapping.<table>]``, by the CRM preset (``preset``, else the
    one the headers show) or matched a regular alias."""
    headers = [str(h) for h in headers]
    for canon, spellings in _FALLBACK.items():
        header = mapping.get(canon)
        if header is None or canon in (explicit or {}):
            continue
        norm = {normalise_header(a) for a in spellings}
        own = PRESETS.get(preset or detect_preset(headers) or "", {}).get(table, {}).get(canon, ())
        regular = {normalise_header(a) for a in (canon, *aliases(table, canon), *own)}
        if normalise_header(header) not in norm or normalise_header(header) in regular:
            continue
        taken = set(mapping.values())
        others = [h for h in headers if h not in taken and normalise_header(h) in norm]
        return canon, header, others
    return None


def not_found(table: str, mapping: Mapping[str, str]) -> list[str]:
    """The canonical columns of ``table`` that ``mapping`` has no header for (what a column
    of the file left unused may be mapped to)."""
    return [c for c in schema.table(table).names if c not in mapping]


def has_amount_source(found: Mapping[str, str]) -> bool:
    """Whether mapped transaction columns give an order amount on their own."""
    return "amount" in found or "paid_amount" in found or {"quantity", "unit_price"} <= set(found)


def resolve(
    table: str,
    headers: Iterable[str],
    explicit: Mapping[str, str] | None = None,
    preset: str | None = None,
    file: str | None = None,
    related: Iterable[str] = (),
) -> dict[str, str]:
    """Map the ``headers`` of one source onto the canonical columns of ``table``.

    Parameters
    ----------
    table : str
        Canonical table name.
    headers : iterable of str
        The source's column headers, in order.
    explicit : mapping, optional
        ``config.mapping[table]``: canonical column -> source header. Always wins.
    preset : str, optional
        CRM preset name; detected from the headers when None.
    file : str, optional
        Source name, used in error messages.
    related : iterable of str, optional
        Other tables given with this one (``payments`` or ``order_items`` can give transactions
        their amounts).

    Returns
    -------
    dict
        canonical column -> source header, for every column found (open families such as
        survey ``q_*`` items included, under their own name). A transactions file may lack
        ``customer_id`` (guest orders, or an order report without buyer ids: order-level
        analysis only) and ``amount`` when quantity x unit price, a paid amount, payments or
        order items give it.

    Raises
    ------
    SchemaError
        An explicit header is absent, a required column is missing, or two headers match one
        canonical column. The message lists the plausible headers of the right kind (never an
        amount, date or address as an id) and the toml lines that fix it.
    """
    headers = [str(h) for h in headers]
    if preset is not None and preset not in PRESETS:
        raise ConfigError(t("data.mapping.unknown_preset", preset=preset), value=preset,
                          fix=t("data.mapping.unknown_preset_fix", known=", ".join(PRESETS)))
    out = _match(table, headers, dict(explicit or {}), preset or detect_preset(headers), file)
    optional = schema.INPUT_OPTIONAL.get(table, ())
    joined = table == "transactions" and bool(set(schema.JOINED_ON_ORDER_ID) & set(related))
    if table == "transactions" and not joined:
        optional = (*optional, "order_id")  # a purchase log: each row one order (data.load)
    if table == "surveys" and any(c in out for c in schema.SURVEY_MEASURES):
        # answers without ids: each row one response (data.load); without customer ids: an
        # anonymous questionnaire, counted in satisfaction and NPS, linked to no customer
        optional = (*optional, "response_id", "customer_id")
    if table == "surveys" and not any(c in out for c in schema.SURVEY_MEASURES):
        _questions_unclear(headers, set(out.values()), file)
    missing = [c for c in schema.table(table).required if c not in out and c not in optional]
    if table == "loyalty_points" and "points_change" not in out:  # earned and redeemed, or a change
        missing += [c for c in ("points_earned", "points_redeemed") if c not in out]
    if table == "transactions" and not has_amount_source(out) and not joined and "amount" not in missing:
        missing.append("amount")  # an amount, or a quantity and a unit price
    if missing:
        raise missing_error(table, missing[0], headers, set(out.values()), file, also=missing[1:])
    return out


def _questions_unclear(headers: list[str], used: set[str], file: str | None) -> None:
    """Raise when a questionnaire's questions ask for a measure but none was taken: several ask
    for it and none is about the whole (satisfaction with the goods, with the delivery)."""
    asked = asked_measures(h for h in headers if h not in used)
    if asked:
        measure, hs = next(iter(asked.items()))
        # the scale a question states is read with it (data.load.stated_scales)
        raise SchemaError(t("data.mapping.questions_unclear", measure=measure, headers=", ".join(hs)),
                          file=file, column=measure,
                          fix=t("data.mapping.fix_prefix") + "\n" + _fix_line("surveys", measure, hs[0]))
    questions = [h for h in headers if h not in used and is_question(h)]
    if questions:  # a questionnaire none of whose questions names a measure: not its ids' fault
        shown = ", ".join(questions[:8]) + (f" … (+{len(questions) - 8})" if len(questions) > 8 else "")
        raise SchemaError(t("data.mapping.questions_none", headers=shown),
                          file=file, column="csat",
                          fix=t("data.mapping.fix_prefix") + "\n" + t("data.mapping.questions_none_fix"))


_DATA_CELL = re.compile(r"^[+-]?(\d+([.,]\d+)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T][\d:.]+)?)$")


def looks_like_data(headers: Iterable[str]) -> bool:
    """Whether a "header" line is a data row: at least two cells, most of them numbers or dates
    (a file exported without its header line, such as Tianchi's UserBehavior.csv:
    ``1,2268318,2520377,pv,1511544070``)."""
    cells = [str(h).strip() for h in headers if str(h).strip()]
    return len(cells) >= 2 and sum(bool(_DATA_CELL.match(c)) for c in cells) >= 0.6 * len(cells)


def no_header_hint(headers: Iterable[str]) -> str:
    """A sentence saying the first line looks like data, or "" when it does not."""
    headers = [str(h) for h in headers]
    return " " + t("data.mapping.no_header", line=",".join(headers)[:120]) if looks_like_data(headers) else ""


def missing_error(table: str, column: str, headers: list[str], used: set[str],
                  file: str | None, also: Iterable[str] = ()) -> SchemaError:
    """The error for a required column that no header matches, naming plausible headers; with
    ``also`` (the other required columns missing), every one of them and one fix for them all,
    so that a file whose dates, amounts and ids all have other names is mapped in one round
    (dunnhumby's DAY and SALES_VALUE asked for two runs, one error each)."""
    if looks_like_data(headers):
        return SchemaError(t("data.mapping.missing_no_header", table=table, column=column)
                           + no_header_hint(headers), file=file, row=1, column=column,
                           fix=t("data.mapping.no_header_fix",
                                 name=Path(file).name if file else "<file name>"))
    others = list(also)
    taken = set(used)
    advice: list[str] = []
    pairs: list[tuple[str, str]] = []
    unmatched: list[str] = []
    for col in (column, *others):
        cands = candidates(col, headers, taken)
        if cands:
            advice.append(t("data.mapping.candidates", column=col, headers=", ".join(cands[:5])))
            pairs.append((col, cands[0]))
            taken.add(cands[0])  # one header is never offered for two columns
        else:
            advice.append(t("data.mapping.no_candidate", column=col))
            unmatched.append(col)
    message = t("data.mapping.missing", table=table, column=column,
                aliases=", ".join(aliases(table, column)[:6]), headers=", ".join(headers))
    if others:
        message += " " + t("data.mapping.missing_also", columns=", ".join(repr(c) for c in others))
    fixes = []
    if pairs:
        fixes.append(t("data.mapping.fix_prefix") + "\n" + _fix_lines(table, pairs))
    fixes += [t("data.mapping.no_candidate_fix", table=table, column=c) for c in unmatched]
    return SchemaError(message + " " + " ".join(advice), file=file, column=column,
                       fix="\n".join(fixes))


# ---- which table does one file hold? --------------------------------------------------------
_ACTION_HEADERS = frozenset(normalise_header(h) for h in (
    "action", "behavior", "behaviour", "behavior type", "behaviour type", "event", "event type",
    "行为", "行为类型", "用户行为", "事件", "事件类型"))


def action_column(headers: Iterable[str]) -> str | None:
    """The header of a behaviour log's action column (Tianchi's ``behavior_type``: pv, cart,
    fav, buy; Retail Rocket's ``event``: view, addtocart, transaction), or None."""
    return next((str(h) for h in headers if normalise_header(h) in _ACTION_HEADERS), None)


_INFER_ORDER = ("transactions", "returns", "surveys", "complaints", "payments", "order_items",
                "reviews", "customers", "products")


def infer_table(headers: Iterable[str], config_mapping: Mapping[str, Mapping[str, str]] | None = None,
                preset: str | None = None) -> tuple[str, dict[str, str]] | None:
    """The canonical table a file holds, judged from its headers alone, and its mapping.

    A table qualifies when every required column is found (transactions: an order id, a time and
    an amount or quantity x unit price; a buyer id is optional). Among qualifying tables the one
    with most mapped columns wins, ties in the order transactions, returns, surveys, complaints,
    payments, order items, reviews, customers, products. A file whose headers map an order id
    and at least as many columns to transactions as to the winning related table is called
    transactions even when a required column is missing (loading it then names that column and
    the fix). None when no table qualifies.
    """
    headers = [str(h) for h in headers]
    best: tuple[int, str, dict[str, str]] | None = None
    for table in _INFER_ORDER:
        try:
            found = resolve(table, headers, (config_mapping or {}).get(table), preset)
        except (SchemaError, ConfigError):
            continue
        if table == "returns" and "return_ts" not in found:  # undated returns only beside orders
            continue
        if best is None or len(found) > best[0]:
            best = (len(found), table, found)
    if best is not None and best[1] in schema.RELATED_TABLES:
        # A file that maps as many columns to transactions as to a related table, but lacks a
        # required transactions column (a time header we do not know, say), is a sales file:
        # call it transactions so the user gets the missing-column advice, not a related table
        # that nothing uses ("单号, VIP, 成交日, 金额" is not an order-items file).
        near = _match("transactions", headers, dict((config_mapping or {}).get("transactions", {})),
                      preset or detect_preset(headers), None)
        if "order_id" in near and len(near) >= best[0]:
            return "transactions", near
    return None if best is None else (best[1], best[2])
