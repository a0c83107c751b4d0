"""Streaming pass over a text file: undecodable, mixed-encoding and NUL lines, and the UTF-8 copy.

The file is read in chunks of ``CHUNK`` bytes cut at line ends, so memory stays bounded for
files of any size, and each line of the output is the same line of the input: line ``n`` of
the staged UTF-8 file is line ``n`` of the original (line breaks, ``\\r\\n`` included, are kept
where they were).

Per chunk the fast path decodes the whole chunk at once; only a chunk that fails is decoded
line by line, so a clean multi-GB file costs one C-level decode. A line is *bad* when

- it holds bytes invalid in the file's encoding (``undecodable``): written with U+FFFD;
- the file is in a legacy encoding (GB18030, Big5, cp1252, Mac Roman) and the line is valid UTF-8 with
  characters of three or more bytes (``mixed_encoding``): it is written as its UTF-8 reading,
  so the quarantine shows the text the user typed;
- it holds a NUL byte (``nul_byte``): the NUL is dropped from the staged line.

The caller quarantines bad lines; nothing in them is read as a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from loyalscope.i18n import t

CHUNK = 1 << 22
_UTF8_WIDE = re.compile(rb"[\xe0-\xf4][\x80-\xbf]{2}")
_LEGACY = ("gb18030", "big5", "cp1252", "mac_roman", "latin-1", "gbk", "gb2312", "cp950", "big5hkscs", "cp936")


@dataclass
class PassResult:
    """Lines found bad in one pass, and the count of physical lines; for one-byte line ends
    (not UTF-16) also the CR and CRLF counts (``lines`` then counts LF), which the same bytes
    of the UTF-8 copy have too (:func:`loyalscope.data.readers.lf_line_ends` needs them)."""

    undecodable: list[int] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)
    lines: int = 0
    wrote: bool = False
    cr: int | None = None
    crlf: int | None = None


def _newline(encoding: str) -> tuple[bytes, int]:
    if encoding.replace("_", "-").lower() in ("utf-16-le", "utf-16le"):
        return b"\n\x00", 2
    if encoding.replace("_", "-").lower() in ("utf-16-be", "utf-16be"):
        return b"\x00\n", 2
    return b"\n", 1


def _chunks(fh: BinaryIO, nl: bytes, width: int) -> Iterator[bytes]:
    """Chunks of whole lines (the last may lack its line end)."""
    tail = b""
    while True:
        data = fh.read(CHUNK)
        if not data:
            break
        data = tail + data
        cut = _last_newline(data, nl, width)
        if cut < 0:
            tail = data
            continue
        yield data[: cut + width]
        tail = data[cut + width:]
    if tail:
        yield tail


def _last_newline(data: bytes, nl: bytes, width: int) -> int:
    pos = data.rfind(nl)
    while width == 2 and pos >= 0 and pos % 2:
        pos = data.rfind(nl, 0, pos)
    return pos


def _split(chunk: bytes, nl: bytes, width: int) -> list[bytes]:
    """Lines of ``chunk`` with their line ends (code-unit aligned for UTF-16)."""
    if width == 1:
        return chunk.splitlines(keepends=True) if b"\r" not in chunk else _split_lf(chunk)
    out, start, pos = [], 0, chunk.find(nl)
    while pos >= 0:
        if pos % 2 == 0:
            out.append(chunk[start: pos + 2])
            start = pos + 2
        pos = chunk.find(nl, pos + 1)
    if start < len(chunk):
        out.append(chunk[start:])
    return out


def _split_lf(chunk: bytes) -> list[bytes]:
    parts = chunk.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def run(src: Path, encoding: str, dest: Path | None, start: int = 0) -> PassResult:
    """Check (and with ``dest``, write as UTF-8) the text file ``src`` decoded as ``encoding``.

    ``start`` bytes are skipped first (a byte-order mark)."""
    nl, width = _newline(encoding)
    legacy = encoding.lower() in _LEGACY
    res = PassResult()
    cr = crlf = 0
    out = dest.open("wb") if dest is not None else None
    try:
        with src.open("rb") as fh:
            fh.seek(start)
            for chunk in _chunks(fh, nl, width):
                text = _fast(chunk, encoding, legacy)
                base = res.lines
                if text is None:
                    text = _slow(chunk, encoding, legacy, nl, width, base, res)
                res.lines += chunk.count(nl) if width == 1 else len(_split(chunk, nl, width)) - (
                    0 if chunk.endswith(nl) else 1)
                if width == 1:  # chunks end at an LF: a CRLF is never cut between two
                    n = chunk.count(b"\r")
                    cr, crlf = cr + n, crlf + (chunk.count(b"\r\n") if n else 0)
                if out is not None:
                    out.write(text.encode("utf-8"))
        if width == 1:
            res.cr, res.crlf = cr, crlf
        res.wrote = out is not None
    finally:
        if out is not None:
            out.close()
    return res


def _fast(chunk: bytes, encoding: str, legacy: bool) -> str | None:
    if b"\x00" in chunk and not encoding.lower().startswith("utf-16"):
        return None
    try:
        text = chunk.decode(encoding)
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    if legacy and _UTF8_WIDE.search(chunk):
        return None
    return text


def _slow(chunk: bytes, encoding: str, legacy: bool, nl: bytes, width: int, base: int,
          res: PassResult) -> str:
    parts: list[str] = []
    for i, line in enumerate(_split(chunk, nl, width), start=base + 1):
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError as exc:
            text = line.decode(encoding, errors="replace")
            res.undecodable.append(i)
            res.bad.append((i, "undecodable", t("data.intake.bad_undecodable", encoding=encoding,
                                                  byte=line[exc.start: exc.start + 4].hex(" "))))
            parts.append(text.replace("\x00", ""))
            continue
        if legacy and _UTF8_WIDE.search(line):
            try:
                as_utf8 = line.decode("utf-8")
            except UnicodeDecodeError:
                as_utf8 = None
            if as_utf8 is not None:
                res.bad.append((i, "mixed_encoding",
                                t("data.intake.bad_mixed", encoding=encoding)))
                parts.append(as_utf8.replace("\x00", ""))
                continue
        if "\x00" in text:
            res.bad.append((i, "nul_byte", t("data.intake.bad_nul")))
            text = text.replace("\x00", "")
        parts.append(text)
    return "".join(parts)


__all__ = ["CHUNK", "PassResult", "run"]
