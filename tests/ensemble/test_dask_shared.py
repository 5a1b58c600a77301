"""The Dask backend sends what every task shares once, never a large graph (item 12)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from factions.ensemble import DaskBackend


@dataclass(frozen=True)
class Task:
    shared: str
    k: int
    values: np.ndarray


def work(t: Task) -> tuple[int, int, float]:
    return t.k, len(t.shared), float(t.values.sum())


def test_shared_fields_are_split_off_once() -> None:
    from factions.ensemble.backends import _split_shared

    big = "x" * 10_000
    tasks = [Task(big, k, np.ones(3)) for k in range(3)]
    stripped, shared = _split_shared(tasks)
    assert shared == {"shared": big}
    assert all(t.shared == "" for t in stripped)
    small = [Task("tiny", k, np.ones(3)) for k in range(3)]
    assert _split_shared(small)[1] == {}
    differ = [Task(big + str(k), k, np.ones(3)) for k in range(3)]
    assert _split_shared(differ)[1] == {}


def test_dask_never_sends_a_large_graph() -> None:
    """An ensemble's tasks carry their members' sampled inputs (20,000 iraq-2008 members:
    12 MB): sent in one ``client.map`` they made one graph and the warning "Sending large
    graph of size 11.64 MiB". Submitted one by one, with the shared scenario sent once,
    no graph is large."""
    big = "s" * 50_000
    tasks = [Task(big, k, np.full(125_000, float(k))) for k in range(12)]  # 12 x 1 MB
    done: list[tuple[int, int, float]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DaskBackend(workers=1).map(work, tasks, done.append)
    assert sorted(done) == [(k, len(big), 125_000.0 * k) for k in range(12)]
    assert not [w for w in caught if "large graph" in str(w.message)]
