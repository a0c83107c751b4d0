"""Limits against zip bombs and oversized spreadsheets (``[data] max_decompressed_mb``,
``[data] max_cells``).

A .zip / .gz member or an .xlsx part is decompressed in a streaming pass that stops as soon as
it passes the byte limit, so a 1.5 MB bomb never reaches gigabytes. Python's ``zipfile`` stops
each member at its declared size and checks its CRC, so a member that lies about its size
fails too. For .xlsx sheets the same pass counts the cells (``<c>`` elements) and the bounding
box of their references, which bounds what the spreadsheet reader allocates.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from loyalscope.config import AnalysisConfig
from loyalscope.errors import DataQualityError, SchemaError
from loyalscope.i18n import t

_READ = 1 << 20
MAX_RATIO = 200
"""A member inflating to more than ``RATIO_FLOOR`` at more than 200:1 is a bomb: real
spreadsheets and CSV compress 5-30:1, deflate's own maximum is about 1,030:1."""
RATIO_FLOOR = 64 << 20
_REF = re.compile(rb' r="([A-Z]{1,3})[0-9]')
_ROW = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"(\d+)\"")


@dataclass(frozen=True)
class Limits:
    bytes: int
    cells: int

    @classmethod
    def of(cls, config: AnalysisConfig) -> Limits:
        return cls(config.data.max_decompressed_mb * (1 << 20), config.data.max_cells)


def too_big(source: str, size: int, limits: Limits) -> DataQualityError:
    return DataQualityError(
        t("data.intake.too_big", name=source, mb=limits.bytes >> 20),
        file=source, fix=t("data.intake.too_big_fix", mb=max(1, (size >> 20) + 1)))


def too_many_cells(source: str, cells: int, limits: Limits) -> DataQualityError:
    return DataQualityError(
        t("data.intake.too_many_cells", name=source, cells=cells, limit=limits.cells),
        file=source, fix=t("data.intake.too_many_cells_fix", cells=cells))


def too_dense(source: str, size: int, packed: int) -> DataQualityError:
    return DataQualityError(
        t("data.intake.too_dense", name=source, mb=size >> 20, ratio=size // max(packed, 1)),
        file=source, fix=t("data.intake.too_dense_fix"))


def check_ratio(source: str, size: int, packed: int) -> None:
    """:func:`too_dense` when ``size`` bytes came from ``packed`` compressed bytes."""
    if size > RATIO_FLOOR and size > MAX_RATIO * max(packed, 1):
        raise too_dense(source, size, packed)


def open_zip(path: Path, source: str) -> zipfile.ZipFile:
    """Open ``path`` as a zip; a clear :class:`SchemaError` when it is not one."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SchemaError(t("data.intake.corrupt", name=source, error=str(exc)), file=source,
                          fix=t("data.intake.corrupt_fix")) from exc


def check_declared(zf: zipfile.ZipFile, source: str, limits: Limits) -> None:
    """Declared sizes first (cheap), so an honest bomb is refused before any inflation."""
    total = 0
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            raise SchemaError(t("data.intake.encrypted", name=source), file=source,
                              fix=t("data.intake.encrypted_fix"))
        total += info.file_size
        if total > limits.bytes:
            raise too_big(source, total, limits)
        check_ratio(source, info.file_size, info.compress_size)


def col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def scan_xlsx(path: Path, source: str, limits: Limits) -> None:
    """Inflate every part of an .xlsx once, counting bytes and worksheet cells."""
    with open_zip(path, source) as zf:
        check_declared(zf, source, limits)
        total = 0
        for info in zf.infolist():
            sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            cells = max_row = max_col = 0
            tail = b""
            try:
                with zf.open(info) as fh:
                    size = 0
                    while chunk := fh.read(_READ):
                        total += len(chunk)
                        size += len(chunk)
                        if total > limits.bytes:
                            raise too_big(source, total, limits)
                        check_ratio(source, size, info.compress_size)
                        if not sheet:
                            continue
                        data = tail + chunk
                        cut = data.rfind(b">") + 1
                        data, tail = data[:cut], data[cut:]
                        cells += data.count(b"<c ") + data.count(b"<c>") + data.count(b":c ")
                        for letters in set(_REF.findall(data)):
                            max_col = max(max_col, col_index(letters))
                        for row in _ROW.findall(data)[-1:]:
                            max_row = max(max_row, int(row))
                        if max(cells, max_row * max_col) > limits.cells:
                            raise too_many_cells(source, max(cells, max_row * max_col), limits)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
                raise SchemaError(t("data.intake.corrupt", name=source, error=str(exc)),
                                  file=source, fix=t("data.intake.corrupt_fix")) from exc
