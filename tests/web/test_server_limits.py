"""The web server under the probes of issue 14, against a real server on loopback.

One uvicorn server (``serve()``, as ``factions serve`` starts it) runs in a subprocess for
the module, with small limits (one run at a time, one-second header and body timeouts);
every request has a client timeout and the server is stopped (and waited for) at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

HEADER_TIMEOUT = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}"

    def run_processes(self) -> list[int]:
        """The run processes: children of the forkserver, which is a child of the server."""
        out = []
        for pid in _children(self.proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"forkserver" in cmd:
                out += _children(pid)
        return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    port = _free_port()
    code = (
        "from factions.web.app import serve; from factions.web.isolated import RunLimits; "
        f"serve(port={port}, runs_dir={str(tmp / 'runs')!r}, "
        f"scenarios_dir={str(tmp / 'scenarios')!r}, limits=RunLimits(max_runs=1, "
        f"timeout=60, header_timeout={HEADER_TIMEOUT}, body_timeout={HEADER_TIMEOUT}))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    srv = Server(proc, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{srv.url}/api/models", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield srv
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover - the test below fails then
            proc.kill()
            proc.wait(5)


def _scenario(n: int, **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"id": "probe", "title": "Probe", "date": "2008-10-15", **meta},
        "actors": [{"id": f"a{i}", "name": f"A{i}", "capability": 1 + i % 9} for i in range(n)],
        "issues": [{"id": "x", "name": "X"}],
        "stances": [
            {"actor": f"a{i}", "issue": "x", "position": (37 * i) % 101, "salience": 10 + i % 90}
            for i in range(n)
        ],
    }


def test_ktab_import_bomb_is_refused_with_bounded_memory(server: Server) -> None:
    """Item 1: an 80-byte KTAB CSV grew the server to 23.8 GB."""
    bomb = b"T,d,2,1e9\nActor,Desc,Power,P1,S1\nA,a,1,10,50\nB,b,1,90,50\n"
    start = time.monotonic()
    r = httpx.post(f"{server.url}/api/import", files={"file": ("k.csv", bomb)}, timeout=30)
    assert r.status_code == 422, r.text
    assert "nDims" in r.text
    assert time.monotonic() - start < 10
    assert _rss(server.proc.pid) < 1024**3


def test_endless_date_is_refused(server: Server) -> None:
    """Item 2: a scenario dated December 9999 looped forever and burnt the server's CPU."""
    data = _scenario(2, date="9999-12-30", horizon="9999-12-31")
    r = httpx.post(f"{server.url}/api/simulate", json={"data": data}, timeout=30)
    assert r.status_code == 422, r.text
    assert "metadata.date" in r.text


def test_names_ending_in_a_newline_are_refused(server: Server) -> None:
    """Item 13: ``PUT /api/scenarios/mine%0a`` created ``mine\\n.yaml``."""
    r = httpx.put(f"{server.url}/api/scenarios/mine%0A", json={"data": _scenario(2)}, timeout=30)
    assert r.status_code == 400, r.text
    assert httpx.get(f"{server.url}/api/scenarios/mine%0A", timeout=30).status_code == 400


