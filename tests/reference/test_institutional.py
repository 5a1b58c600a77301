"""Worked examples of the ``nash``, ``procedural`` and ``exchange`` engines.

Provenance: each example is worked by hand (or by an independent root finder) from the
definitions in the cited papers; none is a numerical table printed in a paper (the papers'
own examples use the DEU data or figures without numbers).

- Nash: Nash (1950) with Achen (2006, ch. 4)'s quadratic utilities and the reference point
  as disagreement point; Achen's result that the solution tends to the capability x
  salience weighted mean as the disagreement point recedes.
- Procedural: the setter model of Romer & Rosenthal (1978) as applied to the Council by
  Steunenberg (1994), Crombez (1996) and Tsebelis & Garrett (2000): the pivotal member
  accepts proposals up to its indifference point ``2 p - q``.
- Exchange: Stokman & Van Oosten (1994)'s equal-gain exchange for two actors on two
  issues; the move bound of Decide (Stokman's group's software).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from factions.engines import ENGINES


def one(name: str, x: list[float], s: list[float], c: list[float], **opts: object) -> float:
    xa = np.array(x, dtype=float)[None, :, None]
    sa = np.array(s, dtype=float)[None, :, None]
    ca = np.array(c, dtype=float)[None, :]
    return float(ENGINES[name].run(xa, sa, ca, rng=np.random.default_rng(0), **opts).forecast[0, 0])


def test_nash_two_actors_against_a_root_finder() -> None:
    # max log(x (0.4 - x)) + log(x (1.6 - x)) on (0, 0.4): 2/x = 1/(0.4 - x) + 1/(1.6 - x).
    want = brentq(lambda z: 2 / z - 1 / (0.4 - z) - 1 / (1.6 - z), 1e-9, 0.4 - 1e-9)
    got = one("nash", [0.2, 0.8], [1, 1], [1, 1], reference=[0.0])
    assert got == pytest.approx(want, abs=1e-9)


def test_nash_weights_pull_towards_the_stronger() -> None:
    weak = one("nash", [0.2, 0.8], [1, 1], [1, 1], reference=[0.0])
    strong = one("nash", [0.2, 0.8], [1, 1], [1, 4], reference=[0.0])
    assert strong > weak


def test_nash_tends_to_the_weighted_mean_as_the_status_quo_recedes() -> None:
    x, s, c = [0.1, 0.5, 0.9], [0.5, 1.0, 0.8], [3.0, 1.0, 2.0]
    mean = np.dot(np.multiply(s, c), x) / np.dot(s, c)
    gaps = [abs(one("nash", x, s, c, reference=[q]) - mean) for q in (0.0,)]
    # The engine takes reference points on the unit interval; recede by shrinking positions.
    far = []
    for scale in (0.5, 0.1, 0.01):
        xs = [1.0 - scale + scale * v for v in x]
        sol = one("nash", xs, s, c, reference=[0.0])
        far.append(abs((sol - (1.0 - scale)) / scale - mean))
    assert far[0] > far[1] > far[2]
    assert far[2] < 5e-3  # O(scale): 0.0024 at 1/100
    assert gaps[0] > far[2]


def test_nash_gridlock_when_actors_straddle_the_status_quo() -> None:
    assert one("nash", [0.2, 0.8], [1, 1], [1, 1], reference=[0.5]) == pytest.approx(0.5)


COUNCIL = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def proc(q: float, setter: float, procedure: str, rule: str, ep: float = 0.25) -> float:
    x = [setter, ep, *COUNCIL]
    roles = ["setter", "parliament"] + ["council"] * 7
    return one(
        "procedural",
        x,
        [1.0] * 9,
        [1.0] * 9,
        reference=[q],
        roles=roles,
        procedure=procedure,
        voting_rule=rule,
        qmv_threshold=5 / 7,
    )


def test_procedural_qmv_pivot() -> None:
    # 5 of 7 equal members must gain: the right pivot is 0.3 (0.3 ... 0.7), who accepts up
    # to 2 * 0.3 - 0 = 0.6; the Commission (0.9) proposes 0.6.
    assert proc(0.0, 0.9, "CNS", "qmv") == pytest.approx(0.6)


def test_procedural_unanimity_pivot() -> None:
    # Every member must gain: the pivot is 0.1, who accepts up to 0.2.
    assert proc(0.0, 0.9, "CNS", "unanimity") == pytest.approx(0.2)


def test_procedural_codecision_adds_the_parliament() -> None:
    # The Parliament (0.25) accepts up to 0.5 < 0.6.
    assert proc(0.0, 0.9, "COD", "qmv") == pytest.approx(0.5)


def test_procedural_setter_inside_the_winset_gets_its_ideal() -> None:
    assert proc(0.0, 0.35, "CNS", "qmv") == pytest.approx(0.35)


def test_procedural_consultation_unanimous_amendment() -> None:
    # q = 1 on the far right: the left pivot is 0.5 (0.1 ... 0.5), who accepts down to 0.0;
    # the Commission's 0.0 is outside the Council's range [0.1, 0.7]: amended to 0.1.
    assert proc(1.0, 0.0, "CNS", "qmv") == pytest.approx(0.1)
    assert one(
        "procedural",
        [0.0, 0.25, *COUNCIL],
        [1.0] * 9,
        [1.0] * 9,
        reference=[1.0],
        roles=["setter", "parliament"] + ["council"] * 7,
        qmv_threshold=5 / 7,
        amendment="none",
    ) == pytest.approx(0.0)


def exchange_example(**opts: object) -> np.ndarray:
    # Two actors, two issues: A cares about p (0.8), B about q (0.8); they stand on
    # opposite sides of both expected outcomes (0.2 and 0.2).
    x = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    s = np.array([[[0.8, 0.2], [0.2, 0.8]]])
    c = np.array([[1.0, 1.0]])
    res = ENGINES["exchange"].run(x, s, c, rng=np.random.default_rng(0), **opts)
    return np.asarray(res.positions[0, -1]), np.asarray(res.forecast[0])


def test_exchange_equal_gain_partner_bound() -> None:
    # a = b = 0.2, rate v/u = a (0.8 + 0.2) / (b (0.2 + 0.8)) = 1; each may move the whole
    # distance to the partner (1): B moves to 0 on p, A to 0 on q; outcomes (0, 0); each
    # gains 0.8 * 0.2 - 0.2 * 0.2 = 0.12.
    pos, fc = exchange_example()
    np.testing.assert_allclose(pos, [[0.0, 0.0], [0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(fc, [0.0, 0.0], atol=1e-12)


def test_exchange_equal_gain_outcome_bound() -> None:
    # Each mover goes at most to the expected outcome 0.2: B to 0.2 on p, A to 0.2 on q;
    # new outcomes 0.8 * 0 + 0.2 * 0.2 = 0.04 on both.
    pos, fc = exchange_example(move_bound="outcome")
    np.testing.assert_allclose(pos, [[0.0, 0.2], [0.2, 0.0]], atol=1e-12)
    np.testing.assert_allclose(fc, [0.04, 0.04], atol=1e-12)


def test_exchange_needs_different_priorities() -> None:
    x = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    s = np.full((1, 2, 2), 0.5)  # equal priorities: nothing to trade
    res = ENGINES["exchange"].run(x, s, np.ones((1, 2)), rng=None)
    np.testing.assert_allclose(res.positions[0, -1], x[0])
