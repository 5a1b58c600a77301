"""``factions steps``: list the simulation steps, what each reads and writes, and a sequence.

A module of its own outside ``factions.steps`` (whose package imports NumPy), so that the
CLI starts light."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from factions.terminal import SafeConsole

__all__ = ["steps_command"]


def steps_command(
    bounded: Annotated[
        bool, typer.Option("--bounded", help="Show the bounded sequence instead.")
    ] = False,
) -> None:
    """List the month's simulation steps in order, with what each reads and writes.

    A scenario runs another sequence with dynamics.steps (docs/model.md); the other
    registered steps are listed after it.
    """
    from factions.steps import BOUNDED_SEQUENCE, STANDARD_SEQUENCE, STEPS

    out = SafeConsole()
    seq = BOUNDED_SEQUENCE if bounded else STANDARD_SEQUENCE
    table = Table(title="bounded sequence" if bounded else "standard sequence")
    for col in ("#", "step", "reads", "writes", "what"):
        table.add_column(col)
    for k, name in enumerate(seq, 1):
        s = STEPS[name]
        table.add_row(str(k), name, ", ".join(sorted(s.reads)), ", ".join(sorted(s.writes)), s.doc)
    for name in sorted(set(STEPS) - set(seq)):
        s = STEPS[name]
        table.add_row("-", name, ", ".join(sorted(s.reads)), ", ".join(sorted(s.writes)), s.doc)
    out.print(table)
