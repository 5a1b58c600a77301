"""The run store under attack (issue 14, items 8-11): odd paths, bad and stray parts, a full
disk, a killed or interrupted coordinator of the process pool."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from factions import load_scenario
from factions.cli import app
from factions.ensemble import LocalBackend, run_ensemble
from factions.ensemble import runner as runner_mod
from factions.ensemble.runner import plan
from factions.ensemble.sensitivity import outputs_from_run

RUNS, CHUNK = 40, 10
ROOT = Path(__file__).resolve().parents[2]


def ensemble(out: Path, **kw: Any) -> Any:
    return run_ensemble(load_scenario("iraq-2008"), runs=RUNS, seed=4, chunk_size=CHUNK,
                        out=out, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return ensemble(tmp_path_factory.mktemp("ref"))


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", ["it's", "glob[1]", 'q"uote*?'])
def test_paths_with_quotes_and_glob_characters(tmp_path: Path, name: str, reference: Any) -> None:
    out = tmp_path / name
    res = ensemble(out)
    assert res.manifest["status"] == "complete"
    assert json.dumps(res.aggregates) == json.dumps(reference.aggregates)
    r = CliRunner().invoke(app, ["sensitivity", "iraq-2008", "--runs", "30", "--runs-dir", str(out),
                                 "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["members"] == 30


def test_bad_parts_are_recomputed_and_strays_ignored(tmp_path: Path, reference: Any) -> None:
    first = ensemble(tmp_path)
    parts = first.run.parts
    members3 = parts / "members-00003.parquet"
    members3.write_bytes(members3.read_bytes()[:100])  # truncated
    (parts / "series-00001.parquet").write_bytes(b"")  # emptied
    stray = parts / "members-00099.parquet"
    stray.write_bytes((parts / "members-00000.parquet").read_bytes())  # a stray copy
    (parts / "notes.txt").write_text("hello")
    (parts / ".members-00002.parquet.abc.tmp").write_bytes(b"half")  # a killed worker's
    warnings: list[str] = []

    class Counting(LocalBackend):
        chunks: ClassVar[list[int]] = []

        def map(self, fn: Any, tasks: Any, on_done: Any) -> None:
            self.chunks.extend(t.chunk for t in tasks)
            super().map(fn, tasks, on_done)

    again = ensemble(tmp_path, backend=Counting(), warn=warnings.append)
    assert sorted(Counting.chunks) == [1, 3]
    assert again.aggregates["members"] == RUNS
    assert json.dumps(again.aggregates) == json.dumps(reference.aggregates)
    text = "\n".join(warnings)
    assert "members-00099.parquet: not a part of this run; ignored" in text
    assert "notes.txt: not a part of this run; ignored" in text
    assert "members-00003.parquet: missing, or changed" in text
    assert "series-00001.parquet: missing, or changed" in text
    assert leftovers(tmp_path) == []
    # Queries over the stored members read the journal's parts only (not the stray).
    assert len(again.run.part_files("members")) == RUNS // CHUNK
    _, x, _ = outputs_from_run(again.run.path, load_scenario("iraq-2008"))
    assert x.shape[0] == RUNS


def test_manifest_records_each_part_with_size_and_hash(reference: Any) -> None:
    parts = reference.manifest["parts"]
    assert sorted(parts) == [str(c) for c in range(RUNS // CHUNK)]
    for recs in parts.values():
        assert {r["name"].split("-")[0] for r in recs} == {"members", "series", "sketch"}
        for r in recs:
            path = reference.run.parts / r["name"]
            assert path.stat().st_size == r["size"]
            assert len(r["sha256"]) == 64


def test_disk_full_is_a_clean_resumable_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    real = runner_mod.write_parquet_atomic
    calls = {"n": 0}

    def full(path: Path, columns: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 4:  # two chunks (series and members each) fit, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, columns)

    monkeypatch.setattr(runner_mod, "write_parquet_atomic", full)
    args = ["ensemble", "iraq-2008", "--runs", str(RUNS), "--seed", "4", "--chunk-size",
            str(CHUNK), "--runs-dir", str(tmp_path)]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert "series-00002.parquet: no space left on device" in r.stderr
    assert "resumable" in r.stderr
    assert leftovers(tmp_path) == []
    p = plan(load_scenario("iraq-2008"), runs=RUNS, seed=4, chunk_size=CHUNK, out=tmp_path)
    assert p.run.manifest()["status"] == "interrupted"
    assert set(p.run.journal()) == {0, 1}
    monkeypatch.setattr(runner_mod, "write_parquet_atomic", real)
    resumed = ensemble(tmp_path)
    assert resumed.manifest["resumed_chunks"] == [0, 1]
    assert json.dumps(resumed.aggregates) == json.dumps(reference.aggregates)


SCRIPT = """
import os, sys
from pathlib import Path
from factions import load_scenario
from factions.ensemble import ProcessBackend, run_ensemble
try:
    run_ensemble(load_scenario("iraq-2008"), runs=int(sys.argv[2]), seed=1, chunk_size=10,
                 out=Path(sys.argv[1]), backend=ProcessBackend(workers=2), store_series=False)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _start(out: Path, runs: int) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTIONS_CHUNK_DELAY": "0.5", "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), str(runs)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _workers(pid: int, n: int = 2) -> list[int]:
    import psutil

    for _ in range(300):
        kids = [c.pid for c in psutil.Process(pid).children(recursive=True)
                if "resource_tracker" not in " ".join(c.cmdline())]  # fmt: skip
        if len(kids) >= n:
            return kids
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


