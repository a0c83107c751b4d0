"""The header record of a text file and how a header cell's line breaks are read
(:mod:`loyalscope.data.intake.wrapped_header`)."""

from __future__ import annotations

import pytest

from loyalscope.data.intake import wrapped_header as wh
from loyalscope.errors import SchemaError


@pytest.mark.parametrize(("cell", "name"), [
    ("订单\n编号", "订单编号"), ("实付\r\n金额", "实付金额"), ("Order\nID", "Order ID"),
    ("Order \n  ID", "Order ID"), ("Amount\n(USD)", "Amount (USD)"), ("金额\n(元)", "金额(元)"),
    ("金额\n（元）", "金额（元）"), ("订单编号\nOrder ID", "订单编号Order ID"), ("Qty\n数量", "Qty数量"),
    ("Paid\n\nAmount", "Paid Amount"), ("\nAmount\n", "Amount"), ("No break", "No break"),
])
def test_fold(cell: str, name: str) -> None:
    assert wh.fold(cell) == name


@pytest.mark.parametrize(("quotes", "lines"), [
    ([0], 1), ([2, 0], 1), ([1, 3], 2), ([1, 0, 1, 0], 3), ([1, 2, 0, 1], 4), ([1], None),
    ([1] + [0] * 20, None), ([1] + [0] * (wh.MAX_LINES - 2) + [1], wh.MAX_LINES),
    ([1] + [0] * (wh.MAX_LINES - 1) + [1], None),
])
def test_span(quotes: list[int], lines: int | None) -> None:
    assert wh.span(quotes) == lines


@pytest.mark.parametrize(("lines", "n"), [
    (['a,"b,c",d\n', "1,2,3\n"], 1), (['"a""b",c\n', "1,2\n"], 1),
    (['a,Size 12",c\n', '1,"x\n', 'y",3\n'], 1),  # an inch mark inside a cell is text
    (['"订单\n', '编号",客户ID\n', "A1,C1\n"], 2), (['a,"b ""x""\n', 'c",d\n'], 2),
    (['"a\n', "\n", 'b"\n', "1\n"], 3), (['"a""\n', 'b"\n'], 2), (['x,"a"\n'], 1),
    (['"a\n'] + ["1,2\n"] * 20, None), (['"a\n', "1,2\n"], None),
])
def test_record_span(lines: list[str], n: int | None) -> None:
    assert wh.record_span(lines, ",") == n


def test_read_keeps_line_one_headers() -> None:
    assert wh.read(['a,"b,c",d\n', "1,2,3\n"], ",", "x.csv") is None
    assert wh.read(['a,Size 12",d\n', "1,2,3\n"], ",", "x.csv") is None


def test_read_joins_the_header_lines() -> None:
    got = wh.read(['"订单\n', '编号",客户ID,"实付\n', '金额"\n', "A1,C1,3\n"], ",", "x.csv")
    assert got == wh.WrappedHeader(("订单编号", "客户ID", "实付金额"), 3, ("订单编号", "实付金额"))


@pytest.mark.parametrize(("lines", "said"), [
    (['"订单编号,客户ID\n', "A1,C1\n", "A2,C2\n"], "no quote closes by line 3"),
    (['"a,b\n'] + ["1,2\n"] * 20, f"by line {wh.MAX_LINES}"),
    (['"a,b\n', '1,2"\n'], "lines 1-2"),  # closed, but the cell holds a data line
    (['"a\n', 'b"x,c\n'], "lines 1-2"),  # text after the closing quote: no CSV record
])
def test_read_refuses_an_unbalanced_quote(lines: list[str], said: str) -> None:
    with pytest.raises(SchemaError) as exc:
        wh.read(lines, ",", "x.csv")
    assert exc.value.row == 1 and exc.value.file == "x.csv" and said in exc.value.message
    assert exc.value.fix and "x.csv" in exc.value.fix


def test_folded_spreadsheet_names() -> None:
    assert wh.folded(["订单\n编号", "客户ID", "Order\nNote"]) == (
        ["订单编号", "客户ID", "Order Note"], ["订单编号", "Order Note"])
