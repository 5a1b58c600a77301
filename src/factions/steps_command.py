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
    scenario: Annotated[
        str | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="A built-in name or a scenario file: show the sequence it runs.",
        ),
    ] = None,
    bounded: Annotated[
        bool, typer.Option("--bounded", help="Show the bounded sequence instead.")
    ] = False,
) -> None:
    """List the month's simulation steps in order, with what each reads and writes.

    A scenario runs another sequence with dynamics.steps (docs/model.md): name it to see
    its sequence; the other registered steps are listed after it.
    """
    from factions.steps import BOUNDED_SEQUENCE, STANDARD_SEQUENCE, STEPS, resolve

    out = SafeConsole()
    seq: tuple[str, ...] = BOUNDED_SEQUENCE if bounded else STANDARD_SEQUENCE
    title = "bounded sequence" if bounded else "standard sequence"
    if scenario is not None:
        from factions.cli import _fail, _load
        from factions.errors import ScenarioError

        sc = _load(scenario)
        if sc.dynamics.steps is not None:
            try:
                resolve(sc.dynamics.steps)
            except ScenarioError as e:
                _fail(e.problems, scenario)
            seq = tuple(sc.dynamics.steps)
            title = f"the sequence of {sc.metadata.id} (dynamics.steps)"
        else:
            title = f"the sequence of {sc.metadata.id}: the standard sequence"
    table = Table(title=title)
    for col in ("#", "step", "reads", "writes", "what"):
        table.add_column(col)
    for k, name in enumerate(seq, 1):
        s = STEPS[name]
        table.add_row(str(k), name, ", ".join(sorted(s.reads)), ", ".join(sorted(s.writes)), s.doc)
    for name in sorted(set(STEPS) - set(seq)):
        s = STEPS[name]
        table.add_row("-", name, ", ".join(sorted(s.reads)), ", ".join(sorted(s.writes)), s.doc)
    out.print(table)
