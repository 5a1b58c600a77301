"""Readable names for the things a user sees: one function each, shared by the CLI, the
report and the web app (so that ``stances.13.position`` never reaches a user)."""

from __future__ import annotations

from factions.scenario.schema import Scenario

__all__ = ["input_label"]


def input_label(scenario: Scenario, path: str) -> str:
    """A readable name for an uncertain input's path (``stances.3.salience`` ->
    ``dawa: salience of support-councils``)."""
    parts = path.split(".")
    if parts[:2] == ["dynamics", "coefficients"] and len(parts) == 3:
        from factions.calibration.store import structural

        source = next((s.source for s in structural(scenario) if s.name == parts[2]), "")
        if source.startswith("calibration"):
            return f"coefficient {parts[2]} ({scenario.dynamics.calibration} calibration)"
        if source.startswith("judgment prior"):
            return f"coefficient {parts[2]} (judgment prior)"
        return f"coefficient {parts[2]}" + (" (scenario range)" if source else "")
    try:
        k = int(parts[1])
        if parts[0] == "actors":
            return f"{scenario.actors[k].id}: capability"
        if parts[0] == "stances":
            st = scenario.stances[k]
            return f"{st.actor}: {parts[2]} on {st.issue}"
        if parts[0] == "resources":
            r = scenario.resources[k]
            return f"{r.actor}: {r.kind}"
        if parts[0] == "ties":
            t = scenario.ties[k]
            return f"tie {t.a}–{t.b}" if t.kind == "relation" else f"patronage {t.a} → {t.b}"
        if parts[0] == "events" and len(parts) == 7 and parts[2] == "election":
            ev = scenario.events[k]
            assert ev.election is not None
            dist = ev.election.districts[int(parts[4])]
            return f"{ev.id}: {parts[6]}'s base in {dist.id}"
        if parts[0] == "events":
            ev = scenario.events[k]
            ch = ev.changes[int(parts[3])]
            what = {
                "resource": f"{ch.actor} {ch.resource}",
                "tie": f"tie {ch.actor}–{ch.other}",
                "salience": f"{ch.actor} salience of {ch.issue}",
                "position": f"{ch.actor} position on {ch.issue}",
            }[ch.target]
            return f"{ev.id}: {ch.op} {what}"
    except (IndexError, ValueError, KeyError):
        pass
    return path


def step_dates(scenario: Scenario, dynamics: bool | None) -> list[str] | None:
    """The ISO date of each step of a political run of ``scenario`` (month by month from its
    date to its horizon), or None for a bargaining-only run (``dynamics`` False, or None
    with no horizon), whose steps are rounds."""
    from factions.simulate import month_dates

    meta = scenario.metadata
    political = meta.horizon is not None if dynamics is None else bool(dynamics)
    if not political:
        return None
    horizon = meta.horizon or meta.date.replace(year=meta.date.year + 1)
    return [d.isoformat() for d in month_dates(meta.date, horizon)]


def step_label(step: int | str | None, dates: list[str] | None) -> str:
    """A step as a user reads it: its date in a political run, else "round N"; None or
    "never" is "never"."""
    if step is None or step == "never":
        return "never"
    try:
        k = int(step)
    except ValueError:
        return str(step)
    if dates is not None and 0 <= k < len(dates):
        return dates[k]
    return f"round {k}"
