"""One BLAS thread for a single run and for ensembles, unless the user asked for more.

A single run's matrix products are small (``_unique``'s float32 matmul in the smp engine,
for one): OpenBLAS's worker threads then spin on a second core for no gain. ``factions
run`` limits BLAS to one thread with ``threadpoolctl``, unless one of the usual variables
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) is set: then the user's
choice stands. ``factions run``, ``ensemble`` and ``sensitivity`` also start with one
OpenBLAS thread (:func:`one_blas_thread_from_the_start`): a worker forked from a process
whose OpenBLAS has threads starts one again, and it spins for about 0.1 CPU-seconds even
though every chunk limits BLAS to one thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["THREAD_VARS", "one_blas_thread_from_the_start", "single_blas_thread"]

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Within the block, BLAS uses one thread (unless a ``*_NUM_THREADS`` variable is set)."""
    if any(os.environ.get(v) for v in THREAD_VARS):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def one_blas_thread_from_the_start() -> bool:
    """Before NumPy is imported: one OpenBLAS thread for the whole process, unless one of the
    usual variables is set (then the user's choice stands); whether it did.

    OpenBLAS starts its worker threads when NumPy is imported, and each spins for a while
    before it sleeps, even if every call later runs on one thread under
    :func:`single_blas_thread`: on the 2-core development VM, ``factions run iraq-2008``
    took 0.57 CPU-seconds for 0.47 s of wall time (the first ``bench_all.py`` run of
    session 4; equal since). Setting
    ``OPENBLAS_NUM_THREADS=1`` first means no such threads are started. Too late once NumPy
    is imported (then nothing is done).
    """
    import sys

    if "numpy" in sys.modules or any(os.environ.get(v) for v in THREAD_VARS):
        return False
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    return True
