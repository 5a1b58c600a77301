"""The built-in scenarios' titles and dates, read without the scenario model.

``factions scenarios`` lists the built-ins; it reads only their ``metadata`` (with
libyaml's C loader where available), so it does not import pydantic and the schema (about
0.25 s). The built-ins are validated by the test suite (tests/contract) and whenever one
is loaded.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

__all__ = ["builtin_summaries"]


def builtin_summaries() -> list[tuple[str, str, str]]:
    """``(name, title, date)`` of every built-in scenario, sorted by name."""
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = resources.files("factions.scenario") / "builtin"
    out = []
    for p in sorted(root.iterdir(), key=lambda p: p.name):
        if p.name.endswith(".yaml"):
            meta = yaml.load(p.read_text("utf-8"), Loader=loader)["metadata"]
            out.append((p.name.removesuffix(".yaml"), str(meta["title"]), str(meta["date"])))
    return out
