"""Staging delimited text (CSV, TSV, TXT): decide the encoding, find bad lines, transcode.

A UTF-8 file (with or without BOM) whose every line decodes is staged as itself; any other
file is copied to UTF-8 line for line (:mod:`loyalscope.data.intake.transcode`).

Columns separated by spaces (a ``.txt`` / ``.dat`` / ``.prn`` file whose lines hold no tab,
comma, semicolon, pipe or quote, and split at runs of white space into the same number of
fields, at least three, on each of the first :data:`SPACED_SAMPLE` lines: CDNOW's
``CDNOW_master.txt``, ``  00004 0001 19970101  2   29.33``) are copied line for line with one
tab between fields, and a note says so; values are unchanged (they cannot hold a space).

A file named in ``[data.columns]`` has no header line: it is copied with a first line naming
its columns (the names given there, in its own separator and line ending), and its lines are
numbered from 0 so that every quarantine line and note keeps the user's line numbers.

A SurveyMonkey or Qualtrics export, whose header spans two or three rows
(:mod:`loyalscope.data.intake.survey_header`), is staged as itself with those rows combined into
one header (``Staged.header``) and the line its header ends on (``Staged.header_end``), with a
note; its records keep their line numbers. So is a file whose header cells hold line breaks in
quotes (Excel's Alt+Enter, :mod:`loyalscope.data.intake.wrapped_header`): its header is its
first record, over the lines it spans.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from itertools import islice
from pathlib import Path

from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import encoding as enc
from loyalscope.data.intake import survey_header, transcode, wrapped_header
from loyalscope.data.intake.model import EncodingDecision, Staged
from loyalscope.data.intake.workdir import new_path
from loyalscope.errors import ConfigError
from loyalscope.i18n import t

SPACED_SAMPLE = 200
"""Lines looked at to decide whether a text file's columns are separated by spaces."""
SPACED_SUFFIXES = (".txt", ".dat", ".prn", ".asc", "")
_NOT_SPACED = ("\t", ",", ";", "|", '"')
_BOMS = {b"\xef\xbb\xbf": ("utf-8", "utf-8-sig"), b"\xff\xfe": ("utf-16-le", "utf-16"),
         b"\xfe\xff": ("utf-16-be", "utf-16")}


def _bom_skip(path: Path, name: str) -> tuple[int, str]:
    """Bytes of BOM to skip and the codec to decode the rest with."""
    with path.open("rb") as fh:
        head = fh.read(3)
    low = name.lower().replace("_", "-")
    if head.startswith(b"\xef\xbb\xbf") and low in ("utf-8", "utf-8-sig", "utf8"):
        return 3, "utf-8"
    for bom, (codec, family) in _BOMS.items():
        if len(bom) == 2 and head.startswith(bom) and low in (codec, family, "utf-16"):
            return 2, codec
    if low == "utf-16":  # forced "utf-16" without a BOM: Python reads it as LE
        return 0, "utf-16-le"
    return 0, name


def stage_text(path: Path, source: str, config: AnalysisConfig, folder: Path | None = None,
               member: str | None = None) -> Staged:
    """Stage one delimited text file (see the module docstring)."""
    staged = _stage_text(path, source, config, folder, member)
    spaced = Path(staged.name).suffix.lower() in SPACED_SUFFIXES and _spaced(staged.path)
    if spaced:
        staged = _tabbed(staged, folder)
    names = _named_columns(staged.name, config)
    if names is not None:
        staged = _with_header(staged, names, folder, "\t" if spaced else None)
    elif not spaced:
        staged = _survey_header(staged)
        if staged.header is None:
            staged = _wrapped_header(staged)
    return staged


def _wrapped_header(staged: Staged) -> Staged:
    """``staged`` with its header read as its first record when line 1 opens a quoted cell that
    a later line closes (:func:`loyalscope.data.intake.wrapped_header.read`), with a note; else
    as it is. Lines are counted as the engine will count them (a lone CR ends a line too)."""
    with staged.path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
        if '"' not in first:
            return staged  # line 1 is the header (most files)
        lines = [first, *islice(fh, wrapped_header.MAX_LINES - 1)]
    # the delimiter is judged on the lines the quotes span (a TSV's line 1 `"订单` has no tab)
    n = wrapped_header.span(line.count('"') for line in lines) or 1
    delim = sniff_delimiter("".join(lines[:n]), Path(staged.name).suffix.lower())
    found = wrapped_header.read(lines, delim, staged.source)
    if found is None:
        return staged
    return dataclasses.replace(staged, header=found.names, header_end=found.end,
                               notes=(*staged.notes, wrapped_header.note(found)))


