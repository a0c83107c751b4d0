"""Row checks of one source, as engine expressions: source columns -> canonical typed columns
plus, per row, the first reason it cannot be used.

Order of the checks (the first that fails is the row's reason): the record's structure
(``empty_row`` blank line, ``unbalanced_quote``, ``malformed_line``, ``separator_in_value``, see
:mod:`loyalscope.data.records`); ``empty_row`` (every value empty); then for each required column,
in schema order, ``missing_required`` (empty), ``unparseable``, ``out_of_range`` or
``wrong_type`` (see :mod:`loyalscope.data.parse`). An optional value that cannot be used is left
empty and counted in a note (the row is kept).

Date order: the a/b/yyyy dates of a text column are read day-first or month-first as decided
on the whole column (:func:`loyalscope.data.parse.date_order`); the decision is printed as a note
("day-first: 13/01/2024 on line 5"); a column with rows that fit only day-first and rows that fit
only month-first, or only ambiguous rows, is a :class:`DataQualityError` unless
``[data] dayfirst`` is set (then the rows that do not fit are quarantined). The whole-column
scan runs before parsing for a text file of at most :data:`DMY_SAMPLE` lines, and when the first
:data:`DMY_SAMPLE` values hold such a date; otherwise the column is parsed at once and scanned
only if the parse saw an a/b/yyyy-like value (one that the scan would count; parsed again if the
decision is day-first), so that exports of ISO or y/m/d dates skip it.

Plain columns: a text number or date column of a text file of up to a million lines whose
values are all plain numbers (``-12.5``) or ISO dates (or empty), as one query over the source
finds, is parsed by a short expression that reads exactly those (:func:`parse.plain_number`,
:func:`parse.plain_datetime`). The result is the same as the full parsers'; the short form is
planned and run in a fraction of the time (a survey of fifty answer columns: 0.5 s of DuckDB
planning and running -> 0.15 s).

Real exports (``data.shapes``): a required column that a row may leave empty
(``data.shapes.row_optional_columns``: a transactions customer id or amount, a line file's order
time, a returns file's date) is not checked here; an unreadable value there is kept in
``_bad_<column>``, why it cannot be read in ``_why_<column>``, and the shapes quarantine that row
(a transactions row: its whole order) with reason ``unparseable`` and that detail.

Table-wide checks (future dates, negative amounts, duplicate keys) are in
:mod:`loyalscope.data.checks`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from loyalscope.config import AnalysisConfig
from loyalscope.data import parse, schema, sqlcache
from loyalscope.data.compiled import materialize, run_query, scratch_name
from loyalscope.data.forms import (
    DECIMAL,
    LIKERT,
    NO_ANSWER,
    PLAIN,
    YES_NO,
    YES_NO_SCALE,
    answer_forms,
    decimal_ids,
)
from loyalscope.data.messages import sql_t
from loyalscope.data.records import VIEW_FROM_LINES
from loyalscope.data.shapes import BAD, WHY, row_optional_columns
from loyalscope.data.sources import Source
from loyalscope.data.staged import Staged
from loyalscope.data.units import column_multiples
from loyalscope.errors import DataQualityError
from loyalscope.i18n import t

LINE, END, SRC = "_line", "_line_end", "_src"
SLOW = "_ds_"
"""Prefix of the parsed table's flag columns: a text date value that is not an ISO date."""
DMY_SAMPLE = 50_000
"""Values of a text date column looked at for a/b/yyyy dates before parsing."""
REASON, COLUMN, VALUE, DETAIL = "_q_reason", "_q_column", "_q_value", "_q_detail"
_WHY = ("not_finite", "paren", "two_currencies", "percent", "not_number", "year_range", "not_date",
        "day_number", "not_bool", "bool_type", "negative", "scaled_too_large")
_ids = itertools.count()


@dataclass
class Parsed:
    """One source after parsing: ``table`` (materialised on the engine) holds the canonical
    columns, ``_line``, ``_line_end``, ``_src`` and the ``_q_*`` quarantine columns."""

    table: ir.Table
    columns: list[str]
    records: int
    notes: list[str] = field(default_factory=list)
    scales: dict[str, str] = field(default_factory=dict)
    """Answer columns whose form sets their scale (yes / no intents and csat: ``0-1``)."""


