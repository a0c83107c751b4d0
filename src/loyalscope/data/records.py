"""Delimited text: physical lines -> records, in the engine, each record with its line range.

Why not the engines' own CSV readers: DuckDB's reader numbers rejected rows by record (a
rejected row after a quoted line break is reported on the wrong line), gives accepted rows no
line at all, and an unbalanced quote swallows every following line into one rejected record;
Spark's PERMISSIVE reader gives no line numbers either. So the engine reads physical lines
(:mod:`loyalscope.data.readers`) and these expressions make records out of them.

The rule (records vs lines)
---------------------------
- A line holding an even number of quote characters is one record.
- A line holding an odd number opens a quoted field that the next such line closes. The lines
  from the opener to the closer form one record only if (a) it splits into exactly the
  header's number of fields, (b) every field holding a line break is a *free-text* column (not
  an id, date, amount or other structural column: real exports carry reviews and remarks
  with line breaks in quotes), (c) it spans at most :data:`MAX_SPAN` lines. Such a record is
  accepted and counted (``multiline_records``; the report says how many and where).
- Otherwise nothing is swallowed: the opener is quarantined as ``unbalanced_quote`` ("quoted
  field spans lines 3-5: unbalanced quote?"), the closer too, and every line in between is
  read as its own record. An opener with no closer ("never closed") is quarantined alone.
- A structural column holding a line break, or (ids, dates, booleans) the delimiter, is
  quarantined (``separator_in_value``); in a number the delimiter can only be a thousands
  separator (``"1,200"``), which the number parser checks; a line with the wrong number of fields or a quote inside an
  unquoted field is ``malformed_line``; a blank line is ``empty_row``. A field written as Excel's
  text formula ``="..."`` (ids kept as text by Taobao / Tmall and CRM exports) is its quoted text.

Every physical line after the header belongs to exactly one record, so
``lines = sum(line_end - line + 1)`` over records; both counts are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from loyalscope.data.compiled import materialize, run_query, scratch_name
from loyalscope.data.staged import Staged

VIEW_FROM_LINES = 1_000_000
"""On DuckDB, records of a file with more lines than this (and no multi-line record) are a view
over its lines, not a stored table."""
MAX_SPAN = 200
"""Most physical lines one record may span (a free-text field with many line breaks)."""
_STR_ARRAY = dt.Array(dt.string)


@ibis.udf.scalar.builtin(name="regexp_extract_all")
def _extract_all(text: str, pattern: str, group: int) -> _STR_ARRAY:  # type: ignore[valid-type]
    """Every match's ``group`` (DuckDB and Spark share the name and arguments)."""


@dataclass(frozen=True)
class Records:
    """Records of one text file: ``table`` has ``_line``, ``_line_end``, one string column per
    header, and ``_reason`` / ``_why`` / ``_col`` / ``_val`` / ``_nf`` / ``_first`` / ``_last``
    for records that are structurally bad (``_reason`` NULL otherwise)."""

    table: ir.Table
    lines: int
    multiline: int
    multiline_example: tuple[int, int] | None


def _patterns(delim: str) -> tuple[str, str, str]:
    """Regular expressions of a delimited line: one field (for ``regexp_extract_all``), the
    whole line, and a *plain* line whose quotes only wrap whole fields holding no quote,
    delimiter or line break (``"C001","home",12``: most quoted exports)."""
    d = re.escape(delim) if delim != "\t" else "\t"
    field = f'=?"(?:[^"]|"")*"|[^{d}"]*'
    plain = f'"[^"{d}\n]*"|[^"{d}\n]*'
    return (f"(?:^|{d})({field})", f"^(?:{field})(?:{d}(?:{field}))*$",
            f"^(?:{plain})(?:{d}(?:{plain}))*$")


def _quote_kind(text: ir.StringValue, delim: str) -> ir.IntegerValue:
    """0: a line without quotes; 1: a *plain* quoted line (see :func:`_patterns`); 2: any other
    quoted line. Computed once per line: a stage of its own, since DuckDB evaluates a regular
    expression again in each ``CASE`` that repeats it (three times made the 10M-line records
    step 3 s slower)."""
    _, _, plain = _patterns(delim)
    return ibis.cases((~text.contains('"'), 0), (text.re_search(plain), 1), else_=2)


