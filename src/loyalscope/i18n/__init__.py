"""Message catalogues (zh-CN and en) and the ``t`` lookup.

Catalogues are TOML files under ``i18n/locales/<lang>/``, one file per area (``core.toml``,
``data.toml``, ``metrics.toml`` ...). Tables nest keys: ``[data.errors] missing = "..."`` is the
key ``data.errors.missing``. Values are ``str.format`` templates. A test proves that both
languages have the same keys and the same placeholders.
"""

from __future__ import annotations

import contextvars
import os
import string
import tomllib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")
_DIRS = {"zh": "zh_CN", "en": "en"}
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("loyalscope_lang", default=None)


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in node.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the flattened catalogue of ``lang`` ("zh" or "en")."""
    lang = normalise_lang(lang)
    out: dict[str, str] = {}
    folder = resources.files("loyalscope.i18n") / "locales" / _DIRS[lang]
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _flatten("", tomllib.loads(entry.read_text(encoding="utf-8")), out)
    return out


def normalise_lang(lang: str | None) -> str:
    """Map "zh", "zh_CN", "zh-CN", "en", "en_US" ... onto "zh" or "en"."""
    if not lang:
        return default_lang()
    low = lang.lower().replace("-", "_")
    if low.startswith("zh"):
        return "zh"
    if low.startswith("en"):
        return "en"
    from loyalscope.errors import ConfigError

    raise ConfigError(
        f"Unknown language {lang!r}.", fix="Use --lang zh or --lang en (locale = \"zh\" in loyalscope.toml)."
    )


def default_lang() -> str:
    """The language in force: set by :func:`use_lang`, else LOYALSCOPE_LANG, else LANG, else en."""
    current = _current.get()
    if current:
        return current
    env = os.environ.get("LOYALSCOPE_LANG") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


@contextmanager
def use_lang(lang: str | None) -> Iterator[str]:
    """Context manager that makes ``lang`` the language of :func:`t` inside its block."""
    token = _current.set(normalise_lang(lang) if lang else None)
    try:
        yield default_lang()
    finally:
        _current.reset(token)


_RECENT: dict[str, tuple[str, dict[str, Any]]] = {}
_RECENT_MAX = 512


def source_of(text: str) -> tuple[str, dict[str, Any]] | None:
    """The ``(key, kwargs)`` a recent :func:`t` call formatted into ``text``, if any.

    Lets a message that was translated when it was raised (an error's message, a skip reason)
    be stored as a key and re-rendered in the other language of a bilingual report.
    """
    return _RECENT.get(text)


def _width(text: str) -> int:
    """Columns ``text`` takes: a wide (CJK) character two, any other one. A Chinese sentence of
    eleven characters (未读取：不是数据文件类型) is as long as an English one of twenty-two, and is
    remembered by :func:`t` as one (counted by characters, it was not: the English report then
    showed it in Chinese)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def t(key: str, lang: str | None = None, /, **kwargs: Any) -> str:
    """Translate ``key`` into ``lang`` (default: the language in force), formatted with kwargs.

    A missing key falls back to English, then to the key itself, so that a missing
    translation never hides an error message.
    """
    lang = normalise_lang(lang) if lang else default_lang()
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    if kwargs:
        try:
            text = text.format(**kwargs)
        except (KeyError, IndexError, ValueError):
            return text
    elif "{{" in text or "}}" in text:  # escaped braces of a text without placeholders
        text = text.replace("{{", "{").replace("}}", "}")
    if key in catalogue("en") and _width(text) > 12:  # remember sentences, not single words
        if len(_RECENT) >= _RECENT_MAX:
            _RECENT.pop(next(iter(_RECENT)))
        _RECENT[text] = (key, dict(kwargs))
    return text


def has_key(key: str) -> bool:
    return key in catalogue("en")


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
