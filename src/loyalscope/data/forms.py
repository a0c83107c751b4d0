"""The forms a text column is read in, decided on a sample of its values before the parse.

A column of an export is read as written, except where its values show a form that a plain
reading would get wrong, said in a note each time (:mod:`loyalscope.data.validate` parses by
these decisions):

- :data:`DECIMAL`: an identifier column whose values are whole numbers written as decimals
  (``13085.0``: pandas writes a number column with an empty cell so) loses the ``.0``, so that the
  customer of a CSV is the ``13085`` of a sheet or a Parquet file (:func:`decimal_ids`);
- :data:`LIKERT`: an answer column of a 1-N scale holding five-point answer words (``非常满意``,
  "Very satisfied") and numbers only reads the words as points (:func:`answer_forms`); a
  问卷星 numeric download's option codes are said to read upside down where 非常满意 came first;
- :data:`YES_NO`: a satisfaction or intent column answered yes / no (``是`` / ``否``, ``会`` /
  ``不会`` / ``不确定``, Yes / No) reads its answers as 1 / 0 / 0.5 on the scale 0-1
  (:func:`answer_forms`);
- :data:`PLAIN`: a number or date column of plain numbers or ISO dates only, decided by
  :func:`loyalscope.data.validate` on the whole column, is read by the short parsers.

A survey tool's mark of a question left unanswered (:data:`NO_ANSWER`) is no answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from loyalscope.data import parse, schema
from loyalscope.data.checks import LINE
from loyalscope.data.compiled import run_query
from loyalscope.data.mapping import normalise_header
from loyalscope.data.questions import is_question
from loyalscope.data.sources import Source
from loyalscope.i18n import t

SAMPLE = 50_000
"""Rows of a source looked at for a column's form (its first)."""
NO_ANSWER = ("(空)", "（空）", "(跳过)", "（跳过）", "(skipped)")
"""What 问卷星 writes in a survey export for a question left empty or skipped by its logic."""
_NO_ANSWER_RE = r"^[(（](空|跳过|skipped)[)）]$"
"""A value of :data:`NO_ANSWER` (stripped)."""
PLAIN, DECIMAL, LIKERT, YES_NO = "plain", "decimal", "likert", "yes_no"
"""The forms a text column may be read in."""
INTENTS = ("recommend_intent", "repurchase_intent")
"""The intent columns a yes / no question may hold (its answer: the chance it states, 0-1)."""
YES_NO_COLUMNS = ("csat", *INTENTS)
"""The answer columns a yes / no question may hold: the intents and the satisfaction question
(您对我们的服务满意吗？是 / 否; Were you satisfied? Yes / No: yes 1, no 0)."""
YES_NO_SCALE = "0-1"
"""The scale of a column read from yes / no answers."""


@dataclass(frozen=True)
class AnswerForms:
    """How a survey source's answer columns are read (:func:`answer_forms`)."""

    likert: list[str] = field(default_factory=list)
    """1-N columns of five-point answer words, read as 5 ... 1."""
    yes_no: list[str] = field(default_factory=list)
    """Satisfaction and intent columns of yes / no / unsure answers, read as 1 / 0 / 0.5 on the
    scale 0-1."""
    unanswered: list[str] = field(default_factory=list)
    """Columns holding a survey tool's mark of no answer (read as empty)."""
    notes: list[str] = field(default_factory=list)