SURVEY_HEAD_BYTES = 1 << 20
"""Most bytes read for a survey tool's header rows (three rows of long question texts)."""


def _first_rows(head: bytes, suffix: str, count: int) -> tuple[list[list[str]], list[int]]:
    """The first ``count`` records of a staged UTF-8 file's first :data:`SURVEY_HEAD_BYTES`
    bytes ``head`` and the physical line each ends on (a quoted field may hold a line break);
    fewer when ``head`` holds fewer or does not parse."""
    text = head.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0].split("\r", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first, suffix))
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in islice(reader, count):
            rows.append(row)
            ends.append(reader.line_num)
    except csv.Error:
        pass
    if len(head) == SURVEY_HEAD_BYTES:  # a record ending on the last line read may be cut
        lines = len(io.StringIO(text, newline="").readlines())
        kept = sum(1 for e in ends if e < lines)
        rows, ends = rows[:kept], ends[:kept]
    return rows, ends


def _survey_header(staged: Staged) -> Staged:
    """``staged`` with the header of a SurveyMonkey or Qualtrics export combined from its rows
    (:func:`loyalscope.data.intake.survey_header.detect`) and a note; else as it is."""
    with staged.path.open("rb") as fh:  # the staged file is UTF-8: its markers are bytes
        head = fh.read(SURVEY_HEAD_BYTES)
    if b"Respondent ID" not in head and b"ImportId" not in head:
        return staged  # no survey tool's header: nothing to parse (every text file comes here)
    rows, ends = _first_rows(head, Path(staged.name).suffix.lower(), 3)  # read once
    found = survey_header.detect(rows)
    if found is None:
        return staged
    end = ends[found.rows - 1]
    note = survey_header.note(found, survey_header.line_span(1, end))
    return dataclasses.replace(staged, header=found.names, header_end=end,
                               notes=(*staged.notes, note),
                               rows_excluded=staged.rows_excluded + found.rows - 1)


def _named_columns(name: str, config: AnalysisConfig) -> list[str] | None:
    """The column names ``[data.columns]`` gives the file ``name`` (its base name, matched
    exactly, else ignoring case), or None."""
    given = config.data.columns
    base = Path(name).name
    if base in given:
        return given[base]
    return next((cols for key, cols in given.items() if key.casefold() == base.casefold()), None)


def _with_header(staged: Staged, names: list[str], folder: Path | None, delim: str | None) -> Staged:
    """``staged`` with a first line naming its columns (``[data.columns]``), the file's own line
    ending and separator (``delim``, else the most frequent of tab, comma, semicolon and pipe in
    its line 1); the lines are then numbered from 0, so that the file's own keep their numbers.
    A :class:`ConfigError` when line 1 has another number of fields than names are given."""
    with staged.path.open("rb") as fh:
        head = fh.read(1 << 16)
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    first_raw = head[start:].split(b"\n", 1)[0]
    ending = "\r\n" if first_raw.endswith(b"\r") else "\n"
    if b"\r" in first_raw.rstrip(b"\r"):  # lines ended by CR alone
        first_raw, ending = first_raw.split(b"\r", 1)[0], "\r"
    first = first_raw.rstrip(b"\r").decode("utf-8", errors="replace")
    delim = delim or sniff_delimiter(first)
    found = len(next(csv.reader([first], delimiter=delim), []))
    if found != len(names):
        raise ConfigError(t("data.intake.columns_width", name=Path(staged.name).name, named=len(names),
                            found=found, line=first[:120]),
                          file=staged.source, row=1, column="data.columns",
                          fix=t("data.intake.columns_width_fix"))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator=ending).writerow(names)
    dest = new_path(folder, Path(staged.name).stem, Path(staged.path).suffix or ".csv")
    with staged.path.open("rb") as src, dest.open("wb") as out:
        out.write(buf.getvalue().encode("utf-8"))
        src.seek(start)
        shutil.copyfileobj(src, out, 1 << 22)
    ends = staged.line_ends
    if ends is not None:
        ends = (ends[0] + ending.count("\r"), ends[1] + (ending == "\r\n"), ends[2] + ending.count("\n"))
    note = t("data.intake.note_columns", columns=", ".join(names))
    return dataclasses.replace(staged, path=dest, notes=(*staged.notes, note), line_ends=ends,
                               header_added=True)


