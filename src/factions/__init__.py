"""factions: simulate and forecast power struggles between political factions.

The public API: load a scenario, run a model on it, read the forecast.

>>> from factions import load_scenario, simulate
>>> result = simulate(load_scenario("emission-standards"), "mean")
>>> round(float(result.forecast[0]), 2)
7.39
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from factions.errors import FactionsError, ScenarioError

if TYPE_CHECKING:
    from factions.engines import ENGINES
    from factions.forecast import answer_questions
    from factions.scenario.io import dump_scenario, dumps_scenario, load_scenario, parse_scenario
    from factions.scenario.schema import Scenario
    from factions.simulate import RunResult, simulate

__version__ = "0.1.0"

#: The public names imported on first use (so ``factions --version`` does not load NumPy).
_LAZY = {
    "ENGINES": "factions.engines",
    "answer_questions": "factions.forecast",
    "dump_scenario": "factions.scenario.io",
    "dumps_scenario": "factions.scenario.io",
    "load_scenario": "factions.scenario.io",
    "parse_scenario": "factions.scenario.io",
    "Scenario": "factions.scenario.schema",
    "RunResult": "factions.simulate",
    "simulate": "factions.simulate",
}


class _Package(types.ModuleType):
    """``factions.simulate`` is the function (as it always was), not the submodule.

    Importing the submodule ``factions.simulate`` makes Python set the package's attribute
    ``simulate`` to the module; when ``simulate`` was imported eagerly here, that assignment
    came first and the function then replaced it. Imported lazily, the function must win
    in the other order too.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "simulate" and isinstance(value, types.ModuleType):
            value = value.simulate
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'factions' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ENGINES",
    "FactionsError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "answer_questions",
    "dump_scenario",
    "dumps_scenario",
    "load_scenario",
    "parse_scenario",
    "simulate",
]
