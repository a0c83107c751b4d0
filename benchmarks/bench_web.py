"""Dashboard under load: 50 concurrent clients on a 1M-customer analysis for 60 s (loopback).

The analysis folder is built, not analysed at 1M customers: a normal analysis of a simulated
company (500 customers) gives ``analysis.json`` and the reports, and its ``customers.parquet``
is replaced by 1,000,000 rows of the same columns (the real rows repeated under new ids, so
every column has real values). ``loyalscope serve`` then serves that folder with token
authentication and ``--http-workers 2``; each client is a keep-alive HTTP/1.1 connection that
sends, in turn, the dashboard JSON, the dashboard page, one customer by id and a prefix search,
as fast as the answers come. Bounded: loopback only, a fixed duration, then it stops.

Target (issue #13): 0 errors, dashboard and lookup p99 under 1 s on 2 cores.
Usage: ``python -m benchmarks.run --only web [--size small]``.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.run import machine

TOKEN = "bench-token-loopback-only"
KINDS = ("dashboard_api", "dashboard_page", "customer", "search")


def build_folder(out: Path, customers: int) -> list[str]:
    """An analysis folder with a ``customers`` -row customers.parquet; returns the ids."""
    from loyalscope.analysis import analyze
    from loyalscope.config import AnalysisConfig
    from loyalscope.data.load import load
    from loyalscope.data.simulate import simulate
    from loyalscope.report.outputs import write_outputs

    data = out.parent / "data"
    simulate(customers=500, days=365, seed=1).write(data)
    config = AnalysisConfig.load(None, locale="zh")
    dataset = load(str(data), config=config)
    write_outputs(analyze(dataset, config), dataset, out, "zh")
    small = pd.read_parquet(out / "customers.parquet")
    reps = -(-customers // len(small))
    big = pd.concat([small] * reps, ignore_index=True).iloc[:customers].copy()
    ids = [f"C{i:07d}" for i in range(1, customers + 1)]
    random.Random(1).shuffle(ids)  # the file is not in id order: the server sorts it
    big["customer_id"] = ids
    big.to_parquet(out / "customers.parquet", index=False)
    return ids


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: dict[str, int] = {k: 0 for k in KINDS}
        self.causes: dict[str, int] = {}
        self.bytes = 0

    def error(self, kind: str, cause: str) -> None:
        self.errors[kind] += 1
        self.causes[cause] = self.causes.get(cause, 0) + 1


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
                   path: str) -> tuple[int, int]:
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
                  "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n").encode("ascii"))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    length = int(headers.get("content-length", "0"))
    await reader.readexactly(length)
    return status, length


async def _client(port: int, analysis: str, ids: list[str], until: float, stats: Stats, seed: int) -> None:
    rnd = random.Random(seed)
    host = f"127.0.0.1:{port}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    paths = {
        "dashboard_api": lambda: f"/api/analyses/{analysis}/dashboard?lang={rnd.choice(['zh', 'en'])}",
        "dashboard_page": lambda: f"/analyses/{analysis}?lang={rnd.choice(['zh', 'en'])}",
        "customer": lambda: f"/api/analyses/{analysis}/customers/{rnd.choice(ids)}",
        "search": lambda: f"/api/analyses/{analysis}/customers?q={rnd.choice(ids)[:6]}&limit=25",
    }
    i = rnd.randrange(len(KINDS))
    try:
        while time.monotonic() < until:
            kind = KINDS[i % len(KINDS)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, size = await _request(reader, writer, host, paths[kind]())
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                stats.error(kind, type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            stats.times[kind].append(time.perf_counter() - t0)
            stats.bytes += size
            if status != 200:
                stats.error(kind, f"HTTP {status}")
    finally:
        writer.close()


async def _load(port: int, analysis: str, ids: list[str], clients: int, seconds: float) -> Stats:
    stats = Stats()
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(port, analysis, ids, until, stats, s) for s in range(clients)))
    return stats


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(folder: Path, port: int, http_workers: int, log: Any) -> subprocess.Popen[bytes]:
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "loyalscope", "serve", str(folder), "--host", "127.0.0.1",
                             "--port", str(port), "--token", TOKEN, "--http-workers", str(http_workers)],
                            stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start")


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def run(size: str) -> str:
    customers, clients, seconds = (1_000_000, 50, 60.0) if size == "full" else (20_000, 10, 10.0)
    http_workers = max(1, min(4, os.cpu_count() or 1))
    work = Path(tempfile.mkdtemp(prefix="loyalscope-bench-web-"))
    try:
        t0 = time.perf_counter()
        ids = build_folder(work / "out", customers)
        build_s = time.perf_counter() - t0
        port = _free_port()
        load_before = os.getloadavg()
        log = open(work / "server.log", "wb")
        proc = _start(work / "out", port, http_workers, log)
        try:
            import httpx

            with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120) as c:
                analysis = c.get("/api/analyses").json()[0]["id"]
                t1 = time.perf_counter()
                for _ in range(http_workers * 2):  # every worker process builds its caches once
                    for lang in ("zh", "en"):
                        c.get(f"/api/analyses/{analysis}/dashboard?lang={lang}").raise_for_status()
                        c.get(f"/analyses/{analysis}?lang={lang}").raise_for_status()
                    c.get(f"/api/analyses/{analysis}/customers/{ids[0]}").raise_for_status()
                warm_s = time.perf_counter() - t1
            stats = asyncio.run(_load(port, analysis, ids, clients, seconds))
        finally:
            proc.terminate()
            proc.wait(30)
            log.close()
        load_after = os.getloadavg()
        server_log = (work / "server.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(len(v) for v in stats.times.values())
    errors = sum(stats.errors.values())
    rows = []
    for kind in KINDS:
        v = stats.times[kind]
        rows.append(f"| {kind} | {len(v):,} | {stats.errors[kind]} | {_pct(v, 50):.0f} | {_pct(v, 99):.0f} | "
                    f"{(max(v) * 1000 if v else float('nan')):.0f} |")
    p99 = max(_pct(stats.times[k], 99) for k in KINDS)
    met = "met" if errors == 0 and p99 < 1000 else "not met"
    if size != "full":
        met = "n/a (small run)"
    return "\n".join([
        "## Dashboard under load (`bench_web.py`)",
        "",
        f"{clients} concurrent keep-alive clients for {seconds:.0f} s against `loyalscope serve` "
        f"(token auth, {http_workers} HTTP worker processes) on one analysis with "
        f"{customers:,} scored customers, all on 127.0.0.1. The analysis folder was built "
        "(analysis.json of a 500-customer simulated company, customers.parquet grown to "
        f"{customers:,} rows of the same columns) in {build_s:.0f} s; warm-up (each worker's "
        f"dashboard payloads and the sorted lookup table) {warm_s:.1f} s. Each client cycles: "
        "dashboard JSON (gzip), dashboard page, one customer by id, a 6-character id-prefix search.",
        "",
        "| request | answers | errors | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"{total:,} answers in {seconds:.0f} s ({total / seconds:,.0f}/s, "
        f"{stats.bytes / seconds / 2**20:.1f} MiB/s), {errors} errors; worst p99 {p99:.0f} ms "
        f"(target: 0 errors and p99 < 1000 ms: {met}). Load generator in the same machine. "
        + (f"Errors by cause: {stats.causes}. " if errors else "") +
        f"Machine: {machine()}; load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
        "(the machine is shared with other sessions).",
        *(["", "Server log (last lines):", "", "```", server_log.strip(), "```"] if errors and server_log.strip() else []),
    ])


if __name__ == "__main__":
    print(run(sys.argv[1] if len(sys.argv) > 1 else "small"))
