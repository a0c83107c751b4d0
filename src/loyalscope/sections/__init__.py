"""Report sections: each module turns a Dataset (and earlier sections' results) into a Section.

How a section declares its place
--------------------------------
- A section module defines ``SECTION_ID`` and ``build(ds, ctx) -> Section``.
- ``ORDER`` is the report order, the documents' outline (引言 -> 客户群体分析 -> 客户忠诚度评估
  -> 提升策略 -> 结论与建议 -> 局限与后续工作). A new section adds its id to ``ORDER`` in one line
  and, if it belongs to another chapter than ``evaluation``, one line to ``CHAPTER``.
- A module may set ``NEEDS = ("value", "churn")``: the ids of sections whose results it reads
  from the context; it then runs after them even when it is shown before them (the summary
  is shown first and computed last). ``NEEDS = ("*",)`` means "after every other section".
- Modules not yet present are skipped, so areas land independently.
"""

from __future__ import annotations

import importlib
from types import ModuleType

ORDER: tuple[str, ...] = (
    "summary",
    "data",
    "portrait",
    "segments",
    "behaviour",
    "retention",
    "satisfaction",
    "service",
    "engagement",
    "value",
    "contracts",
    "loyalty_index",
    "survey_model",
    "churn",
    "strategy",
    "conclusion",
    "limitations",
    "monitoring",
)

CHAPTERS: tuple[str, ...] = (
    "summary", "introduction", "groups", "evaluation", "strategies", "conclusion", "next_steps",
)
"""Chapters of the outline; titles are ``report.chapter.<id>``. ``summary`` is not numbered."""

CHAPTER: dict[str, str] = {
    "summary": "summary",
    "data": "introduction",
    "portrait": "groups",
    "segments": "groups",
    "strategy": "strategies",
    "conclusion": "conclusion",
    "limitations": "next_steps",
    "monitoring": "next_steps",
}
"""Section id -> chapter id; a section not listed belongs to ``evaluation`` (客户忠诚度评估)."""


def chapter(section_id: str) -> str:
    """The chapter a section is shown in."""
    return CHAPTER.get(section_id, "evaluation")


def numbering(section_ids: list[str]) -> dict[str, str]:
    """Section numbers ("2.1") for sections shown in this order; the summary has none.

    Chapters are numbered in :data:`CHAPTERS` order among the chapters that have sections.
    """
    out: dict[str, str] = {}
    chapters = [c for c in CHAPTERS if c != "summary" and any(chapter(s) == c for s in section_ids)]
    for ci, ch in enumerate(chapters, start=1):
        members = [s for s in section_ids if chapter(s) == ch]
        for si, sid in enumerate(members, start=1):
            out[sid] = f"{ci}.{si}"
        out[f"chapter:{ch}"] = str(ci)
    return out


def load(section_id: str) -> ModuleType | None:
    """The section's module, or None when that area has not landed."""
    try:
        return importlib.import_module(f"loyalscope.sections.{section_id}")
    except ModuleNotFoundError as exc:
        if exc.name == f"loyalscope.sections.{section_id}":
            return None
        raise


def run_order(wanted: list[str]) -> list[tuple[str, ModuleType]]:
    """The wanted sections that exist, in an order that honours each module's ``NEEDS``.

    Sections keep their ``ORDER`` position unless they need a later one; ``NEEDS = ("*",)``
    sections run after all the others (among themselves in ``ORDER``).
    """
    modules = {sid: m for sid in wanted if (m := load(sid)) is not None}
    last = [s for s in modules if "*" in getattr(modules[s], "NEEDS", ())]
    rest = [s for s in modules if s not in last]
    done: list[str] = []

    def visit(sid: str, path: tuple[str, ...]) -> None:
        if sid in done or sid in path:
            return
        for dep in getattr(modules[sid], "NEEDS", ()):
            if dep in modules and dep not in last:
                visit(dep, (*path, sid))
        done.append(sid)

    for sid in rest:
        visit(sid, ())
    done.extend(last)
    return [(s, modules[s]) for s in done]
