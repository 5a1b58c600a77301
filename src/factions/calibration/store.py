"""Calibrations as data: versioned calibration files, built-in and user-supplied, and the
structural coefficients a scenario takes from them.

A calibration file is the JSON that ``factions calibrate TARGET --out FILE`` writes
(:meth:`factions.calibration.common.Fit.calibration_file`): the target, the data's sha256,
the method and split, each coefficient's estimate, 90 % interval and bootstrap draws, the
held-out scores, the date and the factions version. The package ships one per target
(``factions/calibration/builtin/TARGET.json``, made by ``factions calibrate TARGET --out``
with the default settings on the shipped data).

A scenario refers to one with ``dynamics.calibration`` (a built-in name such as ``arms``,
or a path to a file, relative to the working directory) and may override any calibrated
coefficient with ``dynamics.coefficients: {fear: {value, low, high, judgment}}``. The
coefficients that map to a :class:`~factions.scenario.schema.Dynamics` field (``maps_to``)
set that field in single runs (the estimate, or the override's value) and are sampled by
ensembles (the bootstrap draws, or the override's range).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from factions.errors import Problem, ScenarioError
from factions.scenario.schema import (
    BOUNDED_PRIORS,
    CALIBRATED,
    CLASH_PRIORS,
    GOVERNORATE_PRIORS,
    Dynamics,
    Scenario,
)

__all__ = [
    "BUILTIN",
    "Calibration",
    "Structural",
    "builtin_path",
    "calibrated_dynamics",
    "load_calibration",
    "structural",
]

#: The built-in calibrations, by name.
BUILTIN = ("elections", "arms")


def builtin_path(name: str) -> Path:
    """The shipped calibration file of a built-in target."""
    return Path(str(resources.files("factions.calibration") / "builtin" / f"{name}.json"))


@dataclass(frozen=True)
class Calibration:
    """A loaded calibration file."""

    ref: str  # what the scenario wrote: a built-in name or a path
    path: Path
    sha256: str
    data: dict[str, Any]

    @property
    def target(self) -> str:
        return str(self.data["target"])

    def coefficient(self, name: str) -> dict[str, Any]:
        return dict(self.data["coefficients"][name])

    def identity(self) -> dict[str, Any]:
        """What an ensemble's manifest records about the calibration it used."""
        return {
            "ref": self.ref,
            "target": self.target,
            "sha256": self.sha256,
            "date": self.data.get("date"),
            "factions_version": self.data.get("factions_version"),
        }


def _problem(where: str, msg: str) -> ScenarioError:
    return ScenarioError([Problem(where, msg)])


