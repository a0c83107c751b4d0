"""Who is asking, and may they: the server token, named users and signed session cookies.

Following Jupyter's convention, the server has one access token (random unless given with
``--token`` or ``LOYALSCOPE_TOKEN``); ``/?token=...`` turns it into a session cookie (HttpOnly,
SameSite=Lax) and the API takes ``Authorization: Bearer TOKEN``. The token holder is an admin.
Named users (viewer, analyst, admin) log in with a password kept as an Argon2id hash
(``argon2-cffi``) in the app database.

A session cookie is ``payload.signature``: the payload names the user and an expiry, the
signature is HMAC-SHA256 under a key derived from the server secret (``<state>/secret.key``)
and the credential itself (the token, or the user's password hash), so a new token or a changed
password ends the old sessions. CSRF tokens are HMACs of a random per-browser cookie
(double-submit, signed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from loyalscope.web.settings import ROLES, WebSettings
from loyalscope.web.store import Store

SESSION_SECONDS = 7 * 24 * 3600
TOKEN_USER = "token"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: ``name`` (``"token"`` for the server token), ``role``, and how
    the request proved it (``bearer``, ``cookie`` or ``open`` when auth is off)."""

    name: str
    role: str
    via: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def server_secret(state_dir: Path) -> bytes:
    """The state folder's signing secret (created once, mode 0600, shared by worker processes)."""
    path = state_dir / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    for _ in range(50):  # another worker may be writing it this instant
        data = path.read_bytes()
        if len(data) == 32:
            return data
        time.sleep(0.02)
    raise RuntimeError(f"{path} is not a 32-byte secret")


def hash_password(password: str) -> str:
    """Argon2id hash (argon2-cffi's defaults: RFC 9106 low-memory profile)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: list[str] = []


def _dummy_verify(password: str) -> None:
    """Spend a verification's time for an unknown user (no user enumeration by timing)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    verify_password(_DUMMY_HASH[0], password)


USER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")


class Auth:
    """Checks credentials and signs session and CSRF cookies for one server."""

    def __init__(self, settings: WebSettings, store: Store, secret: bytes) -> None:
        self.settings = settings
        self.store = store
        self.secret = secret

    @property
    def enabled(self) -> bool:
        return not self.settings.no_auth

    # credentials ---------------------------------------------------------------------------
    def check_token(self, token: str | None) -> Principal | None:
        if not token or not self.settings.token:
            return None
        if hmac.compare_digest(token.encode("utf-8"), self.settings.token.encode("utf-8")):
            return Principal(TOKEN_USER, "admin", "bearer")
        return None

    def check_password(self, name: str, password: str) -> Principal | None:
        user = self.store.user(name) if USER_NAME.match(name or "") else None
        if user is None:
            _dummy_verify(password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        return Principal(user.name, user.role, "cookie")

    # sessions ------------------------------------------------------------------------------
    def _key(self, name: str) -> bytes | None:
        if name == TOKEN_USER:
            if not self.settings.token:
                return None
            material = "token:" + self.settings.token
        else:
            user = self.store.user(name)
            if user is None:
                return None
            material = f"user:{user.name}:{user.role}:{user.password_hash}"
        return hmac.new(self.secret, material.encode("utf-8"), hashlib.sha256).digest()

    def session_cookie(self, who: Principal) -> str:
        payload = _b64(json.dumps({"u": who.name, "e": int(time.time()) + SESSION_SECONDS,
                                   "n": secrets.token_hex(8)}).encode("utf-8"))
        key = self._key(who.name)
        assert key is not None
        return payload + "." + _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())

    def from_cookie(self, value: str | None) -> Principal | None:
        if not value or value.count(".") != 1 or len(value) > 1024:
            return None
        payload, signature = value.split(".")
        try:
            data = json.loads(_unb64(payload))
            name, expires = str(data["u"]), int(data["e"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires < time.time():
            return None
        key = self._key(name)
        if key is None:
            return None
        want = _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(want, signature):
            return None
        if name == TOKEN_USER:
            return Principal(TOKEN_USER, "admin", "cookie")
        user = self.store.user(name)
        return None if user is None else Principal(user.name, user.role, "cookie")

    # CSRF ----------------------------------------------------------------------------------
    def csrf_token(self, browser_id: str) -> str:
        return _b64(hmac.new(self.secret, b"csrf:" + browser_id.encode("utf-8"), hashlib.sha256).digest())

    def csrf_ok(self, browser_id: str | None, token: str | None) -> bool:
        if not browser_id or not token:
            return False
        return hmac.compare_digest(self.csrf_token(browser_id), token)


# which role each route needs: (methods, path pattern, role); None = public. First match wins,
# anything unlisted needs admin (fail closed).
_ID = r"[^/]+"
POLICY: list[tuple[tuple[str, ...], re.Pattern[str], str | None]] = [
    (("GET", "HEAD"), re.compile(r"^/static/.*$"), None),
    (("GET", "HEAD", "POST"), re.compile(r"^/login$"), None),
    (("POST",), re.compile(r"^/logout$"), None),
    (("GET", "HEAD"), re.compile(r"^/$"), "viewer"),
    (("GET",), re.compile(r"^/api/me$"), "viewer"),
    (("GET",), re.compile(r"^/api/connections$"), "analyst"),
    (("GET", "HEAD"), re.compile(rf"^/(api/)?analyses(/{_ID}(/dashboard|/figures|/report|/customers(/.+)?)?)?$"),
     "viewer"),
    (("GET", "HEAD"), re.compile(rf"^/analyses/{_ID}/files/(loyalscope\.xlsx|report(\.\w+)?\.html)$"), "viewer"),
    (("GET", "HEAD"), re.compile(rf"^/analyses/{_ID}/files/.+$"), "analyst"),
    (("GET", "HEAD", "POST"), re.compile(r"^/(api/)?datasets(/.*)?$"), "analyst"),
    (("DELETE",), re.compile(rf"^/api/(datasets|analyses)/{_ID}$"), "analyst"),
    (("POST",), re.compile(rf"^/(api/)?analyses(/{_ID}/(cancel|rerun|delete))?$"), "analyst"),
    (("GET", "HEAD"), re.compile(r"^/api/openapi\.json$"), "viewer"),
    (("GET", "HEAD"), re.compile(rf"^/(api/)?(alerts|monitors(/{_ID}(/runs)?)?)$"), "viewer"),
    (("POST",), re.compile(rf"^/(api/)?monitors(/{_ID}/(run|delete))?$"), "analyst"),
    (("DELETE",), re.compile(rf"^/api/monitors/{_ID}$"), "analyst"),
]


def required_role(method: str, path: str) -> str | None:
    """The least role that may send ``method path`` (None: anyone; unlisted: admin)."""
    for methods, pattern, role in POLICY:
        if method in methods and pattern.match(path):
            return role
    return "admin"
