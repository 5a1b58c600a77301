"""The web app's REST API, through FastAPI's TestClient (in process, no server)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from factions import load_scenario
from factions.engines import ENGINES
from factions.scenario.io import builtin_names, loads_scenario
from factions.web.app import MODELS, create_app
from factions.web.guard import MAX_BODY
from factions.web.isolated import RunLimits

DATA = Path(__file__).parents[1] / "data"
PROBLEM = "application/problem+json"


@pytest.fixture
def client(dirs: tuple[Path, Path]) -> Iterator[TestClient]:
    runs, scenarios = dirs
    app = create_app(runs_dir=runs, scenarios_dir=scenarios)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    """The response is a problem-details document with ``status`` and no internals."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in r.text
    assert 'File "' not in r.text
    return body


def wait_for(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job: dict[str, Any] = client.get(f"/api/ensembles/{job_id}").json()
        if job["status"] in ("complete", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


# -- meta --------------------------------------------------------------------------------


def test_models_match_the_engine_registry(client: TestClient) -> None:
    assert set(MODELS) == set(ENGINES)
    names = [m["name"] for m in client.get("/api/models").json()]
    assert sorted(names) == sorted(ENGINES)


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/scenarios/{name}" in spec["paths"]
    assert "/api/simulate" in spec["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "cdn" not in docs.text.lower()
    assert client.get("/api/schema").json()["title"] == "Scenario"


def test_index_and_static_files_are_served_with_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "/static/app.js" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    for path in ("app.js", "style.css", "vendor/plotly.min.js", "vendor/cytoscape.min.js"):
        assert client.get(f"/static/{path}").status_code == 200


# -- scenarios ---------------------------------------------------------------------------


def test_list_scenarios_has_the_builtins(client: TestClient) -> None:
    entries = client.get("/api/scenarios").json()
    names = [e["name"] for e in entries]
    assert names == builtin_names()
    iraq = next(e for e in entries if e["name"] == "iraq-2008")
    assert iraq["builtin"]
    assert iraq["valid"]
    assert iraq["actors"] == 8
    assert iraq["issues"] == 3


def test_get_a_builtin_scenario(client: TestClient) -> None:
    doc = client.get("/api/scenarios/iraq-2008").json()
    assert doc["builtin"]
    assert doc["valid"]
    assert doc["problems"] == []
    assert doc["data"]["metadata"]["id"] == "iraq-2008"
    assert doc["yaml"].startswith("# Iraq, autumn 2008")  # the file as written, comments kept


def test_put_get_and_delete_a_saved_scenario(
    client: TestClient, minimal: dict[str, Any], dirs: tuple[Path, Path]
) -> None:
    text = "# my comment\n" + yaml.safe_dump(minimal)
    r = client.put("/api/scenarios/mine", json={"yaml": text})
    assert r.status_code == 201, r.text
    assert (dirs[1] / "mine.yaml").read_text("utf-8") == text  # stored as written
    assert client.put("/api/scenarios/mine", json={"yaml": text}).status_code == 200
    listed = {e["name"]: e for e in client.get("/api/scenarios").json()}
    assert listed["mine"]["builtin"] is False
    doc = client.get("/api/scenarios/mine").json()
    assert doc["yaml"] == text
    assert doc["valid"]
    # Data is stored as YAML.
    minimal["metadata"]["title"] = "Changed"
    r = client.put("/api/scenarios/mine", json={"data": minimal})
    assert r.status_code == 200
    assert loads_scenario(r.json()["yaml"]).metadata.title == "Changed"
    assert client.delete("/api/scenarios/mine").status_code == 204
    assert_problem(client.get("/api/scenarios/mine"), 404)
    assert_problem(client.delete("/api/scenarios/mine"), 404)


def test_put_an_invalid_scenario_names_each_problem(
    client: TestClient, minimal: dict[str, Any]
) -> None:
    minimal["stances"][1]["salience"] = 170
    minimal["stances"][0]["actor"] = "nobody"
    body = assert_problem(client.put("/api/scenarios/bad", json={"data": minimal}), 422)
    paths = {p["path"]: p["message"] for p in body["problems"]}
    assert "must be between 0 and 100, got 170" in paths["stances.1.salience"]
    assert "stances.0.actor" in paths
    assert_problem(client.get("/api/scenarios/bad"), 404)  # nothing was saved


def test_copy_a_builtin_then_edit_the_copy(client: TestClient) -> None:
    r = client.post("/api/scenarios/iraq-2008/copy", json={"name": "iraq-no-councils"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["builtin"] is False
    assert doc["data"]["metadata"]["id"] == "iraq-no-councils"
    data = doc["data"]
    data["dynamics"] = {**data.get("dynamics", {}), "patronage": False}
    assert client.put("/api/scenarios/iraq-no-councils", json={"data": data}).status_code == 200
    assert (
        client.get("/api/scenarios/iraq-no-councils").json()["data"]["dynamics"]["patronage"]
        is False
    )
    # A second copy to the same name is a conflict; copying a missing scenario is a 404.
    again = client.post("/api/scenarios/iraq-2008/copy", json={"name": "iraq-no-councils"})
    assert_problem(again, 409)
    assert_problem(client.post("/api/scenarios/nope/copy", json={"name": "x"}), 404)


def test_builtins_cannot_be_overwritten_or_deleted(client: TestClient) -> None:
    text = client.get("/api/scenarios/iraq-2008").json()["yaml"]
    for name in ("iraq-2008", "IRAQ-2008"):
        body = assert_problem(client.put(f"/api/scenarios/{name}", json={"yaml": text}), 403)
        assert "built-in" in body["detail"]
    assert_problem(client.delete("/api/scenarios/iraq-2008"), 403)
    assert_problem(client.post("/api/scenarios/soe-reform/copy", json={"name": "iraq-2008"}), 409)


@pytest.mark.parametrize(
    "name",
    ["..", ".hidden", "a.b", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a%00b", "x" * 65, "-lead", "a b"],
)
def test_bad_scenario_names_are_rejected(client: TestClient, name: str) -> None:
    for r in (
        client.get(f"/api/scenarios/{name}"),
        client.put(f"/api/scenarios/{name}", json={"yaml": "a: 1"}),
        client.delete(f"/api/scenarios/{name}"),
        client.get(f"/api/scenarios/{name}/export"),
    ):
        assert r.status_code in (400, 404, 405), (name, r.status_code)
        assert_problem(r, r.status_code)
    assert_problem(client.post("/api/scenarios/iraq-2008/copy", json={"name": "../evil"}), 400)


def test_traversal_never_touches_files_outside(client: TestClient, dirs: tuple[Path, Path]) -> None:
    outside = dirs[1].parent / "outside.yaml"
    client.put("/api/scenarios/..%2Foutside", json={"yaml": "a: 1"})
    assert not outside.exists()


def test_validate_reports_problems_with_paths(client: TestClient, minimal: dict[str, Any]) -> None:
    ok = client.post("/api/validate", json={"yaml": yaml.safe_dump(minimal)})
    assert ok.status_code == 200
    assert ok.json()["valid"] is True
    assert ok.json()["problems"] == []
    assert ok.json()["data"]["metadata"]["id"] == "mini"

    minimal["stances"][1]["salience"] = 170
    bad = client.post("/api/validate", json={"yaml": yaml.safe_dump(minimal)}).json()
    assert bad["valid"] is False
    assert bad["problems"] == [
        {"path": "stances.1.salience", "message": "must be between 0 and 100, got 170"}
    ]
    assert bad["data"]["stances"][1]["salience"] == 170  # the form still gets the data

    # Data in, YAML out (for the editor's YAML view).
    r = client.post("/api/validate", json={"data": minimal}).json()
    assert r["problems"][0]["path"] == "stances.1.salience"
    assert "salience: 170" in r["yaml"]

    syntax = client.post("/api/validate", json={"yaml": "a: [1, 2\nb: 3"}).json()
    assert syntax["valid"] is False
    assert syntax["data"] is None
    assert syntax["problems"][0]["message"].startswith("not valid YAML: line")


def test_validate_uses_the_safe_loader_and_stops_alias_bombs(client: TestClient) -> None:
    evil = "a: !!python/object/apply:os.system ['echo pwned']\n"
    r = client.post("/api/validate", json={"yaml": evil}).json()
    assert r["valid"] is False
    assert "not valid YAML" in r["problems"][0]["message"]
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for k in range(1, 9):
        ref = "*a" if k == 1 else f"*b{k - 1}"
        bomb += f"b{k}: &b{k} [{', '.join([ref] * 10)}]\n"
    r = client.post("/api/validate", json={"yaml": bomb}).json()
    assert r["valid"] is False
    assert "expands to more than 200000 values" in r["problems"][0]["message"]


@pytest.mark.parametrize("depth", [100, 900])
def test_deeply_nested_data_is_a_problem_not_a_crash(client: TestClient, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = f'{{"data": {{"metadata": {nested}}}}}'.encode()
    r = client.post("/api/validate", content=body, headers=_json())
    assert r.status_code == 200
    assert "nested more than" in r.json()["problems"][0]["message"]
    for path in ("/api/simulate", "/api/ensembles"):
        assert_problem(client.post(path, content=body, headers=_json()), 422)
    deep_yaml = client.post("/api/validate", json={"yaml": "a: " + nested})
    assert deep_yaml.json()["valid"] is False


def test_validate_needs_exactly_one_input(client: TestClient) -> None:
    body = assert_problem(client.post("/api/validate", json={}), 422)
    assert body["problems"]
    assert_problem(client.post("/api/validate", json={"yaml": "a: 1", "data": {}}), 422)
    assert_problem(client.post("/api/validate", content=b"{not json", headers=_json()), 422)


def _json() -> dict[str, str]:
    return {"content-type": "application/json"}


def test_export_yaml_round_trips(client: TestClient) -> None:
    for name in builtin_names():
        r = client.get(f"/api/scenarios/{name}/export")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/yaml")
        assert f'filename="{name}.yaml"' in r.headers["content-disposition"]
        original = client.get(f"/api/scenarios/{name}").json()["data"]
        assert loads_scenario(r.text) == loads_scenario(json.dumps(original), "json")
    as_json = client.get("/api/scenarios/iraq-2008/export?format=json")
    assert loads_scenario(as_json.text, "json").id == "iraq-2008"
    toml = client.get("/api/scenarios/emission-standards/export?format=toml")
    assert loads_scenario(toml.text, "toml").id == "emission-standards"
    assert_problem(client.get("/api/scenarios/iraq-2008/export?format=exe"), 422)


def test_import_a_ktab_csv(client: TestClient, tmp_path: Path) -> None:
    copy = tmp_path / "SOE-Pol-Comp.csv"
    copy.write_bytes((DATA / "ktab" / "SOE-Pol-Comp.csv").read_bytes())
    with copy.open("rb") as f:
        r = client.post("/api/import", files={"file": (copy.name, f, "text/csv")})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["valid"]
    assert not doc["builtin"]
    assert len(doc["data"]["actors"]) == 13
    assert [i["id"] for i in doc["data"]["issues"]] == ["policy", "competitive"]
    assert doc["name"] in [e["name"] for e in client.get("/api/scenarios").json()]
    # The imported scenario runs.
    run = client.post("/api/simulate", json={"scenario": doc["name"], "model": "smp"})
    assert run.status_code == 200, run.text


def test_import_a_bdm_csv_under_a_given_name(client: TestClient) -> None:
    path = DATA / "bdm" / "emission_standards.csv"
    with path.open("rb") as f:
        r = client.post(
            "/api/import", files={"file": (path.name, f, "text/csv")}, data={"name": "ec-cars"}
        )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["name"] == "ec-cars"
    assert doc["data"]["metadata"]["id"] == "ec-cars"
    assert len(doc["data"]["actors"]) == 10
    assert "/tmp" not in doc["yaml"]  # no server paths in the scenario
    with path.open("rb") as f:  # the name is taken now
        again = client.post("/api/import", files={"file": (path.name, f)}, data={"name": "ec-cars"})
    assert_problem(again, 409)


def test_import_problems_name_their_place(client: TestClient) -> None:
    bad = b"actor,capability,position,salience\nA,ten,4,80\n"
    body = assert_problem(client.post("/api/import", files={"file": ("x.csv", bad)}), 422)
    assert body["problems"] == [
        {"path": "line 2, capability", "message": "must be a number, got 'ten'"}
    ]
    xml = (DATA / "ktab" / "smpExample.xml").read_bytes()
    body = assert_problem(client.post("/api/import", files={"file": ("smpExample.xml", xml)}), 422)
    assert body["problems"][0]["path"] == "Actors.0.Position.dCoord.0"
    binary = assert_problem(
        client.post("/api/import", files={"file": ("x.csv", b"\xff\xfe\x00")}), 422
    )
    assert "UTF-8" in binary["problems"][0]["message"]
    assert_problem(
        client.post("/api/import", files={"file": ("x.csv", b"a")}, data={"name": "../x"}), 400
    )


# -- runs --------------------------------------------------------------------------------


def test_a_single_run_returns_answers_and_figures(client: TestClient) -> None:
    r = client.post("/api/simulate", json={"scenario": "iraq-2008", "model": "mean", "seed": 0})
    assert r.status_code == 200, r.text
    out = r.json()
    result = out["result"]
    assert result["scenario"] == "iraq-2008"
    assert len(result["questions"]) == len(load_scenario("iraq-2008").questions) == 10
    assert all(q["answered"] for q in result["questions"])
    assert "support-councils" in result["issues"]
    kinds = {f["kind"] for f in out["figures"]}
    assert {"plotly", "network", "table"} <= kinds
    sections = [f["section"] for f in out["figures"]]
    assert sections[0] == "answers"
    assert out["story"]
    assert out["story"][0]["lines"] is not None
    # Run an edited, unsaved scenario: the answers change with it.
    doc = client.get("/api/scenarios/iraq-2008").json()
    data = doc["data"]
    for st in data["stances"]:
        if st["actor"] == "siic" and st["issue"] == "support-councils":
            st["salience"] = 100
    edited = client.post("/api/simulate", json={"data": data}).json()["result"]
    before = result["issues"]["support-councils"]["forecast"]
    after = edited["issues"]["support-councils"]["forecast"]
    assert after < before


@pytest.mark.parametrize("model", sorted(ENGINES))
def test_every_model_runs(client: TestClient, model: str) -> None:
    r = client.post("/api/simulate", json={"scenario": "emission-standards", "model": model})
    assert r.status_code == 200, r.text
    assert r.json()["figures"]


def test_bad_run_requests(client: TestClient, minimal: dict[str, Any]) -> None:
    assert_problem(client.post("/api/simulate", json={"scenario": "nope"}), 404)
    assert_problem(client.post("/api/simulate", json={"scenario": "iraq-2008", "model": "x"}), 422)
    assert_problem(client.post("/api/simulate", json={}), 422)
    assert_problem(client.post("/api/simulate", json={"scenario": "../../etc/passwd"}), 400)
    minimal["stances"][0]["salience"] = -5
    body = assert_problem(client.post("/api/simulate", json={"data": minimal}), 422)
    assert body["problems"][0]["path"] == "stances.0.salience"
    # Too big for the web app: a problem, not a long run.
    minimal["stances"][0]["salience"] = 5
    minimal["metadata"]["horizon"] = "2999-01-01"
    body = assert_problem(client.post("/api/simulate", json={"data": minimal}), 422)
    assert body["problems"][0]["path"] == "metadata.horizon"


def test_an_ensemble_runs_with_progress_and_has_figures(client: TestClient) -> None:
    r = client.post("/api/ensembles", json={"scenario": "iraq-2008", "runs": 40, "seed": 1})
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/api/ensembles/{job['id']}"
    events: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/ensembles/{job['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
    assert events[-1][0] == "end"
    final = events[-1][1]
    assert final["status"] == "complete", final
    assert final["done"] == final["total"] == 40
    assert any(n == "progress" for n, _ in events)
    assert [e["done"] for _, e in events] == sorted(e["done"] for _, e in events)
    # The job's results come from the run store.
    run_id = final["run_id"]
    stored = {s["id"]: s for s in client.get("/api/runs").json()}
    assert stored[run_id]["status"] == "complete"
    assert stored[run_id]["runs"] == 40
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["aggregates"]["members"] == 40
    assert detail["figures"]
    assert detail["figures"][0]["section"] == "answers"
    assert any(f["kind"] == "plotly" for f in detail["figures"])
    assert [j["id"] for j in client.get("/api/ensembles").json()] == [job["id"]]
    # Remove it from the store.
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert_problem(client.get(f"/api/runs/{run_id}"), 404)


def test_cancel_a_running_ensemble(client: TestClient) -> None:
    job = client.post(
        "/api/ensembles", json={"scenario": "iraq-2008", "runs": 50_000, "seed": 2}
    ).json()
    r = client.post(f"/api/ensembles/{job['id']}/cancel")
    assert r.status_code == 200
    final = wait_for(client, job["id"], timeout=30)
    assert final["status"] == "cancelled"
    assert final["done"] < 50_000
    # The stored run is left interrupted (resumable), never complete.
    if final["run_id"]:
        detail = client.get(f"/api/runs/{final['run_id']}").json()
        assert detail["manifest"]["status"] != "complete"
        assert detail["figures"] == []


def test_resume_a_cancelled_ensemble(client: TestClient) -> None:
    start = {"scenario": "emission-standards", "runs": 30_000, "seed": 3}
    job = client.post("/api/ensembles", json=start).json()
    deadline = time.monotonic() + 30
    while client.get(f"/api/ensembles/{job['id']}").json()["done"] == 0:  # a chunk is stored
        assert time.monotonic() < deadline
        time.sleep(0.02)
    client.post(f"/api/ensembles/{job['id']}/cancel")
    cancelled = wait_for(client, job["id"], timeout=30)
    assert cancelled["status"] == "cancelled"
    run_id = cancelled["run_id"]
    assert run_id
    r = client.post(f"/api/runs/{run_id}/resume")
    assert r.status_code == 202, r.text
    resumed = wait_for(client, r.json()["id"], timeout=60)
    assert resumed["status"] == "complete"
    assert resumed["run_id"] == run_id
    assert client.get(f"/api/runs/{run_id}").json()["manifest"]["status"] == "complete"
    assert_problem(client.post(f"/api/runs/{run_id}/resume"), 409)  # complete already


def test_ensemble_job_errors(client: TestClient) -> None:
    assert_problem(client.get("/api/ensembles/0123456789ab"), 404)
    assert_problem(client.get("/api/ensembles/../../x"), 404)
    assert_problem(client.post("/api/ensembles/zzz/cancel"), 404)
    assert_problem(client.get("/api/ensembles/nope/events"), 404)
    too_many = {"scenario": "iraq-2008", "runs": 10_000_000}
    assert_problem(client.post("/api/ensembles", json=too_many), 422)
    assert_problem(client.get("/api/runs/..%2F..%2Fetc"), 404)
    assert_problem(client.get("/api/runs/.hidden"), 400)
    assert_problem(client.get("/api/runs/no-such-run"), 404)


# -- safety ------------------------------------------------------------------------------


def test_oversize_body_is_413(client: TestClient) -> None:
    big = {"yaml": "a: " + "x" * (MAX_BODY + 10)}
    body = assert_problem(client.post("/api/validate", json=big), 413)
    assert "larger than" in body["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(3):
            yield b"x" * (MAX_BODY // 2 + 1)

    assert_problem(client.post("/api/validate", content=chunks(), headers=_json()), 413)
    upload = {"file": ("big.csv", b"a" * (MAX_BODY + 1))}
    assert_problem(client.post("/api/import", files=upload), 413)


def test_foreign_hosts_and_cross_site_posts_are_refused(client: TestClient) -> None:
    assert_problem(client.get("/api/scenarios", headers={"host": "evil.example"}), 400)
    r = client.post(
        "/api/scenarios/iraq-2008/copy",
        json={"name": "x"},
        headers={"origin": "http://evil.example"},
    )
    assert_problem(r, 403)
    same = client.post(
        "/api/validate", json={"yaml": "a: 1"}, headers={"origin": "http://testserver"}
    )
    assert same.status_code == 200


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404)
    r = client.post("/api/scenarios")
    body = assert_problem(r, 405)
    assert body["title"] == "Method Not Allowed"


def test_an_internal_error_is_a_500_problem_without_internals(
    dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail /etc/shadow")

    monkeypatch.setattr("factions.web.app.simulate", broken)
    # In a thread of the server, so that the patched function is the one that runs.
    app = create_app(*dirs, limits=RunLimits(isolate=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/simulate", json={"scenario": "emission-standards"})
    body = assert_problem(r, 500)
    assert body["title"] == "Internal Server Error"
    assert "secret" not in r.text
    assert "shadow" not in r.text
    assert "RuntimeError" not in r.text


def test_a_broken_ensemble_fails_without_internals(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("factions.web.jobs.run_ensemble", broken)
    job = client.post("/api/ensembles", json={"scenario": "emission-standards", "runs": 5}).json()
    final = wait_for(client, job["id"])
    assert final["status"] == "failed"
    assert "secret" not in json.dumps(final)


def test_serve_listens_on_localhost(tmp_path: Path) -> None:
    """``serve()`` (what ``factions serve`` calls) answers on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "FACTIONS_RUNS": str(tmp_path / "runs"),
        "FACTIONS_SCENARIOS": str(tmp_path / "scenarios"),
    }
    code = f"from factions.web.app import serve; serve(port={port})"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/scenarios", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert r.status_code == 200
        assert "iraq-2008" in r.text
        # The defaults: $FACTIONS_SCENARIOS holds saved scenarios.
        put = httpx.put(
            f"http://127.0.0.1:{port}/api/scenarios/saved-one",
            json={"data": _mini()},
        )
        assert put.status_code == 201, put.text
        assert (tmp_path / "scenarios" / "saved-one.yaml").is_file()
    finally:
        proc.terminate()
        proc.wait(10)


def _mini() -> dict[str, Any]:
    return {
        "metadata": {"id": "saved-one", "title": "t", "date": "2008-10-15"},
        "actors": [{"id": "a", "name": "A", "capability": 1}],
        "issues": [{"id": "x", "name": "X"}],
        "stances": [{"actor": "a", "issue": "x", "position": 1, "salience": 1}],
    }


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_import_reads_every_format_factions_run_reads(
    client: TestClient, tmp_path: Path, fmt: str
) -> None:
    """The project's own formats import too (YAML used to be refused with a 422)."""
    from factions import load_scenario
    from factions.scenario.io import dump_scenario

    path = tmp_path / f"emission.{fmt}"
    dump_scenario(load_scenario("emission-standards"), path)
    r = client.post("/api/import", files={"file": (path.name, path.read_bytes())},
                    data={"name": f"ec-{fmt}"})  # fmt: skip
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["valid"]
    assert len(doc["data"]["actors"]) == len(load_scenario(str(path)).actors)
    bad = client.post("/api/import", files={"file": (f"bad.{fmt}", b"metadata: [")})
    body = assert_problem(bad, 422)
    assert body["problems"]
    assert "factions-upload" not in bad.text  # the upload's name, never a server path


def test_runs_refuse_a_calibration_file_path(client: TestClient, tmp_path: Path) -> None:
    # A calibration given by path would make the server read a file the client chose.
    probe = tmp_path / "probe.json"
    probe.write_text("{}", "utf-8")
    text = client.get("/api/scenarios/iraq-2008").json()["yaml"]
    text = text.replace("patronage_issue: support-councils",
                        f"patronage_issue: support-councils\n  calibration: {probe}")  # fmt: skip
    assert str(probe) in text
    for path in ("/api/simulate", "/api/ensembles"):
        body = assert_problem(client.post(path, json={"yaml": text, "model": "mean"}), 422)
        assert body["problems"][0]["path"] == "dynamics.calibration"
        assert "built-in calibrations only" in body["problems"][0]["message"]
