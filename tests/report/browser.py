"""A minimal headless-Chromium driver over the Chrome DevTools Protocol, standard library only.

Chromium is started with ``--remote-debugging-pipe``: it reads CDP commands from file descriptor
3 and writes replies and events to descriptor 4, each message a JSON object ended by a NUL byte
(the transport Puppeteer's ``pipe: true`` uses). No websocket package and no TCP port needed.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--remote-debugging-pipe",
]


_INSTALL_LOCK = os.path.join(tempfile.gettempdir(), "loyalscope-chromium-install.lock")


def _has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


def ensure_chromium() -> str:
    """Path of Chromium, installing it (and a CJK font) with apt-get when missing.

    Every browser test calls this, whichever test process (pytest-xdist) runs it first: the
    install is serialised by a file lock, so that two processes never run apt-get at once (dpkg
    takes one at a time) and a test never skips because another file had not installed it yet.
    Skips only where nothing can install it (no apt-get, or not root and no sudo).
    """
    def missing() -> list[str]:
        return [pkg for pkg, ok in (("chromium", os.path.exists(CHROMIUM)),
                                    ("fonts-noto-cjk", _has_cjk_font())) if not ok]

    if not missing():
        return CHROMIUM
    with open(_INSTALL_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            need = missing()  # another process may have installed them while this one waited
            if need:
                if not shutil.which("apt-get"):
                    pytest.skip(f"needs {' and '.join(need)}; apt-get is not available to install them")
                sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
                if sudo and not shutil.which("sudo"):
                    pytest.skip(f"needs {' and '.join(need)}; not root and no sudo to install them")
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)
                subprocess.run([*sudo, "apt-get", "install", "-y", "-q", *need], check=True, env=env)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return CHROMIUM


class CDPError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium process with a fresh profile; use as a context manager."""

    def __init__(self, binary: str = CHROMIUM, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="loyalscope-chromium-")
        self._log = open(os.path.join(self.profile, "stderr.log"), "w+b")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # move the child's ends above 2..4 so the dup2 onto 3 and 4 cannot clobber each other
        hi_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def _wire() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            preexec_fn=_wire, pass_fds=(3, 4),
        )
        os.close(hi_r)
        os.close(hi_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    # -- transport ---------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise CDPError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                raise CDPError(f"Chromium closed the pipe: {err[-2000:]}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send one command and return its ``result``; events seen meanwhile go to ``events``."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        """Return the first event ``method`` (already seen or arriving) for ``session``."""
        deadline = time.monotonic() + self.timeout
        seen = 0
        while True:
            for ev in self.events[seen:]:
                if ev["method"] == method and (session is None or ev.get("sessionId") == session):
                    return ev
            seen = len(self.events)
            msg = self._read_message(deadline)
            if "method" in msg:
                self.events.append(msg)

    # -- pages -------------------------------------------------------------------------------
    def open_page(self) -> str:
        """Open a blank tab, attach to it and enable the domains the tests watch; return session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log", "DOM", "CSS"):
            self.send(f"{domain}.enable", session=session)
        return session

    def navigate(self, session: str, url: str) -> None:
        """Load ``url`` and wait for its load event."""
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)

    def evaluate(self, session: str, expression: str) -> Any:
        """Value of a JavaScript expression in the page."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                        session=session)
        if "exceptionDetails" in res:
            raise CDPError(f"evaluate failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, session: str, expression: str, timeout: float | None = None) -> Any:
        """Poll ``expression`` until it is truthy; return its value (or the last falsy one)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        value = self.evaluate(session, expression)
        while not value and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self.evaluate(session, expression)
        return value

    def events_for(self, session: str, method: str) -> list[dict[str, Any]]:
        return [ev["params"] for ev in self.events
                if ev["method"] == method and ev.get("sessionId") == session]

    def platform_fonts(self, session: str, selector: str) -> list[dict[str, Any]]:
        """Fonts Chromium actually used to draw the text of the first node matching ``selector``
        (``CSS.getPlatformFontsForNode``: family name, PostScript name, glyph count)."""
        root = self.send("DOM.getDocument", {"depth": -1}, session=session)["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector},
                         session=session)["nodeId"]
        if not node:
            raise CDPError(f"no node matches {selector!r}")
        return self.send("CSS.getPlatformFontsForNode", {"nodeId": node}, session=session)["fonts"]

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close")
                except (CDPError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