def _why(tag: ir.StringValue) -> ir.StringValue:
    return ibis.cases(*[(tag == w, t(f"data.validate.why_{w}")) for w in _WHY], else_=tag)




def _parse_column(tbl: Staged, header: str, out: str, col: schema.Column, dayfirst: bool,
                  config: AnalysisConfig, backend: str, form: str | None = None,
                  multiple: int = 1) -> Staged:
    """Add ``out``, ``out__r`` and ``out__g`` (value, reason, tag) for one mapped column;
    ``form``: :data:`PLAIN`, a text number or date column of plain numbers or ISO dates only,
    read by :func:`parse.plain_number` or :func:`parse.plain_datetime`; :data:`DECIMAL`, an
    identifier column written as decimals (``12533.0``, see :func:`decimal_ids`); :data:`LIKERT`,
    a 1-N answer column of five-point words (``非常满意``, see :func:`likert_columns`); :data:`YES_NO`,
    an intent or csat column of yes / no / unsure answers (``会``, ``不会``, ``不确定``; ``是`` /
    ``否``); ``multiple``: the multiple of the currency a money column is stated in (10,000 for
    万元, :func:`loyalscope.data.units.column_multiples`), its values multiplied by it."""
    plain = form == PLAIN
    if col.dtype == "string":
        return parse.string(tbl, header, out, backend, decimal=form == DECIMAL)
    if col.dtype == "boolean":
        return parse.boolean(tbl, header, out, backend)
    if col.dtype not in ("float64", "int64"):
        if plain:
            return parse.plain_datetime(tbl, header, out)
        return parse.datetime(tbl, header, out, dayfirst, config.data.timezone, backend,
                              config.data.day_one)
    if plain:
        tbl = parse.plain_number(tbl, header, out)
    else:
        if form == LIKERT:  # 非常满意 ... 非常不满意 as 5 ... 1
            tbl = tbl.mutate(**{f"{out}__w": parse.likert_points(tbl[header])})
            header = f"{out}__w"
        elif form == YES_NO:  # 会 / 不会 / 不确定 as 1 / 0 / 0.5
            tbl = tbl.mutate(**{f"{out}__w": parse.yes_no_points(tbl[header])})
            header = f"{out}__w"
        tbl = parse.number(tbl, header, out, percent=col.unit == "0-1", backend=backend)
    if multiple != 1:
        tbl = parse.scaled(tbl, out, multiple)
    if not col.nonnegative:
        return tbl
    neg = tbl[out] < 0
    return tbl.mutate(**{out: ibis.ifelse(neg, ibis.null().cast("float64"), tbl[out]),
                         f"{out}__r": ibis.ifelse(neg, "out_of_range", tbl[f"{out}__r"]),
                         f"{out}__g": ibis.ifelse(neg, "negative", tbl[f"{out}__g"])})


def decide_dayfirst(con: BaseBackend, rel: ir.Table, header: str, column: str, file: str,
                    config: AnalysisConfig) -> tuple[bool, str | None]:
    """The date order of one text column, decided on the whole column, and its note."""
    if config.data.dayfirst is not None:
        return config.data.dayfirst, None
    ev = parse.date_order(rel, header, run=_date_order_runner(con, header))
    if ev.day_example and ev.month_example:
        raise DataQualityError(
            t("data.validate.mixed_dates", dayfirst=f"{ev.day_example[0]} (line {ev.day_example[1]})",
              monthfirst=f"{ev.month_example[0]} (line {ev.month_example[1]})"),
            file=file, row=ev.month_example[1], column=column, value=ev.day_example[0],
            fix=t("data.validate.mixed_dates_fix"))
    if ev.day_example:
        return True, t("data.validate.note_dayfirst", column=column, value=ev.day_example[0],
                       line=ev.day_example[1])
    if ev.month_example:
        return False, t("data.validate.note_monthfirst", column=column, value=ev.month_example[0],
                        line=ev.month_example[1])
    if ev.ambiguous:
        examples = ", ".join(ev.ambiguous_examples)
        raise DataQualityError(t("data.validate.ambiguous_dates", examples=examples), file=file,
                               column=column, value=ev.ambiguous_examples[0],
                               fix=t("data.validate.ambiguous_dates_fix"))
    return False, None