@functools.lru_cache(maxsize=32)
def _read(path: str, mtime_ns: int, ref: str, where: str) -> Calibration:
    del mtime_ns  # part of the cache key only
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise _problem(where, f"cannot read calibration '{ref}': {e.strerror or e}") from None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise _problem(where, f"calibration '{ref}' is not JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != "factions-calibration":
        raise _problem(where, f"'{ref}' is not a factions calibration file (no format field)")
    if data.get("format_version") != 1:
        raise _problem(
            where, f"calibration '{ref}': unsupported format_version {data.get('format_version')!r}"
        )
    coefs = data.get("coefficients")
    if not isinstance(coefs, dict) or not isinstance(data.get("target"), str):
        raise _problem(where, f"calibration '{ref}': needs 'target' and 'coefficients'")
    for name, c in coefs.items():
        ok = isinstance(c, dict) and all(
            isinstance(c.get(k), int | float) for k in ("estimate", "low", "high")
        )
        draws = c.get("draws", []) if isinstance(c, dict) else None
        if (
            not ok
            or not isinstance(draws, list)
            or not all(isinstance(v, int | float) for v in draws)
        ):
            raise _problem(
                where,
                f"calibration '{ref}': coefficient '{name}' needs numbers estimate, low, high "
                "and a list of numeric draws",
            )
    return Calibration(ref, p, hashlib.sha256(raw).hexdigest(), data)


def load_calibration(ref: str, where: str = "dynamics.calibration") -> Calibration:
    """Load a built-in calibration by name, or a calibration file by path.

    Raises
    ------
    ScenarioError
        ``where: message`` if it does not exist or is not a valid calibration file.
    """
    path = builtin_path(ref) if ref in BUILTIN else Path(ref).expanduser()
    if not path.is_file():
        raise _problem(
            where,
            f"no calibration '{ref}' (built-in: {', '.join(BUILTIN)}; or a path to a file "
            "written by 'factions calibrate TARGET --out FILE')",
        )
    return _read(str(path.resolve()), path.stat().st_mtime_ns, ref, where)


@dataclass(frozen=True)
class Structural:
    """One structural coefficient of a run: its value, range and where they come from."""

    name: str  # the Dynamics field
    value: float
    low: float
    high: float
    draws: tuple[float, ...]  # empty for a scenario's own range
    dist: str  # "empirical" (bootstrap draws), "uniform" or "triangular"
    source: str


def structural(scenario: Scenario) -> list[Structural]:
    """The calibrated (or overridden) structural coefficients of ``scenario``, in
    :data:`~factions.scenario.schema.CALIBRATED` order; a bounded step's coefficient without
    either takes its judgment prior (:data:`~factions.scenario.schema.BOUNDED_PRIORS`) when
    the scenario runs a bounded step; empty otherwise."""
    dyn = scenario.dynamics
    cal = load_calibration(dyn.calibration) if dyn.calibration else None
    out: list[Structural] = []
    for name in CALIBRATED:
        own = dyn.coefficients.get(name)
        if own is not None:
            lo = own.low if own.low is not None else own.value
            hi = own.high if own.high is not None else own.value
            src = own.source or ("judgment" if own.judgment else "the scenario")
            out.append(Structural(name, own.value, lo, hi, (), own.dist, f"scenario: {src}"))
            continue
        coefficients = cal.data["coefficients"] if cal is not None else {}
        for cname, c in coefficients.items():
            if cal is not None and c.get("maps_to") == name:
                out.append(
                    Structural(
                        name, float(c["estimate"]), float(c["low"]), float(c["high"]),
                        tuple(float(v) for v in c.get("draws", [])), "empirical",
                        f"calibration {cal.ref} ({cal.target}: {cname})",
                    )
                )  # fmt: skip
        _default_prior(dyn, name, out)
    return out


#: The steps whose coefficients have default judgment priors (:data:`BOUNDED_PRIORS`).
BOUNDED_STEPS = frozenset({"bounded_patronage", "forces", "kydd_beliefs", "bounded_alliances"})


#: Each table of judgment priors and the steps whose coefficients it holds: a prior applies
#: when the scenario runs one of them.
_PRIOR_STEPS: tuple[tuple[dict[str, tuple[float, float, float]], frozenset[str]], ...] = (
    (BOUNDED_PRIORS, BOUNDED_STEPS),
    (CLASH_PRIORS, frozenset({"clashes"})),
    (GOVERNORATE_PRIORS, frozenset({"governorate_elections"})),
)


def _default_prior(dyn: Dynamics, name: str, out: list[Structural]) -> None:
    """A bounded step's, the ``clashes`` step's or the ``governorate_elections`` step's vote
    model's coefficient: its judgment prior, when the scenario runs the step and keeps the
    coefficient's default (a scenario that sets another value in ``dynamics`` fixes it; a
    range in ``dynamics.coefficients`` is sampled). The default is compared, not whether the
    field was given, because a scenario round-trips through JSON (an ensemble's workers)
    with every field given."""
    steps = set(dyn.steps or ())
    if getattr(dyn, name) != Dynamics.model_fields[name].default:
        return
    prior = next(
        (table[name] for table, uses in _PRIOR_STEPS if name in table and uses & steps), None
    )
    if prior is None:
        return
    value, low, high = prior
    if any(s.name == name for s in out):
        return
    out.append(
        Structural(name, value, low, high, (), "triangular", "judgment prior (docs/model.md)")
    )


def calibrated_dynamics(scenario: Scenario) -> Dynamics:
    """``scenario.dynamics`` with each calibrated coefficient set to its estimate (or the
    scenario's override value): what a single run uses."""
    dyn = scenario.dynamics
    if not dyn.calibration and not dyn.coefficients:
        return dyn
    update = {s.name: s.value for s in structural(scenario)}
    return dyn.model_copy(update=update)
