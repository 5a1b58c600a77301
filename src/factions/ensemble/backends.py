"""Where ensemble chunks run: in-process, in a process pool, or on a Dask cluster.

All backends run the same pure chunk function on the same tasks; a chunk's result depends
only on its task, so every backend gives the same members bit for bit. Each worker uses
one thread for NumPy's linear algebra (``threadpoolctl`` in the chunk, and
``OMP_NUM_THREADS=1``-style variables for worker processes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from factions.errors import BackendUnavailable, FactionsError

__all__ = ["BACKENDS", "Backend", "DaskBackend", "LocalBackend", "ProcessBackend", "make_backend"]

T = TypeVar("T")
R = TypeVar("R")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Backend(Protocol):
    """Runs ``fn`` on every task, calling ``on_done`` with each result as it arrives.

    A backend whose workers outlive a task may set ``merges_in_workers = True``: its
    ``map`` then also takes ``finish`` and ``on_finish`` keywords, runs ``finish()`` once
    on every worker after the last task, and calls ``on_finish`` with each result (the
    workers' partial aggregates, :func:`factions.ensemble.runner.flush_partial`).
    """

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


def _watch_parent(parent: int) -> None:
    """In a worker: ignore Ctrl-C (the coordinator stops the pool) and exit as soon as the
    coordinator is gone (killed with SIGKILL, say), instead of computing on for nobody."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the coordinator's stdout and stderr objects with their locks,
    # which another thread (a progress bar) may have held at the fork: fresh ones on the
    # same descriptors, so that a warning printed by a worker can never wait on them.
    with contextlib.suppress(OSError, ValueError):
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="factions-parent-watch", daemon=True).start()


#: In a process-pool worker: the fields every task shares, set once when it starts.
_SHARED: dict[str, Any] = {}


_BARRIER: list[Any] = []


#: glibc's malloc in a worker process: arrays up to this size come from the heap, not from
#: a fresh ``mmap`` each (bytes; the default threshold adapts, from 128 KiB up) ...
MMAP_THRESHOLD = 32 << 20
#: ... and up to this much freed memory stays in the process for the next array (bytes;
#: default 128 KiB).
TRIM_THRESHOLD = 64 << 20
_TUNED: list[bool] = []


def keep_freed_memory() -> bool:
    """Let this worker process reuse the memory of its freed arrays (Linux, glibc); whether
    it did.

    A chunk allocates and frees many large temporary arrays. With glibc's defaults, many of
    them are fresh ``mmap`` pages that the kernel zeroes and maps on first touch, and freed
    memory goes back to the system at once: on the 2-core development VM that took about a
    tenth of a chunk's CPU time (``benchmarks/bench_steps.py`` measures a chunk both ways).
    ``mallopt`` raises the two thresholds; the results do not change, the worker's memory
    may stay up to ``TRIM_THRESHOLD`` higher. Called once in each worker process that
    ``processes`` and ``dask`` (its own ``LocalCluster``) start, never in the caller's
    process; it overrides ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` there
    (Dask sets the latter in the environment of the process that starts a cluster, so the
    variables cannot tell a user's choice from Dask's). Nothing is done where the C library
    has no ``mallopt`` (musl, macOS).
    """
    if not _TUNED:
        _TUNED.append(_mallopt())
    return _TUNED[0]


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
    mallopt(-1, TRIM_THRESHOLD)  # M_TRIM_THRESHOLD
    return True


def _start_worker(parent: int, shared: dict[str, Any], barrier: Any = None) -> None:
    keep_freed_memory()
    _watch_parent(parent)
    _SHARED.clear()
    _SHARED.update(shared)
    _BARRIER[:] = [barrier]


