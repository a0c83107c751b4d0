"""Staging JSON: an array of objects (``.json``) or JSON Lines (``.jsonl``, ``.ndjson``, or a
``.json`` file that starts with an object).

Records become rows of a Parquet file of string columns plus ``_line`` (the line where the
record starts). Values keep their JSON text: ``1.10`` stays ``"1.10"``, ``true`` is ``"true"``,
``null`` is empty, nested objects and arrays are their JSON text. A record is *bad* (left out
of the staged file and listed in ``bad_lines``) when

- an object repeats a key (``json_duplicate_key``): never resolved last-wins;
- it is not a JSON object (``json_not_object``);
- it does not parse (``json_invalid``);
- in JSON Lines, a string holds a raw line break, so the record runs over several lines
  (``json_multiline``): the lines are joined and reported as *one* bad record with its line
  range, not as two broken ones. Objects pretty-printed over several lines (line breaks
  between tokens) are valid and read.

Text that is not UTF-8 is first transcoded line for line (:mod:`.transcode`), so undecodable
lines are bad records too. Rows are written in batches; columns are the union of the keys in
order of first appearance.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import encoding as enc
from loyalscope.data.intake import transcode
from loyalscope.data.intake.model import LINE_COLUMN, BadLine, Staged
from loyalscope.data.intake.text import _bom_skip, _notes
from loyalscope.data.intake.workdir import new_path
from loyalscope.i18n import t

BATCH = 50_000
MAX_JOIN = 1000
"""Most lines joined while looking for the end of a JSON Lines record."""


class _Num(str):
    """A JSON number kept as its text."""


class _DuplicateKey(ValueError):
    def __init__(self, key: str, first: Any, second: Any) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k, out[k], v)
        out[k] = v
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=_Num, parse_int=_Num,
                            parse_constant=_Num)
_LOOSE = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=_Num, parse_int=_Num,
                          parse_constant=_Num, strict=False)


def _render(v: Any) -> str:
    if isinstance(v, _Num):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_render(x)}"
                               for k, x in v.items()) + "}"
    return "[" + ", ".join(_render(x) for x in v) + "]"


def _cell(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return _render(v)


class _Writer:
    """Batches of records -> Parquet parts -> one file with the union of the columns."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.parts: list[Path] = []
        self.columns: dict[str, None] = {}
        self.rows: list[tuple[int, dict[str, Any]]] = []
        self.count = 0

    def add(self, line: int, record: dict[str, Any]) -> None:
        self.rows.append((line, record))
        for k in record:
            if k not in self.columns:
                self.columns[k] = None
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows and self.parts:
            return
        keys = list(dict.fromkeys(k for _, r in self.rows for k in r))
        names = _safe_names(keys)
        arrays = [pa.array([_cell(r.get(k)) for _, r in self.rows], type=pa.string()) for k in keys]
        arrays.append(pa.array([line for line, _ in self.rows], type=pa.int64()))
        table = pa.Table.from_arrays(arrays, names=[*names, LINE_COLUMN])
        part = self.dest.with_suffix(f".part{len(self.parts)}.parquet")
        pq.write_table(table, part)
        self.parts.append(part)
        self.count += len(self.rows)
        self.rows = []

    def close(self) -> None:
        self.flush()
        names = [*_safe_names(list(self.columns)), LINE_COLUMN]
        schema = pa.schema([(n, pa.string()) for n in names[:-1]] + [(LINE_COLUMN, pa.int64())])
        if len(self.parts) == 1 and pq.read_schema(self.parts[0]).names == names:
            self.parts[0].replace(self.dest)
            return
        with pq.ParquetWriter(self.dest, schema) as writer:
            for part in self.parts:
                table = pq.read_table(part)
                cols = [table.column(n) if n in table.column_names
                        else pa.nulls(len(table), pa.string()) for n in names]
                writer.write_table(pa.Table.from_arrays(cols, schema=schema))
                part.unlink()


def _safe_names(keys: list[str]) -> list[str]:
    return [f"{k}.1" if k == LINE_COLUMN else k for k in keys]


def stage_json(path: Path, source: str, config: AnalysisConfig, folder: Path | None = None,
               member: str | None = None) -> Staged:
    """Stage a JSON or JSON Lines file (see the module docstring)."""
    decision = enc.decide(path, config.data.encoding)
    start, codec = _bom_skip(path, decision.name)
    text_path = path
    res = transcode.run(path, codec, None, start) if codec == "utf-8" else None
    if res is None or res.bad or start:
        text_path = new_path(folder, path.stem, ".json")
        res = transcode.run(path, codec, text_path, start)
    known_bad = {line: (reason, detail) for line, reason, detail in res.bad}
    dest = new_path(folder, path.stem, ".parquet")
    writer = _Writer(dest)
    bad: list[BadLine] = []
    with text_path.open("r", encoding="utf-8", newline="") as fh:
        first = _first_char(fh)
        fh.seek(0)
        records = _array(fh) if first == "[" else _lines(fh)
        for line, end, record, problem in records:
            hit = next((n for n in range(line, end + 1) if n in known_bad), None)
            if hit is not None:
                bad.append((line, *known_bad[hit]))
            elif problem is not None:
                bad.append((line, *problem))
            else:
                writer.add(line, record)
    writer.close()
    if text_path != path:
        text_path.unlink()
    notes = _notes(decision, res)
    by_reason: dict[str, int] = {}
    for _, reason, _ in bad:
        if reason.startswith("json_"):
            by_reason[reason] = by_reason.get(reason, 0) + 1
    notes += tuple(t("data.intake.note_json_bad", count=n, reason=r) for r, n in by_reason.items())
    return Staged(source, dest, "parquet", decision, tuple(sorted(bad)), notes, LINE_COLUMN,
                  None, member)


