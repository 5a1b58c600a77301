"""Where ensemble chunks run: in-process, in a process pool, or on a Dask cluster.

All backends run the same pure chunk function on the same tasks; a chunk's result depends
only on its task, so every backend gives the same members bit for bit. Each worker uses
one thread for NumPy's linear algebra (``threadpoolctl`` in the chunk, and
``OMP_NUM_THREADS=1``-style variables for worker processes).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from factions.errors import BackendUnavailable, FactionsError

__all__ = ["BACKENDS", "Backend", "DaskBackend", "LocalBackend", "ProcessBackend", "make_backend"]

T = TypeVar("T")
R = TypeVar("R")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Backend(Protocol):
    """Runs ``fn`` on every task, calling ``on_done`` with each result as it arrives."""

    name: str

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[R], None]
    ) -> None: ...


class LocalBackend:
    """In-process, one chunk after another (vectorized within a chunk)."""

    name = "local"

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[R], None]) -> None:
        for t in tasks:
            on_done(fn(t))


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    old = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update(dict.fromkeys(_THREAD_VARS, "1"))
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class ProcessBackend:
    """A pool of ``workers`` processes (``concurrent.futures``), one thread each."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[R], None]) -> None:
        import multiprocessing as mp

        with (
            _single_threaded_children(),
            ProcessPoolExecutor(
                max_workers=self.workers, mp_context=mp.get_context("spawn")
            ) as pool,
        ):
            futures = [pool.submit(fn, t) for t in tasks]
            for f in as_completed(futures):
                on_done(f.result())


class DaskBackend:
    """A Dask cluster: a ``LocalCluster`` of ``workers`` processes, or any scheduler.

    Tasks are retried (``retries``) when a worker dies, and parts are written atomically,
    so a lost worker loses and duplicates no member.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        client: Any = None,
        retries: int = 3,
    ) -> None:
        self.scheduler = scheduler
        self.workers = workers or os.cpu_count() or 1
        self.client = client
        self.retries = retries

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[R], None]) -> None:
        try:
            from dask.distributed import Client, LocalCluster
            from dask.distributed import as_completed as dask_completed
        except ImportError as e:  # pragma: no cover - dask is a dependency of the extra
            raise BackendUnavailable(
                "the dask backend needs dask[distributed]: pip install 'factions[dask]'"
            ) from e
        client, cluster = self.client, None
        if client is None:
            if self.scheduler:
                try:
                    client = Client(self.scheduler, timeout="10s")
                except OSError as e:
                    raise FactionsError(
                        f"--scheduler: cannot reach {self.scheduler}: {e}"
                    ) from None
            else:
                import dask

                # Dask's default MALLOC_TRIM_THRESHOLD_ (64 KiB) hands every freed array
                # back to the OS; with the many short-lived arrays of a simulation, that
                # costs 30-50 % of a chunk's time. Workers keep freed memory for reuse.
                trim = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 2**28}
                with _single_threaded_children(), dask.config.set(trim):
                    cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        dashboard_address=None,
                    )  # fmt: skip
                    client = Client(cluster)
        try:
            # Send what every task shares (the scenario) once, by reference, and submit the
            # tasks one by one: one graph per task stays small (no "Sending large graph").
            tasks, shared = _split_shared(tasks)
            refs = {k: client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
            call = functools.partial(_rejoin, fn) if refs else fn
            futures = [
                client.submit(call, t, retries=self.retries, pure=False, **refs) for t in tasks
            ]
            for f in dask_completed(futures):
                on_done(f.result())
        finally:
            if self.client is None:
                client.close()
            if cluster is not None:
                cluster.close()


BACKENDS = ("local", "processes", "dask")

#: A field shared by every task is sent once (scattered) when it is at least this large.
SHARED_MIN_BYTES = 4096


def _split_shared(tasks: Sequence[T]) -> tuple[list[T], dict[str, Any]]:
    """Dataclass tasks minus the large ``str``/``bytes`` fields equal in all of them, and
    those fields (sent once to the workers instead of inside every task)."""
    items = list(tasks)
    if not items or not dataclasses.is_dataclass(items[0]) or isinstance(items[0], type):
        return items, {}
    shared: dict[str, Any] = {}
    for f in dataclasses.fields(items[0]):
        v = getattr(items[0], f.name)
        if (isinstance(v, str | bytes) and len(v) >= SHARED_MIN_BYTES
                and all(getattr(t, f.name) == v for t in items[1:])):  # fmt: skip
            shared[f.name] = v
    if not shared:
        return items, {}
    blank = {k: type(v)() for k, v in shared.items()}
    return [dataclasses.replace(t, **blank) for t in items], shared  # type: ignore[type-var]


def _rejoin(fn: Callable[[T], R], task: T, **shared: Any) -> R:
    """Run ``fn`` on ``task`` with its shared fields put back (on the worker)."""
    return fn(dataclasses.replace(task, **shared))  # type: ignore[type-var]


def make_backend(name: str, *, workers: int | None = None, scheduler: str | None = None) -> Any:
    """A backend by name (``local``, ``processes``, ``dask``)."""
    if scheduler and name != "dask":
        raise ValueError("--scheduler needs --backend dask")
    if scheduler and not scheduler.startswith("tcp://"):
        raise ValueError(f"--scheduler must be a tcp:// address, got {scheduler!r}")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be a positive integer, got {workers}")
    if name == "local":
        return LocalBackend()
    if name == "processes":
        return ProcessBackend(workers)
    if name == "dask":
        return DaskBackend(scheduler, workers)
    raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, got {name!r}")
