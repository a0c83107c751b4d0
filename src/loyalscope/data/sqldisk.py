"""Compiled SQL kept on disk between runs, so that a run does not compile what the last one did.

The load compiles each of its statements once per *structure* (:mod:`loyalscope.data.sqlcache`,
:mod:`loyalscope.data.compiled`); compiling costs 10-50 ms of Python per statement, ~2-3 s of a
first load of nine files, while a second load in the same process compiles nothing. This module
keeps those texts for the next process: one JSON file per *fingerprint* (the loyalscope
package's own ``.py`` and ``.toml`` files, and the versions of Python, Ibis, sqlglot and the
engines' client packages), so that changed code or libraries never read an old text.

Where: ``LOYALSCOPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/loyalscope``, else
``~/.cache/loyalscope``; ``LOYALSCOPE_CACHE_DIR=off`` turns the cache off. The texts are run as
SQL, so a file is read only when it and its folder belong to the user running loyalscope and no
one else can write them; a file that cannot be read, parsed or trusted is ignored (the run
compiles as if it were absent). The cache only saves time: results never depend on it.
:func:`read_private` and :func:`write_private` are those rules for any file of the folder (jieba's
prefix dictionary, :mod:`loyalscope.text.tokens`, is kept there too).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

_FORMAT = 1
_MAX_BYTES = 64 * 2**20
_MAX_ENTRIES = 4_000
_PACKAGES = ("ibis-framework", "sqlglot", "duckdb", "pyspark", "psycopg", "pyarrow")

_lock = threading.Lock()  # loads may run in the dashboard's worker threads
_entries: dict[str, Any] | None = None
_changed = False
_path: Path | None = None
stats = {"hits": 0, "misses": 0}
"""Lookups answered from the file and lookups that had to compile, in this process."""


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    raw = os.environ.get("LOYALSCOPE_CACHE_DIR")
    if raw is not None:
        return None if raw.strip().lower() in ("", "off", "0", "none") else Path(raw)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "loyalscope"


def fingerprint(package: Path | None = None) -> str:
    """SHA-256 of the package's source and catalogue files and the library versions."""
    root = package if package is not None else Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"format {_FORMAT} python {sys.version}".encode())
    for name in _PACKAGES:
        try:
            h.update(f"{name} {metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name} -".encode())
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".toml") and p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


class Unstable(Exception):
    """A value without a text that another process would write alike."""


def text(x: object) -> str:
    """A text of ``x`` that every process writes alike: containers element by element (sets
    sorted: their order follows string hashing, which differs between processes), other
    values as their type and ``repr``. Raises :class:`Unstable` for an object shown by its
    address."""
    if isinstance(x, (tuple, list)):
        return f"{type(x).__name__}(" + ",".join(text(v) for v in x) + ")"
    if isinstance(x, (set, frozenset)):
        return f"{type(x).__name__}(" + ",".join(sorted(text(v) for v in x)) + ")"
    if isinstance(x, dict):
        return "dict(" + ",".join(f"{text(k)}:{text(v)}" for k, v in x.items()) + ")"
    r = repr(x)
    if " at 0x" in r:
        raise Unstable(r)
    return f"{type(x).__module__}.{type(x).__qualname__}:{r}"


def key(*parts: object) -> str | None:
    """A digest of ``parts`` (see :func:`text`) for :func:`get` / :func:`put`; None when a
    part has no stable text."""
    try:
        return hashlib.sha256(text(parts).encode()).hexdigest()
    except Unstable:
        return None


def get(k: str | None) -> Any:
    """The value stored under ``k`` (None when absent or the cache is off)."""
    entries = _load()
    if k is None or _path is None:  # no stable key, or the cache is off
        return None
    value = entries.get(k)
    stats["hits" if value is not None else "misses"] += 1
    return value


def put(k: str | None, value: Any) -> None:
    """Store a JSON value under ``k``; written by :func:`flush`."""
    global _changed
    entries = _load()
    if k is None or _path is None or len(entries) >= _MAX_ENTRIES:
        return
    with _lock:
        entries[k] = value
        _changed = True


def flush() -> None:
    """Write the entries added since the file was read (atomically: a temporary file in the
    same folder, then renamed). Errors (read-only or full disk) are ignored."""
    global _changed
    with _lock:
        if not _changed or _path is None or _entries is None:
            return
        _changed = False
        text = json.dumps({"format": _FORMAT, "entries": _entries}, ensure_ascii=False)
    data = text.encode("utf-8")
    if len(data) <= _MAX_BYTES:
        write_private(_path, data)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable and writable by this user only, atomically (a
    temporary file in the same folder, then renamed), in a folder made private (0700) if new.
    Errors (read-only or full disk, a folder another user owns or can write) leave the file
    as it was."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not trusted(path.parent):
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ls-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def read_private(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of ``path`` when it and its folder belong to this user, no one else can write
    them and it holds at most ``max_bytes``; else None (also when it cannot be read)."""
    try:
        if path.is_file() and trusted(path.parent) and trusted(path) and path.stat().st_size <= max_bytes:
            return path.read_bytes()
    except OSError:
        pass
    return None


def _load() -> dict[str, Any]:
    with _lock:
        return _read()


def _read() -> dict[str, Any]:
    global _entries, _path
    if _entries is not None:
        return _entries
    _entries = {}
    where = folder()
    if where is None:
        return _entries
    try:
        _path = where / f"sql-{fingerprint()[:32]}.json"
    except OSError:
        return _entries
    raw = read_private(_path, _MAX_BYTES)
    try:
        data = json.loads(raw.decode("utf-8")) if raw is not None else None
        if isinstance(data, dict) and data.get("format") == _FORMAT \
                and isinstance(data.get("entries"), dict):
            _entries = data["entries"]
    except ValueError:  # not UTF-8 or not JSON: as if absent
        _entries = {}
    return _entries


def trusted(p: Path) -> bool:
    """Owned by this user and writable by no one else."""
    try:
        st = p.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def reset() -> None:
    """Forget what was read (the next lookup reads the file again); for tests and long-lived
    processes that change ``LOYALSCOPE_CACHE_DIR``."""
    global _entries, _changed, _path
    _entries, _changed, _path = None, False, None
    stats.update(hits=0, misses=0)


__all__ = ["Unstable", "fingerprint", "flush", "folder", "get", "key", "put", "read_private", "reset", "stats",
           "text", "trusted", "write_private"]
