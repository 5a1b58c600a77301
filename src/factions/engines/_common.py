"""Helpers shared by the institutional engines (``nash``, ``procedural``, ``exchange``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions.engines.base import FloatArray

__all__ = ["check_choice", "presence", "reference_points", "weights"]


def presence(mask: Any, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """``(B, n, D)``: which actors hold a stance on which issue (all, without a mask)."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape)


def weights(s: FloatArray, c: FloatArray, present: NDArray[np.bool_]) -> FloatArray:
    """``(B, n, D)`` capability x salience, zero where an actor holds no stance."""
    return np.where(present, c[:, :, None] * s, 0.0)


def reference_points(reference: Any, b: int, d: int, engine: str) -> FloatArray:
    """The reference points as ``(B, D)`` on the unit interval, NaN where there is none.

    ``reference`` may be None (no issue has one), a sequence of ``D`` numbers or nulls (one
    per issue, the same for every member), or an array broadcastable to ``(B, D)``.
    """
    if reference is None:
        return np.full((b, d), np.nan)
    try:
        raw = np.asarray(
            [np.nan if v is None else v for v in reference]
            if isinstance(reference, list | tuple)
            else reference,
            dtype=np.float64,
        )
        out = np.broadcast_to(raw, (b, d)).copy()
    except (TypeError, ValueError):
        raise ValueError(
            f"{engine} option reference: expected {d} numbers (or nulls) on the unit interval"
        ) from None
    bad = np.isfinite(out) & ((out < 0) | (out > 1))
    if bad.any():
        raise ValueError(f"{engine} option reference: values must lie on the unit interval 0-1")
    return out


def check_choice(engine: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    """``value`` when it is one of ``allowed``, else a ValueError naming the option."""
    if value not in allowed:
        raise ValueError(
            f"{engine} option {key}={value!r}: expected one of {', '.join(map(repr, allowed))}"
        )
    return str(value)