def _on_each_worker(finish: Callable[[], Any]) -> bytes:
    """One of n tasks queued behind the last chunk for n workers: run ``finish`` (and pickle
    its result) as soon as this worker is free, while the others may still compute their
    last chunk, then wait until every worker holds one of these tasks, so that no worker
    takes two. Should the wait time out, a worker may take two (the second ``finish``
    returns nothing) and another none (its chunks are then merged from their stored
    sketches by the coordinator): slower, the same result."""
    import threading

    payload = _pickled(finish)
    barrier = _BARRIER[0] if _BARRIER else None
    if barrier is not None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=_COLLECT_TIMEOUT)
    return payload


#: Seconds a worker that has handed over its partial waits for the others' last chunks.
_COLLECT_TIMEOUT = 600.0


def _pickled(finish: Callable[[], Any]) -> bytes:
    """``finish()``, pickled where it ran."""
    return pickle.dumps(finish(), protocol=pickle.HIGHEST_PROTOCOL)


def _rejoin_here(fn: Callable[[T], R], task: T) -> R:
    """Run ``fn`` on ``task`` with the shared fields this worker got at its start."""
    return fn(dataclasses.replace(task, **_SHARED))  # type: ignore[type-var]


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what is queued and terminate the workers (no waiting for the
    chunks they are computing; their parts are written atomically, so nothing is left
    half-written)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.join(timeout=1.0)
        if proc.is_alive():
            proc.kill()


def _fork_is_safe() -> bool:
    """Fork workers on Linux, unless a library with its own threads (JAX/XLA) is loaded:
    forking it could deadlock the child."""
    return sys.platform == "linux" and "jax" not in sys.modules


def _bounded(
    submit: Callable[..., Future[Any]],
    fn: Callable[[T], R],
    tasks: Sequence[T],
    on_done: Callable[[R], None],
    window: int,
    exhausted: Callable[[], None] | None = None,
) -> None:
    """Keep at most ``window`` tasks in flight, and drop each result once handled: the
    coordinator's memory does not grow with the number of chunks. ``exhausted`` is called
    once, right after the last task is submitted."""
    todo = iter(tasks)
    running: set[Future[Any]] = set()

    def refill() -> None:
        nonlocal exhausted
        while len(running) < window:
            t = next(todo, _END)
            if t is _END:
                if exhausted is not None:
                    exhausted()
                    exhausted = None
                return
            running.add(submit(fn, t))

    refill()
    while running:
        finished, running = wait(running, return_when=FIRST_COMPLETED)
        for f in finished:
            on_done(f.result())
        refill()


_END = object()


class ProcessBackend:
    """A pool of ``workers`` processes (``concurrent.futures``), one thread each.

    On Linux the workers are forked from the coordinator (``start_method="fork"``; not when
    JAX is loaded, whose threads a fork could deadlock): they
    start in milliseconds with everything already imported, where spawned workers would
    each spend 0.5-1 s importing NumPy, pyarrow, pydantic and factions, a serial cost that
    dominated small ensembles. The chunk function touches no lock a forked thread could
    hold (it neither logs nor prints). Elsewhere, or with ``start_method="spawn"``, they
    are spawned.

    Workers exit when the coordinator dies (they watch their parent process) and ignore
    Ctrl-C: on an interruption the coordinator terminates them at once, so a run stops
    within a second and can be resumed.
    """

    name = "processes"
    merges_in_workers = True

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.start_method = start_method

    def _method(self) -> str:
        if self.start_method:
            return self.start_method
        return "fork" if _fork_is_safe() else "spawn"

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        on_done: Callable[[R], None],
        *,
        finish: Callable[[], Any] | None = None,
        on_finish: Callable[[Any], None] | None = None,
    ) -> None:
        import multiprocessing as mp

        if not tasks:
            return
        # What every task shares (the scenario, 43 KB for iraq-2008) goes to each worker
        # once, with its start (inherited by a forked worker, pickled once for a spawned
        # one), not with every task.
        items, shared = _split_shared(tasks)
        call = functools.partial(_rejoin_here, fn) if shared else fn
        ctx = mp.get_context(self._method())
        n = min(self.workers, len(tasks))
        # ``finish`` runs once on each worker: n tasks that wait for each other, so that
        # no worker can take two of them.
        barrier = ctx.Barrier(n) if finish is not None else None
        with _single_threaded_children():
            pool = ProcessPoolExecutor(
                max_workers=n,
                mp_context=ctx,
                initializer=_start_worker,
                initargs=(os.getpid(), shared, barrier),
            )
            ends: list[Future[bytes]] = []
            collect: Callable[[], None] | None = None
            if finish is not None:
                end = finish

                def collect() -> None:  # queued behind the last task: taken as workers free
                    ends.extend(pool.submit(_on_each_worker, end) for _ in range(n))

            try:
                _bounded(pool.submit, call, items, on_done, 2 * self.workers, collect)
                for f in ends:
                    result = pickle.loads(f.result())
                    if on_finish is not None:
                        on_finish(result)
            except BaseException:
                _stop_pool(pool)
                raise
            pool.shutdown(wait=True)


