"""Helpers of the web tests: the test token, settings with data roots."""

from __future__ import annotations

from pathlib import Path

from loyalscope.web.settings import WebSettings

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def settings(*roots: Path, **kw) -> WebSettings:
    """Token authentication (TOKEN) with these data roots."""
    return WebSettings(token=TOKEN, data_roots=tuple(Path(r).resolve() for r in roots), **kw)
