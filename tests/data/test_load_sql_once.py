"""The load's SQL runs each costly per-row test once.

DuckDB evaluates an expression again wherever it is repeated in a projection (each ``CASE``
that repeats a regular expression runs it; each repeated ``IN`` list of a dozen words is a join
of its own), so the records and parsing stages compute such a test in a stage of its own and
read its result. These tests read the compiled SQL: a repeated test is a 10M-row pass more.
"""

from __future__ import annotations

import ibis

from loyalscope.data import parse, records
from loyalscope.data.staged import Staged


def test_the_plain_line_pattern_runs_once_per_line() -> None:
    con = ibis.duckdb.connect()
    _, _, plain = records._patterns(",")
    lines = Staged({"_line": "int64", "_line_end": "int64", "text": "string", "_odd": "boolean",
                    "_why0": "string", "_first": "int64", "_last": "int64"}, con)
    header = ["order_id", "customer_id", "amount"]
    built = records._split_fields(lines, header, ",", (True, True, True), (False, False, True))
    sql = built.sql("lines")
    assert sql.count(plain.split("\n")[0]) == 1, "the plain-line pattern is repeated"


def test_the_boolean_word_lists_are_tested_once() -> None:
    con = ibis.duckdb.connect()
    s = Staged({"flag": "string"}, con)
    sql = parse.boolean(s, "flag", "flag_b", "duckdb").sql("t")
    for words in (parse._TRUE, parse._FALSE):
        listed = ", ".join(f"'{w}'" for w in words)
        assert sql.count(listed) == 1, f"the word list {sorted(words)[:3]}... is repeated"


def test_boolean_words_still_parse() -> None:
    con = ibis.duckdb.connect()
    t = ibis.memtable({"flag": ["是", " Yes ", "否", "0", "maybe", None, ""]})
    s = Staged(t.schema(), con)
    sql = parse.boolean(s, "flag", "b", "duckdb").sql("t")
    con.create_table("t", t)
    got = con.sql(sql).execute()
    assert got["b"].tolist()[:3] == [True, True, False]
    assert got["b"].iloc[3] == False  # noqa: E712 (a numpy bool)
    assert got["b__r"].tolist() == [None, None, None, None, "unparseable", None, None]
    assert got["b__p"].tolist() == [True, True, True, True, True, False, False]
