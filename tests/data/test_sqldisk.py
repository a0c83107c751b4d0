"""The compiled SQL kept on disk between runs (``data.sqldisk``): a second process compiles
nothing and gives what the first gave; files it cannot trust or read are ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import loyalscope as ls
from loyalscope.data import sqldisk

REAL = Path(__file__).parent / "real"
SRC = Path(ls.__file__).resolve().parents[1]

_SCRIPT = """
import json, sys
import pandas as pd
import loyalscope as ls
from loyalscope.data import sqldisk
ds = ls.load(sys.argv[1], now=pd.Timestamp(sys.argv[2]))
tx = ds.table("transactions").order_by("order_id").execute()
print(json.dumps({"quality": ds.quality.to_dict(), "stats": sqldisk.stats,
                  "tx": tx.astype(str).values.tolist()}, default=str))
"""


def _load(cache: Path | str, data: Path = REAL / "olist", now: str = "2030-01-01") -> dict[str, Any]:
    env = {**os.environ, "LOYALSCOPE_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(data), now], capture_output=True,
                         text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("sql-*.json"))


def test_second_process_compiles_nothing_and_gives_the_same(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(cache)
    assert first["stats"]["hits"] == 0 and first["stats"]["misses"] > 20
    (stored,) = _files(cache)
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    # a real run's "now" is another instant each time: it must not change the compiled SQL
    second = _load(cache, now="2030-01-02 03:04:05.678901")
    assert second["stats"] == {"hits": first["stats"]["misses"], "misses": 0}
    assert second["quality"] == first["quality"] and second["tx"] == first["tx"]
    off = _load("off")  # no cache at all: the same answer
    assert off["stats"] == {"hits": 0, "misses": 0}
    assert off["quality"] == first["quality"] and off["tx"] == first["tx"]


def test_a_file_others_can_write_is_not_read(tmp_path: Path) -> None:
    """The texts are run as SQL: a cache file (or folder) writable by others could inject
    statements, so it is ignored, and the run compiles as if it were absent."""
    cache = tmp_path / "cache"
    first = _load(cache)
    (stored,) = _files(cache)
    stored.chmod(0o666)
    again = _load(cache)
    assert again["stats"]["hits"] == 0 and again["quality"] == first["quality"]
    stored.chmod(0o600)
    cache.chmod(0o777)
    assert _load(cache)["stats"]["hits"] == 0
    cache.chmod(0o700)


def test_a_corrupt_or_foreign_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(cache)
    (stored,) = _files(cache)
    stored.write_text('{"format": 1, "entries": {"x": ', encoding="utf-8")  # cut short
    again = _load(cache)
    assert again["stats"]["hits"] == 0 and again["quality"] == first["quality"]
    assert json.loads(stored.read_text(encoding="utf-8"))["format"] == 1  # rewritten whole
    stored.write_text(json.dumps({"format": 99, "entries": {}}), encoding="utf-8")
    assert _load(cache)["stats"]["hits"] == 0


def test_fingerprint_follows_the_package_files(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "m.toml").write_text("k = 'v'\n")
    (pkg / "notes.txt").write_text("ignored\n")
    base = sqldisk.fingerprint(pkg)
    (pkg / "notes.txt").write_text("changed, still ignored\n")
    assert sqldisk.fingerprint(pkg) == base
    (pkg / "sub" / "m.toml").write_text("k = 'w'\n")
    assert sqldisk.fingerprint(pkg) != base
    assert sqldisk.fingerprint() != base and len(sqldisk.fingerprint()) == 64


def test_keys_are_the_same_in_every_process() -> None:
    """Sets are written sorted (their iteration order follows string hashing, which differs
    between processes); an object shown by its address has no key."""
    code = ("from loyalscope.data import sqldisk; "
            "print(sqldisk.key('k', frozenset({'_ord', '_min', 'b', 'zz'}), {'a': (1, 2.5)}))")
    keys = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, timeout=120, check=True)
        keys.add(out.stdout.strip())
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert sqldisk.key(object()) is None
    assert sqldisk.key(1) != sqldisk.key("1") != sqldisk.key(1.0)


@pytest.mark.parametrize("value", ["off", "", "0"])
def test_cache_can_be_turned_off(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOYALSCOPE_CACHE_DIR", value)
    assert sqldisk.folder() is None
    monkeypatch.delenv("LOYALSCOPE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert sqldisk.folder() == Path("/somewhere/loyalscope")


def test_threads_put_while_another_flushes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard may load in worker threads: entries added while the file is written are
    neither lost nor a 'dictionary changed size' error."""
    import threading

    monkeypatch.setenv("LOYALSCOPE_CACHE_DIR", str(tmp_path / "c"))
    sqldisk.reset()
    try:
        errors: list[BaseException] = []

        def fill(i: int) -> None:
            try:
                for j in range(300):
                    sqldisk.put(sqldisk.key("t", i, j), ["x" * 50, [], []])
                    if j % 50 == 0:
                        sqldisk.flush()
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=fill, args=(i,)) for i in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        sqldisk.flush()
        assert not errors
        (stored,) = _files(tmp_path / "c")
        assert len(json.loads(stored.read_text(encoding="utf-8"))["entries"]) == 6 * 300
    finally:
        monkeypatch.undo()
        sqldisk.reset()
