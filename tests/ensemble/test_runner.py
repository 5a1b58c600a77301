"""Ensembles: identical on every backend, resumable, and robust to a killed worker."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from factions import load_scenario, simulate
from factions.ensemble import DaskBackend, LocalBackend, ProcessBackend, run_ensemble
from factions.ensemble.runner import DELAY_ENV, plan, run_chunk
from factions.ensemble.sampling import uncertain_params
from factions.scenario.arrays import to_arrays
from factions.steps import STANDARD_SEQUENCE
from factions.store import RunDir

RUNS = 60
CHUNK = 15


def members(run: RunDir) -> dict[str, np.ndarray]:
    parts = sorted(run.parts.glob("members-*.parquet"))
    cols: dict[str, list[Any]] = {}
    for p in parts:
        for k, v in pq.read_table(p).to_pydict().items():
            cols.setdefault(k, []).extend(v)
    order = np.argsort(cols["member"])
    return {k: np.asarray(v)[order] for k, v in cols.items()}


def ensemble(tmp: Path, backend: Any, **kw: Any) -> Any:
    return run_ensemble(load_scenario("iraq-2008"), runs=RUNS, seed=7, chunk_size=CHUNK,
                        out=tmp, backend=backend, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def local_result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return ensemble(tmp_path_factory.mktemp("local"), LocalBackend())


def test_aggregates_are_plausible(local_result: Any) -> None:
    agg = local_result.aggregates
    assert agg["members"] == RUNS
    q = agg["questions"]["alliance-breaks"]
    m = members(local_result.run)
    assert q["probability_yes"] == np.mean(m["q:alliance-breaks"] == 1)
    band = agg["forecasts"]["support-councils"]
    assert band["q05"] <= band["q25"] <= band["q50"] <= band["q75"] <= band["q95"]
    assert sorted(np.unique(m["member"]).tolist()) == list(range(RUNS))
    assert local_result.manifest["status"] == "complete"
    steps = agg["steps"]
    assert steps == list(range(len(steps)))
    assert len(agg["series"]["tie:dawa|siic"]["q50"]) == len(steps)


def test_processes_backend_is_bit_identical(tmp_path: Path, local_result: Any) -> None:
    other = ensemble(tmp_path, ProcessBackend(workers=2))
    a, b = members(local_result.run), members(other.run)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert json.dumps(other.aggregates) == json.dumps(local_result.aggregates)


def test_dask_backend_is_bit_identical(tmp_path: Path, local_result: Any) -> None:
    other = ensemble(tmp_path, DaskBackend(workers=2))
    assert json.dumps(other.aggregates) == json.dumps(local_result.aggregates)
    assert (other.run.path / "aggregates.json").read_bytes() == (
        local_result.run.path / "aggregates.json"
    ).read_bytes()


def test_a_member_equals_a_single_run(tmp_path: Path) -> None:
    s = load_scenario("iraq-2008")
    arr = to_arrays(s)
    point = np.array([[p.value for p in uncertain_params(s, arr)]])
    res = run_ensemble(s, runs=1, seed=0, out=tmp_path, values=point)
    # the same random stream as the member's chunk (the elections by governorate draw
    # Dirichlet noise): chunk 0 of seed 0 is SeedSequence(0).spawn(1)[0]
    single = simulate(s, seed=np.random.SeedSequence(0).spawn(1)[0])
    m = members(res.run)
    for j, issue in enumerate(arr.issue_ids):
        assert m[f"forecast:{issue}"][0] == pytest.approx(single.forecast[j], abs=1e-9)
    answers = {a["id"]: a["answer"] for a in single.to_json()["questions"]}
    assert bool(m["q:alliance-breaks"][0]) == answers["alliance-breaks"]
    assert bool(m["q:rivalry-spirals"][0]) == answers["rivalry-spirals"]


class Interrupting:
    """A backend that computes some chunks, then dies (like a Ctrl-C)."""

    name = "interrupting"

    def __init__(self, after: int) -> None:
        self.after = after
        self.calls = 0

    def map(self, fn: Any, tasks: Any, on_done: Any) -> None:
        for t in tasks:
            if self.calls == self.after:
                raise KeyboardInterrupt
            self.calls += 1
            on_done(fn(t))


class Counting(LocalBackend):
    name = "counting"

    def __init__(self) -> None:
        self.chunks: list[int] = []

    def map(self, fn: Any, tasks: Any, on_done: Any) -> None:
        self.chunks += [t.chunk for t in tasks]
        super().map(fn, tasks, on_done)


def test_interrupted_run_resumes_and_computes_only_missing_chunks(
    tmp_path: Path, local_result: Any
) -> None:
    with pytest.raises(KeyboardInterrupt):
        ensemble(tmp_path, Interrupting(after=2))
    run = plan(load_scenario("iraq-2008"), runs=RUNS, seed=7, chunk_size=CHUNK, out=tmp_path).run
    assert run.manifest()["status"] == "interrupted"
    assert set(run.journal()) == {0, 1}
    counting = Counting()
    resumed = ensemble(tmp_path, counting)
    assert counting.chunks == [2, 3]
    assert resumed.manifest["resumed_chunks"] == [0, 1]
    assert json.dumps(resumed.aggregates) == json.dumps(local_result.aggregates)
    # A third run has nothing left to do.
    again = Counting()
    ensemble(tmp_path, again)
    assert again.chunks == []


def test_parts_are_written_atomically(tmp_path: Path) -> None:
    p = plan(load_scenario("iraq-2008"), runs=4, seed=1, chunk_size=4, out=tmp_path)
    p.run.parts.mkdir(parents=True)
    run_chunk(p.tasks[0])
    names = sorted(f.name for f in p.run.parts.iterdir())
    # no temporary leftovers
    assert names == ["members-00000.parquet", "series-00000.parquet", "sketch-00000.npz"]


def test_killed_dask_worker_loses_and_duplicates_nothing(
    tmp_path: Path, local_result: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dask.distributed import Client, LocalCluster

    monkeypatch.setenv(DELAY_ENV, "0.4")  # chunks slow enough to kill a worker mid-run
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        pids = list(client.run(os.getpid).values())

        def kill() -> None:
            time.sleep(0.6)
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill)
        killer.start()
        result = ensemble(tmp_path, DaskBackend(client=client, retries=3))
        killer.join()
        alive = list(client.run(os.getpid).values())
    assert pids[0] not in alive  # the worker really died (and was replaced)
    m = members(result.run)
    assert m["member"].tolist() == list(range(RUNS))  # none lost, none duplicated
    assert json.dumps(result.aggregates) == json.dumps(local_result.aggregates)


def test_most_seats_splits_ties(tmp_path: Path) -> None:
    """P(most seats) sums to 1: a member where k contestants tie for most counts 1/k each."""
    # the standard sequence's one national count ties more often than 14 councils do
    sc = load_scenario("iraq-2008")
    sc = sc.model_copy(
        update={"dynamics": sc.dynamics.model_copy(update={"steps": list(STANDARD_SEQUENCE)})}
    )
    res = run_ensemble(sc, runs=400, seed=3, out=tmp_path, backend=LocalBackend())
    m = members(res.run)
    for event, table in res.aggregates["elections"].items():
        cols = [c for c in m if c.startswith("seats:") and c.endswith(f":{event}")]
        seats = np.column_stack([m[c] for c in cols]).astype(float)
        top = seats == seats.max(axis=1, keepdims=True)
        assert (top.sum(axis=1) > 1).any(), "the case needs members with a tie for most seats"
        share = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)
        for c, expected in zip(cols, share, strict=True):
            actor = c.split(":")[1]
            assert table[actor]["probability_most_seats"] == pytest.approx(expected, abs=1e-12)
        total = sum(v["probability_most_seats"] for v in table.values())
        assert total == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_process_workers_merge_their_chunks_and_hand_over_every_chunk_once(
    tmp_path: Path, backend: str
) -> None:
    """Each worker keeps a partial aggregate; the end collects one per worker (the process
    pool's and Dask's collecting tasks queued behind the last chunks), together holding
    every chunk exactly once (the coordinator adds no chunk sketch itself)."""
    import functools
    import uuid

    from factions.ensemble.runner import flush_partial

    p = plan(load_scenario("iraq-2008"), runs=RUNS, seed=7, chunk_size=CHUNK, out=tmp_path)
    p.run.parts.mkdir(parents=True)
    token = uuid.uuid4().hex
    tasks = [dataclasses.replace(t, merge=token) for t in p.tasks]
    done: list[Any] = []
    partials: list[Any] = []
    pool = ProcessBackend(workers=2) if backend == "processes" else DaskBackend(workers=2)
    pool.map(run_chunk, tasks, done.append, finish=functools.partial(flush_partial, token),
             on_finish=partials.append)  # fmt: skip
    assert all(d.error is None and d.sketch is None for d in done)
    assert len(partials) == 2
    chunks = sorted(c for part in partials if part is not None for c in part["chunks"])
    assert chunks == list(range(len(p.tasks)))


def test_partials_lost_or_overlapping_fall_back_to_the_stored_sketches(
    tmp_path: Path, local_result: Any
) -> None:
    """Whatever the workers hand over (a lost worker's nothing, overlapping partials), the
    aggregates equal those merged chunk by chunk, bit for bit."""
    from factions.ensemble.runner import aggregates_of, load_sketch, merge_partials
    from factions.ensemble.sketch import Accumulator

    s = load_scenario("iraq-2008")
    run = local_result.run

    def partial(chunks: list[int], claimed: list[int] | None = None) -> dict[str, Any]:
        acc = Accumulator()
        for c in chunks:
            acc.add(load_sketch(run, c), c)
        return {"chunks": chunks if claimed is None else claimed, "accumulator": acc}

    expected = json.dumps(local_result.aggregates)
    for partials in ([partial([2, 0]), partial([1, 3])],  # complete
                     [partial([3]), None, partial([1])],  # chunks 0 and 2 lost
                     [partial([0, 1]), partial([1, 2, 3])],  # overlap: all from disk
                     [partial([0, 1, 2, 3], [0, 1, 2, 3, 4])],  # a chunk not in this run
                     []):  # fmt: skip
        acc = Accumulator()
        merge_partials(acc, run, partials, {0, 1, 2, 3})
        assert json.dumps(aggregates_of(acc, s)) == expected


def test_interrupted_process_run_resumes_to_the_same_aggregates(
    tmp_path: Path, local_result: Any
) -> None:
    """Resumed with workers that merge their own chunks: the finished chunks come from their
    stored sketches, the rest from the workers' partials; the sum is the same."""
    with pytest.raises(KeyboardInterrupt):
        ensemble(tmp_path, Interrupting(after=1))
    resumed = ensemble(tmp_path, ProcessBackend(workers=2))
    assert resumed.manifest["resumed_chunks"] == [0]
    assert json.dumps(resumed.aggregates) == json.dumps(local_result.aggregates)