def _split(text: ir.StringValue, delim: str,
           kind: ir.IntegerValue) -> tuple[ir.ArrayValue, ir.BooleanValue, ir.BooleanValue]:
    """The fields of ``text``, whether its quotes are well formed, and whether a field may
    still be quoted (or hold the delimiter or a line break); ``kind`` is
    :func:`_quote_kind` of ``text``, computed in an earlier stage.

    A plain line (see :func:`_patterns`) is split on the delimiter once its quotes are
    removed: the same fields the general pattern gives, without its backtracking regular
    expression (``regexp_extract_all`` costs ~20x a split).

    The regular expressions sit inside ``CASE`` branches, never under ``OR`` / ``AND``: in a
    projection DuckDB evaluates every operand of a boolean connective on every row, but a
    ``CASE`` branch only on the rows that reach it (lines without quotes, most of a file, then
    cost a ``contains`` test; two whole-line regular expressions per row doubled the records
    step).
    """
    extract, full, _ = _patterns(delim)
    arr = ibis.cases((kind == 0, text.split(delim)),
                     (kind == 1, text.replace('"', "").split(delim)),
                     else_=_extract_all(text, extract, 1))
    ok = ibis.cases((kind < 2, True), else_=text.re_search(full))
    return arr, ok, kind == 2


def _at(arr: ir.ArrayValue, n: ir.IntegerValue, i: int) -> ir.StringValue:
    """``arr[i]``, NULL past the end (Spark's ANSI mode raises on an index out of bounds)."""
    return ibis.ifelse(n > i, arr[i], ibis.null().cast("string"))


def _joined(members: ir.Table) -> ir.StringValue:
    """The group's lines joined by line breaks in line order (collect, sort, join: an ordered
    string aggregate that DuckDB and Spark both have)."""
    pairs = ibis.struct({"l": members._line, "t": members.text}).collect()
    return pairs.sort().map(lambda x: x.t).join("\n")


def _unquote(f: ir.StringValue) -> ir.StringValue:
    """A quoted field's text; Excel's text formula ``="0012345"`` (how Taobao / Tmall and many
    CRM exports keep long ids and leading zeros out of scientific notation) gives its text too."""
    q = f.startswith('"') & f.endswith('"') & (f.length() >= 2)
    formula = f.startswith('="') & f.endswith('"') & (f.length() >= 3)
    return ibis.cases((q, f.substr(1, f.length() - 2).replace('""', '"')),
                      (formula, f.substr(2, f.length() - 3).replace('""', '"')), else_=f)


def csv_records(con: BaseBackend, lines: ir.Table, header: list[str], delim: str,
                structural: set[str], numeric: frozenset[str] = frozenset(),
                every_text: bool = False, header_line: int = 1) -> Records:
    """Records of a delimited text file from its physical ``lines`` (header = line
    ``header_line``: 1, or 0 for a header named in ``[data.columns]`` before the file's own
    line 1, or the last line of a header over several lines, a survey tool's of several rows or
    one whose quoted cells hold line breaks: the lines up to it are no records).

    On Spark, and on DuckDB when lines were joined into records or the file has at most
    :data:`VIEW_FROM_LINES` lines, the records are stored as a temporary table (parsing then
    reads a plain table); otherwise they stay a query (a view). A record's text (its first 200
    characters, ``_val``) is kept for the quarantine only when it is structurally bad, or on
    every record with ``every_text`` (lines that staging found bad, e.g. undecodable bytes, are
    marked later).
    """
    width = len(header)
    counts = run_query(con, ("line_counts", header_line), lines, {"_line": "_line", "text": "text"},
                       lambda r: _line_counts(r, header_line)).iloc[0]
    n_lines = int(counts["n"])
    n_odd = int(counts["odd"]) if n_lines and counts["odd"] == counts["odd"] else 0
    null_i, null_s = ibis.null().cast("int64"), ibis.null().cast("string")
    multiline, example = 0, None
    # the SQL names fields by position, so that files with other headers share it
    generic = [f"ls_c{i}" for i in range(width)]
    is_structural = tuple(h in structural for h in header)
    is_numeric = tuple(h in numeric for h in header)
    if n_odd:
        body = lines.filter(lines._line > header_line)
        # quotes counted only on lines holding one (a CASE: REPLACE copies every line otherwise)
        quotes = body.text.length() - body.text.replace('"', "").length()
        body = body.mutate(_q=ibis.cases((body.text.contains('"'), quotes), else_=0))
        odd = body.filter(body._q % 2 == 1).select("_line")
        # one such line (a stray quote) has no partner: it is never closed, and no query over
        # the lines is needed to pair it
        alone = int(counts["first_odd"]) if n_odd == 1 else None
        recs, multiline, example = _quoted_records(body, odd, header, delim, structural, alone)

        def build(s: Staged) -> Staged:
            return _split_fields(s, generic, delim, is_structural, is_numeric, every_text)
    else:  # every line after the header is one record: read the lines as they are
        recs = lines

        def build(s: Staged) -> Staged:
            s = s.filter(s._line > header_line)
            s = s.select(_line=s._line, _line_end=s._line, text=s.text,
                         _odd=ibis.literal(False), _why0=null_s, _first=null_i, _last=null_i)
            return _split_fields(s, generic, delim, is_structural, is_numeric, every_text)

    key = ("records", width, delim, is_structural, is_numeric, bool(n_odd), every_text, header_line)
    # stored on Spark (each later query would read and split the file again) and on DuckDB when
    # lines were joined into multi-line records or the file is small (each query over a view
    # binds its SQL again: +10 ms a file); otherwise a view over the stored lines: the split
    # costs less than writing the fields out (10M lines: 0.6 s to split, 2.8 s to store)
    store = con.name == "pyspark" or (con.name == "duckdb"
                                      and (multiline > 0 or n_lines <= VIEW_FROM_LINES))
    table = materialize(con, key, recs, build, scratch_name("records"),
                        outputs=dict(zip(generic, header, strict=True)),
                        labels={"_col": {i: h for i, h in enumerate(header) if h in structural}},
                        store=store)
    return Records(table, n_lines, multiline, example)