def _first_char(fh: Any) -> str:
    while True:
        ch = fh.read(1)
        if not ch or not ch.isspace():
            return str(ch)


Record = tuple[int, int, dict[str, Any], tuple[str, str] | None]
"""(first line, last line, record, (reason, detail) or None)."""


def _check(value: Any, line: int, end: int) -> Record:
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", _Num: "number", bool: "boolean"}.get(
            type(value), "null")
        return line, end, {}, ("json_not_object", t("data.intake.json_not_object", kind=kind))
    return line, end, value, None


def _decode(decoder: json.JSONDecoder, text: str) -> tuple[Any, str | None, int]:
    """(value, None, 0), or (None, "dup:<key>" or the parser's message, error position)."""
    try:
        return decoder.decode(text), None, 0
    except _DuplicateKey as exc:
        return None, "dup:" + exc.key, 0
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} (column {exc.colno})", exc.pos


def _dup(key: str) -> tuple[str, str]:
    return "json_duplicate_key", t("data.intake.json_duplicate", key=key)


def _invalid(err: str) -> tuple[str, str]:
    return "json_invalid", t("data.intake.json_invalid", error=err)


def _lines(fh: Any) -> Iterator[Record]:
    """JSON Lines, with records that run over several lines joined (see module docstring)."""
    pushed: deque[tuple[int, str]] = deque()
    count = 0

    def next_line() -> tuple[int, str] | None:
        nonlocal count
        if pushed:
            return pushed.popleft()
        raw = fh.readline()
        if not raw:
            return None
        count += 1
        return count, raw

    while (item := next_line()) is not None:
        start, text = item
        if not text.strip():
            continue
        value, err, at = _decode(_DECODER, text)
        if err is None:
            yield _check(value, start, start)
            continue
        if err.startswith("dup:"):
            yield start, start, {}, _dup(err[4:])
            continue
        result: Record | None = None
        consumed: list[tuple[int, str]] = []
        if at >= len(text.rstrip()):  # the record goes on past the end of the line
            joined = text
            while len(consumed) < MAX_JOIN and len(joined) < (1 << 24):
                nxt = next_line()
                if nxt is None:
                    break
                if nxt[1].lstrip().startswith("{") and _decode(_DECODER, nxt[1])[1] is None:
                    pushed.appendleft(nxt)  # a record of its own begins here
                    break
                consumed.append(nxt)
                joined += nxt[1]
                value, jerr, _ = _decode(_DECODER, joined)
                end = nxt[0]
                if jerr is None:
                    result = _check(value, start, end)
                elif jerr.startswith("dup:"):
                    result = start, end, {}, _dup(jerr[4:])
                elif _decode(_LOOSE, joined)[1] is None:
                    result = start, end, {}, ("json_multiline", t(
                        "data.intake.json_multiline", first=start, last=end))
                if result is not None:
                    break
        if result is not None:
            yield result
            continue
        yield start, start, {}, _invalid(err)
        pushed.extendleft(reversed(consumed))


def _array(fh: Any) -> Iterator[Record]:
    """A JSON array of objects, decoded element by element from a sliding buffer."""
    buf, pos, line, eof = "", 0, 1, False

    def fill() -> bool:
        nonlocal buf, pos, eof
        chunk = "" if eof else fh.read(1 << 20)
        if not chunk:
            eof = True
            return False
        buf, pos = buf[pos:] + chunk, 0
        return True

    def skip_ws() -> None:
        nonlocal pos, line
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                line += buf[pos] == "\n"
                pos += 1
            if pos < len(buf) or not fill():
                return

    skip_ws()
    if buf[pos:pos + 1] != "[":
        yield line, line, {}, _invalid("expected '['")
        return
    pos += 1
    while True:
        skip_ws()
        if pos >= len(buf):
            yield line, line, {}, _invalid("the array is not closed with ']'")
            return
        if buf[pos] == "]":
            return
        start = line
        while True:
            err: str | None = None
            try:
                value, end = _DECODER.raw_decode(buf, pos)
            except _DuplicateKey as exc:
                err = "dup:" + exc.key
            except json.JSONDecodeError as exc:
                err = exc.msg
                if not eof and (exc.pos >= len(buf) - 16 or exc.msg.startswith("Unterminated")):
                    fill()
                    continue
            if err is None:
                break
            stop = _element_end(buf, pos)
            if stop < 0 and not eof:
                fill()
                continue
            break
        if err is None:
            line += buf.count("\n", pos, end)
            pos = end
            yield _check(value, start, line)
        else:
            stop = stop if stop >= 0 else len(buf)
            line += buf.count("\n", pos, stop)
            pos = stop
            yield start, line, {}, (_dup(err[4:]) if err.startswith("dup:") else _invalid(err))
        skip_ws()
        if buf[pos:pos + 1] == ",":
            pos += 1


def _element_end(buf: str, pos: int) -> int:
    """Position just after the element starting at ``pos`` (brackets matched outside strings),
    or after the line when it is not a bracketed value; -1 when the buffer ends first."""
    depth, in_str, i = 0, False, pos
    if buf[pos:pos + 1] not in ("{", "["):
        nl = buf.find("\n", pos)
        return nl if nl >= 0 else -1
    while i < len(buf):
        ch = buf[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1