def _structural(rel: Staged, width: int) -> list[tuple[ir.BooleanValue, str, ir.Value, ir.Value,
                                                          ir.StringValue]]:
    """Conditions for records that are structurally bad (text sources)."""
    if "_reason" not in rel.columns:
        return []
    r, why = rel._reason, rel._why
    null_s = ibis.null().cast("string")
    detail = ibis.cases(
        (r == "empty_row", t("data.validate.detail_empty")),
        (why == "span", sql_t("data.validate.detail_unbalanced_span", first=rel._first, last=rel._last)),
        (why == "eof", sql_t("data.validate.detail_unbalanced_eof", first=rel._first)),
        (why == "odd", sql_t("data.validate.detail_odd_quotes", first=rel._first)),
        (why == "bad_quotes", t("data.validate.detail_bad_quotes")),
        (why == "json", t("data.validate.detail_json")),
        (why == "staged", ibis.coalesce(rel._sd, "")),
        (why == "separator", sql_t("data.validate.detail_separator", column=rel._col, value=rel._val)),
        else_=sql_t("data.validate.detail_malformed", expected=width, found=rel._nf),
    )
    value = ibis.ifelse(r == "empty_row", null_s, rel._val)
    return [(r.notnull(), r, rel._col, value, detail)]


def parse_source(con: BaseBackend, src: Source, index: int, config: AnalysisConfig) -> Parsed:
    """Map, parse and check one source; materialise the result on ``con``."""
    spec = schema.table(src.table)
    rel = src.rel
    notes = list(src.notes)
    dayfirst: dict[str, bool] = {}
    assumed: list[str] = []  # date columns parsed before their order is decided
    # a file of known size within the sample is decided at once (one query, as a sample of it
    # would be the whole file)
    small = src.lines is not None and src.lines <= DMY_SAMPLE
    plain = _plain_columns(con, src)
    decimal, decimal_notes = decimal_ids(con, src)
    notes.extend(decimal_notes)
    answers = answer_forms(con, src)
    notes.extend(answers.notes)
    unanswered = answers.unanswered
    multiples, multiple_notes = column_multiples(src.table, src.name, src.mapping, config)
    notes.extend(multiple_notes)
    for canon, header in src.mapping.items():
        if canon in plain:  # ISO dates only: no order to decide
            dayfirst[canon] = False
        elif spec.column(canon).dtype in ("timestamp", "date") and rel[header].type().is_string():
            if (config.data.dayfirst is None and not small
                    and not _dmy_in_sample(con, rel, header)):
                dayfirst[canon] = False
                assumed.append(canon)
                continue
            dayfirst[canon], note = decide_dayfirst(con, rel, header, canon, src.name, config)
            if note:
                notes.append(note)
    forms = {**dict.fromkeys(plain, PLAIN), **dict.fromkeys(decimal, DECIMAL),
             **dict.fromkeys(answers.likert, LIKERT), **dict.fromkeys(answers.yes_no, YES_NO)}
    table = _parse_table(con, src, index, config, dayfirst, forms, unanswered, multiples)
    # one query after the parse: the rows, and the assumed date columns' a/b/yyyy-like values
    aggs = {"ls_n": table.count()}
    aggs.update({f"ls_s{i}": table[f"{SLOW}{c}"].sum() for i, c in enumerate(assumed)})
    row = sqlcache.fetch(table.aggregate(**aggs)).iloc[0]
    records = int(row["ls_n"])
    again = False
    # the order is decided on the whole column only when a value is a/b/yyyy-like (an export
    # of ISO or y/m/d dates skips that scan: without such a value it would decide month-first
    # without a note, as assumed); a decision other than the assumed one parses again (a/b/yyyy
    # dates first seen after the sample)
    for i, canon in enumerate(assumed):
        n = row[f"ls_s{i}"]
        if n is None or n != n or int(n) == 0:
            continue
        header = src.mapping[canon]
        first, note = decide_dayfirst(con, rel, header, canon, src.name, config)
        if note:
            notes.append(note)
        if first != dayfirst[canon]:
            dayfirst[canon], again = first, True
    if again:
        con.drop_table(table.get_name(), force=True)
        table = _parse_table(con, src, index, config, dayfirst, forms, unanswered, multiples)
    optional = [c for c in src.mapping if not spec.column(c).required]
    notes.extend(_nulled_notes(table, optional))
    row_optional = row_optional_columns(src.table, src.mapping)
    bad_cols = [f"{pre}{c}" for c in src.mapping if spec.column(c).required and c in row_optional
                for pre in (BAD, WHY)]
    return Parsed(table, [*src.mapping, *bad_cols], records, notes,
                  dict.fromkeys(answers.yes_no, YES_NO_SCALE))


