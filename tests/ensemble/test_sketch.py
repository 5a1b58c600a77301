"""Streaming aggregates: the log-spaced histogram's error bound, exact merges, and agreement
with exact quantiles computed from the stored members."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from factions import load_scenario
from factions.ensemble import run_ensemble
from factions.ensemble.runner import QUANTILES, aggregates_of, load_sketch
from factions.ensemble.sketch import (
    ALPHA,
    ZERO,
    Accumulator,
    ChunkSketch,
    bucket_keys,
    bucket_values,
)


def test_buckets_are_monotone_and_within_the_relative_error() -> None:
    rng = np.random.default_rng(0)
    mags = 10.0 ** rng.uniform(-9, 12, 200_000)
    x = np.sort(np.concatenate([mags, -mags, [0.0, ZERO, -ZERO, 2 * ZERO, 1e308, -1e308]]))
    k = bucket_keys(x)
    assert np.all(np.diff(k) >= 0)  # order is kept: quantiles are ranks of buckets
    v = bucket_values(k)
    err = np.abs(v - x)
    assert np.all(err <= ALPHA * np.abs(x) * (1 + 1e-9) + ZERO)
    assert bucket_values(bucket_keys(np.array([np.inf, -np.inf]))).tolist() == [np.inf, -np.inf]


def test_bucket_keys_in_place_equal_the_formula() -> None:
    rng = np.random.default_rng(2)
    mags = 10.0 ** rng.uniform(-12, 300, 100_000)
    x = np.concatenate([mags, -mags, [0.0, -0.0, ZERO, -ZERO, np.inf, -np.inf, 5e-324]])
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        k = np.ceil(
            (np.log(np.maximum(np.abs(x), ZERO)) - np.log(ZERO)) / np.log((1 + ALPHA) / (1 - ALPHA))
        )
    k = np.where(np.abs(x) <= ZERO, 0.0, np.clip(k, 1, 2**20 - 1))
    np.testing.assert_array_equal(bucket_keys(x), (np.sign(x) * k).astype(np.int64))


def _packed_unique(values: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The sketch's keys and counts as first written: one np.unique over every value."""
    names = list(values)
    flat = np.concatenate([np.asarray(values[n], dtype=np.float64).ravel() for n in names])
    target = np.repeat(np.arange(len(names)), [np.size(values[n]) for n in names])
    ok = ~np.isnan(flat)
    packed = target[ok] * 2**21 + bucket_keys(flat[ok]) + 2**20
    return np.unique(packed, return_counts=True)


@pytest.mark.parametrize("sizes", [[300] * 5, [300, 1, 40, 300], [0, 0], [7]])
@pytest.mark.parametrize("nan", [0.0, 0.2, 1.0])
def test_build_sorts_per_target_as_one_unique_would(sizes: list[int], nan: float) -> None:
    rng = np.random.default_rng(len(sizes))
    values = {}
    for i, m in enumerate(sizes):  # repeats, zeros, both signs, huge values, NaN
        x = rng.choice([0.0, 1.5, -2.0, 1e-7, 1e300, -np.inf, -0.0], m)
        x = np.where(rng.random(m) < 0.5, rng.normal(0, 10 ** (i % 4), m), x)
        values[f"t{i}"] = np.where(rng.random(m) < nan, np.nan, x)
    s = ChunkSketch.build(values, {})
    keys, counts = _packed_unique(values)
    np.testing.assert_array_equal(s.keys, keys)
    np.testing.assert_array_equal(s.counts, counts)
    assert s.keys.dtype == s.counts.dtype == np.int64


def test_sketch_round_trips_and_merges_in_any_order() -> None:
    rng = np.random.default_rng(1)
    sketches = [
        ChunkSketch.build(
            {"a": rng.normal(50, 10, 100), "b": rng.uniform(-1, 1, 100)}, {"members": 100}
        )
        for _ in range(6)
    ]
    again = [ChunkSketch.from_arrays(s.to_arrays()) for s in sketches]
    for s, t in zip(sketches, again, strict=True):
        np.testing.assert_array_equal(s.keys, t.keys)
        np.testing.assert_array_equal(s.counts, t.counts)
        assert (s.targets, s.counters) == (t.targets, t.counters)
    forward, backward = Accumulator(), Accumulator()
    for c, s in enumerate(sketches):
        forward.add(s, c)
    for c in reversed(range(len(sketches))):
        backward.add(again[c], c)
    assert forward.counters == backward.counters == {"members": 600}
    for name in ("a", "b"):
        assert forward.quantiles(name, QUANTILES) == backward.quantiles(name, QUANTILES)
    assert forward.ordered() == backward.ordered() == ["a", "b"]


def _exact(values: np.ndarray, q: float) -> tuple[float, float]:
    """The exact linear-interpolated quantile and the error bound the sketch promises."""
    x = np.sort(values[~np.isnan(values)])
    h = q * (len(x) - 1)
    lo, hi = x[int(np.floor(h))], x[int(np.ceil(h))]
    exact = lo + (h - np.floor(h)) * (hi - lo)
    return float(exact), ALPHA * max(abs(lo), abs(hi)) * (1 + 1e-9) + ZERO


def _read(files: list[Path]) -> dict[str, np.ndarray]:
    cols: dict[str, list[np.ndarray]] = {}
    for f in files:
        for k, v in pq.read_table(f).to_pydict().items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=np.float64))
    return {k: np.concatenate(v) for k, v in cols.items()}


