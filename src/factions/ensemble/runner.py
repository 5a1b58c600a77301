"""Ensembles: draw members, run them in chunks on a backend, store the parts, aggregate.

One seed fixes everything: the sample matrix (all members' inputs) is drawn from the seed;
the members are cut into chunks of a fixed size (which depends on the run, never on the
backend or the number of workers); chunk ``k`` runs with the ``k``-th child of
``SeedSequence(seed)``. So a run gives the same members, bit for bit, on every backend with
any number of workers. Each chunk also computes its aggregate state (bucket counts of a
log-spaced histogram and exact counters, :mod:`factions.ensemble.sketch`), which the
coordinator merges by integer addition as chunks finish: the aggregates are identical
whatever the order, backend, number of workers or resume, and their memory does not grow
with the number of members.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import functools
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from factions import __version__
from factions.engines import ENGINES
from factions.ensemble.sampling import (
    Method,
    Param,
    apply_params,
    change_values,
    coefficient_values,
    draw,
    uncertain_params,
)
from factions.ensemble.sketch import ALPHA, ZERO, Accumulator, ChunkSketch
from factions.errors import FactionsError, Problem, ScenarioError
from factions.forecast import BatchView, evaluate, undecided
from factions.scenario.arrays import ScenarioArrays, to_arrays
from factions.scenario.io import parse_scenario
from factions.scenario.schema import Scenario
from factions.store import (
    PartRecord,
    RunDir,
    atomic_path,
    default_runs_dir,
    file_record,
    run_id,
    write_json_atomic,
    write_parquet_atomic,
)

__all__ = [
    "ChunkTask",
    "EnsembleResult",
    "ProgressFn",
    "aggregate",
    "aggregates_of",
    "chunk_sketch",
    "member_outputs",
    "plan",
    "run_chunk",
    "run_ensemble",
]

FloatArray = NDArray[np.float64]
ProgressFn = Callable[[int, int], None]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
PART_KINDS = ("members", "sketch")
#: Test hook: seconds each chunk sleeps before computing (to kill a worker mid-run).
DELAY_ENV = "FACTIONS_CHUNK_DELAY"


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to compute one chunk (picklable)."""

    scenario_json: str
    model: str
    options: dict[str, Any]
    dynamics: bool | None
    chunk: int
    start: int
    size: int
    values: FloatArray | None  # (C, P) given inputs, or None: drawn by the worker
    seed: int
    run_dir: str
    store_series: bool = True
    runs: int = 0
    method: Method = "lhs"
    #: Non-empty: merge the chunk's sketch into this worker's partial aggregate of the run
    #: session ``merge`` (collected once at the end, :func:`flush_partial`) instead of
    #: sending it to the coordinator. Not part of the run's identity.
    merge: str = ""

    def inputs(self, params: list[Param]) -> FloatArray:
        """The chunk's members' sampled inputs ``(size, P)``."""
        if self.values is not None:
            return self.values
        return draw(params, self.runs, self.seed, self.method, self.start, self.size)


@dataclass(frozen=True)
class ChunkDone:
    """What a worker reports back: its aggregate state and parts, or why it failed."""

    chunk: int
    members: int
    seconds: float
    # ChunkSketch.to_wire(): plain arrays, ~1.5 MB; None when merged in the worker
    sketch: dict[str, Any] | None = None
    parts: list[PartRecord] = field(default_factory=list)
    error: str | None = None


def _political(scenario: Scenario, dynamics: bool | None) -> bool:
    return scenario.metadata.horizon is not None if dynamics is None else dynamics


