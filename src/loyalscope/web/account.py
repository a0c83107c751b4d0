"""Login and logout pages, and the admin's user list (add, change, remove named users)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyalscope.web.api import put_user
from loyalscope.web.guard import _set_cookie, cookie_names, csrf_form_check
from loyalscope.web.pages import _back, _web, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_form_check)])


def _local(target: str | None) -> str:
    """``target`` when it is a path on this server, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:2000]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_local(next), users=bool(_web(request).store.users()),
                  failed=False)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=1000)] = "",
          name: Annotated[str, Form(max_length=64)] = "",
          password: Annotated[str, Form(max_length=1024)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    auth = request.app.state.auth
    who = auth.check_token(token) if token else auth.check_password(name, password) if name else None
    if who is None:
        time.sleep(0.5)  # slows guessing; Argon2 already costs each password try
        return render(request, "login.html", 401, next=_local(next), failed=True,
                      users=bool(_web(request).store.users()))
    res = RedirectResponse(_local(next), status_code=303)
    _set_cookie(res, cookie_names(request.scope)[0], auth.session_cookie(who), request)
    return res


@router.post("/logout")
def logout(request: Request) -> Response:
    res = RedirectResponse("/login", status_code=303)
    res.delete_cookie(cookie_names(request.scope)[0], path="/")
    return res


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request) -> HTMLResponse:
    web = _web(request)
    return render(request, "admin.html", users=web.store.users(), settings=web.settings,
                  roles=("viewer", "analyst", "admin"), message=None)


@router.post("/admin/users")
def admin_add_user(request: Request, name: Annotated[str, Form(max_length=64)],
                   role: Annotated[str, Form(max_length=16)],
                   password: Annotated[str, Form(max_length=1024)]) -> Response:
    put_user(_web(request), name, role, password)
    return _back(request, "/admin")


@router.post("/admin/users/{name}/delete")
def admin_delete_user(request: Request, name: str) -> Response:
    _web(request).store.delete_user(name)
    return _back(request, "/admin")

