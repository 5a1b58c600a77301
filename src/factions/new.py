"""``factions new NAME``: a commented scenario skeleton that validates and runs.

The skeleton is a small, complete scenario (three parties, one issue, resources, ties, an
election and three questions) whose comments say what each field means; edit it from
there. docs/scenario-format.md has the full reference.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

__all__ = ["skeleton", "write_skeleton"]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

TEMPLATE = """\
# {name}: a factions scenario. Edit the values, then:
#   factions validate {file}     # every problem as `path: message`
#   factions show {file}         # the scenario as tables
#   factions run {file}          # one run and its forecast
#   factions ensemble {file}     # probabilities over the uncertain values
# The format, field by field: docs/scenario-format.md (or `factions schema`).
schema_version: 1

metadata:
  id: {name}                      # letters, digits, _ - .
  title: "{title}"
  date: {today}                   # the situation as of this date
  horizon: {horizon}              # simulate month by month up to here (omit: bargaining only)
  description: >-
    One paragraph: what is at stake, and the conventions of the numbers below.

# Who acts. kind: party, militia, clergy, tribe, state, foreign_state, public, bloc, ...
actors:
  - {{id: left, name: "The Left Party", kind: party}}
  - {{id: centre, name: "The Centre Party", kind: party}}
  - {{id: right, name: "The Right Party", kind: party}}

# What they bargain over: each issue is a scale with a label for each end.
issues:
  - id: budget
    name: "Public spending"
    scale: {{low: 0, high: 100, unit: index, low_label: "deep cuts", high_label: "large rise"}}

# Where each actor stands (position on the scale) and how much it cares (salience, 0-100).
# Any number may be uncertain: {{value: 60, low: 50, high: 70}} (an ensemble samples it).
stances:
  - {{actor: left, issue: budget, position: 85, salience: 80}}
  - {{actor: centre, issue: budget, position: {{value: 55, low: 45, high: 65}}, salience: 60}}
  - {{actor: right, issue: budget, position: 20, salience: 70,
     judgment: "Mark a number that is your judgment, and why."}}

# What power each has. Without a stated `capability`, an actor's capability is the sum of
# its resources (`factions show` prints it as "derived").
resources:
  - {{actor: left, kind: popular_support, amount: 35}}
  - {{actor: centre, kind: popular_support, amount: {{value: 25, low: 15, high: 35}}}}
  - {{actor: right, kind: popular_support, amount: 40}}
  - {{actor: left, kind: seats, amount: 34}}
  - {{actor: centre, kind: seats, amount: 24}}
  - {{actor: right, kind: seats, amount: 42}}

# How they relate: relation ties run from -1 (deadly rivals) to 1 (firm allies).
ties:
  - {{a: left, b: centre, kind: relation, strength: 0.4}}
  - {{a: centre, b: right, kind: relation, strength: {{value: 0.1, low: -0.2, high: 0.4}}}}
  - {{a: left, b: right, kind: relation, strength: -0.5}}

# What will happen: changes (to resources, ties, positions) and elections, by date.
events:
  - id: scandal
    date: {event}
    name: "A spending scandal hurts the Centre"
    kind: change
    changes:
      - {{target: resource, actor: centre, resource: popular_support, op: multiply,
         value: {{value: 0.8, low: 0.6, high: 1.0}}}}
  - id: election
    date: {election}
    name: "General election"
    kind: election
    election: {{body: parliament, rule: dhondt, seats: 100, contestants: [left, centre, right]}}

# What you want to know. series: issue:ISSUE, tie:A:B, position:ACTOR:ISSUE, ...
questions:
  - id: budget-rises
    text: "Does public spending rise (above 50) by the horizon?"
    kind: yes_no
    series: issue:budget
    op: ">"
    threshold: 50
  - id: budget-level
    text: "Where does public spending end up?"
    kind: value
    series: issue:budget
  - id: centre-allies
    text: "Whom does the Centre end up closer to?"
    kind: choice
    choices:
      - {{id: left, label: "The Left", series: "tie:centre:left"}}
      - {{id: right, label: "The Right", series: "tie:centre:right"}}
"""


def _months(d: dt.date, k: int) -> dt.date:
    y, m = divmod(d.month - 1 + k, 12)
    return dt.date(d.year + y, m + 1, min(d.day, 28))


def skeleton(name: str, today: dt.date | None = None) -> str:
    """The commented skeleton of a scenario with id ``name``, starting ``today``."""
    start = today or dt.date.today()
    return TEMPLATE.format(
        name=name,
        file=f"{name}.yaml",
        title=name.replace("-", " ").replace("_", " ").capitalize(),
        today=start.isoformat(),
        horizon=_months(start, 12).isoformat(),
        event=_months(start, 3).isoformat(),
        election=_months(start, 6).isoformat(),
    )


def write_skeleton(name: str, folder: Path = Path(".")) -> Path:
    """Write ``folder/NAME.yaml``; never overwrite a file (raises FileExistsError)."""
    if not NAME.match(name):
        raise ValueError(
            f"must be an identifier (letters, digits, _ - ., up to 64 characters), got {name!r}"
        )
    path = folder / f"{name}.yaml"
    with path.open("x", encoding="utf-8") as f:  # "x": fails if the file exists
        f.write(skeleton(name))
    return path
