"""The ASGI layer every request passes first: language, body-size limit, authentication and
roles, the Origin check and CSRF cookie, and the security headers of every answer.

Order: (1) the page language is set for messages; (2) with auth off, a Host that is not a
loopback name is refused (DNS rebinding); (3) a body over ``max_upload_mb`` is refused from its
Content-Length, or cut off while it streams (413); (4) ``?token=`` becomes a session cookie;
the caller is found from ``Authorization: Bearer``, the session cookie or (auth off) nobody, and
its role checked against :data:`loyalscope.web.auth.POLICY` (401 / login page, 403); (5) a POST
whose ``Origin`` (or ``Referer``) is another site is refused, and one from a browser must carry
the CSRF token (header ``X-CSRF-Token`` here, or form field ``csrf_token``, checked by
:func:`csrf_form_check` once the form is parsed).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyalscope.i18n import t, use_lang
from loyalscope.web.auth import Auth, Principal, required_role
from loyalscope.web.settings import is_loopback

SAFE = ("GET", "HEAD", "OPTIONS")
CSP_APP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# the self-contained HTML report inlines Plotly and its own scripts: it runs sandboxed (an
# opaque origin without the app's cookies or API), never with the app's privileges
CSP_REPORT = ("sandbox allow-scripts allow-popups allow-downloads; default-src 'none'; "
              "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
              "img-src data: blob:; font-src data:; frame-ancestors 'none'")


class UploadTooLarge(HTTPException):
    """The request body is larger than ``--max-upload-mb`` (413)."""

    def __init__(self, limit_mb: int) -> None:
        super().__init__(413, t("web.limits.too_large", mb=limit_mb))
        self.fix = t("web.limits.too_large_fix", mb=limit_mb)


def cookie_names(scope: Scope) -> tuple[str, str]:
    """(session cookie, CSRF cookie) names; the port is part of them, as cookies ignore ports."""
    server = scope.get("server") or ("", 0)
    port = server[1] if server and server[1] else 0
    return f"loyalscope-session-{port}", f"loyalscope-csrf-{port}"


def error_body(kind: str, message: str, fix: str | None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "fix": fix, "where": None}}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Guard:
    """Pure ASGI middleware (no per-request task or body copy)."""

    def __init__(self, app: ASGIApp, auth: Auth, lang_of: Any, error_page: Any) -> None:
        self.app = app
        self.auth = auth
        self.lang_of = lang_of
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        with use_lang(self.lang_of(request)):
            await self._http(request, scope, receive, _with_headers(scope, send))

    def _deny(self, request: Request, status: int, kind: str, message: str, fix: str | None) -> Response:
        if request.url.path.startswith(("/api", "/static")) or request.method not in SAFE:
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(error_body(kind, message, fix), status_code=status, headers=headers)
        from loyalscope.errors import LoyalscopeError

        return self.error_page(request, LoyalscopeError(message, fix=fix), status)

    async def _http(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self.auth.settings
        state = scope.setdefault("state", {})
        method, path = scope["method"], scope["path"]
        session_cookie, csrf_cookie = cookie_names(scope)
        # (2) DNS rebinding: without auth, only loopback host names reach the app
        host = request.headers.get("host", "")
        if settings.no_auth and not is_loopback(urlsplit(f"//{host}").hostname or ""):
            await self._deny(request, 403, "Forbidden", t("web.auth.bad_host"), t("web.auth.bad_host_fix"))(
                scope, receive, send)
            return
        # (3) body size: refuse from the header, count while streaming
        limit = settings.max_upload_bytes
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            exc = UploadTooLarge(settings.max_upload_mb)
            await JSONResponse(error_body("UploadTooLarge", str(exc.detail), exc.fix), status_code=413,
                               headers={"Connection": "close"})(scope, receive, send)
            return
        receive = _limited(receive, limit, settings.max_upload_mb)
        # (4) who is asking
        who = self._principal(request, session_cookie)
        token = request.query_params.get("token")
        if token is not None and method in SAFE:
            by_token = self.auth.check_token(token)
            if by_token is not None and not path.startswith("/api"):
                query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
                res = RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)
                _set_cookie(res, session_cookie, self.auth.session_cookie(by_token), request)
                await res(scope, receive, send)
                return
            who = by_token or who
        role = required_role(method, path)
        if role is not None and who is None:
            if path.startswith("/api") or method not in SAFE:
                await self._deny(request, 401, "Unauthorized", t("web.auth.required"),
                                 t("web.auth.required_fix"))(scope, receive, send)
            else:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                await RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)(
                    scope, receive, send)
            return
        if role is not None and who is not None and not who.may(role):
            await self._deny(request, 403, "Forbidden", t("web.auth.role", role=role),
                             t("web.auth.role_fix", role=role))(scope, receive, send)
            return
        state["user"] = who
        # (5) cross-site requests and CSRF
        browser_id = request.cookies.get(csrf_cookie)
        new_browser = None
        if not browser_id or len(browser_id) > 128:
            browser_id = new_browser = secrets.token_urlsafe(24)
        state["csrf"] = self.auth.csrf_token(browser_id)
        if method not in SAFE:
            problem = self._cross_site(request, who, browser_id if new_browser is None else None,
                                       session_cookie, csrf_cookie)
            if problem == "origin":
                await self._deny(request, 403, "Forbidden", t("web.auth.cross_site"),
                                 t("web.auth.cross_site_fix"))(scope, receive, send)
                return
            if problem == "token":
                await self._deny(request, 403, "Forbidden", t("web.auth.csrf"),
                                 t("web.auth.csrf_fix"))(scope, receive, send)
                return
            state["csrf_pending"] = problem == "form"
        if new_browser is not None:
            send = _with_cookie(scope, send, csrf_cookie, new_browser, request)
        await self.app(scope, receive, send)

    def _principal(self, request: Request, session_cookie: str) -> Principal | None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            return self.auth.check_token(header[7:].strip())
        if not self.auth.enabled:
            return Principal("local", "admin", "open")
        return self.auth.from_cookie(request.cookies.get(session_cookie))

    def _cross_site(self, request: Request, who: Principal | None, browser_id: str | None,
                    session_cookie: str, csrf_cookie: str) -> str | None:
        """None (fine), "origin" (another site), "token" (no valid token), "form" (check the
        form field once parsed)."""
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        origin = request.headers.get("origin")
        referer = request.headers.get("referer")
        if origin is not None and origin.lower() != own:
            return "origin"
        if origin is None and referer and _origin_of(referer) != own:
            return "origin"
        if who is not None and who.via == "bearer":
            return None
        from_browser = (origin is not None or referer is not None or "sec-fetch-site" in request.headers
                        or session_cookie in request.cookies or csrf_cookie in request.cookies)
        if not from_browser:
            return None  # auth off, a script (curl): nothing a web page could have sent
        header = request.headers.get("x-csrf-token")
        if header is not None:
            return None if self.auth.csrf_ok(browser_id, header) else "token"
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if browser_id is not None and kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return "form"
        return "token"


async def csrf_form_check(request: Request) -> None:
    """Router dependency: the ``csrf_token`` form field of a browser's form post."""
    if not request.scope.get("state", {}).get("csrf_pending"):
        return
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(request.state.csrf, token):
        from loyalscope.web.state import Forbidden

        raise Forbidden(t("web.auth.csrf"), fix=t("web.auth.csrf_fix"))


