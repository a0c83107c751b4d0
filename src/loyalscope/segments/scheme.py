"""RFM segment schemes: data files mapping score codes to named segments, validated on load.

A scheme is a TOML file (see ``schemes/classic11.toml`` and ``schemes/cn8.toml``)::

    name = "my_scheme"
    key = "r_fm"          # "r_fm" (codes "<r><fm>"), "rfm" (codes "<r><f><m>") or "high_low"
    bins = 5              # score levels for "r_fm" / "rfm"
    split = "mean"        # "high_low" only: "mean", "median" or "thresholds" (then [thresholds])

    [[segment]]
    id = "champions"
    en = "Champions"
    zh = "冠军客户"
    codes = ["5[45]"]      # regular expressions matched against the whole code

Validation (:meth:`Scheme.validate`): every code of the code space matches exactly one
segment, and every segment matches at least one code. A failure raises :class:`ConfigError`
naming the file, the code and the fix.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

BUILTIN = ("classic11", "cn8")
KEYS = ("r_fm", "rfm", "high_low")


@dataclass(frozen=True)
class Segment:
    """One named segment of a scheme."""

    id: str
    en: str
    zh: str
    codes: tuple[str, ...]

    def name(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass
class Scheme:
    """A validated mapping from score codes to segments."""

    name: str
    key: str
    segments: tuple[Segment, ...]
    bins: int = 5
    split: str = "mean"
    thresholds: dict[str, float] = field(default_factory=dict)
    source: str = ""

    # ---- code space -----------------------------------------------------------------
    def code_space(self) -> list[str]:
        """Every code a customer can get under this scheme."""
        if self.key == "high_low":
            return ["".join(p) for p in itertools.product("HL", repeat=3)]
        levels = [str(i) for i in range(1, self.bins + 1)]
        repeat = 2 if self.key == "r_fm" else 3
        return ["".join(p) for p in itertools.product(levels, repeat=repeat)]

    def matches(self, code: str) -> list[Segment]:
        return [s for s in self.segments if any(re.fullmatch(p, code) for p in s.codes)]

    def validate(self) -> Scheme:
        """Check that every code maps to exactly one segment and every segment is reachable."""
        reached: set[str] = set()
        for code in self.code_space():
            hits = self.matches(code)
            if len(hits) != 1:
                names = ", ".join(s.id for s in hits) or "-"
                raise ConfigError(
                    t("segments.scheme.code_not_unique", code=code, count=len(hits), segments=names),
                    file=self.source,
                    value=code,
                    fix=t("segments.scheme.code_fix", code=code),
                )
            reached.add(hits[0].id)
        for seg in self.segments:
            if seg.id not in reached:
                raise ConfigError(
                    t("segments.scheme.unreachable", segment=seg.id),
                    file=self.source,
                    value=seg.id,
                    fix=t("segments.scheme.unreachable_fix", segment=seg.id),
                )
        return self

    def lookup(self) -> dict[str, Segment]:
        """Code -> segment for the whole code space (after validation)."""
        return {code: self.matches(code)[0] for code in self.code_space()}


def load_scheme(name_or_path: str | Path, bins: int | None = None) -> Scheme:
    """Load a built-in scheme ("classic11", "cn8") or a user's TOML file and validate it.

    ``bins`` overrides the file's score levels for "rfm" schemes only; "r_fm" patterns are
    written for a number of levels and keep the file's value.
    """
    text, source = _read(name_or_path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            t("segments.scheme.bad_toml", error=str(exc)), file=source,
            fix=t("segments.scheme.bad_toml_fix"),
        ) from exc
    return _from_dict(raw, source, bins).validate()


def _read(name_or_path: str | Path) -> tuple[str, str]:
    if str(name_or_path) in BUILTIN:
        res = resources.files("loyalscope.segments") / "schemes" / f"{name_or_path}.toml"
        return res.read_text(encoding="utf-8"), f"schemes/{name_or_path}.toml"
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            t("segments.scheme.not_found", name=str(name_or_path)), file=str(path),
            fix=t("segments.scheme.not_found_fix", known=", ".join(BUILTIN)),
        )
    return path.read_text(encoding="utf-8"), str(path)


def _from_dict(raw: dict[str, Any], source: str, bins: int | None) -> Scheme:
    key = raw.get("key", "r_fm")
    if key not in KEYS:
        raise ConfigError(
            t("segments.scheme.bad_key", key=str(key)), file=source, column="key", value=key,
            fix=t("segments.scheme.bad_key_fix", known=", ".join(KEYS)),
        )
    segs = []
    for i, item in enumerate(raw.get("segment", [])):
        missing = [k for k in ("id", "codes") if k not in item]
        if missing:
            raise ConfigError(
                t("segments.scheme.segment_field", index=i + 1, field=missing[0]), file=source,
                fix=t("segments.scheme.segment_field_fix"),
            )
        segs.append(Segment(str(item["id"]), str(item.get("en", item["id"])),
                            str(item.get("zh", item.get("en", item["id"]))),
                            tuple(str(c) for c in item["codes"])))
    if not segs:
        raise ConfigError(t("segments.scheme.no_segments"), file=source,
                          fix=t("segments.scheme.segment_field_fix"))
    file_bins = int(raw.get("bins", 5))
    split = str(raw.get("split", "mean"))
    if key == "high_low" and split not in ("mean", "median", "thresholds"):
        raise ConfigError(
            t("segments.scheme.bad_split", split=split), file=source, column="split", value=split,
            fix=t("segments.scheme.bad_split_fix"),
        )
    thresholds = {k: float(v) for k, v in raw.get("thresholds", {}).items()}
    if split == "thresholds" and set(thresholds) != {"recency_days", "frequency", "monetary"}:
        raise ConfigError(
            t("segments.scheme.bad_split", split=split), file=source, column="thresholds",
            fix=t("segments.scheme.bad_split_fix"),
        )
    return Scheme(
        name=str(raw.get("name", Path(source).stem)), key=key, segments=tuple(segs),
        bins=bins if (bins is not None and key == "rfm") else file_bins,
        split=split, thresholds=thresholds, source=source,
    )
