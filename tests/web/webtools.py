"""Helpers of the web tests: the test token, settings with data roots."""

from __future__ import annotations

from pathlib import Path

from loyalscope.web.settings import WebSettings

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def settings(*roots: Path, **kw) -> WebSettings:
    """Token authentication (TOKEN) with these data roots."""
    return WebSettings(token=TOKEN, data_roots=tuple(Path(r).resolve() for r in roots), **kw)


class Server:
    """A ``loyalscope serve`` process on a free loopback port (started by :func:`serve`)."""

    def __init__(self, base: str, proc, output: list[str]) -> None:
        self.base = base
        self.proc = proc
        self.output = output

    def client(self, token: str | None = TOKEN, **kw):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, follow_redirects=False, timeout=60, **kw)

    def processes(self) -> list[tuple[int, str]]:
        """(pid, command name) of the server's descendant processes, from /proc."""
        import os

        parent: dict[int, int] = {}
        names: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as fh:
                        raw = fh.read()
                except OSError:
                    continue
                names[int(entry)] = raw[raw.index(b"(") + 1:raw.rindex(b")")].decode(errors="replace")
                parent[int(entry)] = int(raw.rsplit(b")", 1)[1].split()[1])
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            kids = [p for p, pp in parent.items() if pp == pid]
            out += [(k, names[k]) for k in kids]
            todo += kids
        return out


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(state: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90):
    """Start ``loyalscope serve STATE ARGS`` on a free 127.0.0.1 port; a context manager."""
    import contextlib
    import os
    import subprocess
    import sys
    import threading
    import time

    import httpx

    @contextlib.contextmanager
    def _run():
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "loyalscope", "serve", str(state), "--host", "127.0.0.1",
             "--port", str(port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200", **(env or {})})
        output: list[str] = []

        def _read() -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                output.append(line.decode("utf-8", "replace"))

        threading.Thread(target=_read, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    if httpx.get(base + "/login", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start:\n" + "".join(output))
                time.sleep(0.2)
            yield Server(base, proc, output)
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    return _run()


def wait_job(client, analysis_id: str, timeout: float = 180) -> dict:
    """Poll an analysis until it is no longer queued or running."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        row = client.get(f"/api/analyses/{analysis_id}").json()
        if row["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return row
        time.sleep(0.25)
