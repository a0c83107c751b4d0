"""Fuzz suite: thousands of generated messy files, each record checked against the generator.

Every generated record (:mod:`fuzzgen`) must end up either accepted with exactly its values or
quarantined with a reason at its own line; no record may vanish, none may be accepted with
garbled values, and no accepted row may come from nowhere (a hidden sheet, a total row, two
records run together). Files go through the public ``loyalscope.load`` and ``Dataset`` /
``QualityReport`` only, so the suite holds across the engine rewrite.

``test_fuzz_intake`` covers what intake owns (encodings, invalid bytes, mixed encodings, NUL,
JSON duplicate keys and broken records, Excel layouts, archives, Parquet).
``test_fuzz_engine_strict_values_and_quotes`` covers what the engine readers own: strict values
(``inf``, ``1e400``, ``12元34``, ``USD1EUR2``, ``(12`` amounts; year 1 or 2500 dates) and stray
quotes, each quarantined at its own line without taking the next lines with it.
Counts (each example is one folder of ``LOYALSCOPE_FUZZ_FILES`` = 42 files, loaded once):
``LOYALSCOPE_FUZZ_EXAMPLES`` examples of ``test_fuzz_intake`` (default 3: 126 files) and
``LOYALSCOPE_FUZZ_ENGINE_EXAMPLES`` of the engine test (default 2: 84 files). One file costs
~0.1 s of CPU (records, date order, parse and checks are SQL compiled once per file *shape* and
cached, see ``loyalscope.data.staged``; before that, ~1 s per file of Ibis compiling). Issue
#10's 5,000 files per run: ``LOYALSCOPE_FUZZ_EXAMPLES=100 LOYALSCOPE_FUZZ_ENGINE_EXAMPLES=20``
(5,040 files) passed on 2026-11-29 in 605 s wall on the shared 2-core machine (load ~3). That run
is ``make fuzz``, which ``.ci/run`` runs after ``make test`` (so every CI run loads 5,040 files);
``make test`` itself keeps the small default to stay near its ~20 minutes.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fuzzgen import (
    BAD_AMOUNTS,
    BAD_DATES,
    ENCODINGS,
    NAMES,
    POOL,
    GenFile,
    Rec,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import stage
from loyalscope.errors import DataQualityError
from loyalscope.i18n import use_lang

NOW = pd.Timestamp("2024-06-01")
FILES_PER_EXAMPLE = int(os.environ.get("LOYALSCOPE_FUZZ_FILES", "42"))
EXAMPLES = int(os.environ.get("LOYALSCOPE_FUZZ_EXAMPLES", "3"))  # x 42 = 126 files (120: 5,040)
ENGINE_EXAMPLES = int(os.environ.get("LOYALSCOPE_FUZZ_ENGINE_EXAMPLES", "2"))  # x 42 = 84 files
FORMATS = ["csv", "csv", "csv", "tsv", "csv.gz", "zip", "xlsx", "jsonl", "json", "parquet"]
COUNTER: dict[str, int] = {"files": 0, "records": 0, "errors": 0}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


def _defects(fmt: str, encoding: str, mode: str) -> list[str | None]:
    out: list[str | None] = [None, None, None, None]
    if mode == "engine":
        out += ["bad_amount", "bad_date"]
        if fmt == "csv":
            out += ["stray_quote"]
        return out
    if fmt in ("csv", "tsv", "csv.gz", "zip") and encoding != "utf-16":
        out.append("undecodable")
        if encoding in ("gbk", "gb18030", "big5"):
            out.append("mixed_encoding")
        if encoding in ("utf-8", "utf-8-sig"):
            out.append("nul_byte")
    if fmt == "jsonl":
        out += ["json_duplicate_key", "json_multiline"]
    if fmt == "json":
        out.append("json_duplicate_key")
    return out


@st.composite
def gen_file(draw: st.DrawFn, index: int, mode: str) -> GenFile:
    fmt = draw(st.sampled_from(["csv", "csv", "tsv"] if mode == "engine" else FORMATS))
    text = fmt in ("csv", "tsv", "csv.gz", "zip")
    encoding = draw(st.sampled_from(ENCODINGS)) if text else "utf-8"
    pool = NAMES[POOL[encoding]] + NAMES["ascii"]
    n = draw(st.integers(min_value=3, max_value=8))
    recs = []
    stray = False
    # intake defects: at most one per file ("a few invalid bytes"), so that the file still has
    # an encoding; a file that is half UTF-8 and half GBK is ambiguous, and that is an error
    single = draw(st.integers(0, n - 1))
    for j in range(n):
        defect = draw(st.sampled_from(_defects(fmt, encoding, mode)))
        if mode == "intake" and j != single:
            defect = None
        if defect == "stray_quote" and (stray or j == n - 1):
            defect = None
        rec = Rec(
            order_id=f"O{index}x{j}",
            customer_id=draw(st.sampled_from(pool)) + str(draw(st.integers(0, 99))),
            ts=dt.datetime(2023, 1, 1) + dt.timedelta(minutes=draw(st.integers(0, 500_000))),
            cents=draw(st.integers(min_value=1, max_value=10_000_000)),
            amount_spelling=draw(st.integers(0, 20)),
            date_spelling=draw(st.integers(0, 20)),
            defect=defect,
            collateral=stray,
        )
        if defect == "bad_amount":
            rec.bad_value = draw(st.sampled_from(BAD_AMOUNTS))
        if defect == "bad_date":
            rec.bad_value = draw(st.sampled_from(BAD_DATES))
        if defect in ("undecodable", "nul_byte", "mixed_encoding", "json_multiline"):
            rec.customer_id = draw(st.sampled_from(NAMES[POOL[encoding]])) + rec.customer_id[-2:]
        stray = stray or defect == "stray_quote"
        recs.append(rec)
    # the header line decides between GB18030 and Big5 on short files: CJK names in each file
    suffix = {"csv.gz": ".csv.gz", "zip": ".zip"}.get(fmt, "." + fmt)
    if mode == "intake" and any(r.defect for r in recs):
        # the evidence for the file's encoding is its non-ASCII text: with one broken line in
        # it, the others carry names in the encoding (a file half UTF-8, half GBK is ambiguous)
        for r in recs:
            if not r.defect:
                r.customer_id = draw(st.sampled_from(NAMES[POOL[encoding]])) + r.customer_id[-2:]
    if any(r.defect == "mixed_encoding" for r in recs):
        for r in recs:  # either reading of a mixed file is right for some lines: exact or quarantined
            r.collateral = True
    return GenFile(
        name=f"orders_{index}{suffix}", fmt=fmt, records=recs, encoding=encoding,
        chinese_header=draw(st.booleans()),
        title_rows=draw(st.integers(0, 2)) if fmt == "xlsx" else 0,
        total_row=draw(st.booleans()) if fmt == "xlsx" else False,
        hidden_decoy=draw(st.booleans()) if fmt == "xlsx" else False,
        notes_sheet=draw(st.booleans()) if fmt == "xlsx" else False,
        typed=draw(st.booleans()) if fmt == "parquet" else False,
        amount_as_number=draw(st.booleans()) if fmt in ("xlsx", "jsonl", "json") else False,
    )


def _source(folder: Path, f: GenFile) -> str:
    path = str(folder / f.name)
    if f.fmt == "zip":
        return path + "!" + f.name[:-4] + ".csv"
    if f.fmt == "xlsx":
        return path + "!数据"
    return path


def check_folder(files: list[GenFile], folder: Path, owner: str) -> None:
    """Load ``folder`` and check every generated record of ``files`` (see module docstring)."""
    ds = ls.load(folder, config=AnalysisConfig(), now=NOW)
    q = ds.quality.quarantine
    q = q[q["table"] == "transactions"]
    acc = ds.table("transactions").execute().set_index("order_id")
    truth = {r.order_id: r for f in files for r in f.records}
    garbled = sorted(set(acc.index) - set(truth))
    assert not garbled, f"accepted rows that were never generated: {garbled[:5]}"
    rep = ds.quality.tables["transactions"]
    assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined == len(acc) + len(q)
    for f in files:
        src = _source(folder, f)
        mine = q[q["source_file"] == src]
        lines = dict(zip(mine["line"].astype(int), mine["reason"], strict=True))
        phantom = set(lines) - {r.line for r in f.records}
        assert not phantom, f"{f.name}: quarantine lines {sorted(phantom)} hold no record"
        for r in f.records:
            where = f"{f.name} ({f.fmt}, {f.encoding}) line {r.line} {r.order_id}"
            accepted, quarantined = r.order_id in acc.index, r.line in lines
            assert accepted or quarantined, f"{where}: record vanished"
            assert not (accepted and quarantined), f"{where}: both accepted and quarantined"
            if quarantined:
                assert lines[r.line], f"{where}: quarantined without a reason"
                assert r.defect is not None or r.collateral, (
                    f"{where}: a clean record was quarantined ({lines[r.line]})")
                continue
            assert r.defect is None or r.owner != owner or r.collateral, (
                f"{where}: {r.defect} accepted")
            if r.defect not in (None, "mixed_encoding"):
                continue
            row = acc.loc[r.order_id]
            assert row["customer_id"] == r.customer_id, f"{where}: id {row['customer_id']!r}"
            assert row["amount"] == r.amount, f"{where}: amount {row['amount']} != {r.amount}"
            assert pd.Timestamp(row["order_ts"]) == r.expected_ts(), f"{where}: {row['order_ts']}"
    COUNTER["files"] += len(files)
    COUNTER["records"] += len(truth)


def _answered_by_error(f: GenFile, path: Path) -> bool:
    """A short file whose bytes read plausibly in two encodings must stop with the
    ``[data] encoding`` fix (an answer, not a guess); such a file is checked here and left out
    of the folder load."""
    if f.fmt not in ("csv", "tsv", "csv.gz", "zip") or f.encoding not in ("gbk", "gb18030", "big5"):
        return False
    try:
        stage(path)
    except DataQualityError as exc:
        assert exc.fix and "[data]" in exc.fix and "encoding" in exc.fix, exc
        assert len(f.records) <= 8
        COUNTER["errors"] += 1
        return True
    return False


def _run(files: list[GenFile], owner: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kept = []
        for f in files:
            path = f.write(folder)
            if _answered_by_error(f, path):
                path.unlink()
                COUNTER["files"] += 1
            else:
                kept.append(f)
        check_folder(kept, folder, owner)


def _files(mode: str) -> st.SearchStrategy[list[GenFile]]:
    return st.tuples(*(gen_file(i, mode) for i in range(FILES_PER_EXAMPLE))).map(list)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(_files("intake"))
def test_fuzz_intake(files: list[GenFile]) -> None:
    _run(files, "intake")


def test_fuzz_counted_enough() -> None:
    """The intake fuzz run above checked every file of every example it was asked for (only when
    it ran in this process); ``LOYALSCOPE_FUZZ_EXAMPLES=120`` gives issue #10's 5,000 files."""
    if COUNTER["files"] == 0:
        pytest.skip("test_fuzz_intake did not run in this process")
    assert COUNTER["files"] >= EXAMPLES * FILES_PER_EXAMPLE, COUNTER


@pytest.mark.slow
@settings(max_examples=ENGINE_EXAMPLES, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(_files("engine"))
def test_fuzz_engine_strict_values_and_quotes(files: list[GenFile]) -> None:
    _run(files, "engine")
