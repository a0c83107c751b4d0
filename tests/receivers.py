"""Local receivers for the delivery tests, on 127.0.0.1 only: a webhook server that answers
like each chat platform (and checks 钉钉 / 飞书 signatures the way the platforms document
them, computed here independently), and an SMTP server with STARTTLS and AUTH (aiosmtpd)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SECRET = "SECtest-secret-0123456789"


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Webhooks:
    """A webhook receiver; ``hits`` lists every request in arrival order."""

    server: ThreadingHTTPServer
    hits: list[Hit] = field(default_factory=list)
    slow_seconds: float = 3.0

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


def _dingtalk_ok(query: dict[str, list[str]]) -> bool:
    """钉钉: sign = urlencode(base64(HmacSHA256(key=secret, timestamp + "\\n" + secret))),
    timestamp in ms within an hour of now."""
    try:
        ts, sign = query["timestamp"][0], query["sign"][0]
    except KeyError:
        return False
    if abs(time.time() * 1000 - int(ts)) > 3600 * 1000:
        return False
    mac = hmac.new(SECRET.encode(), (ts + "\n" + SECRET).encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), sign)  # parse_qs decoded it


def _feishu_ok(body: dict[str, Any]) -> bool:
    """飞书: sign = base64(HmacSHA256(key=timestamp + "\\n" + secret, message="")), seconds."""
    ts, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
    if not ts or abs(time.time() - int(ts)) > 3600:
        return False
    mac = hmac.new((ts + "\n" + SECRET).encode(), b"", hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), sign)


def webhook_server() -> Webhooks:
    hooks: Webhooks

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hooks.hits.append(Hit(parts.path, parse_qs(parts.query), dict(self.headers), body))
            path = parts.path
            if path == "/wecom":
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
            elif path == "/dingtalk":
                ok = _dingtalk_ok(parse_qs(parts.query))
                self._answer(200, {"errcode": 0, "errmsg": "ok"} if ok else
                             {"errcode": 310000, "errmsg": "sign not match"})
            elif path == "/feishu":
                ok = _feishu_ok(json.loads(body))
                self._answer(200, {"code": 0, "msg": "success"} if ok else
                             {"code": 19021, "msg": "sign match fail"})
            elif path == "/slack":
                self._answer(200, b"ok")
            elif path == "/json":
                self._answer(200, {"received": True})
            elif path == "/fail":
                self._answer(500, b"internal error")
            elif path == "/slow":
                time.sleep(hooks.slow_seconds)
                self._answer(200, {"received": True})
            elif path == "/redirect":
                self._answer(302, b"", {"Location": "/json"})
            else:
                self._answer(404, b"not found")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hooks = Webhooks(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return hooks


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@dataclass
class Smtp:
    controller: Controller
    mailbox: _Mailbox
    port: int
    ca_file: Path


def smtp_server(tmp: Path, user: str, password: str) -> Smtp:
    """SMTP on 127.0.0.1 requiring STARTTLS before AUTH LOGIN/PLAIN with ``user``/``password``;
    its certificate is signed by a throw-away CA written to ``tmp/ca.pem``."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=ctx,
                            require_starttls=True, authenticator=authenticator,
                            auth_require_tls=True)
    controller.start()
    return Smtp(controller, mailbox, port, ca_file)
