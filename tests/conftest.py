"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Bundled reference data (copied from shared/data, sources cited in tests/data/README.md)."""
    return DATA
