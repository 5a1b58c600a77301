"""Ensembles: draw members, run them in chunks on a backend, store the parts, aggregate.

One seed fixes everything: the sample matrix (all members' inputs) is drawn from the seed;
the members are cut into chunks of a fixed size (which depends on the run, never on the
backend or the number of workers); chunk ``k`` runs with the ``k``-th child of
``SeedSequence(seed)``. So a run gives the same members, bit for bit, on every backend with
any number of workers, and the aggregates (exact quantiles and counts, computed by DuckDB)
are identical too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
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
from factions.errors import FactionsError, Problem, ScenarioError
from factions.forecast import BatchView, evaluate
from factions.scenario.arrays import ScenarioArrays, to_arrays
from factions.scenario.io import parse_scenario
from factions.scenario.schema import Scenario
from factions.store import RunDir, default_runs_dir, run_id, write_parquet_atomic

__all__ = [
    "ChunkTask",
    "EnsembleResult",
    "ProgressFn",
    "aggregate",
    "member_outputs",
    "plan",
    "run_chunk",
    "run_ensemble",
]

FloatArray = NDArray[np.float64]
ProgressFn = Callable[[int, int], None]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
PART_KINDS = ("members", "series")
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
    values: FloatArray  # (C, P) sampled inputs of the chunk's members
    seed: int
    run_dir: str


@dataclass(frozen=True)
class ChunkDone:
    """What a worker reports back."""

    chunk: int
    members: int
    seconds: float


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


def run_chunk(task: ChunkTask) -> ChunkDone:
    """Compute one chunk and write its parts atomically (runs in any worker)."""
    t0 = time.perf_counter()
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    if delay > 0:
        time.sleep(delay)
    scenario = parse_scenario(json.loads(task.scenario_json))
    arr = to_arrays(scenario)
    params = uncertain_params(scenario, arr)
    seq = np.random.SeedSequence(task.seed).spawn(task.chunk + 1)[task.chunk]
    with threadpool_limits(limits=1):
        members, series = member_outputs(
            scenario, arr, params, task.values, task.model,
            rng=np.random.default_rng(seq), options=task.options, dynamics=task.dynamics,
            start=task.start,
        )  # fmt: skip
    run = RunDir(Path(task.run_dir))
    write_parquet_atomic(run.part("series", task.chunk), series)
    write_parquet_atomic(run.part("members", task.chunk), members)  # written last: "done"
    return ChunkDone(task.chunk, len(members["member"]), time.perf_counter() - t0)


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
    if values is None:
        try:
            values = draw(params, runs, seed, method)
        except ValueError as e:
            raise ScenarioError(
                [Problem("--runs" if "runs" in str(e) else "--method", str(e))]
            ) from None
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
        "values": hashlib.sha256(values.tobytes()).hexdigest() if given else None,
        "version": __version__,
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
            values=values[k * size : (k + 1) * size],
            seed=seed,
            run_dir=str(run.path),
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
    """
    from factions.ensemble.backends import LocalBackend

    p = plan(
        scenario, runs=runs, seed=seed, model=model, method=method, options=options,
        dynamics=dynamics, chunk_size=chunk_size, out=out, values=values,
    )  # fmt: skip
    run = p.run
    try:
        run.parts.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScenarioError([Problem("--out", f"cannot create '{run.path}': {e}")]) from None
    done = run.done_chunks(PART_KINDS)
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
        "timings": {},
    }
    if (run.path / "manifest.json").exists():
        old = run.manifest()
        manifest["created"] = old.get("created", manifest["created"])
        manifest["timings"] = old.get("timings", {})
    (run.path / "scenario.json").write_text(scenario.model_dump_json(indent=2), "utf-8")
    backend = backend or LocalBackend()
    manifest["backend"] = backend.name
    run.write_manifest(manifest)
    todo = [t for t in p.tasks if t.chunk not in done]
    total = runs
    finished = runs - sum(len(t.values) for t in todo)
    if progress:
        progress(finished, total)
    t0 = time.perf_counter()

    def on_done(d: ChunkDone) -> None:
        nonlocal finished
        finished += d.members
        manifest["timings"][str(d.chunk)] = round(d.seconds, 4)
        if progress:
            progress(finished, total)

    try:
        backend.map(run_chunk, todo, on_done)
    except BaseException:
        manifest["status"] = "interrupted"
        run.write_manifest(manifest)
        raise
    manifest["wall_seconds"] = round(time.perf_counter() - t0, 3)
    missing = set(range(len(p.tasks))) - run.done_chunks(PART_KINDS)
    if missing:
        manifest["status"] = "failed"
        run.write_manifest(manifest)
        raise FactionsError(f"{run.path}: chunks {sorted(missing)} did not complete")
    aggregates = aggregate(run, scenario)
    from factions.store import write_json_atomic

    write_json_atomic(run.path / "aggregates.json", aggregates)
    manifest["status"] = "complete"
    run.write_manifest(manifest)
    return EnsembleResult(run, manifest, aggregates)