def _line_counts(lines: ir.Table, header_line: int = 1) -> ir.Table:
    """Lines after the header, how many of them hold an odd number of quotes, and the first
    of those."""
    body = lines.filter(lines._line > header_line)
    quotes = body.text.length() - body.text.replace('"', "").length()
    # counted only on lines holding a quote (a CASE: the copy REPLACE makes is skipped elsewhere)
    odd = ibis.cases((body.text.contains('"'), quotes % 2 == 1), else_=False)
    return body.aggregate(n=body.count(), odd=odd.sum(), first_odd=body._line.min(where=odd))


def _split_fields(recs: Staged, header: list[str], delim: str, structural: tuple[bool, ...],
                  numeric: tuple[bool, ...], every_text: bool = False) -> Staged:
    """Records (``_line``, ``_line_end``, ``text`` ...) -> one column per header field, and the
    structural reason of a bad record (see the module's docstring)."""
    width = len(header)
    null_s = ibis.null().cast("string")
    recs = recs.mutate(_kind=_quote_kind(recs.text, delim))
    arr, ok_quotes, hard = _split(recs.text, delim, recs._kind)
    recs = recs.mutate(_arr=arr, _okq=ok_quotes, _hq=hard)
    recs = recs.mutate(_nf=recs._arr.length())
    recs = recs.mutate(**{f"_f{i}": _at(recs._arr, recs._nf, i) for i in range(width)})
    # only a record with quotes can hold quoted fields, line breaks or the delimiter in a field
    recs = recs.mutate(**{f"_u{i}": ibis.ifelse(recs._hq, _unquote(recs[f"_f{i}"]), recs[f"_f{i}"])
                          for i in range(width)})
    nf, ok_quotes = recs._nf, recs._okq
    fields = {h: recs[f"_u{i}"] for i, h in enumerate(header)}
    sep_col: ir.IntegerValue = ibis.null().cast("int64")  # the field's position
    sep_val: ir.StringValue = null_s
    for i in reversed(range(width)):  # the first structural column holding a separator wins
        h = header[i]
        if structural[i]:
            hit = fields[h].contains("\n")
            if not numeric[i]:  # "1,200" in quotes is a thousands separator, checked by parse
                hit = hit | fields[h].contains(delim)
            hit = ibis.ifelse(recs._hq, hit, False)
            sep_col = ibis.ifelse(hit, ibis.literal(i, "int64"), sep_col)
            sep_val = ibis.ifelse(hit, fields[h], sep_val)
    recs = recs.mutate(_sc=sep_col, _sv=sep_val)
    sep_col, sep_val = recs._sc, recs._sv
    # a blank line splits into one field, unless white space is the delimiter (a CASE, so that
    # the other lines skip the copy TRIM makes)
    one = ibis.literal(True) if delim.isspace() else (nf == 1)
    blank = ibis.cases((one & (recs._line == recs._line_end), recs.text.strip() == ""),
                       else_=False)
    recs = recs.mutate(_r=ibis.cases(
        (blank, "empty_row"),
        (recs._odd, "unbalanced_quote"),
        (~ok_quotes, "malformed_line"),
        (nf != width, "malformed_line"),
        (sep_col.notnull(), "separator_in_value"),
        else_=null_s,
    ))
    reason = recs._r
    why = ibis.cases(
        (reason == "unbalanced_quote", recs._why0),
        ((reason == "malformed_line") & ~ok_quotes, "bad_quotes"),
        (reason == "malformed_line", "count"),
        (reason == "separator_in_value", "separator"),
        else_=null_s,
    )
    return recs.select(
        _line=recs._line, _line_end=recs._line_end,
        **{h: fields[h] for h in header},
        _reason=reason, _why=why, _col=sep_col,
        _val=ibis.cases((reason == "separator_in_value", sep_val),
                        (reason.notnull() | every_text, recs.text.substr(0, 200)),
                        else_=null_s),
        _nf=nf.cast("int64"), _first=recs._first, _last=recs._last, _sd=null_s,
    )