def member_outputs(
    scenario: Scenario,
    arr: ScenarioArrays,
    params: list[Param],
    values: FloatArray,
    model: str,
    *,
    rng: np.random.Generator,
    options: Mapping[str, Any] | None = None,
    dynamics: bool | None = None,
    start: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run members with the given inputs; return their ``members`` and ``series`` columns."""
    from factions.dynamics.state import initial_state
    from factions.simulate import _engine_call, simulate_batch

    b = values.shape[0]
    inputs = apply_params(arr, params, values)
    opts = dict(options or {})
    if _political(scenario, dynamics):
        traj = simulate_batch(
            scenario, model, rng=rng, options=opts,
            state=initial_state(arr, inputs=inputs),
            values=change_values(scenario, params, values),
            coefficients=coefficient_values(params, values),
        )  # fmt: skip
        positions = arr.from_unit(traj.x)
        forecast = arr.from_unit(traj.forecast[:, -1])
        view = BatchView(scenario, arr, positions, forecast, traj)
        round_series: dict[str, FloatArray] = {}
    else:
        mask = np.broadcast_to(arr.has_stance[None], inputs.salience.shape)
        res = _engine_call(
            ENGINES[model], scenario, arr.to_unit(inputs.positions), inputs.salience,
            inputs.capability, mask, rng, opts,
        )  # fmt: skip
        positions = arr.from_unit(res.positions)
        forecast = arr.from_unit(res.forecast)
        view = BatchView(scenario, arr, positions, forecast, None)
        round_series = {k: arr.from_unit(v) for k, v in res.series.items()}
        traj = None

    members: dict[str, Any] = {"member": np.arange(start, start + b, dtype=np.int64)}
    for m, p in enumerate(params):
        members[f"in:{p.path}"] = values[:, m]
    for q in scenario.questions:
        ev = evaluate(q, view)
        members[f"q:{q.id}"] = ev.code if ev.reason is None else np.full(b, np.nan)
        flag = undecided(q, ev)
        if flag is not None:  # 1 where the answer is too close to call (NaN: unanswered)
            members[f"undecided:{q.id}"] = np.where(np.isnan(ev.code), np.nan, flag.astype(float))
    for j, issue in enumerate(arr.issue_ids):
        members[f"forecast:{issue}"] = forecast[:, j]
    if traj is not None:
        for _, el in traj.elections:
            seats = el.seats.sum(axis=1)
            for i, a in enumerate(arr.actor_ids):
                if el.votes[:, :, i].sum() > 0:
                    members[f"seats:{a}:{el.event}"] = seats[:, i].astype(np.float64)

    steps = positions.shape[1]
    series: dict[str, Any] = {
        "member": np.repeat(members["member"], steps),
        "step": np.tile(np.arange(steps, dtype=np.int64), b),
    }
    for i, a in enumerate(arr.actor_ids):
        for j, issue in enumerate(arr.issue_ids):
            if arr.has_stance[i, j]:
                series[f"position:{a}:{issue}"] = positions[:, :, i, j].reshape(-1)
    if traj is not None:
        for j, issue in enumerate(arr.issue_ids):
            lo, hi = arr.low[j], arr.high[j]
            series[f"issue:{issue}"] = (lo + traj.forecast[:, :, j] * (hi - lo)).reshape(-1)
        for i, a in enumerate(arr.actor_ids):
            series[f"armed:{a}"] = traj.capability[:, :, i, 2].reshape(-1)
            series[f"capability:{a}"] = traj.capability[:, :, i, 0].reshape(-1)
        n = arr.n
        for i in range(n):
            for k in range(i + 1, n):
                pair = f"{arr.actor_ids[i]}|{arr.actor_ids[k]}"
                series[f"tie:{pair}"] = traj.ties[:, :, i, k].reshape(-1)
    else:
        for name, v in round_series.items():
            # Per-round series (eum's median and mean) start at round 1: pad state 0.
            padded = np.concatenate([v[:, :1], v], axis=1)
            for j, issue in enumerate(arr.issue_ids):
                series[f"{name}:{issue}"] = padded[:, :, j].reshape(-1)
    return members, series


def chunk_sketch(
    scenario: Scenario, members: Mapping[str, Any], series: Mapping[str, Any]
) -> ChunkSketch:
    """One chunk's mergeable aggregate state (see :mod:`factions.ensemble.sketch`)."""
    b = len(members["member"])
    counters: dict[str, int] = {"members": b}
    values: dict[str, FloatArray] = {}
    for q in scenario.questions:
        v = np.asarray(members[f"q:{q.id}"], dtype=np.float64)
        ok = ~np.isnan(v)
        counters[f"q:{q.id}:answered"] = int(ok.sum())
        flag = members.get(f"undecided:{q.id}")
        if flag is not None:
            counters[f"q:{q.id}:undecided"] = int(np.count_nonzero(np.asarray(flag) == 1))
        if q.kind == "yes_no":
            counters[f"q:{q.id}:yes"] = int(np.count_nonzero(v == 1))
        elif q.kind == "value":
            values[f"q:{q.id}"] = v
        elif q.kind == "choice":
            codes, counts = np.unique(v[ok], return_counts=True)
            for c, k in zip(codes, counts, strict=True):
                counters[f"q:{q.id}:choice:{int(c)}"] = int(k)
        else:  # date: the step it happened, or never (NaN)
            codes, counts = np.unique(v[ok], return_counts=True)
            for c, k in zip(codes, counts, strict=True):
                counters[f"q:{q.id}:date:{int(c)}"] = int(k)
            counters[f"q:{q.id}:date:never"] = int(b - ok.sum())
    for c, v in members.items():
        if c.startswith("forecast:"):
            values[c] = np.asarray(v, dtype=np.float64)
    seats = [c for c in members if c.startswith("seats:")]
    for event in dict.fromkeys(c.rsplit(":", 1)[1] for c in seats):
        cols = [c for c in seats if c.rsplit(":", 1)[1] == event]
        table = np.column_stack([np.asarray(members[c], dtype=np.float64) for c in cols])
        top = table == table.max(axis=1, keepdims=True)
        tied = top.sum(axis=1)
        for i, c in enumerate(cols):
            # P(most seats) with ties split: a member where k contestants share the most
            # seats counts 1/k for each; counted here per k, as integers (exact merges).
            ks, counts = np.unique(tied[top[:, i]], return_counts=True)
            for k, n in zip(ks, counts, strict=True):
                counters[f"most:{c}:tied:{int(k)}"] = int(n)
            values[c] = table[:, i]
    steps = len(series["step"]) // max(b, 1)
    for c, v in series.items():
        if c in ("member", "step"):
            continue
        # (steps, b): each step's values contiguous (the sketch reads them row by row)
        per_step = np.asarray(v, dtype=np.float64).reshape(b, steps).T.copy()
        for k in range(steps):
            values[f"{c}@{k}"] = per_step[k]
    return ChunkSketch.build(values, counters)


def run_chunk(task: ChunkTask) -> ChunkDone:
    """Compute one chunk and write its parts atomically (runs in any worker).

    A failure to write (a full disk, a read-only folder) is returned, not raised, so that
    the coordinator stops the run with one clear message (and Dask does not retry it).
    """
    t0 = time.perf_counter()
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    if delay > 0:
        time.sleep(delay)
    scenario, arr, params = _context(task.scenario_json)
    seq = np.random.SeedSequence(task.seed).spawn(task.chunk + 1)[task.chunk]
    with threadpool_limits(limits=1):
        members, series = member_outputs(
            scenario, arr, params, task.inputs(params), task.model,
            rng=np.random.default_rng(seq), options=task.options, dynamics=task.dynamics,
            start=task.start,
        )  # fmt: skip
        sketch = chunk_sketch(scenario, members, series)
    run = RunDir(Path(task.run_dir))
    records: list[PartRecord] = []
    path = run.part("sketch", task.chunk)
    try:
        if task.store_series:
            path = run.part("series", task.chunk)
            records.append(write_parquet_atomic(path, series))
        path = run.part("sketch", task.chunk).with_suffix(".npz")
        records.append(write_npz_atomic(path, sketch.to_arrays()))
        path = run.part("members", task.chunk)
        records.append(write_parquet_atomic(path, members))
    except OSError as e:
        return ChunkDone(task.chunk, 0, time.perf_counter() - t0, error=f"{path}: {_oserror(e)}")
    wire = None
    if task.merge:
        _merge_here(task.merge, task.chunk, sketch)
    else:  # uncompressed: decompressing it in the coordinator was serial work
        wire = sketch.to_wire()
    return ChunkDone(task.chunk, len(members["member"]), time.perf_counter() - t0, wire, records)


#: In a worker: the partial aggregate of one run session (its token, the merged sketches,
#: the chunks merged into them). One per process: a new session's chunk drops an older one
#: (whose chunks its coordinator then merges from their stored sketches).
_PARTIAL: list[tuple[str, Accumulator, set[int]]] = []
_PARTIAL_LOCK = threading.Lock()


def _merge_here(token: str, chunk: int, sketch: ChunkSketch) -> None:
    with _PARTIAL_LOCK:
        if not _PARTIAL or _PARTIAL[0][0] != token:
            _PARTIAL[:] = [(token, Accumulator(), set())]
        _, acc, chunks = _PARTIAL[0]
        if chunk not in chunks:  # a chunk computed twice here is merged once
            acc.add(sketch, chunk)
            chunks.add(chunk)


def flush_partial(token: str) -> dict[str, Any] | None:
    """In a worker: hand over (and forget) its partial aggregate of session ``token``:
    ``{"chunks": [...], "accumulator": Accumulator}``, or None if it has none."""
    with _PARTIAL_LOCK:
        if not _PARTIAL or _PARTIAL[0][0] != token:
            return None
        _, acc, chunks = _PARTIAL.pop()
    return {"chunks": sorted(chunks), "accumulator": acc}


def merge_partials(
    acc: Accumulator, run: RunDir, partials: list[dict[str, Any] | None], expected: set[int]
) -> None:
    """Merge the workers' partial aggregates of the chunks ``expected`` into ``acc``, and
    every expected chunk that no partial holds (a worker lost or restarted) from its stored
    sketch. Partials that overlap, or hold a chunk not expected, are all set aside and
    every chunk is merged from its stored sketch: the result is the same sum either way."""
    got = [p for p in partials if p is not None]
    seen = [c for p in got for c in p["chunks"]]
    if len(seen) != len(set(seen)) or not set(seen) <= expected:
        got, seen = [], []
    for p in got:
        acc.merge(p["accumulator"])
    for chunk in sorted(expected - set(seen)):
        acc.add(load_sketch(run, chunk), chunk)


def _oserror(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on device"
    return e.strerror or str(e)


_CONTEXT: dict[str, tuple[Scenario, ScenarioArrays, list[Param]]] = {}


def _context(scenario_json: str) -> tuple[Scenario, ScenarioArrays, list[Param]]:
    """The parsed scenario of a task, parsed once per worker process."""
    hit = _CONTEXT.get(scenario_json)
    if hit is None:
        scenario = parse_scenario(json.loads(scenario_json))
        arr = to_arrays(scenario)
        hit = (scenario, arr, uncertain_params(scenario, arr))
        _CONTEXT.clear()
        _CONTEXT[scenario_json] = hit
    return hit


def write_npz_atomic(path: Path, arrays: Mapping[str, Any]) -> PartRecord:
    """Write arrays as an (uncompressed) ``.npz`` file via a temporary file and a rename."""
    with atomic_path(path) as tmp:
        with tmp.open("wb") as f:
            np.savez(f, **arrays)
        record = file_record(tmp)
    return {**record, "name": path.name}


@dataclass(frozen=True)
class Plan:
    """A run's identity and its chunks."""

    run: RunDir
    key: dict[str, Any]
    tasks: list[ChunkTask]
    params: list[Param]


def default_chunk_size(runs: int) -> int:
    """Members per chunk: 500 (a few MB of state each), fewer for small runs."""
    return max(1, min(500, runs))


def plan(
    scenario: Scenario,
    *,
    runs: int,
    seed: int = 0,
    model: str = "mean",
    method: Method = "lhs",
    options: Mapping[str, Any] | None = None,
    dynamics: bool | None = None,
    chunk_size: int | None = None,
    out: Path | None = None,
    values: FloatArray | None = None,
    store_series: bool = True,
) -> Plan:
    """Everything that determines a run: its id, directory and chunk tasks.

    ``values`` overrides the sampling (for sensitivity designs): ``(runs, P)`` inputs.
    """
    if model not in ENGINES:
        raise ScenarioError(
            [
                Problem(
                    "--model", f"unknown model '{model}' (available: {', '.join(sorted(ENGINES))})"
                )
            ]
        )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ScenarioError([Problem("--seed", f"must be a non-negative integer, got {seed!r}")])
    arr = to_arrays(scenario)
    params = uncertain_params(scenario, arr)
    given = values is not None
    try:
        draw(params, runs, seed, method, 0, 0)  # checks the arguments; workers draw
    except ValueError as e:
        raise ScenarioError(
            [Problem("--runs" if "runs" in str(e) else "--method", str(e))]
        ) from None
    if values is not None and values.shape != (runs, len(params)):
        raise ValueError(f"values must have shape ({runs}, {len(params)}), got {values.shape}")
    size = chunk_size or default_chunk_size(runs)
    if size < 1:
        raise ScenarioError([Problem("--chunk-size", f"must be a positive integer, got {size}")])
    scenario_json = scenario.model_dump_json()
    key = {
        "scenario": json.loads(scenario_json),
        "model": model,
        "seed": seed,
        "runs": runs,
        "method": "given" if given else method,
        "options": dict(options or {}),
        "dynamics": dynamics,
        "chunk_size": size,
        "values": hashlib.sha256(values.tobytes()).hexdigest() if values is not None else None,
        "version": __version__,
        "sampling": 2,  # members drawn per chunk (factions.ensemble.sampling.draw)
    }
    calibration = _calibration_identity(scenario)
    if calibration is not None:
        key["calibration"] = calibration
    root = out if out is not None else default_runs_dir()
    run = RunDir(root / run_id(scenario.id, model, key))
    tasks = [
        ChunkTask(
            scenario_json=scenario_json,
            model=model,
            options=dict(options or {}),
            dynamics=dynamics,
            chunk=k,
            start=k * size,
            size=min(size, runs - k * size),
            values=None if values is None else values[k * size : (k + 1) * size],
            seed=seed,
            run_dir=str(run.path),
            store_series=store_series,
            runs=runs,
            method=method,
        )
        for k in range((runs + size - 1) // size)
    ]
    return Plan(run, key, tasks, params)


def _calibration_identity(scenario: Scenario) -> dict[str, Any] | None:
    """The calibration a scenario takes coefficients from (for the run's key and manifest)."""
    from factions.calibration.store import load_calibration

    ref = scenario.dynamics.calibration
    return load_calibration(ref).identity() if ref else None


@dataclass(frozen=True)
class EnsembleResult:
    """A finished ensemble: where it is stored and what it says."""

    run: RunDir
    manifest: dict[str, Any]
    aggregates: dict[str, Any] = field(default_factory=dict)

    def to_arrow(self) -> Any:
        """Every member's series as a tidy ``pyarrow.Table``: member, step, date, series,
        value (see :mod:`factions.frames`)."""
        from factions.frames import ensemble_table

        return ensemble_table(self.run.path)

    def to_frame(self) -> Any:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas: ``factions[frames]``)."""
        from factions.frames import to_frame

        return to_frame(self.to_arrow())

    def _repr_html_(self) -> str:
        from factions.frames import ensemble_html

        return ensemble_html(self.aggregates, self.manifest)


def run_ensemble(
    scenario: Scenario,
    *,
    runs: int,
    seed: int = 0,
    model: str = "mean",
    method: Method = "lhs",
    options: Mapping[str, Any] | None = None,
    dynamics: bool | None = None,
    backend: Any = None,
    chunk_size: int | None = None,
    out: Path | None = None,
    progress: ProgressFn | None = None,
    values: FloatArray | None = None,
    store_series: bool = True,
    warn: Callable[[str], None] | None = None,
) -> EnsembleResult:
    """Run (or resume) an ensemble and aggregate it.

    Parameters
    ----------
    runs, seed, method
        How many members, the seed of everything, and the sampling design (``lhs``,
        ``sobol``, ``random``).
    backend
        A :class:`factions.ensemble.backends.Backend` (default: local, in-process).
    out
        The runs directory (default ``$FACTIONS_RUNS`` or ``./runs``).
    progress
        Called with (members done, members in all) as chunks finish.
    store_series
        Store every member's series (``series-*.parquet``, about 3 KB a member for
        iraq-2008) for queries; the aggregates do not need them.
    warn
        Called with a message for each ignored or recomputed part (default: ``warnings``).

    Raises :class:`FactionsError` naming the path when a part cannot be written (a full
    disk); the run is then resumable.
    """
    from factions.ensemble.backends import LocalBackend

    if warn is None:
        import warnings

        def warn(message: str) -> None:
            warnings.warn(message, stacklevel=3)

    p = plan(
        scenario, runs=runs, seed=seed, model=model, method=method, options=options,
        dynamics=dynamics, chunk_size=chunk_size, out=out, values=values,
        store_series=store_series,
    )  # fmt: skip
    run = p.run
    try:
        run.parts.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScenarioError([Problem("--out", f"cannot create '{run.path}': {e}")]) from None
    kinds = (*PART_KINDS, "series") if store_series else PART_KINDS
    done = run.verified_chunks(len(p.tasks), kinds, warn)
    manifest: dict[str, Any] = {
        "run_id": run.id,
        "scenario": scenario.id,
        "scenario_sha256": run.id.rsplit("-", 1)[-1],
        "factions_version": __version__,
        "model": model,
        "seed": seed,
        "runs": runs,
        "method": p.key["method"],
        "options": dict(options or {}),
        "dynamics": dynamics,
        "chunk_size": p.key["chunk_size"],
        "chunks": len(p.tasks),
        "inputs": [q.path for q in p.params],
        "calibration": p.key.get("calibration"),
        "status": "running",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "resumed_chunks": sorted(done),
        "store_series": store_series,
        "timings": {},
    }
    if (run.path / "manifest.json").exists():
        try:
            old = run.manifest()
        except FactionsError:
            old = {}
        manifest["created"] = old.get("created", manifest["created"])
        manifest["timings"] = old.get("timings", {})
    backend = backend or LocalBackend()
    manifest["backend"] = backend.name
    acc = Accumulator()
    parts: dict[int, list[PartRecord]] = dict(done)
    try:
        write_text_atomic(run.path / "scenario.json", scenario.model_dump_json(indent=2))
        run.write_manifest(manifest)
        for chunk in sorted(done):
            acc.add(load_sketch(run, chunk), chunk)
    except OSError as e:
        raise FactionsError(f"{run.path}: {_oserror(e)}") from None
    todo = [t for t in p.tasks if t.chunk not in done]
    # Backends with long-lived workers merge the chunks' sketches there (each worker its
    # own partial aggregate, collected once at the end): the coordinator no longer adds up
    # every chunk's sketch while the workers compute.
    token = uuid.uuid4().hex if getattr(backend, "merges_in_workers", False) else ""
    if token:
        todo = [dataclasses.replace(t, merge=token) for t in todo]
    in_workers: set[int] = set()
    partials: list[dict[str, Any] | None] = []
    total = runs
    finished = runs - sum(t.size for t in todo)
    if progress:
        progress(finished, total)
    t0 = time.perf_counter()

    def on_done(d: ChunkDone) -> None:
        nonlocal finished
        if d.error is not None:
            raise _WriteFailed(d.error)
        if d.sketch is None:
            in_workers.add(d.chunk)
        else:
            acc.add(ChunkSketch.from_wire(d.sketch), d.chunk)
        run.record_chunk(d.chunk, d.parts)
        parts[d.chunk] = d.parts
        finished += d.members
        manifest["timings"][str(d.chunk)] = round(d.seconds, 4)
        if progress:
            progress(finished, total)

    def stop(status: str) -> None:
        if status != "complete":  # the workers are stopped: their unfinished parts go
            with contextlib.suppress(OSError):
                run.remove_temporaries()
        manifest["status"] = status
        manifest["parts"] = {str(c): parts[c] for c in sorted(parts)}
        with contextlib.suppress(OSError):  # a full disk: the journal says what is done
            run.write_manifest(manifest)

    try:
        if token:
            backend.map(run_chunk, todo, on_done, finish=functools.partial(flush_partial, token),
                        on_finish=partials.append)  # fmt: skip
        else:
            backend.map(run_chunk, todo, on_done)
    except _WriteFailed as e:
        stop("interrupted")
        raise FactionsError(f"{e}; the run is resumable: run the same command again") from None
    except OSError as e:
        stop("interrupted")
        raise FactionsError(
            f"{run.path}: {_oserror(e)}; the run is resumable: run the same command again"
        ) from None
    except BaseException:
        stop("interrupted")
        raise
    manifest["wall_seconds"] = round(time.perf_counter() - t0, 3)
    missing = set(range(len(p.tasks))) - set(parts)
    if missing:
        stop("failed")
        raise FactionsError(f"{run.path}: chunks {sorted(missing)} did not complete")
    try:
        merge_partials(acc, run, partials, in_workers)
    except OSError as e:
        stop("interrupted")
        raise FactionsError(f"{run.path}: {_oserror(e)}; the run is resumable") from None
    aggregates = aggregates_of(acc, scenario)
    try:
        write_json_atomic(run.path / "aggregates.json", aggregates)
    except OSError as e:
        stop("interrupted")
        raise FactionsError(
            f"{run.path / 'aggregates.json'}: {_oserror(e)}; the run is resumable"
        ) from None
    stop("complete")
    return EnsembleResult(run, manifest, aggregates)


class _WriteFailed(Exception):
    """A worker could not write a part (the message names the path)."""


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, "utf-8")


def load_sketch(run: RunDir, chunk: int) -> ChunkSketch:
    """A finished chunk's aggregate state, from its ``sketch`` part."""
    with np.load(run.part("sketch", chunk).with_suffix(".npz"), allow_pickle=False) as data:
        return ChunkSketch.from_arrays(data)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if np.isnan(f) else f


def aggregate(run: RunDir, scenario: Scenario) -> dict[str, Any]:
    """The aggregates of a stored run, merged from its verified chunk sketches."""
    acc = Accumulator()
    for chunk in sorted(run.journal()):
        acc.add(load_sketch(run, chunk), chunk)
    return aggregates_of(acc, scenario)


def aggregates_of(acc: Accumulator, scenario: Scenario) -> dict[str, Any]:
    """Quantile bands, answer probabilities and seat distributions from merged sketches.

    Quantiles are those of a log-spaced histogram, within a relative ``ALPHA`` of the exact
    ones (:mod:`factions.ensemble.sketch`); counts and probabilities are exact.
    """
    names = [f"q{int(100 * q):02d}" for q in QUANTILES]
    counters = acc.counters
    n = counters.get("members", 0)
    every = acc.all_quantiles(QUANTILES)
    none: list[float | None] = [None] * len(QUANTILES)

    def quantiles(target: str) -> dict[str, float | None]:
        return {k: _num(v) for k, v in zip(names, every.get(target, none), strict=True)}

    out: dict[str, Any] = {
        "members": n,
        "quantiles": list(QUANTILES),
        "quantile_method": {
            "method": "log-spaced histogram (DDSketch mapping), merged by integer addition",
            "relative_accuracy": ALPHA,
            "zero_below": ZERO,
        },
    }
    questions: dict[str, Any] = {}
    for q in scenario.questions:
        entry: dict[str, Any] = {"text": q.text, "kind": q.kind}
        valid = counters.get(f"q:{q.id}:answered", 0)
        entry["answered"] = valid
        if f"q:{q.id}:undecided" in counters and valid > 0:
            # the share of answered members whose answer is too close to call
            entry["undecided"] = counters[f"q:{q.id}:undecided"]
            entry["undecided_share"] = counters[f"q:{q.id}:undecided"] / valid
        if valid == 0:
            entry["note"] = "not answered by this model (see `factions run`)"
        elif q.kind == "yes_no":
            yes = counters.get(f"q:{q.id}:yes", 0)
            entry["probability_yes"] = yes / valid
            entry["yes"] = yes
        elif q.kind == "value":
            entry.update(quantiles(f"q:{q.id}"))
        elif q.kind == "choice":
            entry["probabilities"] = {
                ch.id: counters.get(f"q:{q.id}:choice:{i}", 0) / valid
                for i, ch in enumerate(q.choices)
            }
            entry["labels"] = {ch.id: ch.label for ch in q.choices}
        else:  # date
            prefix = f"q:{q.id}:date:"
            found = sorted(int(k[len(prefix) :]) for k in counters
                           if k.startswith(prefix) and k != prefix + "never")  # fmt: skip
            dist = {str(k): counters[f"{prefix}{k}"] / n for k in found}
            if counters.get(prefix + "never", 0):
                dist["never"] = counters[prefix + "never"] / n
            entry["by_step"] = dist
        questions[q.id] = entry
    out["questions"] = questions
    targets = acc.ordered()
    out["forecasts"] = {
        t.split(":", 1)[1]: quantiles(t) for t in targets if t.startswith("forecast:")
    }
    elections: dict[str, Any] = {}
    for t in targets:
        if t.startswith("seats:"):
            _, actor, event = t.split(":")
            prefix = f"most:{t}:tied:"
            ties = sorted(int(k[len(prefix) :]) for k in counters if k.startswith(prefix))
            share = sum(counters[f"{prefix}{k}"] / k for k in ties)
            elections.setdefault(event, {})[actor] = {
                **quantiles(t),
                "probability_most_seats": share / n,
            }
    out["elections"] = elections
    series: dict[str, list[str]] = {}
    steps = 0
    for t in targets:
        if "@" in t:
            col, _, k = t.rpartition("@")
            series.setdefault(col, []).append(t)
            steps = max(steps, int(k) + 1)
    bands: dict[str, Any] = {}
    for col in series:
        per = [every.get(f"{col}@{k}", none) for k in range(steps)]
        bands[col] = {name: [_num(row[i]) for row in per] for i, name in enumerate(names)}
    if series:
        out["steps"] = list(range(steps))
    out["series"] = bands
    return out
