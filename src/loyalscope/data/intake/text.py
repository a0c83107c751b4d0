"""Staging delimited text (CSV, TSV, TXT): decide the encoding, find bad lines, transcode.

A UTF-8 file (with or without BOM) whose every line decodes is staged as itself; any other
file is copied to UTF-8 line for line (:mod:`loyalscope.data.intake.transcode`).
"""

from __future__ import annotations

from pathlib import Path

from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import encoding as enc
from loyalscope.data.intake import transcode
from loyalscope.data.intake.model import EncodingDecision, Staged
from loyalscope.data.intake.workdir import new_path
from loyalscope.i18n import t

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
