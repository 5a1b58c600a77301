"""Fit the mixture forecaster on ``train``, choose its variant on ``dev``, write the fit file.

``python -m factions.backtest.fit DEU.csv [OUT.json]``: fits each objective (maximum
likelihood and minimum CRPS) on the ``train`` issues only, scores both on ``train`` and
``dev``, keeps the one with the lower ``dev`` CRPS, and writes its parameters with the data's
sha256, the split and every score (default: the package's shipped file). ``dev`` is never
fitted on: it only picks between the variants.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from factions.backtest.cases import load_cases
from factions.backtest.mixture import (
    ENGINE_INPUTS,
    FEATURES,
    FIT_FILE,
    Design,
    design,
    fit_mixture,
    mixture_predictive,
)
from factions.backtest.models import run_engine
from factions.backtest.scores import point_scores, probabilistic_scores

__all__ = ["fit_file", "main"]

OBJECTIVES = ("log_score", "crps")
VERSION = 1


def _sub(d: Design, m: np.ndarray) -> Design:
    return Design(d.means[m], d.features[m], d.valid[m], d.wide[m])


def fit_file(data: str | Path, capability: str = "council") -> dict[str, Any]:
    """The fit record (see the module docstring) for the DEU file ``data``."""
    lib = load_cases(data, capability)
    cases = lib.cases
    y = 100.0 * np.array([c.outcome for c in cases])
    split = np.array([c.split for c in cases])
    eng = {m: run_engine(m, lib) for m in ENGINE_INPUTS}
    d = design(cases, eng)
    train, dev = split == "train", split == "dev"
    if not train.any() or not dev.any():
        raise ValueError("the data need 'train' and 'dev' issues (a split.json beside them)")
    variants: dict[str, Any] = {}
    for obj in OBJECTIVES:
        params = fit_mixture(_sub(d, train), y[train], obj)
        scores = {}
        for name, m in (("train", train), ("dev", dev)):
            pred = mixture_predictive(_sub(d, m), params)
            med = pred.quantiles((0.5,))[:, 0]
            base = 100.0 * eng["mean"][m]
            scores[name] = {
                **point_scores(med - y[m]),
                **probabilistic_scores(pred, y[m]),
                "mean_mae": float(np.abs(base - y[m]).mean()),
            }
        variants[obj] = {
            "params": dict(zip(FEATURES, map(float, params), strict=True)),
            "scores": scores,
        }
    chosen = min(OBJECTIVES, key=lambda o: variants[o]["scores"]["dev"]["crps"])
    return {
        "model": "mixture",
        "version": VERSION,
        "objective": chosen,
        "chosen_by": "lowest dev CRPS among the objectives (dev is never fitted on)",
        "params": variants[chosen]["params"],
        "data": {"name": lib.name, "sha256": lib.sha256, "capability": capability},
        "split": "train",
        "fitted_on": int(train.sum()),
        "chosen_on": int(dev.sum()),
        "scores": variants[chosen]["scores"],
        "variants": variants,
        "optimizer": "scipy.optimize.minimize L-BFGS-B, start and bounds in mixture.fit_mixture",
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: fit and write the file."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        raise SystemExit("usage: python -m factions.backtest.fit DEU.csv [OUT.json]")
    target = Path(args[1]) if len(args) > 1 else Path(__file__).parent / "fits" / FIT_FILE
    record = fit_file(args[0])
    target.write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    print(f"wrote {target}: objective {record['objective']}, dev {record['scores']['dev']}")


if __name__ == "__main__":
    main()
