"""Generator of messy export files whose every record is known *from the generator*.

Each :class:`GenFile` holds :class:`Rec` records (the truth: order id, customer id, order time,
amount) and writes itself in one format (CSV / TSV in an encoding, xlsx, JSON Lines, JSON array,
Parquet, .csv.gz, .zip) with the spellings and defects drawn for it. The test then checks what
``loyalscope.load`` made of it against the truth, per record: accepted with exactly these
values, or quarantined with a reason at the record's line. Published early so that the
data-engine helper can run it against the engine readers.

Defects and who must quarantine the record (``Rec.defect``):

===================  ======================================================  ===========
defect               what is written                                         owner
===================  ======================================================  ===========
undecodable          a byte invalid in the file's encoding inside the id     intake
mixed_encoding       the record's line in UTF-8 inside a GB18030/Big5 file   intake
nul_byte             a NUL byte inside the id                                intake
json_duplicate_key   the amount key twice in a JSON record                   intake
json_multiline       a raw line break inside the id string (JSON Lines)      intake
bad_amount           inf, Infinity, 1e400, 12元34, USD1EUR2, (12, NaN           engine
bad_date             0001-01-01, 2024-13-45, 99999-01-01                     engine
stray_quote          ``O2,"C2,2024-01-06,20``: an unbalanced quote            engine
===================  ======================================================  ===========
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

HEAD_ZH = ["订单编号", "客户编号", "下单时间", "金额"]
HEAD_EN = ["order_id", "customer_id", "order_ts", "amount"]

NAMES = {
    "zh": ["张三", "李四", "王五", "赵敏", "陈静", "刘洋", "黄磊", "周杰", "吴昊", "徐丽", "孙悦", "马超"],
    "big5": ["陳大文", "黃小明", "張國榮", "劉德華", "梁朝偉", "吳彥祖", "郭富城", "黎明"],
    "latin": ["Müller", "Café René", "Zoë", "José", "Ångström", "Brontë", "Renée", "Søren"],
    "ascii": ["C001", "C002", "007", "cust-9", "C 10", "ACME", "b.o.b", "x_1"],
}
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5", "utf-16", "cp1252"]
POOL = {"utf-8": "zh", "utf-8-sig": "zh", "gbk": "zh", "gb18030": "zh", "big5": "big5",
        "utf-16": "zh", "cp1252": "latin"}
BAD_BYTE = {"utf-8": b"\xff", "utf-8-sig": b"\xff", "gbk": b"\xff", "gb18030": b"\xff",
            "big5": b"\xff", "cp1252": b"\x81"}

AMOUNT_SPELLINGS = ["{v}", "{v:,.2f}", "¥{v:,.2f}", "￥{v}元", "RMB {v}", "${v:.2f}", " {v} "]
DATE_SPELLINGS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y%m%d",
                  "%Y-%m-%dT%H:%M"]
BAD_AMOUNTS = ["inf", "Infinity", "1e400", "12元34", "USD1EUR2", "(12", "NaN", "-inf"]
BAD_DATES = ["0001-01-01", "2024-13-45", "1800-01-01", "2500-01-01"]
INTAKE_DEFECTS = ("undecodable", "mixed_encoding", "nul_byte", "json_duplicate_key",
                  "json_multiline")


@dataclass
class Rec:
    """One generated record: the truth, how it is spelled, and its defect (if any)."""

    order_id: str
    customer_id: str
    ts: dt.datetime
    cents: int
    amount_spelling: int = 0
    date_spelling: int = 0
    defect: str | None = None
    bad_value: str = ""
    line: int = 0
    """First line (row) of the record in the written file; set by the writer."""
    collateral: bool = False
    """May be quarantined because of a neighbour's defect (after a stray quote)."""

    @property
    def amount(self) -> float:
        return float(f"{self.cents / 100:.2f}")

    def amount_text(self) -> str:
        if self.defect == "bad_amount":
            return self.bad_value
        v = self.cents / 100
        spelled = AMOUNT_SPELLINGS[self.amount_spelling % len(AMOUNT_SPELLINGS)]
        return spelled.format(v=int(v) if self.cents % 100 == 0 and "{v}" in spelled else v)

    def date_text(self) -> str:
        if self.defect == "bad_date":
            return self.bad_value
        fmt = DATE_SPELLINGS[self.date_spelling % len(DATE_SPELLINGS)]
        text = self.ts.strftime(fmt)
        return text.replace("年0", "年").replace("月0", "月") if "年" in fmt else text

    def expected_ts(self) -> pd.Timestamp:
        fmt = DATE_SPELLINGS[self.date_spelling % len(DATE_SPELLINGS)]
        ts = self.ts
        if "%H" not in fmt:
            ts = dt.datetime(ts.year, ts.month, ts.day)
        elif "%S" not in fmt:
            ts = ts.replace(second=0)
        return pd.Timestamp(ts)

    @property
    def owner(self) -> str | None:
        if self.defect is None:
            return None
        return "intake" if self.defect in INTAKE_DEFECTS else "engine"


