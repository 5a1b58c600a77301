"""Streaming aggregates of an ensemble: per-chunk sketches merged by integer addition.

An ensemble's aggregates (quantile bands of every series at every step, quantiles of the
forecasts, seats and value answers, answer probabilities, seat-majority probabilities)
are computed chunk by chunk in the workers and merged in the coordinator, so the memory
they need is bounded by the number of distinct buckets, not by the number of members.

Quantiles: a log-spaced histogram (the bucket mapping of DDSketch; Masson, Rim & Lee
2019, "DDSketch: a fast and fully-mergeable quantile sketch with relative-error
guarantees", PVLDB 12(12), 2195-2205, section 2). A value ``x`` with ``|x| > ZERO`` falls
in bucket ``sign(x) * ceil(log(|x| / ZERO) / log(gamma))`` with
``gamma = (1 + ALPHA) / (1 - ALPHA)``; values with ``|x| <= ZERO`` fall in bucket 0. A
bucket is represented by ``sign * ZERO * 2 gamma^k / (gamma + 1)``, which is within a
relative ``ALPHA`` of every value in the bucket. Counts are integers, so merging is exact,
commutative and associative: the aggregates of a run do not depend on the order the chunks
finished in, the backend, the number of workers or a resume.

Error: each order statistic ``x_(r)`` is returned within ``ALPHA * |x_(r)|`` (plus
``ZERO`` for values near zero, and a few ulps of rounding in the logarithm); a quantile
interpolated between ranks ``floor(h)`` and ``ceil(h)`` (``h = q (n - 1)``, DuckDB's
``quantile_cont``) is within ``ALPHA * max(|x_floor|, |x_ceil|) + ZERO`` of the exact one.
NaN values are skipped (not counted). Counts (answers, choices, dates, seat majorities)
are exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["ALPHA", "ZERO", "Accumulator", "ChunkSketch", "bucket_keys", "bucket_values"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Relative accuracy of a quantile (0.1 %).
ALPHA = 1e-3
#: Values with ``|x|`` at most this count as zero.
ZERO = 1e-6
_GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(_GAMMA)
_LOG_ZERO = math.log(ZERO)
#: Largest bucket index (|x| up to the largest float fits: about 370,000).
KMAX = 2**20 - 1
_SHIFT = 2**21  # key + KMAX + 1 < _SHIFT: a (target, key) pair packs into one int64


def bucket_keys(x: FloatArray) -> IntArray:
    """The bucket of every value (NaN must be removed first); monotone in ``x``."""
    a = np.abs(x)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        k = np.ceil((np.log(np.maximum(a, ZERO)) - _LOG_ZERO) / _LOG_GAMMA)
    k = np.where(a <= ZERO, 0.0, np.clip(k, 1, KMAX))
    return (np.sign(x) * k).astype(np.int64)


def bucket_values(k: IntArray) -> FloatArray:
    """The representative value of buckets (the inverse of :func:`bucket_keys`)."""
    m = np.abs(k).astype(np.float64)
    with np.errstate(over="ignore"):
        v = np.exp(m * _LOG_GAMMA + _LOG_ZERO + math.log(2.0 / (_GAMMA + 1.0)))
    v = np.where(np.abs(k) >= KMAX, np.inf, v)
    return np.where(k == 0, 0.0, np.sign(k) * v)


@dataclass
class ChunkSketch:
    """One chunk's aggregate state: bucket counts per quantile target, exact counters.

    ``targets`` names the quantile targets (e.g. ``forecast:pm-power`` or
    ``series:tie:dawa|siic:3`` for step 3); ``keys`` packs (target index, bucket) into one
    int64, sorted, with ``counts`` the number of values in each.
    """

    targets: list[str]
    keys: IntArray
    counts: IntArray
    counters: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, values: Mapping[str, FloatArray], counters: Mapping[str, int]) -> ChunkSketch:
        """A sketch of ``values`` (name -> the chunk's values of that target)."""
        names = list(values)
        if not names:
            return cls([], np.zeros(0, np.int64), np.zeros(0, np.int64), dict(counters))
        flat = np.concatenate([np.asarray(values[n], dtype=np.float64).ravel() for n in names])
        sizes = [np.size(values[n]) for n in names]
        target = np.repeat(np.arange(len(names), dtype=np.int64), sizes)
        ok = ~np.isnan(flat)
        packed = target[ok] * _SHIFT + bucket_keys(flat[ok]) + (KMAX + 1)
        keys, counts = np.unique(packed, return_counts=True)
        return cls(names, keys, counts.astype(np.int64), dict(counters))

    def to_arrays(self) -> dict[str, Any]:
        """A dict of arrays for ``np.savez`` (see :meth:`from_arrays`): the keys delta-coded,
        keys and counts zstd-compressed (about 130 KB for a 500-member iraq-2008 chunk)."""
        import json

        import pyarrow as pa

        codec = pa.Codec("zstd", compression_level=1)
        deltas = np.diff(self.keys, prepend=np.int64(0)).astype("<i8")
        meta = json.dumps({"targets": self.targets, "counters": self.counters,
                           "entries": int(self.keys.size)})  # fmt: skip
        return {
            "keys": np.frombuffer(codec.compress(deltas.tobytes(), asbytes=True), np.uint8),
            "counts": np.frombuffer(
                codec.compress(self.counts.astype("<i8").tobytes(), asbytes=True), np.uint8
            ),
            "meta": np.array(meta),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> ChunkSketch:
        """The sketch written by :meth:`to_arrays` (raises ValueError if inconsistent)."""
        import json

        import pyarrow as pa

        meta = json.loads(str(data["meta"]))
        size = 8 * int(meta["entries"])

        def unpack(name: str) -> IntArray:
            raw = np.asarray(data[name], dtype=np.uint8).tobytes()
            out = pa.decompress(raw, decompressed_size=size, codec="zstd", asbytes=True)
            return np.frombuffer(out, dtype="<i8").astype(np.int64)

        keys, counts = np.cumsum(unpack("keys")), unpack("counts")
        counters = {str(k): int(v) for k, v in meta["counters"].items()}
        return cls([str(t) for t in meta["targets"]], keys, counts, counters)


class Accumulator:
    """The merged sketches of a run: dense bucket windows per target, exact counters.

    Memory: one int64 per bucket between each target's smallest and largest bucket seen
    (at most about ``log(max|x| / ZERO) / log(gamma)`` per sign: a few thousand buckets for
    values on a 0-100 scale), independent of the number of members.
    """

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.lo: list[int] = []
        self.windows: list[IntArray] = []
        self.counters: dict[str, int] = {}
        self.first: dict[str, tuple[int, int]] = {}

    def add(self, sketch: ChunkSketch, chunk: int = 0) -> None:
        """Merge one chunk's sketch (integer addition: order does not matter)."""
        for k, v in sketch.counters.items():
            self.counters[k] = self.counters.get(k, 0) + v
        for t, name in enumerate(sketch.targets):
            self.first[name] = min(self.first.get(name, (chunk, t)), (chunk, t))
        if not sketch.targets:
            return
        target = sketch.keys // _SHIFT
        bucket = sketch.keys % _SHIFT - (KMAX + 1)
        bounds = np.searchsorted(target, np.arange(len(sketch.targets) + 1))
        for t, name in enumerate(sketch.targets):
            a, b = int(bounds[t]), int(bounds[t + 1])
            if a == b:
                self.index.setdefault(name, self._new(0))
                continue
            ks, cs = bucket[a:b], sketch.counts[a:b]
            g = self.index.get(name)
            if g is None:
                g = self.index[name] = self._new(int(ks[0]))
            self._grow(g, int(ks[0]), int(ks[-1]))
            np.add.at(self.windows[g], ks - self.lo[g], cs)

    def _new(self, lo: int) -> int:
        self.lo.append(lo)
        self.windows.append(np.zeros(0, np.int64))
        return len(self.windows) - 1

    def _grow(self, g: int, kmin: int, kmax: int) -> None:
        w, lo = self.windows[g], self.lo[g]
        if w.size and kmin >= lo and kmax < lo + w.size:
            return
        new_lo = min(lo, kmin) if w.size else kmin
        new_hi = max(lo + w.size - 1, kmax) if w.size else kmax
        grown = np.zeros(new_hi - new_lo + 1, np.int64)
        if w.size:
            grown[lo - new_lo : lo - new_lo + w.size] = w
        self.windows[g], self.lo[g] = grown, new_lo

    def ordered(self) -> list[str]:
        """The targets in the order of the lowest-numbered chunk that has each (so the
        same whatever order the chunks were merged in)."""
        return sorted(self.first, key=lambda n: self.first[n])

    def count(self, name: str) -> int:
        g = self.index.get(name)
        return 0 if g is None else int(self.windows[g].sum())

    def quantiles(self, name: str, qs: tuple[float, ...]) -> list[float | None]:
        """Quantiles (linear interpolation between order statistics, as ``quantile_cont``)."""
        g = self.index.get(name)
        if g is None:
            return [None] * len(qs)
        w = self.windows[g]
        n = int(w.sum())
        if n == 0:
            return [None] * len(qs)
        cum = np.cumsum(w)
        h = np.asarray(qs, dtype=np.float64) * (n - 1)
        ranks = np.concatenate([np.floor(h), np.ceil(h)]).astype(np.int64)
        pos = np.searchsorted(cum, ranks, side="right")  # first bucket with cum > rank
        vals = bucket_values(pos.astype(np.int64) + self.lo[g])
        lo_v, hi_v = vals[: len(qs)], vals[len(qs) :]
        frac = h - np.floor(h)
        out = np.where(frac == 0, lo_v, lo_v + frac * (hi_v - lo_v))
        return [float(v) for v in out]

    def memory_bytes(self) -> int:
        return sum(w.nbytes for w in self.windows)