def test_streamed_aggregates_equal_exact_ones_within_the_stated_error(tmp_path: Path) -> None:
    s = load_scenario("iraq-2008")
    res = run_ensemble(s, runs=240, seed=5, chunk_size=40, out=tmp_path)
    agg = res.aggregates
    members = _read(res.run.part_files("members"))
    series = _read(res.run.part_files("series"))
    assert agg["members"] == 240
    names = [f"q{int(100 * q):02d}" for q in QUANTILES]
    checked = 0
    for issue, band in agg["forecasts"].items():
        for name, q in zip(names, QUANTILES, strict=True):
            exact, tol = _exact(members[f"forecast:{issue}"], q)
            assert abs(band[name] - exact) <= tol, (issue, name)
            checked += 1
    for event, table in agg["elections"].items():
        for actor, entry in table.items():
            col = members[f"seats:{actor}:{event}"]
            for name, q in zip(names, QUANTILES, strict=True):
                exact, tol = _exact(col, q)
                assert abs(entry[name] - exact) <= tol
                checked += 1
            rivals = [members[c] for c in members
                      if c.startswith("seats:") and c.endswith(f":{event}")]  # fmt: skip
            top = np.max(rivals, axis=0)
            tied = np.sum([r == top for r in rivals], axis=0)
            share = np.where(col == top, 1.0 / tied, 0.0).sum()
            assert entry["probability_most_seats"] == pytest.approx(share / 240, abs=1e-12)
    steps = agg["steps"]
    for col, band in agg["series"].items():
        per = series[col].reshape(240, len(steps))[np.argsort(series["member"][:: len(steps)])]
        for k in steps:
            for name, q in zip(names, QUANTILES, strict=True):
                exact, tol = _exact(per[:, k], q)
                assert abs(band[name][k] - exact) <= tol, (col, k, name)
                checked += 1
    assert checked > 3000
    for q in s.questions:
        entry = agg["questions"][q.id]
        v = members[f"q:{q.id}"]
        if q.kind == "yes_no":
            assert entry["probability_yes"] == np.sum(v == 1) / np.sum(~np.isnan(v))
        elif q.kind == "choice":
            for i, ch in enumerate(q.choices):
                assert entry["probabilities"][ch.id] == np.sum(v == i) / np.sum(~np.isnan(v))


def test_aggregates_do_not_depend_on_merge_order(tmp_path: Path) -> None:
    s = load_scenario("iraq-2008")
    res = run_ensemble(s, runs=90, seed=2, chunk_size=30, out=tmp_path, store_series=False)
    assert not res.run.part_files("series")
    backward = Accumulator()
    for chunk in (2, 1, 0):
        backward.add(load_sketch(res.run, chunk), chunk)
    assert json.dumps(aggregates_of(backward, s)) == json.dumps(res.aggregates)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_tiny_samples_give_exact_order_statistics(n: int) -> None:
    x = np.array([3.0, -2.0, 10.0, 0.0, 7.5, 1.0, 4.0])[:n]
    acc = Accumulator()
    acc.add(ChunkSketch.build({"x": x}, {}), 0)
    for q, got in zip(QUANTILES, acc.quantiles("x", QUANTILES), strict=True):
        exact, tol = _exact(x, q)
        assert got is not None
        assert abs(got - exact) <= tol


def test_merged_partials_and_all_quantiles_equal_chunk_by_chunk_merges() -> None:
    """A worker's partial accumulator (pickled, as it travels) merged into another gives the
    same counts, order and quantiles as adding every chunk to one accumulator; the
    vectorised quantiles of every target equal the per-target ones."""
    import pickle

    rng = np.random.default_rng(3)

    def chunk(i: int) -> ChunkSketch:
        scale = 10.0 ** (i % 4)  # windows that grow from chunk to chunk
        values = {
            "wide": rng.normal(0, scale, 50),
            "pos": rng.uniform(1, 1 + scale, 50),
            "nan": np.full(50, np.nan),
            f"late{i // 3}": rng.normal(5, 1, 3),  # targets that appear later
        }
        return ChunkSketch.build(values, {"members": 50, f"c{i % 2}": 1})

    sketches = [chunk(i) for i in range(9)]
    one = Accumulator()
    for c, s in enumerate(sketches):
        one.add(s, c)
    parts = [Accumulator(), Accumulator(), Accumulator()]
    for c, s in enumerate(sketches):
        parts[(c * 7) % 3].add(s, c)  # each "worker" gets an arbitrary set of chunks
    merged = Accumulator()
    for p in reversed(parts):
        merged.merge(pickle.loads(pickle.dumps(p)))
    assert merged.counters == one.counters
    assert merged.ordered() == one.ordered()
    every = merged.all_quantiles(QUANTILES)
    assert set(every) == set(one.ordered())
    for name in one.ordered():
        assert merged.count(name) == one.count(name)
        assert merged.quantiles(name, QUANTILES) == one.quantiles(name, QUANTILES)
        assert every[name] == one.quantiles(name, QUANTILES)
    assert every["nan"] == [None] * len(QUANTILES)
    # a merge lays the windows out tight (no slack, no holes); chunks added after it widen
    # them again, and partials merged without their trip (slack and holes) give the same
    assert merged.used == merged.buffer.size == int(merged.size.sum())
    unpickled = Accumulator()
    for p in parts:
        unpickled.merge(p)
    for c, s in ((9, chunk(9)), (10, chunk(10))):
        for acc in (one, merged, unpickled):
            acc.add(s, c)
    for acc in (merged, unpickled):
        assert acc.counters == one.counters
        assert acc.ordered() == one.ordered()
        assert acc.all_quantiles(QUANTILES) == one.all_quantiles(QUANTILES)