def _quoted_records(body: ir.Table, odd: ir.Table, header: list[str], delim: str,
                    structural: set[str], alone: int | None = None,
                    ) -> tuple[ir.Table, int, tuple[int, int] | None]:
    """Records when some lines hold an odd number of quotes.

    Every odd line is paired with the next odd line as a candidate record; the candidates are
    checked in the engine (fields, line breaks only in free text, span), then one greedy pass
    over the odd lines' numbers (line numbers and flags only, never their text) picks the
    records: a valid candidate consumes both lines, an invalid one leaves its opener as an
    ``unbalanced_quote`` line and the scan goes on from the next odd line. ``alone``: the line
    number when it is the only odd line (no candidate; nothing to check).
    """
    import pandas as pd

    null_i, null_s = ibis.null().cast("int64"), ibis.null().cast("string")
    # line numbers, the next odd line (None or NaN at the end) and whether the pair is valid
    lines: list[Any]
    nexts: list[Any]
    oks: list[Any]
    if alone is not None:
        lines, nexts, oks = [alone], [None], [False]
    else:
        w = ibis.window(order_by="_line")
        cand = odd.mutate(_next=odd._line.lead().over(w))
        near = cand.filter(cand._next.notnull() & (cand._next - cand._line < MAX_SPAN))
        pairs = near.select(_open=near._line, _close=near._next)
        members = body.join(pairs, (body._line >= pairs._open) & (body._line <= pairs._close))
        groups = members.group_by(["_open", "_close"]).aggregate(text=_joined(members))
        groups = groups.mutate(_kind=_quote_kind(groups.text, delim))
        arr, ok_quotes, _ = _split(groups.text, delim, groups._kind)
        groups = groups.mutate(_arr=arr, _okq=ok_quotes)
        broken = ibis.literal(False)
        for i, h in enumerate(header):
            if h in structural:
                broken = broken | _at(groups._arr, groups._arr.length(), i).contains("\n")
        valid = groups.select("_open", _valid=groups._okq & (groups._arr.length() == len(header))
                              & ~broken)
        flags = cand.left_join(valid, cand._line == valid._open).select(
            cand._line, cand._next, _valid=ibis.coalesce(valid._valid, False)).order_by("_line")
        seq = flags.execute()
        lines, nexts, oks = (seq["_line"].tolist(), seq["_next"].tolist(), seq["_valid"].tolist())
    chosen: list[tuple[int, int]] = []
    bad: list[tuple[int, str, int]] = []
    i = 0
    while i < len(lines):
        if oks[i]:
            chosen.append((int(lines[i]), int(nexts[i])))
            i += 2
            continue
        nxt = nexts[i]
        if nxt is None or nxt != nxt:
            bad.append((int(lines[i]), "eof", int(lines[i])))
        else:
            bad.append((int(lines[i]), "span", int(nxt)))
        i += 1
    example = chosen[0] if chosen else None
    good = ibis.memtable(pd.DataFrame(chosen or [(0, 0)], columns=["_gopen", "_gclose"]).astype(
        "int64"))
    if not chosen:
        good = good.filter(good._gopen < 0)
    badt = ibis.memtable(pd.DataFrame(bad or [(0, "odd", 0)], columns=["_bl", "_bwhy", "_blast"])
                         .astype({"_bl": "int64", "_blast": "int64"}))
    if not bad:
        badt = badt.filter(badt._bl < 0)
    gm = body.join(good, (body._line >= good._gopen) & (body._line <= good._gclose))
    multi = gm.group_by(["_gopen", "_gclose"]).aggregate(text=_joined(gm))
    covered = gm.select(_cl=gm._line)
    single = body.anti_join(covered, body._line == covered._cl)
    single = single.left_join(badt, single._line == badt._bl)
    single = single.select(
        _line=single._line, _line_end=single._line, text=single.text,
        _odd=single._bl.notnull(), _why0=ibis.coalesce(single._bwhy, "odd"),
        _first=single._line, _last=ibis.coalesce(single._blast, single._line))
    multi = multi.select(_line=multi._gopen, _line_end=multi._gclose, text=multi.text,
                         _odd=ibis.literal(False), _why0=null_s, _first=null_i, _last=null_i)
    return single.union(multi), len(chosen), example