def _true(v: object) -> bool:
    """An aggregate's boolean (NULL over no rows is false)."""
    return not pd.isna(v) and bool(v)


def _plain_columns(con: BaseBackend, src: Source) -> list[str]:
    """The text number and date columns whose values are all plain numbers (``12``, ``-0.5``;
    not ``¥1,200``, `` 12``, ``1e3``) or ISO dates (``2024-03-05 07:08``; not ``2024/3/5``,
    ``05/03/2024``), or empty: parsed by :func:`parse.plain_number` and
    :func:`parse.plain_datetime`. One query over the whole source (a value that is not plain
    fails the test at its first characters, mostly: little is lost on an export's columns), for
    text files of at most :data:`~loyalscope.data.records.VIEW_FROM_LINES` lines: the fixed cost
    it saves (planning the full parsers' wide statement) matters on small and middling files; on
    larger ones the full parsers' own fast paths run as before."""
    if src.lines is None or src.lines > VIEW_FROM_LINES:
        # only where the records are a stored table: over a view (a larger file's records) the
        # query would split the lines into fields again (2M lines of a shop export: +3 s), and a
        # database or Parquet source would be read twice
        return []
    spec = schema.table(src.table)
    cols = [c for c, h in src.mapping.items()
            if spec.column(c).dtype in _PLAIN_TYPES and src.rel[h].type().is_string()]
    if not cols:
        return []
    inputs = {f"ls_c{i}": src.mapping[c] for i, c in enumerate(cols)}
    dates = tuple(spec.column(c).dtype not in ("float64", "int64") for c in cols)

    def build(p: ir.Table) -> ir.Table:
        test = {False: parse.not_plain_number, True: parse.not_plain_date}
        return p.aggregate(**{f"ls_x{i}": test[d](p[f"ls_c{i}"]).any() for i, d in enumerate(dates)})

    row = run_query(con, ("plain_columns", dates), src.rel, inputs, build).iloc[0]
    return [c for i, c in enumerate(cols) if not _true(row[f"ls_x{i}"])]


_PLAIN_TYPES = ("float64", "int64", "timestamp", "date")


def _dmy_in_sample(con: BaseBackend, rel: ir.Table, header: str) -> bool:
    """Whether the first :data:`DMY_SAMPLE` values of a text date column hold an a/b/yyyy
    date that tells or asks the order (then the order is decided before parsing)."""
    ev = parse.date_order(rel.limit(DMY_SAMPLE), header, run=_date_order_runner(con, header))
    return bool(ev.day_example or ev.month_example or ev.ambiguous)


def _date_order_runner(con: BaseBackend, header: str) -> Callable[[ir.Table], pd.DataFrame]:
    """Runs :func:`parse.date_order_query` on ``con`` with its SQL compiled once."""
    def run(r: ir.Table) -> pd.DataFrame:
        return run_query(con, "date_order", r, {"ls_in": header, LINE: LINE},
                         lambda p: parse.date_order_query(p, "ls_in", LINE))

    return run


