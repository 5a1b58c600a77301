"""Names the command line shows before anything heavy is imported.

``factions --version`` and the help of every command must not import NumPy or pydantic
(start-up stays light), yet ``--model`` lists the engines and ``backtest --models`` its
models. These tables repeat the registries' names and short titles;
``tests/cli/test_cli_lean.py`` checks that they agree with :data:`factions.engines.ENGINES`
and :data:`factions.backtest.runner.ALL_MODELS`.
"""

from __future__ import annotations

__all__ = ["BACKTEST_MODELS", "ENGINE_TITLES"]

#: Engine name -> short title (the registry's title up to its first parenthesis).
ENGINE_TITLES: dict[str, str] = {
    "eum": "Expected utility model",
    "exchange": "Exchange of voting positions across issues",
    "mean": "Capability x salience weighted mean",
    "median": "Capability x salience weighted median",
    "nash": "Capability-weighted Nash bargaining solution",
    "procedural": "Agenda-setter model of the EU procedures",
    "smp": "KTAB Spatial Model of Politics",
}

#: What ``factions backtest`` scores by default: every engine, then the probabilistic models.
BACKTEST_MODELS: tuple[str, ...] = (
    "mean", "median", "eum", "smp", "nash", "exchange", "procedural", "positions", "mixture",
)  # fmt: skip
