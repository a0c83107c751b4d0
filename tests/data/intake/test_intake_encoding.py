"""Encodings decided per file with evidence; undecodable lines quarantined, not the file garbled."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import stage, transcode
from loyalscope.errors import ConfigError, DataQualityError
from loyalscope.i18n import use_lang

NOW = pd.Timestamp("2024-06-01")
HEAD = "订单编号,客户编号,下单时间,金额\n"
NAMES = ["张三丰", "李小龙", "王菲", "赵薇", "陈奕迅", "刘德华", "周杰伦", "林志玲"]
TRAD = ["陳大文", "黃小明", "張國榮", "劉德華", "梁朝偉", "吳彥祖", "郭富城", "黎明"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


def _orders(names: list[str], head: str = HEAD) -> str:
    return head + "".join(f"A{i},{n},2024-01-0{i % 9 + 1},{i + 1}\n" for i, n in enumerate(names))


@pytest.mark.parametrize(("encoding", "expected", "text"), [
    ("utf-8", "utf-8", _orders(NAMES)),
    ("utf-8-sig", "utf-8-sig", _orders(NAMES)),
    ("gbk", "gb18030", _orders(NAMES)),
    ("gb18030", "gb18030", _orders([*NAMES, "𠀀字", "€欧元"])),  # 4-byte GB18030 sequences
    ("big5", "big5", _orders(TRAD, "order_id,customer_id,order_ts,amount\n")),
    ("utf-16", "utf-16-le", _orders(NAMES)),
    ("utf-16-be", "utf-16-be", _orders(NAMES)),
    ("cp1252", "cp1252", _orders(["Müller", "Café René", "Zoë", "José"],
                                 "order_id,customer_id,order_ts,amount\n")),
])
def test_each_candidate_is_decided_and_read_exactly(tmp_path: Path, encoding: str, expected: str,
                                                    text: str) -> None:
    p = tmp_path / "orders.csv"
    p.write_bytes(text.encode(encoding))
    st = stage(p)[0]
    assert st.encoding is not None and st.encoding.name == expected
    assert st.encoding.confidence > 0.5 and st.encoding.evidence
    assert st.path.read_text(encoding="utf-8").lstrip("\ufeff") == text
    assert st.bad_lines == ()
    # valid UTF-8 (with or without BOM) is staged as itself, anything else as a UTF-8 copy
    assert (st.path == p) == (expected in ("utf-8", "utf-8-sig"))


def test_gbk_with_one_invalid_byte_stays_gb18030(tmp_path: Path) -> None:
    """Issue #10: one invalid byte made the whole file ISO-8859-5 / Greek, silently."""
    body = _orders(NAMES * 5).encode("gbk")
    bad = body.replace("王菲".encode("gbk"), b"\xff\xfe", 1)
    p = tmp_path / "订单.csv"
    p.write_bytes(bad)
    st = stage(p)[0]
    assert st.encoding is not None and st.encoding.name == "gb18030"
    assert st.encoding.undecodable_lines == (4,)
    assert [b[:2] for b in st.bad_lines] == [(4, "undecodable")]
    ds = ls.load(p, now=NOW)
    got = ds.table("transactions").execute()
    assert len(got) == 39 and set(got["customer_id"]) == set(NAMES)  # every other name intact
    q = ds.quality.quarantine
    assert q[["line", "reason"]].values.tolist() == [[4, "undecodable"]]
    info = ds.quality.tables["transactions"].files[0]
    assert info["encoding"] == "gb18030" and info["undecodable_lines"] == 1


def test_valid_gb18030_file_is_not_greek(tmp_path: Path) -> None:
    text = _orders(["张三", "李四", "王五"] * 3)
    p = tmp_path / "orders.csv"
    p.write_bytes(text.encode("gb18030"))
    ds = ls.load(p, now=NOW)
    assert set(ds.table("transactions").execute()["customer_id"]) == {"张三", "李四", "王五"}


