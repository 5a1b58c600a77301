"""Heavy requests in child processes: bounded in number, time and memory, cancelled on
disconnect.

A single run (``POST /api/simulate``) used to run in a thread of the server: a client that
went away left it computing (threads cannot be stopped), and any number could run at once.
:class:`RunSlots` runs each in a child process forked from a *forkserver* (which imported
factions once, so a start costs milliseconds), and

- refuses a run with a 503 problem (``Retry-After``) when ``max_runs`` are already running;
- kills the child when the client disconnects (checked every ``poll`` seconds) or when the
  run passes ``timeout`` seconds (a 503 problem naming the limit);
- caps the child's address space at ``memory`` bytes, so a run too large for the server
  ends in a clean problem instead of taking the machine's memory.

docs/web.md, "Limits", states the defaults.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing as mp
import resource
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from factions.errors import FactionsError, Problem, ScenarioError
from factions.web.problems import ApiProblem

__all__ = ["ClientGone", "RunLimits", "RunSlots"]


@dataclass(frozen=True)
class RunLimits:
    """What the server allows heavy requests (docs/web.md, "Limits")."""

    #: Single runs at once; more get a 503 problem.
    max_runs: int = 4
    #: Seconds a single run may take.
    timeout: float = 120.0
    #: Bytes of address space a run's process may map.
    memory: int = 4 * 1024**3
    #: Seconds between checks for a client that went away.
    poll: float = 0.2
    #: Seconds a client may take to send a request's headers, and each part of its body.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    #: Run in a child process (False: in a thread of the server, without cancellation or
    #: memory cap; for tests that patch the server's own functions).
    isolate: bool = True


class ClientGone(Exception):
    """The client disconnected; its run was stopped."""


def _die_with_parent() -> None:
    """Linux: the child is killed when its parent (the forkserver) ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory: int) -> None:
    _die_with_parent()
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit is kept
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        out: tuple[str, Any] = ("ok", fn(*args))
    except ScenarioError as e:
        out = ("scenario", ([(p.path, p.message) for p in e.problems], e.source))
    except FactionsError as e:
        out = ("factions", str(e))
    except MemoryError:
        out = ("memory", None)
    except Exception as e:
        out = ("internal", f"{type(e).__name__}: {e}")
    conn.send(out)
    conn.close()


class RunSlots:
    """Runs functions in child processes under :class:`RunLimits` (see the module text)."""

    def __init__(self, limits: RunLimits | None = None) -> None:
        self.limits = limits or RunLimits()
        self.running = 0
        self._ctx: Any = None
        self._procs: set[Any] = set()

    def shutdown(self) -> None:
        """Kill every run in progress (the server is stopping)."""
        for proc in list(self._procs):
            if proc.is_alive():
                proc.kill()

    def _context(self) -> Any:
        if self._ctx is None:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["factions.web.app"])
            self._ctx = ctx
        return self._ctx

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        disconnected: Callable[[], Awaitable[bool]],
    ) -> Any:
        """``fn(*args)`` in a child process; its result, or its error re-raised here.

        Raises
        ------
        ApiProblem
            503 when all slots are taken or the run passed its time limit; 507 when it
            needed more memory than allowed.
        ClientGone
            When ``disconnected()`` became true (the child has been killed).
        """
        lim = self.limits
        if self.running >= lim.max_runs:
            raise ApiProblem(
                503,
                f"the server is busy ({self.running} runs in progress, at most "
                f"{lim.max_runs}); try again shortly",
                kind="busy",
            )
        self.running += 1
        try:
            if not lim.isolate:
                return await asyncio.to_thread(fn, *args)
            return await self._run(fn, args, disconnected)
        finally:
            self.running -= 1

    async def _run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        disconnected: Callable[[], Awaitable[bool]],
    ) -> Any:
        lim = self.limits
        ctx = self._context()
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, fn, args, lim.memory), daemon=True)
        await asyncio.to_thread(proc.start)
        self._procs.add(proc)
        child.close()
        start = time.monotonic()
        try:
            while not parent.poll():
                if not proc.is_alive() and not parent.poll():
                    raise ApiProblem(500, "the run stopped unexpectedly", kind="internal")
                if await disconnected():
                    raise ClientGone()
                if time.monotonic() - start > lim.timeout:
                    raise ApiProblem(
                        503,
                        f"the run took longer than the server allows ({lim.timeout:g} s); "
                        "run it with the command line",
                        kind="timeout",
                    )
                await asyncio.sleep(lim.poll)
            status, payload = await asyncio.to_thread(parent.recv)
        finally:
            parent.close()
            if proc.is_alive():
                proc.kill()
            await asyncio.to_thread(proc.join, 5)
            self._procs.discard(proc)
        if status == "ok":
            return payload
        if status == "scenario":
            problems, source = payload
            raise ScenarioError([Problem(p, m) for p, m in problems], source)
        if status == "factions":
            raise _Failed(payload)
        if status == "memory":
            raise ApiProblem(
                507,
                f"the run needs more memory than the server allows ({lim.memory} bytes)",
                kind="out-of-memory",
            )
        raise RuntimeError(payload)


class _Failed(FactionsError):
    """A factions error raised in a child process (its message kept)."""
