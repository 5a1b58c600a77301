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


def test_guided_batches_cover_every_task_once_in_order() -> None:
    from factions.ensemble.backends import guided_batches

    for n in (0, 1, 3, 7, 40, 41, 2000):
        for workers in (1, 2, 3, 8):
            for most in (1, 4, 8):
                batches = guided_batches(n, workers, most)
                assert [i for b in batches for i in range(n)[b]] == list(range(n))
                sizes = [b.stop - b.start for b in batches]
                assert all(1 <= s <= most for s in sizes)
                assert sizes == sorted(sizes, reverse=True)  # they only shrink
                # the last tasks go one by one: a worker that finishes early finds one
                assert sizes[-min(n, 2 * workers) :] == [1] * min(n, 2 * workers)
    # 40 chunks, 2 workers, at most 4 a task: 18 tasks instead of 40
    assert len(guided_batches(40, 2, 4)) == 18


def test_guided_batches_reject_nonsense() -> None:
    import pytest

    from factions.ensemble.backends import guided_batches

    for args in ((-1, 2, 4), (4, 0, 4), (4, 2, 0)):
        with pytest.raises(ValueError, match="guided_batches"):
            guided_batches(*args)
    with pytest.raises(ValueError, match="batch must be a positive integer, got 0"):
        DaskBackend(workers=1, batch=0)


def test_batched_tasks_are_each_handed_over() -> None:
    big = "s" * 5_000
    tasks = [Task(big, k, np.full(3, float(k))) for k in range(11)]
    for batch in (1, 4):
        done: list[tuple[int, int, float]] = []
        DaskBackend(workers=2, batch=batch).map(work, tasks, done.append)
        assert sorted(done) == [(k, len(big), 3.0 * k) for k in range(11)]
