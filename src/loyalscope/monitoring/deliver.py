"""Delivery of a run's one message to every channel of ``[monitor.notify]``.

Each channel gets ``retries`` further attempts after a failure, waiting ``backoff``,
``2 backoff``, ``4 backoff`` ... seconds; every network call has the ``timeout``. A channel
that still fails is reported with its last error (the CLI exits with code 4): a failed
delivery is never silent. Webhook URLs come from the configuration only, are http(s), and
are not followed through redirects; secrets and SMTP credentials come from environment
variables named in the configuration.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from loyalscope.config import EmailTarget, NotifyConfig, WebhookTarget
from loyalscope.i18n import t
from loyalscope.monitoring import channels
from loyalscope.monitoring.message import Message, build, selected

if TYPE_CHECKING:
    from loyalscope.monitoring.monitor import MonitorResult

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
K = "monitoring.delivery"


class _Failure(Exception):
    """A delivery attempt failed; ``retry`` says whether another attempt may help."""

    def __init__(self, detail: str, retry: bool = True) -> None:
        super().__init__(detail)
        self.retry = retry


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise _Failure(f"HTTP {code} redirect to {newurl} (not followed)", retry=False)


_OPENER = urllib.request.build_opener(_NoRedirect)


def notify(result: MonitorResult, cfg: NotifyConfig, lang: str) -> list[dict[str, Any]]:
    """Send ``result``'s message to every configured channel; one status dict per channel:
    ``channel``, ``name``, ``sent``, ``ok``, ``attempts``, ``error``."""
    targets: list[tuple[str, str, Callable[[Message], None]]] = []
    payload = result.to_dict()
    for i, hook in enumerate(cfg.webhooks):
        name = hook.name or f"{hook.kind}#{i + 1}"
        targets.append((hook.kind, name, _webhook_sender(hook, payload, cfg.timeout)))
    if cfg.email is not None:
        targets.append(("email", cfg.email.host, _email_sender(cfg.email, cfg.timeout)))
    if not targets:
        return []
    if not selected(result, cfg.min_severity) and not cfg.send_empty:
        return [{"channel": c, "name": n, "sent": False, "ok": True, "attempts": 0,
                 "error": None} for c, n, _ in targets]
    message = build(result, lang, cfg.min_severity, cfg.max_alerts)
    return [_attempts(c, n, send, message, cfg) for c, n, send in targets]


def _attempts(channel: str, name: str, send: Callable[[Message], None], message: Message,
              cfg: NotifyConfig) -> dict[str, Any]:
    error = None
    attempt = 0
    for attempt in range(1, cfg.retries + 2):
        try:
            send(message)
            return {"channel": channel, "name": name, "sent": True, "ok": True,
                    "attempts": attempt, "error": None}
        except _Failure as exc:
            error = str(exc)
            if not exc.retry:
                break
        if attempt <= cfg.retries:
            time.sleep(cfg.backoff * 2 ** (attempt - 1))
    return {"channel": channel, "name": name, "sent": False, "ok": False, "attempts": attempt,
            "error": error}


def _secret(env: str | None) -> str | None:
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise _Failure(t(f"{K}.missing_env", name=env), retry=False)
    return value


def _webhook_sender(hook: WebhookTarget, payload: dict[str, Any], timeout: float
                    ) -> Callable[[Message], None]:
    def send(message: Message) -> None:
        req = channels.request(hook.kind, hook.url, message, payload, _secret(hook.secret_env))
        if urlsplit(req.url).scheme not in ("http", "https"):
            raise _Failure(f"not an http(s) URL: {hook.url}", retry=False)
        http = urllib.request.Request(req.url, data=req.body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "loyalscope"})
        try:
            with _OPENER.open(http, timeout=timeout) as resp:
                status, body = resp.status, resp.read(65536)
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read(65536) if exc.fp else b""
        except (urllib.error.URLError, OSError) as exc:
            raise _Failure(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None
        ok, detail = channels.accepted(hook.kind, status, body)
        if not ok:
            raise _Failure(detail, retry=status in RETRY_STATUS or 200 <= status < 300)

    return send


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH with one mechanism, PLAIN where offered, else LOGIN (smtplib's ``login`` tries
    the next mechanism after a refusal, and some servers never answer that second try)."""
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if not offered:
        raise _Failure("the SMTP server offers no AUTH after STARTTLS", retry=False)
    mech = "PLAIN" if "PLAIN" in offered else "LOGIN"
    smtp.user, smtp.password = user, password
    smtp.auth(mech, smtp.auth_plain if mech == "PLAIN" else smtp.auth_login)


def _email_sender(cfg: EmailTarget, timeout: float) -> Callable[[Message], None]:
    def send(message: Message) -> None:
        user = os.environ.get(cfg.username_env) if cfg.username_env else None
        password = os.environ.get(cfg.password_env) if cfg.password_env else None
        if user and not password:
            raise _Failure(t(f"{K}.missing_env", name=cfg.password_env), retry=False)
        if user and cfg.security == "none":
            raise _Failure(t(f"{K}.no_tls"), retry=False)
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = cfg.sender
        mail["To"] = ", ".join(cfg.to)
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=cfg.sender.rpartition("@")[2])
        mail.set_content(message.text)
        context = ssl.create_default_context(cafile=cfg.ca_file)
        try:
            smtp: smtplib.SMTP
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
            with smtp:
                smtp.ehlo()
                if cfg.security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if user and password:
                    _login(smtp, user, password)
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise _Failure(f"SMTP login refused: {exc.smtp_code}", retry=False) from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise _Failure(f"{type(exc).__name__}: {exc}") from None

    return send