def answer_forms(con: BaseBackend, src: Source) -> AnswerForms:
    """How a survey source's answer columns (its optional text columns) are read, from their
    values in the first :data:`SAMPLE` rows (:class:`AnswerForms`).

    ``likert``: the columns of a 1-N scale (csat, the intents ...) whose values are five-point
    answer words or numbers, with at least one word (a survey tool's text download: ``非常满意``,
    ``满意``, ``一般`` ...), read as points, 5 the best (:data:`parse.LIKERT`), with a note each. A
    column with other words (``会`` / ``不会``) is not: its ``不确定`` alone read as 3 would make
    every answer the middle one; its words are then reported as unreadable. ``unanswered``: the
    columns holding a mark of no answer (:data:`NO_ANSWER`), read as empty there (only where
    one is seen: the test, planned into every parse stage of a column, made a wide survey's parse
    statement 13 times slower). A 问卷星 export's 1-N columns of numbers get the note of
    :func:`_option_codes`. ``yes_no``: the satisfaction and intent columns
    (:data:`YES_NO_COLUMNS`) whose answers are yes / no / unsure words only, with at least one
    yes or no that is no five-point word (``是`` / ``否``, ``会`` / ``不会``; :data:`parse.YES_NO`),
    read as their chance on the scale 0-1, with a note each (a satisfaction question answered
    满意 / 不满意 is a five-point one, 4 / 2, as is one mixing yes / no with other text: those
    stay unreadable values)."""
    if src.table != "surveys":
        return AnswerForms()
    spec = schema.table(src.table)
    scale = {c for c in src.mapping if spec.column(c).unit == "1-N"}
    cols = [c for c in src.mapping if not spec.column(c).required
            and src.rel[src.mapping[c]].type().is_string()]
    coded = [c for c in scale if c not in cols and src.rel[src.mapping[c]].type().is_numeric()]
    if not cols:
        return AnswerForms(notes=_option_codes(src, coded))
    inputs = {f"ls_c{i}": src.mapping[c] for i, c in enumerate(cols)}
    # regular expressions, not IN lists: DuckDB runs an IN list of this size as a join, once per
    # column (a survey of fifteen answer columns: 0.96 s against 0.03 s)
    words = "^(" + "|".join(re.escape(w) for w in parse.LIKERT) + ")$"
    yes_no = "^(" + "|".join(re.escape(w) for w in parse.YES_NO) + ")$"
    plain_yes_no = "^(" + "|".join(re.escape(w) for w in parse.YES_NO if w not in parse.LIKERT) + ")$"
    kinds = tuple(c in scale for c in cols)
    intents = tuple(c in YES_NO_COLUMNS for c in cols)

    def build(p: ir.Table) -> ir.Table:
        aggs: dict[str, ir.Value] = {}
        for i, rated in enumerate(kinds):
            raw = p[f"ls_c{i}"].strip().nullif("")
            blank = raw.re_search(_NO_ANSWER_RE)
            aggs[f"ls_b{i}"] = blank.sum()
            if not rated:
                continue
            v = ibis.ifelse(blank, ibis.null().cast("string"), raw)
            word = v.lower().re_search(words)
            aggs[f"ls_n{i}"] = v.count()
            aggs[f"ls_w{i}"] = word.sum()
            aggs[f"ls_x{i}"] = (v.try_cast("float64").isnull() & ~word).sum()
            if intents[i]:
                said = v.lower().re_search(yes_no)
                aggs[f"ls_y{i}"] = said.sum()
                aggs[f"ls_p{i}"] = v.lower().re_search(plain_yes_no).sum()
        return p.aggregate(**aggs)

    row = run_query(con, ("answer_forms", kinds, intents), src.rel.limit(SAMPLE), inputs,
                    build).iloc[0]

    def count(name: str) -> int:
        v = row.get(name)
        return 0 if pd.isna(v) else int(v)

    out = AnswerForms()
    for i, c in enumerate(cols):
        n, w, x = count(f"ls_n{i}"), count(f"ls_w{i}"), count(f"ls_x{i}")
        if count(f"ls_b{i}"):
            out.unanswered.append(c)
        if c not in scale:
            continue
        if n > 0 and w == 0 and x == 0:
            coded.append(c)  # numbers only
        elif w > 0 and x == 0:
            out.likert.append(c)
            out.notes.append(t("data.validate.note_likert", column=src.mapping[c], canon=c))
        elif n > 0 and count(f"ls_y{i}") == n and count(f"ls_p{i}") > 0:
            out.yes_no.append(c)
            key = "note_yes_no_csat" if c == "csat" else "note_yes_no"
            out.notes.append(t(f"data.validate.{key}", column=src.mapping[c], canon=c,
                               scale=YES_NO_SCALE))
    out.notes.extend(_option_codes(src, coded))
    return out


def _option_codes(src: Source, coded: list[str]) -> list[str]:
    """A note for each 1-N answer column of numbers in a 问卷星 export whose header is a question:
    its numeric download ("按序号") writes an answer as its option's position, so where the first
    option was 非常满意, 1 means very satisfied and the scale reads upside down; nothing in the
    numbers tells."""
    wjx = {normalise_header("提交答卷时间"), normalise_header("来源详情")}
    if not coded or not wjx & {normalise_header(h) for h in src.headers or src.rel.columns}:
        return []
    return [t("data.validate.note_option_codes", column=src.mapping[c], canon=c)
            for c in coded if is_question(src.mapping[c])]


def decimal_ids(con: BaseBackend, src: Source) -> tuple[list[str], list[str]]:
    """The identifier columns (``*_id``, text) whose non-empty values in the first :data:`SAMPLE` rows
    are all whole numbers written as decimals (``12533.0``: pandas writes a number column with
    an empty cell so), and a note for each: their values of that form lose the ``.0``, so that
    the customer ``12533.0`` of an exported CSV is the ``12533`` of a sheet, a Parquet file or
    another export (a sheet's or Parquet file's number cells are read without it). Any other
    value is read as written."""
    spec = schema.table(src.table)
    cols = [c for c, h in src.mapping.items() if c.endswith("_id")
            and spec.column(c).dtype == "string" and src.rel[h].type().is_string()]
    if not cols:
        return [], []
    inputs = {f"ls_c{i}": src.mapping[c] for i, c in enumerate(cols)}
    inputs[LINE] = LINE

    def build(p: ir.Table) -> ir.Table:
        aggs: dict[str, ir.Value] = {}
        for i in range(len(cols)):
            v = p[f"ls_c{i}"].strip().nullif("")
            dec = v.re_search(parse.DECIMAL_ID)
            aggs[f"ls_n{i}"] = v.count()
            aggs[f"ls_d{i}"] = dec.sum()
            aggs[f"ls_l{i}"] = p[LINE].min(where=v.notnull())
            aggs[f"ls_v{i}"] = v.argmin(p[LINE], where=v.notnull())  # the value on that line
        return p.aggregate(**aggs)

    row = run_query(con, ("decimal_ids", len(cols)), src.rel.limit(SAMPLE), inputs,
                    build).iloc[0]
    out: list[str] = []
    notes: list[str] = []
    for i, c in enumerate(cols):
        n, d = row[f"ls_n{i}"], row[f"ls_d{i}"]
        if pd.isna(n) or int(n) == 0 or pd.isna(d) or int(d) != int(n):
            continue
        out.append(c)
        value = str(row[f"ls_v{i}"]).strip()
        notes.append(t("data.validate.note_decimal_ids", column=src.mapping[c], canon=c,
                       value=value, whole=value.split(".")[0], line=int(row[f"ls_l{i}"]),
                       sample=int(n)))
    return out, notes


__all__ = ["DECIMAL", "INTENTS", "LIKERT", "NO_ANSWER", "PLAIN", "SAMPLE", "YES_NO", "YES_NO_COLUMNS",
           "YES_NO_SCALE", "AnswerForms", "answer_forms", "decimal_ids"]
