"""Request bodies of the chat robots and the generic JSON webhook, their signatures, and how
each says that it accepted a message.

- ``json``: ``{"title", "text", "result"}`` (``result`` is the monitor's ``--json`` output);
  any 2xx answer is a success.
- ``wecom`` (企业微信 group robot): ``{"msgtype": "markdown", "markdown": {"content"}}``,
  at most 4,096 bytes; success is ``{"errcode": 0}``.
- ``dingtalk`` (钉钉 custom robot): ``{"msgtype": "markdown", "markdown": {"title",
  "text"}}``; with a secret (加签) the URL gets ``&timestamp=<ms>&sign=<s>``, ``s`` the
  URL-encoded Base64 HMAC-SHA256 of ``"<ms>\\n<secret>"`` keyed by the secret; success is
  ``{"errcode": 0}``.
- ``feishu`` (飞书 custom bot): ``{"msg_type": "text", "content": {"text"}}``; with a
  secret (签名校验) the body gets ``timestamp`` (seconds) and ``sign``, the Base64
  HMAC-SHA256 of an empty message keyed by ``"<s>\\n<secret>"``; success is ``{"code": 0}``.
- ``slack`` (incoming webhook): ``{"text"}`` with ``&``, ``<``, ``>`` escaped; success is
  the body ``ok``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from loyalscope.monitoring.message import Message

WECOM_MAX_BYTES = 4096


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes


def request(kind: str, url: str, message: Message, result: dict[str, Any],
            secret: str | None = None, now: float | None = None) -> Request:
    """The POST to send for a webhook of ``kind``."""
    now = time.time() if now is None else now
    payload: dict[str, Any]
    if kind == "json":
        payload = {"title": message.title, "text": message.text, "result": result}
    elif kind == "wecom":
        payload = {"msgtype": "markdown", "markdown": {"content": _cut(message.markdown,
                                                                        WECOM_MAX_BYTES)}}
    elif kind == "dingtalk":
        payload = {"msgtype": "markdown",
                   "markdown": {"title": message.title, "text": message.markdown}}
        if secret:
            ms = str(int(now * 1000))
            url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={dingtalk_sign(ms, secret)}"
    elif kind == "feishu":
        payload = {"msg_type": "text", "content": {"text": message.text}}
        if secret:
            s = str(int(now))
            payload = {"timestamp": s, "sign": feishu_sign(s, secret), **payload}
    elif kind == "slack":
        text = message.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        payload = {"text": text}
    else:
        raise ValueError(f"unknown webhook kind {kind!r}")
    return Request(url, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    """钉钉: URL-encoded Base64 of HMAC-SHA256(key=secret, "<timestamp>\\n<secret>")."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                   hashlib.sha256).digest()
    return quote_plus(base64.b64encode(mac).decode("ascii"))


def feishu_sign(timestamp_s: str, secret: str) -> str:
    """飞书: Base64 of HMAC-SHA256(key="<timestamp>\\n<secret>", empty message)."""
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def accepted(kind: str, status: int, body: bytes) -> tuple[bool, str]:
    """Whether the receiver accepted the message, and what it said."""
    text = body[:500].decode("utf-8", "replace")
    if not 200 <= status < 300:
        return False, f"HTTP {status}: {text}"
    if kind in ("wecom", "dingtalk", "feishu"):
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return False, f"not JSON: {text}"
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code not in (0, "0"):
            return False, f"code {code}: {answer.get('errmsg') or answer.get('msg') or text}"
    if kind == "slack" and text.strip() != "ok":
        return False, f"answer {text!r}"
    return True, text


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a line end."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: limit - 4].decode("utf-8", "ignore")
    return cut[: cut.rfind("\n")] + "\n..." if "\n" in cut else cut + "..."