def test_utf8_line_inside_gbk_file_is_quarantined_as_mixed(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_bytes(_orders(NAMES).encode("gbk") + "A99,欧阳娜娜,2024-01-01,5\n".encode())
    ds = ls.load(p, now=NOW)
    q = ds.quality.quarantine
    assert q[["line", "reason"]].values.tolist() == [[10, "mixed_encoding"]]
    assert "欧阳娜娜" in q["value"].iloc[0]  # the quarantine shows the text as typed
    assert len(ds.table("transactions").execute()) == 8


def test_nul_byte_line_is_quarantined(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_bytes(b"order_id,customer_id,order_ts,amount\nA1,C\x001,2024-01-01,5\nA2,C2,2024-01-02,6\n")
    ds = ls.load(p, now=NOW)
    assert ds.quality.quarantine[["line", "reason"]].values.tolist() == [[2, "nul_byte"]]
    assert ds.table("transactions").execute()["customer_id"].tolist() == ["C2"]


def test_ambiguous_encoding_is_a_clear_error(tmp_path: Path) -> None:
    # four GBK bytes that are also common Big5 characters, under an English header
    p = tmp_path / "orders.csv"
    p.write_bytes("order_id,customer_id,order_ts,amount\nA1,客户,2024-01-01,5\n".encode("gbk"))
    with pytest.raises(DataQualityError) as info:
        stage(p)
    assert info.value.file == str(p)
    assert '[data]\nencoding = "' in (info.value.fix or "")
    # the fix works
    cfg = AnalysisConfig.load(None, **{"data.encoding": "gb18030"})
    st = stage(p, cfg)[0]
    assert st.encoding is not None and st.encoding.forced
    assert "客户" in st.path.read_text(encoding="utf-8")


def test_unknown_encoding_and_time_zone_in_config(tmp_path: Path) -> None:
    toml = tmp_path / "loyalscope.toml"
    toml.write_text('[data]\nencoding = "klingon"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        AnalysisConfig.load(toml)
    assert info.value.column == "data.encoding" and "gb18030" in (info.value.fix or "")
    toml.write_text('[data]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        AnalysisConfig.load(toml)
    assert info.value.column == "data.timezone" and "Asia/Shanghai" in (info.value.fix or "")


def test_transcoding_streams_and_keeps_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    ) -> None:
    """Chunks cut anywhere (small CHUNK): every line of the copy is the same line of the input,
    \\r\\n kept, multi-byte characters never split, bad lines found across chunk borders."""
    monkeypatch.setattr(transcode, "CHUNK", 37)
    lines = [f"A{i},{NAMES[i % 8]}{i},2024-01-01,{i}\r\n" for i in range(200)]
    raw = (HEAD.replace("\n", "\r\n") + "".join(lines)).encode("gbk")
    broken = raw.replace(f"{NAMES[77 % 8]}77".encode("gbk"), b"\x80\x80", 1)
    assert broken != raw
    raw = broken
    p = tmp_path / "orders.csv"
    p.write_bytes(raw)
    st = stage(p)[0]
    out = st.path.read_bytes().decode("utf-8").split("\r\n")
    assert out[1:] == [*[ln[:-2] for ln in lines][:77], out[78], *[ln[:-2] for ln in lines][78:], ""]
    assert [b[0] for b in st.bad_lines] == [79]


@pytest.mark.slow
def test_transcoding_memory_is_bounded(tmp_path: Path) -> None:
    """A 64 MiB GBK file is transcoded with Python allocations far below its size."""
    row = "A1,张三丰,2024-01-05 10:30:00,1200.50\n".encode("gbk")
    p = tmp_path / "big.csv"
    with p.open("wb") as fh:
        fh.write(HEAD.encode("gbk"))
        block = row * 100_000
        for _ in range((64 << 20) // len(block) + 1):
            fh.write(block)
    size = p.stat().st_size
    tracemalloc.start()
    st = stage(p)[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert st.encoding is not None and st.encoding.name == "gb18030" and not st.bad_lines
    assert peak < size / 2, (peak, size)
    with st.path.open("rb") as fh:
        assert sum(1 for _ in fh) == sum(1 for _ in p.open("rb"))


def test_encoding_in_the_report_data_section(tmp_path: Path) -> None:
    from loyalscope.analysis import analyze
    from loyalscope.report.html import render_html

    p = tmp_path / "订单.csv"
    p.write_bytes(_orders(NAMES * 3).encode("gbk").replace("王菲".encode("gbk"), b"\xff\xfe", 1))
    ds = ls.load(p, now=NOW)
    section = analyze(ds, sections=("data",)).section("data")
    assert section.data["files"][0]["encoding"] == "gb18030"
    assert section.data["files"][0]["undecodable"] == 1
    html = render_html(analyze(ds, sections=("data",)), "en")
    assert "How each file was read" in html and "gb18030" in html