def _scalar(con: Any, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if np.isnan(f) else f


def aggregate(run: RunDir, scenario: Scenario) -> dict[str, Any]:
    """Quantile bands, answer probabilities and seat distributions, via DuckDB.

    Only order-independent aggregates are used (exact quantiles, counts), so the result is
    the same however the parts were computed.
    """
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would write to stdout
    con.execute("SET threads TO 2")
    con.execute("SET memory_limit = '1GB'")
    members = f"read_parquet('{run.glob('members')}')"
    series = f"read_parquet('{run.glob('series')}')"
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {members}").fetchall()]
    n = _scalar(con, f"SELECT count(*) FROM {members}")
    qlist = "[" + ", ".join(str(q) for q in QUANTILES) + "]"
    names = [f"q{int(100 * q):02d}" for q in QUANTILES]

    def quantiles(expr: str, source: str, where: str = "") -> dict[str, float | None]:
        row = con.execute(f"SELECT quantile_cont({expr}, {qlist}) FROM {source} {where}").fetchone()
        values = row[0] if row and row[0] is not None else [None] * len(QUANTILES)
        return {k: _num(v) for k, v in zip(names, values, strict=True)}

    out: dict[str, Any] = {"members": n, "quantiles": list(QUANTILES)}
    questions: dict[str, Any] = {}
    for q in scenario.questions:
        c = _q(f"q:{q.id}")
        entry: dict[str, Any] = {"text": q.text, "kind": q.kind}
        valid = _scalar(con, f"SELECT count(*) FROM {members} WHERE NOT isnan({c})")
        entry["answered"] = valid
        if valid == 0:
            entry["note"] = "not answered by this model (see `factions run`)"
        elif q.kind == "yes_no":
            yes = _scalar(con, f"SELECT count_if({c} = 1) FROM {members}")
            entry["probability_yes"] = yes / valid
            entry["yes"] = yes
        elif q.kind == "value":
            entry.update(quantiles(c, members, f"WHERE NOT isnan({c})"))
        elif q.kind == "choice":
            rows = con.execute(
                f"SELECT {c}, count(*) FROM {members} WHERE NOT isnan({c}) GROUP BY 1 ORDER BY 1"
            ).fetchall()
            counts = {int(k): int(v) for k, v in rows}
            entry["probabilities"] = {
                ch.id: counts.get(i, 0) / valid for i, ch in enumerate(q.choices)
            }
            entry["labels"] = {ch.id: ch.label for ch in q.choices}
        else:  # date
            rows = con.execute(
                f"SELECT {c}, count(*) FROM {members} GROUP BY 1 ORDER BY 1"
            ).fetchall()
            dist: dict[str, float] = {}
            for k, v in rows:
                label = "never" if k is None or np.isnan(k) else str(int(k))
                dist[label] = dist.get(label, 0) + int(v) / n
            entry["by_step"] = dist
        questions[q.id] = entry
    out["questions"] = questions
    out["forecasts"] = {
        c.split(":", 1)[1]: quantiles(_q(c), members) for c in cols if c.startswith("forecast:")
    }
    seats_cols = [c for c in cols if c.startswith("seats:")]
    elections: dict[str, Any] = {}
    for c in seats_cols:
        _, actor, event = c.split(":")
        rivals = [_q(o) for o in seats_cols if o.endswith(f":{event}")]
        # P(most seats) with ties split: a member where k contestants share the most seats
        # counts 1/k for each, so the column sums to 1 (ties used to count for every one).
        top = f"greatest({', '.join(rivals)})"
        tied = " + ".join(f"CAST({o} = {top} AS DOUBLE)" for o in rivals)
        row = con.execute(
            f"SELECT coalesce(sum(CASE WHEN {_q(c)} = {top} THEN 1.0 / ({tied}) END), 0) "
            f"FROM {members}"
        ).fetchone()
        most = float(row[0]) if row else 0.0
        elections.setdefault(event, {})[actor] = {
            **quantiles(_q(c), members),
            "probability_most_seats": most / n,
        }
    out["elections"] = elections
    described = con.execute(f"DESCRIBE SELECT * FROM {series}").fetchall()
    scols = [r[0] for r in described if r[0] not in ("member", "step")]
    bands: dict[str, Any] = {}
    if scols:
        select = ", ".join(f"quantile_cont({_q(c)}, {qlist})" for c in scols)
        rows = con.execute(
            f"SELECT step, {select} FROM {series} GROUP BY step ORDER BY step"
        ).fetchall()
        for k, c in enumerate(scols):
            band: dict[str, list[float | None]] = {name: [] for name in names}
            for row in rows:
                for name, v in zip(names, row[k + 1], strict=True):
                    band[name].append(_num(v))
            bands[c] = band
        out["steps"] = [int(r[0]) for r in rows]
    out["series"] = bands
    con.close()
    return out
