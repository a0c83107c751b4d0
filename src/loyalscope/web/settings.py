"""What a running dashboard is allowed to do: authentication, data roots, named connections,
limits. Read from the server's own config file (``loyalscope serve --config web.toml``, table
``[web]``) and overridden by command-line flags; never from a request.

Example ``web.toml``::

    [web]
    data_roots = ["/srv/crm-exports"]     # server folders analysts may use (none: upload only)
    max_upload_mb = 500
    max_queue = 20                        # queued + running analyses; more answer 429
    job_workers = 1                       # analyses running at the same time
    job_timeout_minutes = 60
    job_memory_mb = 4096

    [web.connections]                     # the only databases the dashboard can read
    warehouse = "postgresql://loyal:${WAREHOUSE_PASSWORD}@db.internal/crm"

``${NAME}`` in a connection URL is replaced by the environment variable ``NAME`` when the server
starts, so the password need not be written in the file.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

ROLES = ("viewer", "analyst", "admin")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1`` (the only hosts ``--no-auth`` may bind)."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """``url`` without its password (``postgres://u:***@h/db``); for logs only."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class WebSettings:
    """Settings of one server (immutable; shared by every worker process through the environment).

    Attributes
    ----------
    token : str
        The access token (``?token=``, ``Authorization: Bearer``); empty with ``no_auth``.
    no_auth : bool
        Serve without authentication (refused unless the host is a loopback address).
    data_roots : tuple of Path
        Server folders whose files may be registered as datasets (resolved; none: upload only).
    connections : dict
        Connection name -> database URL (from the server config only).
    max_upload_mb : int
        Largest request body, enforced while it streams (413 beyond).
    max_queue : int
        Queued plus running analyses; a new one beyond answers 429.
    job_workers : int
        Analyses running at the same time (each in its own process).
    job_timeout_s : float
        Wall-clock limit of one analysis.
    job_memory_mb : int
        Resident-memory limit of one analysis process.
    """

    token: str = ""
    no_auth: bool = False
    data_roots: tuple[Path, ...] = ()
    connections: dict[str, str] = field(default_factory=dict)
    max_upload_mb: int = 500
    max_queue: int = 20
    job_workers: int = 1
    job_timeout_s: float = 3600.0
    job_memory_mb: int = 4096

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def with_token(self) -> WebSettings:
        """These settings with a random token when none is set and auth is on."""
        if self.no_auth or self.token:
            return self
        return replace(self, token=secrets.token_urlsafe(32))

    def secrets_to_hide(self) -> list[str]:
        """Strings that must never appear in an answer: the token, URLs and their passwords."""
        out = [self.token] if self.token else []
        for url in self.connections.values():
            out.append(url)
            try:
                pw = urlsplit(url).password
            except ValueError:
                pw = None
            if pw:
                out.append(pw)
        return [s for s in out if len(s) >= 4]

    # the environment carries the settings to uvicorn's worker processes ----------------------
    def to_env(self) -> dict[str, str]:
        import json

        return {"LOYALSCOPE_WEB_SETTINGS": json.dumps({
            "token": self.token, "no_auth": self.no_auth,
            "data_roots": [str(p) for p in self.data_roots], "connections": self.connections,
            "max_upload_mb": self.max_upload_mb, "max_queue": self.max_queue,
            "job_workers": self.job_workers, "job_timeout_s": self.job_timeout_s,
            "job_memory_mb": self.job_memory_mb})}

    @classmethod
    def from_env(cls, raw: str) -> WebSettings:
        import json

        d = json.loads(raw)
        d["data_roots"] = tuple(Path(p) for p in d["data_roots"])
        return cls(**d)


def _positive(raw: dict[str, Any], key: str, default: float, source: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(t("web.settings.bad_number", key=key), file=source, column=key,
                          fix=t("web.settings.bad_number_fix", key=key))
    return value


def check_roots(roots: list[str | Path]) -> tuple[Path, ...]:
    """Data roots resolved (symlinks followed); each must be an existing folder."""
    out = []
    for root in roots:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise ConfigError(t("web.settings.bad_root", path=str(root)), file=str(root),
                              fix=t("web.settings.bad_root_fix"))
        out.append(path.resolve())
    return tuple(dict.fromkeys(out))


def check_connections(raw: dict[str, Any], source: str = "") -> dict[str, str]:
    """Named connections with ``${ENV}`` filled in; names are short identifiers."""
    out = {}
    for name, url in raw.items():
        if not _NAME.match(name) or not isinstance(url, str) or ("://" not in url and url != "pyspark"):
            raise ConfigError(t("web.settings.bad_connection", name=name[:64]), file=source or None,
                              fix=t("web.settings.bad_connection_fix"))
        missing = [m for m in _ENV.findall(url) if m not in os.environ]
        if missing:
            raise ConfigError(t("web.settings.missing_env", name=name, var=missing[0]),
                              file=source or None, fix=t("web.settings.missing_env_fix", var=missing[0]))
        out[name] = _ENV.sub(lambda m: os.environ[m.group(1)], url)
    return out


def load_settings(path: str | Path | None = None, **flags: Any) -> WebSettings:
    """Read ``[web]`` of the server config ``path`` (optional); flags that are not None win.

    Flags: ``token``, ``no_auth``, ``data_roots`` (list), ``max_upload_mb``, ``max_queue``,
    ``job_workers``, ``job_timeout_minutes``, ``job_memory_mb``.
    """
    raw: dict[str, Any] = {}
    source = ""
    if path is not None:
        source = str(path)
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("web", {})
        except FileNotFoundError as exc:
            raise ConfigError(t("web.settings.no_config", path=source), file=source,
                              fix=t("web.settings.no_config_fix")) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(t("web.settings.bad_toml", detail=str(exc)), file=source,
                              fix=t("web.settings.bad_toml_fix")) from exc
    known = {"data_roots", "connections", "max_upload_mb", "max_queue", "job_workers",
             "job_timeout_minutes", "job_memory_mb", "token"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(t("web.settings.unknown_key", key=unknown[0]), file=source or None,
                          fix=t("web.settings.unknown_key_fix", keys=", ".join(sorted(known))))
    for key, value in flags.items():
        if value is not None and value != [] and value != ():
            raw[key] = value
    token = str(raw.get("token") or os.environ.get("LOYALSCOPE_TOKEN") or "")
    return WebSettings(
        token=token,
        no_auth=bool(raw.get("no_auth", False)),
        data_roots=check_roots(list(raw.get("data_roots", []))),
        connections=check_connections(raw.get("connections", {}), source),
        max_upload_mb=int(_positive(raw, "max_upload_mb", 500, source)),
        max_queue=int(_positive(raw, "max_queue", 20, source)),
        job_workers=int(_positive(raw, "job_workers", 1, source)),
        job_timeout_s=60.0 * _positive(raw, "job_timeout_minutes", 60, source),
        job_memory_mb=int(_positive(raw, "job_memory_mb", 4096, source)),
    )
