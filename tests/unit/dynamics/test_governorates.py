"""Elections by governorate: the share kernel and the councils (dynamics/governorates.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from factions.dynamics.coalitions import minimal_winning_coalitions, shapley_shubik
from factions.dynamics.governorates import (
    VoteCoefficients,
    council_outcome,
    fitted_coefficients,
    governorate_vote_shares,
)


def _inputs(b: int = 3) -> dict[str, Any]:
    base = np.array([[0.5, 0.3, 0.2, 0.0], [0.1, 0.2, 0.3, 0.4]])
    return {
        "base": base,
        "incumbent": np.array([[True, False, False, False], [False, False, False, True]]),
        "record": np.array([0.0, 0.0]),
        "electoral": np.tile([[4.0, 2.0, 1.0, 1.0]], (b, 1)),
        "stands": np.array([[True, True, True, False], [True, True, True, True]]),
    }


def test_shares_sum_to_one_and_are_zero_where_a_party_does_not_stand() -> None:
    coef = fitted_coefficients()
    s = governorate_vote_shares(**_inputs(), coef=coef, rng=np.random.default_rng(0))
    assert s.shape == (3, 2, 4)
    np.testing.assert_allclose(s.sum(-1), 1.0)
    assert np.all(s[:, 0, 3] == 0.0)
    assert np.all(s >= 0)


def test_base_is_the_result_when_the_other_coefficients_are_zero() -> None:
    s = governorate_vote_shares(**_inputs(), coef=VoteCoefficients())
    np.testing.assert_allclose(s[:, 0, :3], np.tile([0.5, 0.3, 0.2], (3, 1)))
    np.testing.assert_allclose(s[:, 1], np.tile([0.1, 0.2, 0.3, 0.4], (3, 1)))


def test_incumbency_sign_moves_the_incumbents_share() -> None:
    inp = _inputs()
    up = governorate_vote_shares(**inp, coef=VoteCoefficients(gamma_incumbent=0.5))
    down = governorate_vote_shares(**inp, coef=VoteCoefficients(gamma_incumbent=-0.5))
    assert np.all(up[:, 0, 0] > 0.5)
    assert np.all(down[:, 0, 0] < 0.5)
    assert np.all(up[:, 1, 3] > 0.4)
    assert np.all(down[:, 1, 3] < 0.4)


def test_retrospective_record_rewards_a_good_record_and_punishes_a_bad_one() -> None:
    inp = _inputs()
    coef = VoteCoefficients(gamma_retro=0.5)
    good = governorate_vote_shares(**{**inp, "record": np.array([1.0, -1.0])}, coef=coef)
    assert np.all(good[:, 0, 0] > 0.5)
    assert np.all(good[:, 1, 3] < 0.4)


def test_capability_term_raises_the_stronger_party() -> None:
    s = governorate_vote_shares(**_inputs(), coef=VoteCoefficients(lam=0.5))
    assert np.all(s[:, 0, 0] > 0.5)
    assert np.all(s[:, 0, 2] < 0.2)


def test_noise_is_deterministic_under_a_seed_and_centred_on_the_mean() -> None:
    inp = _inputs(b=4000)
    coef = fitted_coefficients()
    a = governorate_vote_shares(**inp, coef=coef, rng=np.random.default_rng(7))
    b = governorate_vote_shares(**inp, coef=coef, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    expected = replace(coef, kappa=np.inf)
    mean = governorate_vote_shares(**inp, coef=expected)
    np.testing.assert_allclose(a.mean(0), mean[0], atol=0.01)
    # Dirichlet(kappa mu): Var = mu (1 - mu) / (kappa + 1).
    var = mean[0] * (1 - mean[0]) / (coef.kappa + 1)
    np.testing.assert_allclose(a.var(0), var, rtol=0.15, atol=1e-6)
    with pytest.raises(ValueError, match="rng"):
        governorate_vote_shares(**_inputs(), coef=coef)


def test_fitted_coefficients_are_the_calibrations() -> None:
    c = fitted_coefficients()
    assert 0.8 < c.beta < 0.9
    assert c.gamma_incumbent < 0
    assert 30 < c.kappa < 45


def test_council_power_is_per_council_not_over_the_sum() -> None:
    # Council 0: A dominates (21 of 41); council 1: B does. Summed, neither would.
    votes = np.array([[[21.0, 10.0, 10.0], [10.0, 21.0, 10.0]]])
    out = council_outcome(votes, np.array([41, 41]), np.array([[0.0, 1.0, 2.0]]), rule="hare")
    np.testing.assert_array_equal(out.seats[0], [[21, 10, 10], [10, 21, 10]])
    np.testing.assert_allclose(out.power[0], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    summed = shapley_shubik(out.seats[0].sum(0).astype(float), 62.0)
    assert not np.allclose(summed, out.power[0, 0])
    np.testing.assert_array_equal(out.government[0], [[1, 0, 0], [0, 1, 0]])


def test_minimal_connected_winning_skips_a_disconnected_cheaper_coalition() -> None:
    # Seats 10, 16, 15 on a line 0 < 1 < 2; quota 21. Riker's least-weight minimal winning
    # coalition is {0, 2} (25 seats), but list 1 sits between them: Axelrod's minimal
    # connected winning coalition of least weight is {0, 1} (26).
    votes = np.array([[[10.0, 16.0, 15.0]]])
    out = council_outcome(votes, np.array([41]), np.array([[0.0, 1.0, 2.0]]), rule="hare")
    np.testing.assert_array_equal(out.seats[0, 0], [10, 16, 15])
    np.testing.assert_array_equal(out.government[0, 0], [True, True, False])
    assert out.proposer[0, 0] == 1  # the largest list in the government
    # Make 0 and 2 neighbours: {0, 2} is connected, and the smallest.
    out2 = council_outcome(votes, np.array([41]), np.array([[0.0, 2.0, 1.0]]), rule="hare")
    np.testing.assert_array_equal(out2.government[0, 0], [True, False, True])
    mwc = minimal_winning_coalitions(out2.seats[0, 0].astype(float), 21.0)
    assert any((row == out2.government[0, 0]).all() for row in mwc)


def test_baron_ferejohn_formateur_drawn_by_seats_buys_the_cheapest_partners() -> None:
    votes = np.tile(np.array([[[20.0, 12.0, 9.0]]]), (5000, 1, 1))
    out = council_outcome(
        votes, np.array([41]), np.zeros((5000, 3)), rule="hare",
        formation="baron_ferejohn", rng=np.random.default_rng(3),
    )  # fmt: skip
    freq = np.bincount(out.proposer[:, 0], minlength=3) / 5000
    np.testing.assert_allclose(freq, [20 / 41, 12 / 41, 9 / 41], atol=0.02)
    gov = out.government[:, 0]
    # Each formateur adds the cheapest partner that makes 21: 0 takes 2 (9), 1 and 2 take
    # each other (21).
    assert (gov[out.proposer[:, 0] == 0] == [True, False, True]).all()
    assert (gov[out.proposer[:, 0] == 1] == [False, True, True]).all()
    assert (gov[out.proposer[:, 0] == 2] == [False, True, True]).all()
    # Recognition probability by seats: a party's chance of governing.
    np.testing.assert_allclose(gov.mean(0), [20 / 41, 21 / 41, 1.0], atol=0.02)


def _brute_mcw(seats: np.ndarray, pos: np.ndarray, quota: float) -> float:
    """The least weight of a minimal connected winning coalition, by plain enumeration."""
    n, best = len(seats), np.inf
    players = [i for i in range(n) if seats[i] > 0]
    for mask in range(1, 1 << n):
        c = [i for i in range(n) if mask >> i & 1]
        if any(seats[i] == 0 for i in c):
            continue
        wt = sum(seats[i] for i in c)
        lo, hi = min(pos[i] for i in c), max(pos[i] for i in c)
        if wt < quota or any(lo < pos[j] < hi for j in players if j not in c):
            continue
        ends = [i for i in c if pos[i] in (lo, hi)]
        if all(wt - sum(seats[i] for i in ends if pos[i] == e) < quota for e in (lo, hi)):
            best = min(best, wt)
    return best


def test_formation_in_chunks_matches_plain_enumeration() -> None:
    rng = np.random.default_rng(5)
    b, n = 600, 10  # two chunks of rows at 2^10 coalitions x 10 lists
    votes = rng.dirichlet(np.full(n, 0.7), size=(b, 1))
    pos = rng.random((b, n))
    out = council_outcome(votes, np.array([41]), pos, rule="dhondt")
    for r in (0, 1, 300, 450, 599):
        s = out.seats[r, 0]
        gov = out.government[r, 0]
        assert s[gov].sum() == _brute_mcw(s, pos[r], 21.0)


def _form_per_coalition(
    w: np.ndarray, quota: np.ndarray, ok: np.ndarray, pos: np.ndarray, prop: np.ndarray,
    masks: np.ndarray, formation: str,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The formation as first written: ``(R, K, n)`` arrays of every coalition's members."""
    player = w > 0
    member = masks[None] & player[:, None, :]
    valid = (masks[None] == member).all(-1)
    wt = np.einsum("rkn,rn->rk", member.astype(np.float64), w)
    win = (wt >= quota[:, None]) & valid & ok[:, None]
    if formation == "mcw":
        lo = np.where(member, pos[:, None, :], np.inf).min(-1)
        hi = np.where(member, pos[:, None, :], -np.inf).max(-1)
        inside = (pos[:, None, :] > lo[..., None]) & (pos[:, None, :] < hi[..., None])
        connected = ~(inside & player[:, None, :] & ~member).any(-1)
        is_lo = member & (pos[:, None, :] == lo[..., None])
        is_hi = member & (pos[:, None, :] == hi[..., None])
        w_lo = np.where(is_lo, w[:, None, :], 0.0).sum(-1)
        w_hi = np.where(is_hi, w[:, None, :], 0.0).sum(-1)
        cand = win & connected & (wt - w_lo < quota[:, None]) & (wt - w_hi < quota[:, None])
    else:
        has = np.take_along_axis(member, prop[:, None, None].repeat(masks.shape[0], 1), -1)
        cand = win & has[..., 0]
    score = np.where(cand, wt, np.inf)
    return np.argmin(score, axis=-1), np.isfinite(score.min(-1))


@pytest.mark.parametrize("formation", ["mcw", "baron_ferejohn"])
@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_formation_by_list_equals_the_per_coalition_arrays(formation: str, n: int) -> None:
    from factions.dynamics.governorates import _form

    rng = np.random.default_rng(n)
    r = 3000
    # Lists without seats, positions tied, quotas no coalition reaches, rows not ok.
    w = np.where(rng.random((r, n)) < 0.3, 0.0, rng.integers(1, 12, (r, n)).astype(float))
    total = w.sum(-1)
    quota = np.floor(total / 2.0) + rng.choice([1.0, 1.0, 3.0, 40.0], r)
    ok = (total > 0) & (rng.random(r) < 0.95)
    pos = rng.integers(0, 4, (r, n)).astype(float) / 3.0
    prop = rng.integers(0, n, r)
    masks = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    best, found = _form(w, quota, ok, pos, prop, masks, formation)
    best0, found0 = _form_per_coalition(w, quota, ok, pos, prop, masks, formation)
    np.testing.assert_array_equal(found, found0)
    np.testing.assert_array_equal(best, best0)
    assert 0 < found.sum() < r
