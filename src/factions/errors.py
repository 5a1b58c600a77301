"""The typed exceptions of factions.

Every error a user can cause carries a message that says what was expected and what was
found. :class:`ScenarioError` additionally carries a list of :class:`Problem` objects, one
per mistake, each naming the path of the offending field (``stances.3.salience``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BackendUnavailable",
    "ConvergenceError",
    "FactionsError",
    "Problem",
    "ScenarioError",
]


class FactionsError(Exception):
    """Base class of every error raised on purpose by factions."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a scenario: where it is and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        # One problem, one line: a newline in an echoed value is shown as "\n".
        text = f"{self.path}: {self.message}" if self.path else self.message
        return text.replace("\r", "\\r").replace("\n", "\\n")


class ScenarioError(FactionsError, ValueError):
    """A scenario (or a file meant to be one) is invalid.

    Parameters
    ----------
    problems
        Every problem found, in document order. Never empty.
    source
        The file or name the scenario came from, if any.
    """

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        if not problems:
            problems = [Problem("", "invalid scenario")]
        self.problems = list(problems)
        self.source = source
        lines = [str(p) for p in self.problems]
        head = f"{source}: " if source else ""
        noun = "problem" if len(lines) == 1 else "problems"
        super().__init__(f"{head}{len(lines)} {noun}:\n  " + "\n  ".join(lines))


class ConvergenceError(FactionsError, RuntimeError):
    """A model failed to reach its stopping rule within its step limit."""


class BackendUnavailable(FactionsError, ImportError):
    """An optional backend (JAX, Dask) was asked for but is not installed."""
