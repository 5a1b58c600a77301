"""Worked examples of the ``nash``, ``procedural`` and ``exchange`` engines, with provenance.

What is taken from published material, and what is not (searched for issue 9: the papers'
texts as far as public copies reach, replication code, and open implementations):

- Exchange: a published open implementation pins the numbers. Decide, the exchange-model
  software of Stokman's group (Python re-implementation, GPL-3, github.com/
  foarsitter/decide-exchange-model, commit 51dee664ee941f048a007069fe71ee857171df6f),
  ships an example (``data/input/sample_data.txt``: ten actors of a municipal traffic
  decision, six issues) and a test (``decide/model/test/test_calculations.py``,
  ``test_by_absolute_move``) stating the equal-gain exchange between the actors Wcentr and
  Willems on the issues "tolheffing-binnenstad" and "extra-investering": Willems moves the
  whole distance to Wcentr on extra-investering (the outcome shifts by 13.1578947...),
  Wcentr moves 61.0511736... on tolheffing-binnenstad (the outcome shifts by 10.3878116...).
  That test asserts them one-sidedly (``value - stated < 0.001``); the stated values are
  exact here: 13.157894... = 250/19, 10.387811... = 3750/361. The 20 input rows used
  below (positions on 0-100, saliences, powers) are those of the two issues in that file,
  rescaled to the unit interval. The Stokman & Van Oosten (1994) chapter itself prints no
  numerical table that could be reached.
- Nash: no published worked example with numbers was found (Achen 2006, ch. 4 and
  Schneider, Finke & Bailer 2010 state the model and apply it to the DEU data, whose
  per-issue predictions are not printed). The tests check the engine against independent
  numerical optimisers of the weighted Nash product (scipy), and Achen's limit result.
- Procedural: no published numerical example was found; Tsebelis & Garrett (2000),
  Crombez (1996) and Steunenberg (1994) argue with figures of one-dimensional councils
  without coordinates. One such figure is pinned by its text: Tsebelis (2002), *Veto
  Players*, ch. 11, Figure 11.1 (seven members, 3'..7' a qualified majority; the
  Crombez/Steunenberg/Moser outcome is the reflection of the status quo through the
  pivotal member 3', close to 4'); the coordinates are ours. The other seven-member
  configurations follow those figures (equal members, 5 of 7); their numbers are ours.
  The engine is also checked against a brute-force oracle of the definition (the point
  nearest the setter that a qualified majority of the weighted Council, and under
  co-decision the Parliament, weakly prefers to the reference point) on random positions
  in the EU-15 Council with its pre-Nice voting weights and quota (62 of 87).
- Exchange, option ``overshoot="cap"`` (Decide's ``check_nbs``, read in the same
  repository's ``decide/model/base.py``): a hand-worked case where the cap binds.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

from factions.engines import ENGINES
from factions.engines.exchange import exchange_terms


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


def test_procedural_tsebelis_2002_reflection_through_the_pivotal_member() -> None:
    # Tsebelis (2002), Veto Players, ch. 11, discussion of Figure 11.1: seven Council
    # members 1'..7' on a line, the status quo SQ to their left, members 3'..7' a qualified
    # majority; in the model of Crombez, Steunenberg and Moser "the winning proposal will be
    # located close to point 4' (it is the symmetric of SQ with respect to the pivotal
    # member of the Council: 3')", made by the Commission, with no amendment by the EP.
    # The figure has no coordinates; these are ours, placed so that 2 x_3' - SQ lies close
    # to 4' as drawn.
    members = [0.10, 0.16, 0.22, 0.36, 0.52, 0.70, 0.85]  # 1' ... 7'
    sq, commission, ep = 0.05, 0.95, 0.9
    got = one(
        "procedural",
        [commission, ep, *members],
        [1.0] * 9,
        [1.0] * 9,
        reference=[sq],
        roles=["setter", "parliament"] + ["council"] * 7,
        procedure="CNS",  # the EP's amendment does not bind: the CNS reading
        voting_rule="qmv",
        qmv_threshold=5 / 7,
    )
    assert got == pytest.approx(2 * members[2] - sq, abs=1e-12)  # the symmetric of SQ
    assert abs(got - members[3]) < abs(got - members[2])  # close to 4'
    assert abs(got - members[3]) < abs(got - members[4])


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


# Decide's sample data (see the module docstring): (position 0-100, salience, power) of the
# ten actors on "tolheffing-binnenstad" and "extra-investering".
DECIDE_ACTORS = ["Willems", "PvdA", "GL", "VVDs", "SP", "CDA", "D66", "CU", "KvK", "Wcentr"]
DECIDE_TOLHEFFING = [
    (100, 0.95, 1.0), (50, 0.8, 1.0), (100, 0.95, 0.6), (0, 0.9, 0.5), (75, 0.7, 0.4),
    (25, 0.8, 0.5), (25, 0.5, 0.2), (75, 0.7, 0.2), (25, 0.8, 0.6), (0, 0.95, 0.9),
]  # fmt: skip
DECIDE_EXTRA = [
    (25, 0.6, 1.0), (25, 0.5, 1.0), (50, 0.4, 0.6), (50, 0.8, 0.5), (0, 0.3, 0.4),
    (25, 0.5, 0.5), (25, 0.5, 0.2), (50, 0.5, 0.2), (50, 0.5, 0.6), (100, 0.9, 0.9),
]  # fmt: skip


def decide_example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = list(zip(DECIDE_TOLHEFFING, DECIDE_EXTRA, strict=True))
    x = np.array([[[t[0] / 100, e[0] / 100] for t, e in rows]])
    s = np.array([[[t[1], e[1]] for t, e in rows]])
    c = np.array([[t[2] for t, _ in rows]])  # each actor's power is the same on both issues
    return x, s, c


def test_exchange_reproduces_decide_equal_gain_exchange() -> None:
    x, s, c = decide_example()
    w = s * c[:, :, None]
    terms = exchange_terms(x, s, w, "equal_gain", None, "partner")
    i, j = DECIDE_ACTORS.index("Wcentr"), DECIDE_ACTORS.index("Willems")
    p, q = 1, 0  # Wcentr cares relatively more about extra-investering (p)
    at = (0, i, j, p, q)
    assert terms.ok[at]
    big_w = w.sum(axis=1)[0]
    # Decide: Willems moves the whole distance 25 -> 100 on extra-investering ...
    assert terms.u[at] == pytest.approx(0.75, abs=1e-12)
    assert w[0, j, p] / big_w[p] * terms.u[at] == pytest.approx(250 / 19 / 100, abs=1e-12)
    # ... and Wcentr 61.05117364047237 on tolheffing-binnenstad (Decide's reverse_move).
    assert terms.v[at] == pytest.approx(0.6105117364047237, abs=1e-12)
    assert w[0, i, q] / big_w[q] * terms.v[at] == pytest.approx(3750 / 361 / 100, abs=1e-12)
    # Equal gain (Decide's is_gain_equal): 0.0197368... each on the unit scale.
    assert terms.gain_i[at] == pytest.approx(terms.gain_j[at], abs=1e-15)
    assert terms.gain_i[at] == pytest.approx(0.15 / 7.6, abs=1e-12)


def test_exchange_round_realises_the_decide_exchange_first() -> None:
    # It is the round's most profitable exchange, so the greedy realisation takes it.
    x, s, c = decide_example()
    res = ENGINES["exchange"].run(x, s, c, rng=None)
    after = np.asarray(res.positions[0, -1])
    i, j = DECIDE_ACTORS.index("Wcentr"), DECIDE_ACTORS.index("Willems")
    assert after[j, 1] == pytest.approx(1.0, abs=1e-12)
    assert after[i, 0] == pytest.approx(0.6105117364047237, abs=1e-12)
    assert after[j, 0] == x[0, j, 0]  # the movers' other positions stay put
    assert after[i, 1] == x[0, i, 1]


def nash_oracle(x: list[float], w: list[float], q: float, utility: str) -> float:
    """Maximise sum_i w_i log(gain_i) over the feasible interval with a bounded scalar search."""
    xa, wa = np.array(x), np.array(w)
    assert (xa > q).all()  # every actor right of q: the feasible set is (q, min(2 x_i - q))
    top = float((2 * xa - q).min())

    def neg(z: float) -> float:
        d = np.abs(z - xa)
        gain = (xa - q) ** 2 - d**2 if utility == "quadratic" else (xa - q) - d
        return float(-np.sum(wa * np.log(np.maximum(gain, 1e-300))))

    eps = 1e-12
    res = minimize_scalar(
        neg, bounds=(q + eps, top - eps), method="bounded", options={"xatol": 1e-12}
    )
    return float(res.x)


@pytest.mark.parametrize("utility", ["quadratic", "linear"])
@pytest.mark.parametrize("q", [0.0, 0.1, 0.25])
def test_nash_five_asymmetric_actors_against_a_bounded_optimiser(utility: str, q: float) -> None:
    x = [0.3, 0.45, 0.6, 0.8, 0.95]
    s = [0.9, 0.5, 0.7, 1.0, 0.4]
    c = [10.0, 4.0, 8.0, 2.0, 5.0]
    want = nash_oracle(x, list(np.multiply(s, c)), q, utility)
    got = one("nash", x, s, c, reference=[q], utility=utility)
    assert got == pytest.approx(want, abs=1e-6)


# The EU-15 Council under the pre-Nice treaties: voting weights (DE, FR, IT, UK, ES, BE,
# EL, NL, PT, AT, SE, DK, FI, IE, LU) and the qualified majority of 62 of 87.
EU15_WEIGHTS = [10, 10, 10, 10, 8, 5, 5, 5, 5, 4, 4, 3, 3, 3, 2]


def setter_oracle(
    setter: float,
    q: float,
    council: np.ndarray,
    weight: np.ndarray,
    quota: float,
    parliament: float | None,
) -> float:
    """Brute force: the grid point nearest the setter that the vetoes weakly prefer to q."""
    z = np.linspace(0.0, 1.0, 100_001)
    likes = np.abs(z[:, None] - council[None, :]) <= np.abs(q - council)[None, :] + 1e-12
    ok = (likes * weight[None, :]).sum(axis=1) >= quota * weight.sum() - 1e-9
    if parliament is not None:
        ok &= np.abs(z - parliament) <= abs(q - parliament) + 1e-12
    ok |= np.isclose(z, q)
    cand = z[ok]
    return float(cand[np.argmin(np.abs(cand - setter))])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("procedure", "rule"), [("CNS", "qmv"), ("CNS", "unanimity"), ("COD", "qmv")]
)
def test_procedural_against_a_brute_force_setter_oracle(
    seed: int, procedure: str, rule: str
) -> None:
    # The reference point near one end, the Council and the setter spread over the rest
    # (mirrored on odd seeds), so that pivots, not gridlock, decide most draws.
    rng = np.random.default_rng(seed)
    council = rng.uniform(0.15, 1.0, 15)
    setter, ep, q = rng.uniform(0.3, 1.0), rng.uniform(0.15, 1.0), rng.uniform(0.0, 0.15)
    if seed % 2:
        council, setter, ep, q = 1.0 - council, 1.0 - setter, 1.0 - ep, 1.0 - q
    n = 17
    weight = np.array(EU15_WEIGHTS, dtype=float)
    c = [1.0, 1.0, *weight]
    got = one(
        "procedural",
        [setter, ep, *council],
        [1.0] * n,
        c,
        reference=[q],
        roles=["setter", "parliament"] + ["council"] * 15,
        procedure=procedure,
        voting_rule=rule,
        qmv_threshold=62 / 87,
        amendment="none",
    )
    quota = 1.0 if rule == "unanimity" else 62 / 87
    want = setter_oracle(setter, q, council, weight, quota, ep if procedure == "COD" else None)
    assert got == pytest.approx(want, abs=2e-5)


def test_exchange_overshoot_cap_stops_the_outcome_at_the_demanders_position() -> None:
    # Decide's check_nbs, option overshoot="cap". Issue p: A 0.2, B 1.0, C 0.0 (weights
    # 0.8, 0.2, 0.5: O_p = 0.24); issue q: A 1.0, B 0.2, C 0.6 (0.2, 0.8, 0.5: O_q = 0.44).
    # A cares about p, B about q; a = b = 0.2 / 1.5, rate v / u = 1. Moving B the whole
    # way to A on p (u = 0.8) would shift O_p by 0.8 / 7.5 = 0.107 > 0.04, past A's 0.2;
    # the cap stops it at A: u = v = 0.04 / a = 0.3, each gains 0.04 (0.64 - 0.04) = 0.024.
    x = np.array([[[0.2, 1.0], [1.0, 0.2], [0.0, 0.6]]])
    s = np.array([[[0.8, 0.2], [0.2, 0.8], [0.5, 0.5]]])
    w = s.copy()  # capabilities 1
    at = (0, 0, 1, 0, 1)  # i = A, j = B, p, q
    free = exchange_terms(x, s, w, "equal_gain", None, "partner", "allow")
    capped = exchange_terms(x, s, w, "equal_gain", None, "partner", "cap")
    np.testing.assert_allclose(free.outcome[0], [0.24, 0.44], atol=1e-12)
    assert free.u[at] == pytest.approx(0.8, abs=1e-12)
    assert capped.u[at] == pytest.approx(0.3, abs=1e-12)
    assert capped.v[at] == pytest.approx(0.3, abs=1e-12)
    assert capped.gain_i[at] == pytest.approx(0.024, abs=1e-12)
    assert capped.gain_j[at] == pytest.approx(0.024, abs=1e-12)
    # The capped move puts the new O_p exactly on A's position.
    moved = x.copy()
    moved[0, 1, 0] -= capped.u[at]
    assert (w * moved).sum(axis=1)[0, 0] / w.sum(axis=1)[0, 0] == pytest.approx(0.2, abs=1e-12)
    with pytest.raises(ValueError, match="overshoot"):
        ENGINES["exchange"].run(x, s, np.ones((1, 3)), overshoot="sometimes")
