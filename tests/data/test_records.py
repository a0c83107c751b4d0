"""Records counted against the file (issue #10 item 2): stray quotes, line breaks and
delimiters in structural columns, multi-line free text; lines and records both counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


@pytest.fixture(autouse=True, params=["stored", "view"])
def _records_kept(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test twice: the records of a small file are a stored table, those of a file of
    over ``records.VIEW_FROM_LINES`` lines a view over its lines (lowered to 0 here)."""
    from loyalscope.data import records

    if request.param == "view":
        monkeypatch.setattr(records, "VIEW_FROM_LINES", 0)


NOW = pd.Timestamp("2024-06-01")
HEAD = "order_id,customer_id,order_ts,amount,review\n"


def _load(tmp_path: Path, body: str):
    p = tmp_path / "orders.csv"
    p.write_text(HEAD + body, encoding="utf-8")
    ds = ls.load({"transactions": p}, now=NOW)
    return ds, ds.quality.tables["transactions"], ds.quality.quarantine.set_index("line")


def _physical_lines(body: str) -> int:
    return body.count("\n")


def test_stray_quote_does_not_swallow_the_following_lines(tmp_path: Path) -> None:
    body = ('O1,C1,2024-01-05,10,ok\nO2,"C2,2024-01-06,20,x\nO3,C3,2024-01-07,30,y\n'
            'O4,C4,2024-01-08,40,z\nO5,C5,2024-01-09,50,"closing"quote"\n')
    ds, rep, q = _load(tmp_path, body)
    got = ds.table("transactions").order_by("order_id").execute()["order_id"].tolist()
    assert got == ["O1", "O3", "O4"]  # lines 4 and 5 are read as their own records
    assert q.loc[3, "reason"] == "unbalanced_quote"
    assert "spans lines 3-6: unbalanced quote?" in q.loc[3, "detail"]
    assert q.loc[6, "reason"] in ("unbalanced_quote", "malformed_line")
    assert rep.lines_read == _physical_lines(body) == 5
    assert rep.rows_read == 5 and rep.check_invariant()


def test_structural_line_break_quarantined_with_its_range(tmp_path: Path) -> None:
    body = 'O1,"C\n1",2024-01-05,10,a\nO2,C2,2024-01-06,20,b\n'
    ds, rep, q = _load(tmp_path, body)
    assert ds.table("transactions").execute()["order_id"].tolist() == ["O2"]
    assert "spans lines 2-3" in q.loc[2, "detail"]
    assert rep.lines_read == 3 and rep.check_invariant()


def test_delimiter_in_id_quarantined_but_thousands_separator_in_amount_accepted(
        tmp_path: Path) -> None:
    body = 'O1,"C,1",2024-01-05,10,a\nO2,C2,2024-01-06,"1,200",b\n'
    ds, _rep, q = _load(tmp_path, body)
    got = ds.table("transactions").execute()
    assert got["order_id"].tolist() == ["O2"] and got["amount"].tolist() == [1200.0]
    assert q.loc[2, "reason"] == "separator_in_value" and q.loc[2, "value"] == "C,1"


def test_multiline_free_text_accepted_and_counted(tmp_path: Path) -> None:
    body = ('O1,C1,2024-01-05,10,"great\nwould buy ""again""\nthanks"\n'
            'O2,C2,2024-01-06,20,short\n')
    ds, rep, _ = _load(tmp_path, body)
    got = ds.table("transactions").order_by("order_id").execute()
    assert got["order_id"].tolist() == ["O1", "O2"] and got["amount"].tolist() == [10.0, 20.0]
    assert rep.multiline_records == 1 and rep.rows_read == 2 and rep.lines_read == 4
    assert any("lines 2-4" in n for n in rep.notes)


def test_unclosed_quote_at_end_of_file(tmp_path: Path) -> None:
    body = 'O1,C1,2024-01-05,10,a\nO2,C2,2024-01-06,20,"open\nO3,C3,2024-01-07,30,c\n'
    ds, rep, q = _load(tmp_path, body)
    assert sorted(ds.table("transactions").execute()["order_id"]) == ["O1", "O3"]
    assert "never closed" in q.loc[3, "detail"]
    assert rep.lines_read == 3 and rep.check_invariant()


def test_wrong_field_count_is_malformed(tmp_path: Path) -> None:
    _, rep, q = _load(tmp_path, "O1,C1,2024-01-05,10,a,extra\nO2,C2\n")
    assert q["reason"].tolist() == ["malformed_line", "malformed_line"]
    assert "Expected 5 fields, found 6" in q.loc[2, "detail"]
    assert rep.rows_accepted == 0 or rep.check_invariant()


