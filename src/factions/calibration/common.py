"""What every calibration target shares: its result, the fit's options, quantiles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions import __version__

__all__ = ["LEVEL", "Coefficient", "Fit", "ProgressFn", "interval", "no_progress"]

FloatArray = NDArray[np.float64]
ProgressFn = Callable[[int, int], None]
#: The intervals' coverage: 90 %, from the 5th to the 95th percentile of the bootstrap.
LEVEL = 0.90


def no_progress(done: int, total: int) -> None:
    """A progress callback that does nothing."""


def interval(draws: FloatArray) -> tuple[float, float]:
    """The central :data:`LEVEL` interval of bootstrap draws (percentile method)."""
    lo, hi = np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Coefficient:
    """One fitted coefficient: its estimate, 90 % interval and bootstrap draws."""

    name: str
    estimate: float
    low: float
    high: float
    draws: tuple[float, ...]
    unit: str = ""
    description: str = ""
    maps_to: str | None = None  # the Dynamics field it sets, if any

    def to_json(self, *, draws: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"estimate": self.estimate, "low": self.low, "high": self.high}
        if draws:
            out.update(
                unit=self.unit,
                description=self.description,
                maps_to=self.maps_to,
                draws=list(self.draws),
            )
        return out


@dataclass(frozen=True)
class Fit:
    """A calibration's result: coefficients, held-out scores, the split, the data used."""

    target: str
    coefficients: dict[str, Coefficient]
    scores: dict[str, dict[str, float | None]]  # {"model": {...}, "baseline": {...}}
    split: dict[str, Any]
    data: dict[str, str]  # file -> sha256
    method: dict[str, Any]
    plots: Mapping[str, Any] = field(default_factory=dict)  # observed vs predicted
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """The ``--json`` object of ``factions calibrate``."""
        return {
            "target": self.target,
            "data": {"files": dict(self.data)},
            "coefficients": {k: c.to_json() for k, c in self.coefficients.items()},
            "scores": self.scores,
            "split": self.split,
        }

    def calibration_file(self) -> dict[str, Any]:
        """The versioned calibration file (``--out``): everything needed to sample from it."""
        return {
            "format": "factions-calibration",
            "format_version": 1,
            "target": self.target,
            "factions_version": __version__,
            "date": dt.date.today().isoformat(),
            "data": {"files": dict(self.data)},
            "method": self.method,
            "split": self.split,
            "coefficients": {k: c.to_json(draws=True) for k, c in self.coefficients.items()},
            "scores": self.scores,
        }
