"""Confinement of what a request can make the server read.

- Server paths only inside the data roots, with symlinks and ``..`` resolved before the check;
  the answer for a refused path is the same whether it exists or not (no existence, size or type
  leaks), and nothing is walked synchronously beyond a small bound.
- Upload file names: a plain base name of bounded length, no control characters, no dot files.
- Config values that are paths (``segments.index_weights``, ``segments.rfm_scheme``) in a
  dataset's ``loyalscope.toml`` resolve only inside the dataset's own folder.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from loyalscope.config import AnalysisConfig
from loyalscope.errors import ConfigError
from loyalscope.i18n import t

MAX_NAME = 200
"""Longest dataset name or upload file name (characters); the OS allows 255 bytes."""
MAX_FILES_WALKED = 1000
"""Entries of a registered folder looked at (the data readers use its top level only)."""
MAX_CONFIG_FILE = 1 << 20
"""Largest weights / scheme file a dataset's config may name (bytes)."""
BUILTIN_WEIGHTS = ("ahp", "entropy")


class Refused(ConfigError):
    """A path, URL or name the server will not use (HTTP 400); says nothing about the target."""


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """True when the resolved ``path`` lies in one of the (resolved) ``roots``."""
    return any(path == r or path.is_relative_to(r) for r in roots)


def resolve_in_roots(raw: str, roots: tuple[Path, ...]) -> Path:
    """The resolved server path ``raw`` when it lies inside a data root; else :class:`Refused`.

    URLs are refused here (databases come only from named connections). The message is the same
    for a path outside the roots that exists and one that does not.
    """
    text = raw.strip()
    if "://" in text or text.lower() in ("pyspark", "spark"):
        raise Refused(t("web.confine.url_refused"), fix=t("web.confine.url_refused_fix"))
    if not roots:
        raise Refused(t("web.confine.no_roots"), fix=t("web.confine.no_roots_fix"))
    if not text or "\x00" in text or len(text) > 4096:
        raise Refused(t("web.confine.outside"), fix=t("web.confine.outside_fix"))
    try:
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = roots[0] / path
        resolved = path.resolve(strict=False)
    except (OSError, RuntimeError, ValueError) as exc:
        raise Refused(t("web.confine.outside"), fix=t("web.confine.outside_fix")) from exc
    if not inside(resolved, roots):
        raise Refused(t("web.confine.outside"), fix=t("web.confine.outside_fix"))
    try:
        exists = resolved.is_dir() or resolved.is_file()
    except OSError:
        exists = False
    if not exists:  # inside the roots: saying so tells nothing the user may not read anyway
        raise Refused(t("web.datasets.no_path", path=text[:300]), fix=t("web.datasets.no_path_fix"))
    check_members(resolved, roots)
    return resolved


def members(path: Path) -> list[Path]:
    """The entries a data reader may open: the file itself, or a folder's top level (bounded)."""
    if not path.is_dir():
        return [path]
    out = []
    with os.scandir(path) as it:
        for i, entry in enumerate(it):
            if i >= MAX_FILES_WALKED:
                break
            out.append(Path(entry.path))
    return out


def check_members(path: Path, roots: Iterable[Path]) -> None:
    """Refuse a dataset when a symlink among its files points outside the roots."""
    roots = tuple(roots)
    for member in members(path):
        if member.is_symlink() and not inside(member.resolve(), roots):
            raise Refused(t("web.confine.outside"), fix=t("web.confine.outside_fix"))


def count_files(path: Path) -> tuple[int, int]:
    """(files, bytes) among the entries the readers look at (bounded, no recursion)."""
    files = size = 0
    for member in members(path):
        try:
            if member.is_file():
                files += 1
                size += member.stat().st_size
        except OSError:
            continue
    return files, size


def clean_name(raw: str, what: str = "name") -> str:
    """A dataset name or upload file name: trimmed, no control characters, at most MAX_NAME."""
    text = unicodedata.normalize("NFC", raw or "").strip()
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise Refused(t("web.confine.bad_name", what=what), fix=t("web.confine.bad_name_fix", n=MAX_NAME))
    if len(text) > MAX_NAME or len(text.encode("utf-8")) > 250:
        raise Refused(t("web.confine.long_name", what=what, n=MAX_NAME),
                      fix=t("web.confine.bad_name_fix", n=MAX_NAME))
    return text


def upload_name(raw: str) -> str:
    """The base name an uploaded file is stored under (refused when it is not a plain name)."""
    base = clean_name(raw.replace("\\", "/").rsplit("/", 1)[-1], "file")
    if not base or base.startswith(".") or base in ("..", "."):
        raise Refused(t("web.confine.bad_name", what="file"), fix=t("web.confine.bad_name_fix", n=MAX_NAME))
    return base


def _config_file(value: str, folder: Path, key: str) -> str:
    """``value`` as a file inside ``folder`` (resolved), or :class:`Refused`."""
    candidate = Path(value)
    target = (candidate if candidate.is_absolute() else folder / candidate)
    try:
        resolved = target.resolve(strict=False)
        ok = inside(resolved, [folder]) and resolved.is_file() \
            and resolved.stat().st_size <= MAX_CONFIG_FILE
    except (OSError, RuntimeError, ValueError):
        ok = False
    if not ok:
        raise Refused(t("web.confine.config_path", key=key), column=key,
                      fix=t("web.confine.config_path_fix", key=key, n=MAX_CONFIG_FILE // 1024))
    return str(resolved)


def confine_config(config: AnalysisConfig, folder: Path | None) -> AnalysisConfig:
    """Resolve path-valued settings of a dataset's config inside its ``folder``.

    Built-in names (``ahp``, ``entropy``, ``classic11``, ``cn8``) stay as they are; any other
    value must name a small file inside ``folder`` (a connection dataset has no folder, so only
    built-in names are accepted). Returns the config with absolute paths filled in.
    """
    from loyalscope.segments.scheme import BUILTIN

    seg = config.segments
    base = folder.resolve() if folder is not None else None
    updates = {}
    for key, builtin in (("index_weights", BUILTIN_WEIGHTS), ("rfm_scheme", tuple(BUILTIN))):
        value = getattr(seg, key)
        if value in builtin:
            continue
        if base is None:
            raise Refused(t("web.confine.config_path", key=f"segments.{key}"), column=f"segments.{key}",
                          fix=t("web.confine.config_path_fix", key=f"segments.{key}",
                                n=MAX_CONFIG_FILE // 1024))
        updates[key] = _config_file(value, base, f"segments.{key}")
    if updates:
        config.segments = seg.model_copy(update=updates)
    return cap_data_limits(config)


def cap_data_limits(config: AnalysisConfig) -> AnalysisConfig:
    """The data layer's decompression and cell limits (``[data] max_decompressed_mb``,
    ``max_cells``) as the server's defaults at most: a dataset's own loyalscope.toml may lower
    them, never raise them."""
    from loyalscope.config import DataConfig

    defaults = DataConfig()
    capped = {}
    for key in ("max_decompressed_mb", "max_cells"):
        value, default = getattr(config.data, key, None), getattr(defaults, key, None)
        if isinstance(value, int) and isinstance(default, int) and value > default:
            capped[key] = default
    if capped:
        config.data = config.data.model_copy(update=capped)
    return config