@dataclass
class GenFile:
    """One generated file: its records, format, encoding and layout choices."""

    name: str
    fmt: str  # csv tsv xlsx jsonl json parquet csv.gz zip
    records: list[Rec]
    encoding: str = "utf-8"
    chinese_header: bool = True
    title_rows: int = 0
    total_row: bool = False
    hidden_decoy: bool = False
    notes_sheet: bool = False
    typed: bool = False
    amount_as_number: bool = False
    excluded: list[int] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        if self.encoding in ("big5", "cp1252") or not self.chinese_header:
            return HEAD_EN
        return HEAD_ZH

    @property
    def source_name(self) -> str:
        """The source_file suffix the quarantine names (member of a zip after '!')."""
        return self.name

    # ---- writers --------------------------------------------------------------------------
    def write(self, folder: Path) -> Path:
        path = folder / self.name
        if self.fmt in ("csv", "tsv"):
            path.write_bytes(self._text_bytes("," if self.fmt == "csv" else "\t"))
        elif self.fmt == "csv.gz":
            path.write_bytes(gzip.compress(self._text_bytes(","), mtime=0))
        elif self.fmt == "zip":
            inner = self.name[:-4] + ".csv"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(inner, self._text_bytes(","))
                zf.writestr("README.txt.md", "notes")
        elif self.fmt == "jsonl":
            path.write_bytes(self._jsonl())
        elif self.fmt == "json":
            path.write_bytes(self._json_array())
        elif self.fmt == "xlsx":
            self._xlsx(path)
        elif self.fmt == "parquet":
            self._parquet(path)
        return path

    def _row(self, r: Rec) -> list[str]:
        return [r.order_id, r.customer_id, r.date_text(), r.amount_text()]

    def _text_bytes(self, sep: str) -> bytes:
        enc = self.encoding
        codec = "utf-16-le" if enc == "utf-16" else enc
        out = bytearray("\ufeff".encode(codec) if enc in ("utf-8-sig", "utf-16") else b"")
        if enc == "utf-8-sig":
            codec = "utf-8"
        out += _line(self.header, sep).encode(codec)
        line = 2
        for r in self.records:
            r.line = line
            try:
                _line(self._row(r), sep).encode(codec)
            except UnicodeEncodeError:  # ￥ or 年月日 in cp1252 / Big5: plain spellings
                r.amount_spelling = r.date_spelling = 0
                if r.defect == "bad_amount" and not _encodes(r.bad_value, codec):
                    r.bad_value = "12EUR34"  # 12元34 in cp1252: text between the digits still
            if r.defect == "stray_quote":
                text = f'{r.order_id}{sep}"{r.customer_id}{sep}{r.date_text()}{sep}{r.amount_text()}\r\n'
            else:
                text = _line(self._row(r), sep)
            if r.defect == "mixed_encoding":
                data = text.encode("utf-8")
            elif r.defect in ("undecodable", "nul_byte"):
                cut = text.index(r.customer_id) + len(r.customer_id) // 2 + 1
                bad = b"\x00" if r.defect == "nul_byte" else BAD_BYTE[enc]
                data = text[:cut].encode(codec) + bad + text[cut:].encode(codec)
            else:
                data = text.encode(codec)
            out += data
            line += text.count("\n")
        return bytes(out)

    def _obj(self, r: Rec) -> str:
        amount: object = r.amount_text()
        if self.amount_as_number and r.defect != "bad_amount":
            amount = json.loads(f"{r.cents / 100:.2f}")
        parts = [f'"{self.header[0]}": {json.dumps(r.order_id, ensure_ascii=False)}',
                 f'"{self.header[1]}": ' + (json.dumps(r.customer_id, ensure_ascii=False)
                                            if r.defect != "json_multiline"
                                            else '"' + r.customer_id[:1] + "\n" + r.customer_id[1:] + '"'),
                 f'"{self.header[2]}": {json.dumps(r.date_text(), ensure_ascii=False)}',
                 f'"{self.header[3]}": {json.dumps(amount, ensure_ascii=False)}']
        if r.defect == "json_duplicate_key":
            parts.append(f'"{self.header[3]}": "1"')
        return "{" + ", ".join(parts) + "}"

    def _jsonl(self) -> bytes:
        lines, no = [], 1
        for r in self.records:
            r.line = no
            text = self._obj(r)
            lines.append(text)
            no += text.count("\n") + 1
        return ("\n".join(lines) + "\n").encode("utf-8")

    def _json_array(self) -> bytes:
        out, no = ["["], 2
        for i, r in enumerate(self.records):
            r.line = no
            text = " " + self._obj(r) + ("," if i < len(self.records) - 1 else "")
            out.append(text)
            no += text.count("\n") + 1
        out.append("]")
        return ("\n".join(out) + "\n").encode("utf-8")

    def _xlsx(self, path: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        if self.hidden_decoy:
            ws.title = "旧数据"
            ws.append(self.header)
            ws.append(["DECOY-1", "nobody", "2020-01-01", "1"])
            ws.sheet_state = "hidden"
            ws = wb.create_sheet("数据")
        else:
            ws.title = "数据"
        for i in range(self.title_rows):
            ws.append([f"订单明细报表 {i + 1}" if i == 0 else "导出时间：2024-06-01"])
        ws.append(self.header)
        row = self.title_rows + 2
        for r in self.records:
            r.line = row
            amount: object = r.amount_text()
            if self.amount_as_number and r.defect != "bad_amount":
                amount = r.cents / 100
            when: object = r.date_text()
            if r.date_spelling % 2 == 0 and r.defect != "bad_date":
                when = r.expected_ts().to_pydatetime()
            ws.append([r.order_id, r.customer_id, when, amount])
            row += 1
        if self.total_row:
            ws.append(["合计", None, None, sum(r.cents for r in self.records) / 100])
        if self.notes_sheet:
            wb.create_sheet("说明").append(["本报表由系统导出，仅供内部使用"])
        wb.save(path)

    def _parquet(self, path: Path) -> None:
        for i, r in enumerate(self.records, start=1):
            r.line = i
        if self.typed:
            df = pd.DataFrame({
                "order_id": [r.order_id for r in self.records],
                "customer_id": [r.customer_id for r in self.records],
                "order_ts": pd.to_datetime([r.expected_ts() for r in self.records]),
                "amount": [r.amount for r in self.records],
            })
        else:
            df = pd.DataFrame([self._row(r) for r in self.records], columns=HEAD_EN)
        df.to_parquet(path, index=False)


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _line(cells: list[str], sep: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()
