"""Deciding the encoding of a text file, with evidence.

Candidates are the encodings such exports use: UTF-8 (with or without BOM), UTF-16 LE/BE,
GB18030 (a superset of GBK and GB2312), Big5, cp1252 (Latin-1) and Mac Roman (Excel for Mac's
"CSV (Macintosh)", whose lines end in CR alone). The decision:

1. ``[data] encoding`` when set (``forced``);
2. a byte-order mark (EF BB BF, FF FE, FE FF);
3. UTF-16 without BOM: at least 30 % NUL bytes at the odd (LE) or even (BE) positions of the
   first 4 KiB;
4. no byte above 0x7F in the whole file: UTF-8 (ASCII);
5. the lines holding non-ASCII bytes (a sample of up to ``SAMPLE_BYTES``, collected over the
   whole file) are tried as strict UTF-8: all valid, or at least ``UTF8_MAJORITY`` times as
   many valid as invalid lines, is UTF-8 (a GBK file is valid UTF-8 only by accident, on a few
   lines);
6. otherwise UTF-8 (scored on its valid sequences, each invalid byte counting against it) and
   each legacy candidate decode the sample and its text is scored by how plausible
   the characters are: the share of characters that are *common* in that standard (GB2312
   level-1 hanzi for GB18030, the Big5 "frequently used" block A440-C67E for Big5, for cp1252
   and Mac Roman accented letters inside words: the common ones of western European languages
   count whole, rarer ones (Š, ž, Ÿ, Þ ...) half, and a capital inside a lower-case word (cp1252's
   reading of Mac Roman's ü as Ÿ in ``BŸhler``) a fifth; a currency sign beside a digit
   (``¥3.02``) whole, other symbols 0.8), each invalid byte sequence counting as implausible. The best
   score wins when it is at least ``MIN_SCORE`` and leads the runner-up by ``MIN_LEAD`` (or
   by ``CLEAR_LEAD`` with at least ``MIN_SCORE - 0.1``);
   otherwise the decoded header breaks the tie if it names known columns (客户编号,
   下单时间 ...) in exactly one candidate (the header is line 1, or the lines its quoted cells
   span when they hold line breaks: :mod:`.wrapped_header`); otherwise the file is ambiguous and
   :class:`~loyalscope.errors.DataQualityError` asks for ``[data] encoding = "..."``.

The confidence reported is 1 for steps 1-4, the valid-line share for step 5, and
``score * min(1, lead / 0.3)`` for step 6 (at least ``0.9 * score`` when the header names known
columns only in the winner, ``0.8 * score`` when the header broke a tie). Undecodable lines are found later, on the whole
file, by :mod:`loyalscope.data.intake.transcode`.

Reference: the GB2312 level-1 / Big5 frequent-character blocks are the standards' own
frequency classes (GB 2312-1980 §5; Big5 1984, 常用字 A440-C67E).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from loyalscope.data.intake.model import EncodingDecision
from loyalscope.data.intake.wrapped_header import MAX_LINES, span
from loyalscope.errors import ConfigError, DataQualityError
from loyalscope.i18n import t

SAMPLE_BYTES = 1 << 20
UTF8_MAJORITY = 10
MIN_SCORE = 0.5
MIN_LEAD = 0.1
CLEAR_LEAD = 0.25
"""A lead this large decides with a score down to ``MIN_SCORE - 0.1`` (short files with one
broken line)."""
LEGACY = ("gb18030", "big5", "cp1252", "mac_roman")
CANDIDATES = ("utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", *LEGACY, "latin-1")
_CHUNK = 1 << 22


@dataclass(frozen=True)
class Sample:
    """What detection looks at: the start of the file and the lines with non-ASCII bytes."""

    head: bytes
    lines: list[bytes]
    header: bytes
    all_ascii: bool
    line_ends: tuple[int, int, int] | None = None
    """When the file was read whole (its non-ASCII lines fit the sample): its counts of CR,
    CRLF and LF."""
    nul: bool = False
    """When the file was read whole: whether it holds a NUL byte."""

    @property
    def whole_utf8(self) -> bool:
        """Whether the file was read whole and every line of it decodes as UTF-8 with no NUL:
        staging then needs no second pass over it (:mod:`loyalscope.data.intake.text`)."""
        if self.line_ends is None or self.nul:
            return False
        try:
            for line in self.lines:  # every non-ASCII line of the file
                line.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True


def read_sample(path: Path) -> Sample:
    """Collect the first 4 KiB, the first line and up to ``SAMPLE_BYTES`` of non-ASCII lines.

    A file whose non-ASCII lines fit the sample is read whole: its line ends and NUL bytes
    are counted on the way (see :attr:`Sample.whole_utf8`)."""
    lines: list[bytes] = []
    size = 0
    head = b""
    header = b""
    all_ascii = True
    tail = b""
    cr = crlf = lf = 0
    nul, exact, whole = False, True, False
    with path.open("rb") as fh:
        while size < SAMPLE_BYTES:
            chunk = fh.read(_CHUNK)
            if not chunk:
                whole = True
                break
            if not head:
                head = chunk[:4096]
                header = _header(chunk)
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            body, tail = (data[:cut], data[cut:]) if cut else (b"", data)
            if len(tail) > _CHUNK * 4:  # a 16 MiB line: judge what we have
                body, tail, exact = data, b"", False
            n = body.count(b"\r")  # a body ends at an LF: no CRLF is cut
            cr, crlf, lf = cr + n, crlf + (body.count(b"\r\n") if n else 0), lf + body.count(b"\n")
            nul = nul or b"\x00" in body
            if body.isascii():
                continue
            all_ascii = False
            for line in _physical(body.split(b"\n")):
                if not line.isascii():
                    lines.append(line)
                    size += len(line)
                    if size >= SAMPLE_BYTES:
                        break
        if tail and not tail.isascii() and size < SAMPLE_BYTES:
            all_ascii = False
            lines.extend(line for line in _physical([tail]) if not line.isascii())
    if not whole or not exact or size >= SAMPLE_BYTES:
        return Sample(head, lines, header, all_ascii)
    return Sample(head, lines, header, all_ascii, (cr + tail.count(b"\r"), crlf, lf),
                  nul or b"\x00" in tail)


def check_forced(name: str) -> str:
    """The codec name for ``[data] encoding``; :class:`ConfigError` if Python has no such codec."""
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise ConfigError(t("data.intake.unknown_encoding", name=name), column="data.encoding",
                          value=name, fix=t("data.intake.unknown_encoding_fix")) from exc


def decide(path: Path, forced: str | None = None, sample: Sample | None = None) -> EncodingDecision:
    """Decide the encoding of the text file ``path`` (see the module docstring); ``sample`` is
    its :func:`read_sample` when the caller has read it."""
    if forced:
        name = check_forced(forced)
        return EncodingDecision(name, 1.0, t("data.intake.enc_forced", name=name), forced=True)
    sample = sample if sample is not None else read_sample(path)
    head = sample.head
    if head.startswith(b"\xef\xbb\xbf"):
        return EncodingDecision("utf-8-sig", 1.0, t("data.intake.enc_bom", bom="EF BB BF"))
    if head.startswith(b"\xff\xfe"):
        return EncodingDecision("utf-16-le", 1.0, t("data.intake.enc_bom", bom="FF FE"))
    if head.startswith(b"\xfe\xff"):
        return EncodingDecision("utf-16-be", 1.0, t("data.intake.enc_bom", bom="FE FF"))
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        return utf16
    if sample.all_ascii:
        return EncodingDecision("utf-8", 1.0, t("data.intake.enc_ascii"))
    good = sum(1 for line in sample.lines if _valid("utf-8", line))
    bad = len(sample.lines) - good
    if bad == 0:
        return EncodingDecision("utf-8", 1.0, t("data.intake.enc_utf8", lines=good))
    if good >= UTF8_MAJORITY * bad:
        return EncodingDecision("utf-8", good / (good + bad),
                                t("data.intake.enc_utf8_mostly", good=good, bad=bad))
    return _legacy(path, sample, good, bad)


def _utf16_without_bom(head: bytes) -> EncodingDecision | None:
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for name, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        share = zeros.count(0) / len(zeros)
        if share >= 0.3 and other.count(0) / len(other) < 0.05:
            return EncodingDecision(name, min(1.0, share / 0.9),
                                    t("data.intake.enc_utf16", share=f"{share:.0%}"))
    return None


def _physical(lines: list[bytes]) -> Iterable[bytes]:
    """Lines split at LF, split again at a lone CR (a file of Excel for Mac's "CSV (Macintosh)"
    has no LF at all: one "line" would be the whole file)."""
    for line in lines:
        if b"\r" in line[:-1]:
            yield from line.rstrip(b"\r").split(b"\r")
        else:
            yield line


def _header(chunk: bytes) -> bytes:
    """The header record at the start of ``chunk``: line 1, or the lines it spans when its
    quoted cells hold line breaks (Excel's Alt+Enter, :mod:`.wrapped_header`; quote bytes are
    quotes in every legacy encoding), each line cut at 64 KiB."""
    lines = [line[:65536] for line in chunk.split(b"\n", MAX_LINES)[:MAX_LINES]]
    lines = list(_physical(lines))[:MAX_LINES]
    n = span(line.count(b'"') for line in lines) or 1
    return b"\n".join(lines[:n])


def _valid(encoding: str, line: bytes) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _legacy(path: Path, sample: Sample, utf8_good: int, utf8_bad: int) -> EncodingDecision:
    scores = {name: score(name, sample.lines) for name in ("utf-8", *LEGACY)}
    ranked = sorted(scores, key=lambda n: -scores[n])
    best, second = ranked[0], ranked[1]
    lead = scores[best] - scores[second]
    parts = "; ".join(f"{_label(n)} {scores[n]:.0%}" for n in ranked)
    evidence = t("data.intake.enc_scores", scores=parts, lines=len(sample.lines),
                 utf8_bad=utf8_bad)
    if (scores[best] >= MIN_SCORE and lead >= MIN_LEAD) or (
            scores[best] >= MIN_SCORE - 0.1 and lead >= CLEAR_LEAD):
        confidence = scores[best] * min(1.0, lead / 0.3)
        agree = _known_headers_in(sample.header, best)
        if agree > _known_headers_in(sample.header, second):  # the header agrees
            confidence = max(confidence, scores[best] * 0.9)
            evidence += " " + t("data.intake.enc_header", name=_label(best), count=agree)
        return EncodingDecision(best, confidence, evidence)
    close = [n for n in ranked if scores[n] >= MIN_SCORE and scores[best] - scores[n] < MIN_LEAD]
    named = {n: _known_headers_in(sample.header, n) for n in close}
    most = max(named.values(), default=0)
    winners = [n for n, k in named.items() if k == most]
    if most > 0 and len(winners) == 1:
        win = winners[0]
        return EncodingDecision(win, scores[win] * 0.8,
                                evidence + " " + t("data.intake.enc_header", name=_label(win),
                                                   count=most))
    options = close or ranked[:2]
    raise DataQualityError(
        t("data.intake.enc_ambiguous", options=", ".join(_label(n) for n in options),
          evidence=evidence),
        file=str(path),
        fix=t("data.intake.enc_ambiguous_fix", name=options[0],
              others=", ".join(f'"{n}"' for n in CANDIDATES if n not in ("utf-8-sig", "latin-1"))),
    )


def _label(name: str) -> str:
    return {"gb18030": "GB18030", "big5": "Big5", "cp1252": "cp1252", "mac_roman": "Mac Roman",
            "utf-8": "UTF-8"}.get(name, name)


# ---- plausibility ----------------------------------------------------------------------------
@cache
def _block(encoding: str, leads: tuple[int, int], trails: Iterable[int]) -> frozenset[str]:
    out: set[str] = set()
    trail_list = list(trails)
    for lead in range(leads[0], leads[1] + 1):
        for trail in trail_list:
            try:
                out.add(bytes((lead, trail)).decode(encoding))
            except UnicodeDecodeError:
                pass
    return frozenset(out)


def _gb_level1() -> frozenset[str]:
    return _block("gb2312", (0xB0, 0xD7), tuple(range(0xA1, 0xFF)))


def _gb_level2() -> frozenset[str]:
    return _block("gb2312", (0xD8, 0xF7), tuple(range(0xA1, 0xFF)))


_BIG5_TRAILS = (*range(0x40, 0x7F), *range(0xA1, 0xFF))


def _big5_frequent() -> frozenset[str]:
    return _block("big5", (0xA4, 0xC6), _BIG5_TRAILS)


def _big5_rare() -> frozenset[str]:
    return _block("big5", (0xC9, 0xF9), _BIG5_TRAILS)


_PUNCT = frozenset("，。、；：？！“”‘’（）《》【】—…·￥％＃＆＊＋－／＜＝＞＠～　「」『』〈〉")


def _cjk_weight(ch: str, common: frozenset[str], rare: frozenset[str]) -> float:
    if ch in common:
        return 1.0
    if ch in _PUNCT or 0xFF01 <= ord(ch) <= 0xFF5E:
        return 1.0
    if ch in rare:
        return 0.7
    if 0x4E00 <= ord(ch) <= 0x9FFF:
        return 0.3
    if 0x0100 <= ord(ch) <= 0x01FF:  # pinyin letters with tones
        return 0.5
    return 0.1 if 0x0370 <= ord(ch) <= 0x04FF or 0x3040 <= ord(ch) <= 0x30FF else 0.0


_LATIN_LETTER = re.compile(r"[À-ÖØ-öø-ÿŒœŠšŽžŸ]")
_LATIN_RARE = frozenset("ŠšŽžŸÐðÞþ")
"""Letters of cp1252 / Mac Roman rare in the western European text they hold."""
_LATIN_SYMBOL = frozenset("€£¥©®°±²³µ¶·¼½¾¿¡«»‘’“”–—…•™§")
_CURRENCY = frozenset("€£¥¢")
"""Signs that stand before or after an amount: beside a digit they count whole (``¥3.02`` is
cp1252's reading, Mac Roman's ``•3.02`` is a symbol less likely there)."""
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _latin_score(text: str) -> float:
    total = 0.0
    for m in _NON_ASCII_RUN.finditer(text):
        run = m.group()
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        isolated = len(run) <= 2 and (before.isalpha() or after.isalpha())
        for ch in run:
            if _LATIN_LETTER.match(ch):
                if not isolated:
                    total += 0.2
                elif ch.isupper() and before.islower():  # a capital inside a word
                    total += 0.2
                else:
                    total += 0.5 if ch in _LATIN_RARE else 1.0
            elif ch in _CURRENCY and len(run) == 1 and (before.isdigit() or after.isdigit()):
                total += 1.0
            elif ch in _LATIN_SYMBOL:
                total += 0.8 if len(run) <= 2 else 0.1
    return total


def score(encoding: str, lines: list[bytes]) -> float:
    """Share of plausible characters when ``lines`` are decoded as ``encoding`` (0-1).

    Each invalid byte sequence counts as one implausible character."""
    if encoding == "utf-8":
        return _utf8_score(lines)
    good = 0.0
    total = 0.0
    if encoding == "gb18030":
        common, rare = _gb_level1(), _gb_level2()
    elif encoding == "big5":
        common, rare = _big5_frequent(), _big5_rare()
    for line in lines:
        text = line.decode(encoding, errors="replace")  # each invalid sequence: one U+FFFD
        non_ascii = [ch for ch in text if ord(ch) > 0x7F]
        total += len(non_ascii)
        if encoding in ("cp1252", "mac_roman"):
            good += _latin_score(text.replace("\ufffd", " "))
        else:
            good += sum(_cjk_weight(ch, common, rare) for ch in non_ascii if ch != "\ufffd")
    return good / total if total else 0.0


def _utf8_score(lines: list[bytes]) -> float:
    """Plausible characters among the valid UTF-8 sequences, each invalid byte counting as an
    implausible character: a UTF-8 file with a few broken bytes scores high, a GBK file (whose
    bytes form valid UTF-8 only by accident, as Greek or Cyrillic letters) low."""
    common = _gb_level1() | _big5_frequent()
    good = 0.0
    total = 0.0
    for line in lines:
        text = line.decode("utf-8", errors="replace")
        for ch in text:
            o = ord(ch)
            if o < 0x80:
                continue
            total += 1
            if ch == "\ufffd":
                continue
            if ch in common or ch in _PUNCT or _LATIN_LETTER.match(ch) or 0xFF01 <= o <= 0xFF5E:
                good += 1.0
            elif 0x4E00 <= o <= 0x9FFF or 0x0370 <= o <= 0x04FF:
                good += 0.5
            else:
                good += 0.2
    return good / total if total else 0.0


@cache
def _known_headers() -> frozenset[str]:
    from loyalscope.data import mapping, schema

    out: set[str] = set()
    for table in schema.TABLE_NAMES:
        for col in schema.table(table).columns:
            for alias in mapping.aliases(table, col.name):
                out.add(mapping.normalise_header(alias))
    return frozenset(a for a in out if not a.isascii())


def _known_headers_in(header: bytes, encoding: str) -> int:
    from loyalscope.data.mapping import normalise_header

    try:
        text = header.decode(encoding)
    except UnicodeDecodeError:
        return 0
    known = _known_headers()
    cells = re.split(r"[,\t;|]", text)
    return sum(1 for c in cells if normalise_header(c.strip().strip('"')) in known)


__all__ = ["CANDIDATES", "check_forced", "decide", "read_sample", "score"]