def test_slow_headers_and_bodies_are_cut_off(server: Server) -> None:
    """Item 12: 30 slow connections were never closed."""
    socks = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"GET /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        socks.append(s)
    slow_body = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    slow_body.sendall(
        b"POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    start = time.monotonic()
    for s in socks:
        assert s.recv(1024) == b""  # closed by the server
        s.close()
    assert time.monotonic() - start < HEADER_TIMEOUT + 8
    answer = slow_body.recv(4096)
    slow_body.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    # The server still answers.
    assert httpx.get(f"{server.url}/api/models", timeout=30).status_code == 200


def test_abandoned_runs_are_stopped_and_runs_are_limited(server: Server) -> None:
    """Item 12: abandoned /api/simulate requests kept computing (80 CPU-s after the
    clients left); any number could run at once."""
    body = json.dumps({"data": _scenario(120), "model": "smp"}).encode()
    client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    client.sendall(
        b"POST /api/simulate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    deadline = time.monotonic() + 60
    while not server.run_processes():
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.05)
    # One run at a time: a second is refused at once.
    second = httpx.post(f"{server.url}/api/simulate", content=body, timeout=30,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert second.status_code == 503, second.text
    assert "busy" in second.text
    assert server.run_processes(), "the first run should still be running"
    client.close()  # the client goes away
    deadline = time.monotonic() + 10
    while server.run_processes():
        assert time.monotonic() < deadline, "the abandoned run is still running"
        time.sleep(0.1)


def test_validate_does_not_parse_in_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 12: /api/validate parsed in the event loop (a 1 MB document blocked every other
    request for 1.2 s). Parsing now runs in a worker thread: no event loop runs there."""
    import asyncio

    from fastapi.testclient import TestClient

    from factions.web import app as web_app

    real = web_app.parse_text
    loops: list[bool] = []

    def parse(text: str) -> Any:
        try:
            asyncio.get_running_loop()
            loops.append(True)
        except RuntimeError:
            loops.append(False)
        return real(text)

    monkeypatch.setattr(web_app, "parse_text", parse)
    with TestClient(web_app.create_app(Path("runs-unused"), Path("sc-unused"))) as c:
        r = c.post("/api/validate", json={"yaml": "a: 1\n"})
    assert r.status_code == 200
    assert loops == [False]


def test_server_stops_on_sigterm_during_a_run(tmp_path: Path) -> None:
    """Item 2: the server ignored SIGTERM while a request burnt CPU."""
    port = _free_port()
    code = (
        "from factions.web.app import serve; "
        f"serve(port={port}, runs_dir={str(tmp_path / 'r')!r}, "
        f"scenarios_dir={str(tmp_path / 's')!r})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    srv = Server(proc, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{srv.url}/api/models", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        body = {"data": _scenario(120), "model": "smp"}
        t = threading.Thread(target=_post_ignoring_errors, args=(srv.url, body))
        t.start()
        deadline = time.monotonic() + 20
        while not srv.run_processes():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        kids = _descendants(proc.pid)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        assert time.monotonic() - start < 15
        t.join(30)
        deadline = time.monotonic() + 10
        while alive := [p for p in kids if _is_running(p)]:
            assert time.monotonic() < deadline, f"processes of the server outlived it: {alive}"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _post_ignoring_errors(url: str, body: Any) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{url}/api/simulate", json=body, timeout=30)


def test_a_run_cut_off_by_a_server_stop_is_listed_as_resumable(
    tmp_path: Path,
) -> None:
    """Item 12: after a restart, a run the server was computing when it was killed kept
    ``running`` in its manifest, and nothing said it could be resumed."""
    from fastapi.testclient import TestClient

    from factions.web.app import create_app

    runs, scenarios = tmp_path / "runs", tmp_path / "scenarios"
    with TestClient(create_app(runs, scenarios)) as c:
        # Enough members that the cancel lands before the end (3,000 finished first once
        # aggregates streamed).
        job = c.post("/api/ensembles", json={"scenario": "emission-standards", "runs": 20000})
        job_id = job.json()["id"]
        deadline = time.monotonic() + 60
        while c.get(f"/api/ensembles/{job_id}").json()["done"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        c.post(f"/api/ensembles/{job_id}/cancel")
        while c.get(f"/api/ensembles/{job_id}").json()["status"] not in ("cancelled", "complete"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    # What a killed server leaves: the manifest still says running.
    (manifest,) = runs.glob("*/manifest.json")
    data = json.loads(manifest.read_text("utf-8"))
    assert data["status"] != "complete", "the ensemble finished before it could be cancelled"
    data["status"] = "running"
    manifest.write_text(json.dumps(data), "utf-8")
    with TestClient(create_app(runs, scenarios)) as c:
        (stored,) = c.get("/api/runs").json()
        assert stored["status"] == "interrupted"
        r = c.post(f"/api/runs/{stored['id']}/resume")
        assert r.status_code == 202, r.text
        resumed = r.json()["id"]
        deadline = time.monotonic() + 120
        while c.get(f"/api/ensembles/{resumed}").json()["status"] != "complete":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        (stored,) = c.get("/api/runs").json()
        assert stored["status"] == "complete"