def _parse_table(con: BaseBackend, src: Source, index: int, config: AnalysisConfig,
                 dayfirst: dict[str, bool], forms: dict[str, str],
                 unanswered: list[str] | None = None,
                 multiples: dict[str, int] | None = None) -> ir.Table:
    """The parsed and checked source, materialised on ``con``; ``forms``: the columns read in
    a form their values allow (:func:`_parse_column`); ``unanswered``: the answer columns whose
    marks of no answer (``(空)``) are read as empty; ``multiples``: the money columns stated
    in a multiple of their currency, and the multiple."""
    scale = tuple(sorted((multiples or {}).items()))
    blanks = tuple(sorted(unanswered or ()))
    rel = src.rel
    # the SQL works on placeholder column names, so that files whose columns differ only in
    # their names share one compiled statement
    own = [c for c in rel.columns if c not in (LINE, END) and c not in _RECORD_COLS]
    generic = {h: f"ls_c{i}" for i, h in enumerate(own)}
    mapping = {canon: generic[h] for canon, h in src.mapping.items()}
    key = ("parse", src.table, tuple(mapping.items()), tuple(sorted(dayfirst.items())),
           config.data.timezone, _day_one(config), tuple(sorted(forms.items())), blanks, scale)

    def build(r: Staged) -> Staged:
        return _build(r, src.table, mapping, dayfirst, config, con.name, forms, set(blanks),
                      dict(scale))

    return materialize(con, key, rel, build, scratch_name("parsed"),
                       inputs={g: h for h, g in generic.items()}, constants={SRC: index})


def _day_one(config: AnalysisConfig) -> str | None:
    """``[data] day_one`` as text, for the compiled statements' keys (it changes their SQL)."""
    return None if config.data.day_one is None else config.data.day_one.isoformat()


