"""Translated sentences built per row in the engine: an i18n template whose placeholders are
Ibis expressions (``{value!r}`` quotes the value like ``repr`` does for text)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loyalscope.i18n import t

_MARK = "\x00"


class _Slot:
    def __init__(self, name: str) -> None:
        self.name = name

    def __format__(self, spec: str) -> str:
        return f"{_MARK}S{self.name}{_MARK}"

    def __repr__(self) -> str:
        return f"{_MARK}R{self.name}{_MARK}"

    __str__ = __repr__


def sql_t(key: str, **kw: Any) -> ir.StringValue:
    """``t(key, **kw)`` as a string expression; Ibis values in ``kw`` fill their placeholders
    row by row (NULL renders as ``None``), plain values are formatted as usual."""
    exprs = {k: v for k, v in kw.items() if isinstance(v, ir.Value)}
    plain = {k: v for k, v in kw.items() if k not in exprs}
    text = t(key, **plain, **{k: _Slot(k) for k in exprs})
    out: ir.StringValue = ibis.literal("")
    for i, part in enumerate(text.split(_MARK)):
        if i % 2 == 0:
            if part:
                out = out + part
            continue
        kind, name = part[0], part[1:]
        val = ibis.coalesce(exprs[name].cast("string"), "None")
        out = out + ("'" + val + "'" if kind == "R" else val)
    return out