def test_lines_the_staging_step_found_bad_are_quarantined(tmp_path: Path) -> None:
    """Interface 1 (TEAM.md): ``Staged.bad_lines`` are quarantined exactly, with their reason."""
    import ibis

    from loyalscope.config import AnalysisConfig
    from loyalscope.data.intake import Staged
    from loyalscope.data.load import validate_sources
    from loyalscope.data.sources import read_text

    p = tmp_path / "orders.csv"
    p.write_text(HEAD + "O1,C1,2024-01-05,10,a\nO2,C?,2024-01-06,20,b\nO3,C3,2024-01-07,30,c\n",
                 encoding="utf-8")
    staged = Staged("orders.csv", p, "csv", bad_lines=((3, "undecodable", "bytes 0xff at 4"),))
    con = ibis.duckdb.connect()
    src = read_text(con, staged, "transactions", AnalysisConfig())
    tables, report = validate_sources(con, [src], AnalysisConfig(), NOW)
    assert sorted(tables["transactions"].execute()["order_id"]) == ["O1", "O3"]
    q = report.quarantine
    assert q["line"].tolist() == [3] and q["reason"].tolist() == ["undecodable"]
    assert q["detail"].tolist() == ["bytes 0xff at 4"]


def test_a_bad_line_inside_a_record_quarantines_that_record(tmp_path: Path) -> None:
    """A bad line that is the second line of a record (a quoted line break in a free-text
    column) quarantines the record that holds it; a lone CR file's bad line is renumbered."""
    import ibis

    from loyalscope.config import AnalysisConfig
    from loyalscope.data.intake import Staged
    from loyalscope.data.load import validate_sources
    from loyalscope.data.readers import lf_line_ends
    from loyalscope.data.sources import read_text

    p = tmp_path / "orders.csv"
    p.write_text(HEAD + 'O1,C1,2024-01-05,10,"a\nb"\nO2,C2,2024-01-06,20,c\n', encoding="utf-8")
    staged = Staged("orders.csv", p, "csv", bad_lines=((3, "nul_byte", "NUL removed"),))
    con = ibis.duckdb.connect()
    cfg = AnalysisConfig()
    tables, report = validate_sources(con, [read_text(con, staged, "transactions", cfg)], cfg, NOW)
    assert tables["transactions"].execute()["order_id"].tolist() == ["O2"]
    q = report.quarantine
    assert q["line"].tolist() == [2] and q["reason"].tolist() == ["nul_byte"]

    cr = tmp_path / "orders_cr.csv"  # intake counts LF: its line 3 is the copy's line 4
    cr.write_bytes((HEAD + "O1,C1,2024-01-05,10,a\rO2,C2,2024-01-06,20,b\n"
                    "O3,C3,2024-01-07,30,c\n").encode())
    moved = lf_line_ends(Staged("orders.csv", cr, "csv", bad_lines=((3, "undecodable", "x"),)))
    assert moved.bad_lines == ((4, "undecodable", "x"),) and moved.path != cr
    tables, report = validate_sources(con, [read_text(con, moved, "transactions", cfg)], cfg, NOW)
    assert sorted(tables["transactions"].execute()["order_id"]) == ["O1", "O2"]
    assert report.quarantine["line"].tolist() == [4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "ascii", "ascii-nul"])
def test_staging_counts_line_ends_as_the_file_has_them(tmp_path: Path, encoding: str) -> None:
    """The staging pass counts CR, CRLF and LF while it reads the file (the line reader then
    needs no second pass): the counts equal the staged file's bytes counted here, for a clean
    UTF-8 file (staged as itself), a BOM file and a GBK file copied to UTF-8, an all-ASCII file
    (counted by the encoding sample, which reads it whole) and one with a NUL byte (which is
    still found), each mixing CRLF, LF and a lone CR, with chunks cut at LFs across a
    CRLF-heavy file."""
    from loyalscope.config import AnalysisConfig
    from loyalscope.data.intake import encoding as enc
    from loyalscope.data.intake import transcode
    from loyalscope.data.intake.text import stage_text
    from loyalscope.data.readers import lf_line_ends

    ascii_only = encoding.startswith("ascii")
    body = (HEAD.replace("\n", "\r\n") + ("O1,C1,2024-01-05,10,w\r\n" if ascii_only
                                             else "O1,C1,2024-01-05,10,王\r\n") * 50_000
            + "O2,C2,2024-01-06,20,a\rb\nO3,C3,2024-01-07,30,c\n" + "O4,C4,2024-01-08,5,d\r\n")
    if encoding == "ascii-nul":
        body = body.replace("O3,C3", "O3,\x00C3")
    p = tmp_path / "orders.csv"
    p.write_bytes(body.encode("utf-8" if ascii_only else encoding))
    old = transcode.CHUNK, enc._CHUNK
    transcode.CHUNK = enc._CHUNK = 4096  # many chunks, each ending at an LF after a CR
    try:
        # an encoding named in the config is not sampled: the ASCII files are detected
        cfg = AnalysisConfig(data={"encoding": None if ascii_only else encoding})
        staged = stage_text(p, "orders.csv", cfg)
    finally:
        transcode.CHUNK, enc._CHUNK = old
    assert (staged.path == p) == (encoding in ("utf-8", "utf-8-sig", "ascii"))
    assert [b[1] for b in staged.bad_lines] == (["nul_byte"] if encoding == "ascii-nul" else [])
    data = staged.path.read_bytes()
    assert staged.line_ends == (data.count(b"\r"), data.count(b"\r\n"), data.count(b"\n"))
    assert staged.line_ends[0] == 50_003 and staged.line_ends[2] == 50_004
    assert lf_line_ends(staged).path != staged.path  # a lone CR: the LF copy is made