def _limited(receive: Receive, limit: int, limit_mb: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise UploadTooLarge(limit_mb)
        return message

    return wrapped


def _set_cookie(res: Response, name: str, value: str, request: Request, same_site: str = "lax") -> None:
    res.set_cookie(name, value, httponly=True, samesite=same_site,  # type: ignore[arg-type]
                   secure=request.url.scheme == "https", path="/")


def _with_cookie(scope: Scope, send: Send, name: str, value: str, request: Request) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            res = Response()
            _set_cookie(res, name, value, request, "strict")
            headers = MutableHeaders(scope=message)
            for key, val in res.raw_headers:
                if key == b"set-cookie":
                    headers.append("set-cookie", val.decode("latin-1"))
        await send(message)

    return wrapped


def _with_headers(scope: Scope, send: Send) -> Send:
    path = scope["path"]
    report = path.endswith("/report") or ("/files/report" in path and path.endswith(".html"))

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Content-Security-Policy"] = CSP_REPORT if report else CSP_APP
            headers["X-Content-Type-Options"] = "nosniff"
            headers["X-Frame-Options"] = "DENY"
            headers["Referrer-Policy"] = "same-origin"
            if not path.startswith("/static") and "cache-control" not in headers:
                headers["Cache-Control"] = "no-store"
        await send(message)

    return wrapped
