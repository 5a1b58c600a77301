"""One progress callback for long work, shared by the CLI, the web app and Dask runs.

A progress callback is any ``Callable[[int, int], None]`` called with (done, total). The CLI
wraps it in a rich progress bar; the web app forwards it as server-sent events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["ProgressFn", "rich_progress"]

ProgressFn = Callable[[int, int], None]


@contextmanager
def rich_progress(console: Console, description: str) -> Iterator[ProgressFn]:
    """A rich progress bar (on ``console``) driven by the callback it yields.

    Only on a terminal: into a pipe or a file a bar is noise (and a transient one still
    leaves an empty line behind), so the callback does nothing there.
    """
    if not console.is_terminal:
        yield lambda done, total: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