def sniff_delimiter(header_line: str, suffix: str = "") -> str:
    """The most frequent of tab, comma, semicolon and pipe in the header line (a ``.tsv`` /
    ``.tab`` file without any: tab; else comma)."""
    counts = {d: header_line.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return "\t" if suffix in (".tsv", ".tab") else ","
    return best


def spaced_columns(lines: list[str] | list[bytes]) -> bool:
    """Whether the non-blank ``lines`` (two or more) split at runs of white space into one
    number of fields, at least three: columns aligned by spaces (CDNOW)."""
    filled = [line for line in lines if line.strip()]
    widths = {len(line.split()) for line in filled}
    return len(filled) >= 2 and len(widths) == 1 and widths.pop() >= 3


def _spaced(path: Path) -> bool:
    """Whether the file's columns are separated by runs of spaces (see the module docstring)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        lines = list(islice(fh, SPACED_SAMPLE))
    return not any(c in line for line in lines for c in _NOT_SPACED) and spaced_columns(lines)


def _tabbed(staged: Staged, folder: Path | None) -> Staged:
    """``staged`` copied line for line with one tab between its space-separated fields."""
    dest = new_path(folder, Path(staged.name).stem, ".tsv")
    n = 0
    with staged.path.open("r", encoding="utf-8-sig", errors="replace") as src, \
            dest.open("w", encoding="utf-8", newline="\n") as out:
        for line in src:
            out.write("\t".join(line.split()) + "\n")
            n += 1
    note = t("data.intake.note_spaced")
    return dataclasses.replace(staged, path=dest, notes=(*staged.notes, note), line_ends=(0, 0, n))


def _stage_text(path: Path, source: str, config: AnalysisConfig, folder: Path | None,
                member: str | None) -> Staged:
    sample = None if config.data.encoding else enc.read_sample(path)
    decision = enc.decide(path, config.data.encoding, sample)
    start, codec = _bom_skip(path, decision.name)
    utf8 = codec in ("utf-8", "utf8")
    if utf8 and sample is not None and sample.whole_utf8:
        # the sample read the whole file and holds every non-ASCII line: all decode, no NUL
        return Staged(source, path, "csv", decision, member=member, line_ends=sample.line_ends)
    if utf8:
        res = transcode.run(path, codec, None, start)
        if not res.bad:
            return Staged(source, path, "csv", decision, member=member,
                          notes=_notes(decision, res), line_ends=_line_ends(res))
    dest = new_path(folder, path.stem, ".csv")
    res = transcode.run(path, codec, dest, start)
    decision = EncodingDecision(decision.name, decision.confidence, decision.evidence,
                                tuple(res.undecodable), decision.forced)
    return Staged(source, dest, "csv", decision, bad_lines=tuple(res.bad),
                  notes=_notes(decision, res), member=member, line_ends=_line_ends(res))


def _line_ends(res: transcode.PassResult) -> tuple[int, int, int] | None:
    """CR, CRLF and LF counts of the staged file, when the pass counted them."""
    if res.cr is None or res.crlf is None:
        return None
    return res.cr, res.crlf, res.lines


def _notes(decision: EncodingDecision, res: transcode.PassResult) -> tuple[str, ...]:
    notes: list[str] = []
    by_reason: dict[str, list[int]] = {}
    for line, reason, _ in res.bad:
        by_reason.setdefault(reason, []).append(line)
    for reason, lines in by_reason.items():
        shown = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
        notes.append(t(f"data.intake.note_{reason}", count=len(lines), lines=shown,
                       encoding=decision.name))
    return tuple(notes)