def _journal_lines(out: Path) -> int:
    found = list(out.glob("*/parts.jsonl"))
    return len(found[0].read_text().splitlines()) if found else 0


def test_killed_coordinator_takes_its_workers_with_it(tmp_path: Path) -> None:
    import psutil

    proc = _start(tmp_path, 400)
    assert _workers(proc.pid)
    for _ in range(400):  # the workers compute
        if _journal_lines(tmp_path) >= 2:
            break
        time.sleep(0.05)
    everyone = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs(everyone, timeout=5)
    assert alive == [], [p.cmdline() for p in alive]


def test_ctrl_c_stops_within_a_second_and_the_run_resumes(tmp_path: Path) -> None:
    proc = _start(tmp_path, 400)
    _workers(proc.pid)
    for _ in range(200):  # wait for a few chunks
        if _journal_lines(tmp_path) >= 2:
            break
        time.sleep(0.05)
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=10)
    stopped = time.perf_counter() - t0
    assert code == 130, proc.stderr.read() if proc.stderr else ""
    assert stopped < 1.5
    done = _journal_lines(tmp_path)
    assert done < 40
    time.sleep(0.7)  # nothing keeps computing after the exit
    assert _journal_lines(tmp_path) == done
    assert leftovers(tmp_path) == []
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    res = run_ensemble(load_scenario("iraq-2008"), runs=400, seed=1, chunk_size=10, out=tmp_path,
                       store_series=False)  # fmt: skip
    assert res.manifest["status"] == "complete"
    assert len(res.manifest["resumed_chunks"]) == done


def test_cli_warns_of_stray_files_and_can_skip_the_series(tmp_path: Path) -> None:
    args = ["ensemble", "iraq-2008", "--runs", "20", "--chunk-size", "10", "--runs-dir",
            str(tmp_path), "--json", "--no-store-series"]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    (run_dir,) = tmp_path.iterdir()
    assert sorted(p.name.split("-")[0] for p in (run_dir / "parts").iterdir()) == [
        "members", "members", "sketch", "sketch"
    ]  # fmt: skip
    (run_dir / "parts" / "members-00007.parquet").write_bytes(b"x")
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "warning: " in r.stderr
    assert "members-00007.parquet: not a part of this run; ignored" in r.stderr
    assert json.loads(r.stdout)["members"] == 20


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_a_full_disk_in_a_worker_is_one_clean_line(tmp_path: Path, backend: str) -> None:
    """Files over 150 KB cannot be written (RLIMIT_FSIZE): the first series part fails in a
    worker process; the CLI exits 2 naming it, with no traceback and no temporary file."""
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    code = "import sys; from factions.cli import main; sys.argv[0] = 'factions'; main()"
    args = ["ensemble", "iraq-2008", "--runs", "200", "--chunk-size", "100", "--runs-dir",
            str(tmp_path), "--backend", backend, "--workers", "2"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                       text=True, preexec_fn=limit, timeout=120)  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "parts/series-0000" in r.stderr
    assert "resumable" in r.stderr
    assert leftovers(tmp_path) == []
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