class DaskBackend:
    """A Dask cluster: a ``LocalCluster`` of ``workers`` processes, or any scheduler.

    Tasks are retried (``retries``) when a worker dies, and parts are written atomically,
    so a lost worker loses and duplicates no member.

    Up to ``batch`` chunks go to a worker in one Dask task (:func:`guided_batches`: fewer
    as the run nears its end, one at a time for the last ones). Each task costs the
    scheduler, the client and the worker a few milliseconds of CPU; on two cores that
    time is taken from the chunks. At 20,000 iraq-2008 members, 4 chunks a task (18 tasks
    instead of 40) took the 2-worker run from 4.60 to 4.51 s (scratch A/B runs, medians of
    4 on the 2-core development VM; ``benchmarks/bench_all.py`` measures the efficiency).
    """

    name = "dask"
    merges_in_workers = True

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        client: Any = None,
        retries: int = 3,
        batch: int = 4,
    ) -> None:
        self.scheduler = scheduler
        self.workers = workers or os.cpu_count() or 1
        self.client = client
        self.retries = retries
        if batch < 1:
            raise ValueError(f"batch must be a positive integer, got {batch}")
        self.batch = batch

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        on_done: Callable[[R], None],
        *,
        finish: Callable[[], Any] | None = None,
        on_finish: Callable[[Any], None] | None = None,
    ) -> None:
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
                # back to the OS and fixes glibc's mmap threshold at 128 KiB: a chunk took
                # over twice as long with it (benchmarks/bench_steps.py). The workers tune
                # their allocator themselves (keep_freed_memory, at their first task), so
                # Dask's variable is not set (it would also stay in this process's
                # environment).
                trim: dict[str, Any] = {
                    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                    # Housekeeping that costs CPU on the machine the chunks run on: the
                    # workers' statistical profiler (a stack sample every 10 ms), work
                    # stealing (tasks are submitted a few at a time to the least busy
                    # worker: nothing to steal), and frequent ticks and system monitors.
                    # Measured at 20,000 iraq-2008 members, 2 workers, load 6-7: the
                    # coordinator's CPU 0.8-1.1 s -> 0.67-0.69 s.
                    "distributed.worker.profile.enabled": False,
                    "distributed.scheduler.work-stealing": False,
                    "distributed.admin.tick.interval": "500ms",
                    "distributed.admin.system-monitor.interval": "5s",
                    "distributed.worker.memory.monitor-interval": "1s",
                }
                # On Linux the workers are forked (as in ProcessBackend): a LocalCluster of
                # spawned workers took 4.5 s to start and 2.2 s to close on the 2-core
                # development VM, a forked one 0.7 s and 0.2 s (measured under load).
                if _fork_is_safe():
                    trim["distributed.worker.multiprocessing-method"] = "fork"
                with _single_threaded_children(), dask.config.set(trim):
                    cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        dashboard_address=None,
                    )  # fmt: skip
                    client = Client(cluster)
        try:
            # Send what every task shares (the scenario) once, by reference, and submit the
            # tasks one by one: one graph per task stays small (no "Sending large graph").
            # A bounded window of tasks in flight, each result released once handled: the
            # scheduler's and the coordinator's memory do not grow with the chunks.
            items, shared = _split_shared(tasks)
            refs = {k: client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
            call = functools.partial(_rejoin, fn) if refs else fn
            if cluster is not None:  # our own workers (not a user's scheduler's)
                call = functools.partial(_tuned, call)
            # The cluster's workers once (each ``client.nthreads()`` asks the scheduler);
            # the collecting tasks below ask again, for the workers alive at the end.
            threads = client.nthreads()
            window = max(4, 2 * sum(threads.values()))
            # A partial is pickled by the task that makes it, on its worker, as soon as that
            # worker is free: left to Dask, the pickling (a partial compacts its windows)
            # waited until the coordinator asked for the result, one worker after the other
            # (0.1 s each at 20,000 iraq-2008 members).
            pickled = functools.partial(_pickled, finish) if finish is not None else None
            batches = guided_batches(len(items), sum(threads.values()), self.batch)
            todo = iter(batches)
            done = dask_completed()
            ends: list[Any] = []
            left = len(batches)

            def submit_next() -> None:
                b = next(todo, None)
                if b is not None:
                    done.add(client.submit(_each, call, items[b], retries=self.retries,
                                           pure=False, **refs))  # fmt: skip

            for _ in range(window):
                submit_next()
            for f in done:
                results = f.result()
                f.release()
                left -= 1
                for result in results:
                    on_done(result)
                submit_next()
                if finish is not None and not ends and left <= len(threads):
                    # ``finish`` once on every worker, queued (lower priority) behind the
                    # last chunks: a worker hands over its partial as soon as it is free,
                    # while the others still compute, instead of all at the end
                    # (``client.run``). A worker that gets a chunk after its ``finish``, or
                    # one restarted after a loss, leaves those chunks to the coordinator,
                    # which merges them from their stored sketches: the same sum.
                    ends = [client.submit(pickled, workers=[w], allow_other_workers=True,
                                          priority=-1, pure=False)
                            for w in client.nthreads()]  # fmt: skip
            if finish is not None and not ends:
                ends = [client.submit(pickled, workers=[w], allow_other_workers=True,
                                      pure=False) for w in client.nthreads()]  # fmt: skip
            # Each partial as soon as its worker has it (not in submission order).
            for f in dask_completed(ends):
                result = pickle.loads(f.result())
                if on_finish is not None:
                    on_finish(result)
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


def _tuned(fn: Callable[..., R], task: T, **shared: Any) -> R:
    """``fn(task, **shared)`` in a worker of the ``LocalCluster`` this backend started, its
    allocator tuned first (:func:`keep_freed_memory`, once per process)."""
    keep_freed_memory()
    return fn(task, **shared)


def _each(call: Callable[..., R], tasks: Sequence[T], **shared: Any) -> list[R]:
    """``call(task, **shared)`` for each task of a batch, in order (on a worker)."""
    return [call(t, **shared) for t in tasks]


def guided_batches(n: int, workers: int, most: int) -> list[slice]:
    """``n`` tasks cut into consecutive batches for ``workers`` workers: each batch about a
    quarter of what is left per worker, at most ``most`` tasks and at least one, so batches
    shrink to single tasks at the end (guided self-scheduling: Polychronopoulos & Kuck 1987,
    "Guided self-scheduling: a practical scheduling scheme for parallel supercomputers",
    IEEE Trans. Computers C-36(12), 1425-1439, with a smaller batch per step than their
    ``ceil(left / workers)``, because a batch cannot be taken back from a worker here)."""
    if n < 0 or workers < 1 or most < 1:
        raise ValueError(f"guided_batches: n={n}, workers={workers}, most={most}")
    out: list[slice] = []
    start = 0
    while start < n:
        size = min(most, max(1, -(-(n - start) // (4 * workers))))
        out.append(slice(start, start + size))
        start += size
    return out


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