def _build(rel: Staged, table: str, mapping: dict[str, str], dayfirst: dict[str, bool],
           config: AnalysisConfig, backend: str, forms: dict[str, str] | None = None,
           unanswered: set[str] | None = None, multiples: dict[str, int] | None = None) -> Staged:
    """The parse-and-check projections of one source over ``rel`` (pure: no queries);
    ``mapping``: canonical column -> column of ``rel``; ``forms``: canonical column -> the form
    it is read in (:func:`_parse_column`); ``multiples``: canonical column -> the multiple its
    values are multiplied by."""
    forms = forms or {}
    multiples = multiples or {}
    spec = schema.table(table)
    own = [c for c in rel.columns if c not in (LINE, END) and c not in _RECORD_COLS]
    null_s = ibis.null().cast("string")
    values: dict[str, ir.Value] = {}
    extra: dict[str, ir.Value] = {}
    n_opt = 0
    for j, (canon, header) in enumerate(mapping.items()):
        col, first, form = spec.column(canon), dayfirst.get(canon, False), forms.get(canon)
        multiple = multiples.get(canon, 1)
        # a survey tool's mark of a question left unanswered is no answer (an answer column)
        answer = canon in (unanswered or set())

        def parse_one(s: Staged, i: str, o: str, col: schema.Column = col, first: bool = first,
                      form: str | None = form, answer: bool = answer,
                      multiple: int = multiple) -> Staged:
            if answer:
                s = s.mutate(**{f"{o}__a": ibis.ifelse(s[i].strip().isin(NO_ANSWER),
                                                        ibis.null().cast("string"), s[i])})
                i = f"{o}__a"
            return _parse_column(s, i, o, col, first, config, backend, form, multiple)

        key = ("parse", col.dtype, col.unit, col.nonnegative, first, config.data.timezone,
               _day_one(config), backend, form, answer, multiple)
        rel = rel.apply(parse_one, header, f"_p{j}", key)
    present: dict[str, ir.BooleanValue] = {}
    for j, (canon, header) in enumerate(mapping.items()):
        flag = f"_p{j}__p"
        present[canon] = rel[flag] if flag in rel.columns else rel[header].notnull()
    mapped = set(mapping.values())
    empty = ibis.literal(True)
    for canon in mapping:
        empty = empty & ~present[canon]
    for c in own:
        if c not in mapped:
            v = rel[c]
            empty = empty & ((v.strip().isnull() | (v.strip() == "")) if v.type().is_string()
                             else v.isnull())
    rel = rel.mutate(_c_empty=empty)
    conds = _structural(rel, len(own))
    conds.append((rel._c_empty, ibis.literal("empty_row"), null_s, null_s,
                  ibis.literal(t("data.validate.detail_empty"))))
    row_optional = row_optional_columns(table, mapping)
    for j, (canon, header) in enumerate(mapping.items()):
        col = spec.column(canon)
        raw, value, reason, tag = rel[header], rel[f"_p{j}"], rel[f"_p{j}__r"], rel[f"_p{j}__g"]
        shown = raw.cast("string")
        if col.required and canon in row_optional:  # the shapes judge the whole order
            bad = reason.notnull()
            values[canon] = ibis.ifelse(bad, ibis.null().cast(value.type()), value)
            values[f"{BAD}{canon}"] = ibis.ifelse(bad, shown, null_s)
            values[f"{WHY}{canon}"] = ibis.ifelse(bad, _why(tag), null_s)
        elif col.required:
            conds.append((~present[canon], ibis.literal("missing_required"), ibis.literal(canon),
                          shown, ibis.literal(t("data.validate.detail_missing", column=canon))))
            why = _why(tag)
            detail = ibis.cases(
                (reason == "out_of_range",
                 sql_t("data.validate.detail_out_of_range", column=canon, value=shown, why=why)),
                (reason == "wrong_type",
                 sql_t("data.validate.detail_wrong_type", column=canon, value=shown, why=why)),
                else_=sql_t("data.validate.detail_unparseable_why", column=canon, value=shown,
                            dtype=col.dtype, why=why),
            )
            conds.append((reason.notnull(), reason, ibis.literal(canon), shown, detail))
            values[canon] = value
        else:
            bad = reason.notnull()
            values[canon] = ibis.ifelse(bad, ibis.null().cast(value.type()), value)
            extra[f"_nv_{n_opt}"] = ibis.ifelse(bad, ibis.coalesce(shown, ""), null_s)
            n_opt += 1
        if f"_p{j}__s" in rel.columns:  # a text date column: its values other than ISO dates
            extra[f"{SLOW}{canon}"] = rel[f"_p{j}__s"]
    # the first failing condition's index, computed once; the quarantine columns pick by it
    first = ibis.cases(*[(c[0], i) for i, c in enumerate(conds)], else_=ibis.null().cast("int64"))
    rel = rel.mutate(_c_first=first)
    conds = [(rel._c_first == i, *c[1:]) for i, c in enumerate(conds)]

    def pick(i: int) -> ir.Value:
        return ibis.cases(*[(c[0], c[i]) for c in conds], else_=null_s)

    return rel.select(
        **values, _line=rel[LINE], _line_end=rel[END],
        _q_reason=pick(1), _q_column=pick(2), _q_value=pick(3).substr(0, 500), _q_detail=pick(4),
        **extra,
    )


_RECORD_COLS = ("_reason", "_why", "_col", "_val", "_nf", "_first", "_last", "_sd")


def _nulled_notes(table: ir.Table, optional: list[str]) -> list[str]:
    """"n values of optional column c could not be read (e.g. line l: v)", one query."""
    if not optional:
        return []
    aggs = {}
    for i, _ in enumerate(optional):
        v = table[f"_nv_{i}"]
        aggs[f"n{i}"] = v.notnull().sum()
        aggs[f"l{i}"] = table[LINE].min(where=v.notnull())
        aggs[f"v{i}"] = v.argmin(table[LINE], where=v.notnull())
    row = sqlcache.fetch(table.aggregate(**aggs)).iloc[0]
    notes = []
    for i, canon in enumerate(optional):
        n = row[f"n{i}"]
        if n is not None and n == n and int(n) > 0:
            notes.append(t("data.validate.note_nulled", count=int(n), column=canon,
                           line=int(row[f"l{i}"]), value=row[f"v{i}"]))
    return notes
