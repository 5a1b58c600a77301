"""The pulls of the ``bounded_alliances`` step: grievance over the outcome, common threat."""

from __future__ import annotations

import numpy as np

from factions.dynamics.alliances import common_threat, grievance


def _three() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One issue: actor 0 at 0, actor 1 at 1, actor 2 at 0.9; the compromise at 0.5."""
    x = np.array([[[0.0], [1.0], [0.9]]])
    s = np.ones((1, 3, 1))
    c = np.array([[3.0, 2.0, 1.0]])
    return x, s, c, np.array([[0.5]])


def test_no_grievance_at_the_compromise() -> None:
    x, s, c, r = _three()
    assert np.array_equal(grievance(x, s, c, r, r), np.zeros((1, 3, 3)))


def test_the_loser_blames_those_who_pulled_the_outcome_away() -> None:
    x, s, c, r = _three()
    g = grievance(x, s, c, np.array([[0.7]]), r)
    # actor 0 loses 0.2 beyond the compromise; 1 and 2 pulled the outcome up, in proportion
    # to capability x salience x distance pulled: 2 x 0.5 against 1 x 0.4
    assert np.isclose(g[0, 0, 1], 0.2 * 1.0 / 1.4)
    assert np.isclose(g[0, 0, 1] + g[0, 0, 2], 0.2)
    # the winners have no grievance, and nobody blames itself
    assert np.allclose(g[0, 1:], 0.0)
    assert np.allclose(np.diagonal(g[0]), 0.0)


def test_grievance_is_a_share_of_the_scale() -> None:
    rng = np.random.default_rng(0)
    x, s = rng.random((50, 6, 3)), rng.random((50, 6, 3))
    c = rng.random((50, 6)) * 10
    g = grievance(x, s, c, rng.random((50, 3)), rng.random((50, 3)))
    assert (g >= 0).all()
    assert (g.sum(axis=2) <= 1 + 1e-12).all()


def test_a_common_enemy_threatens_more_the_stronger_it_is() -> None:
    ties = np.array([[[0.0, 0.2, -0.5], [0.2, 0.0, -0.7], [-0.5, -0.7, 0.0]]])
    weak = common_threat(ties, np.array([[10.0, 70.0, 20.0]]))
    strong = common_threat(ties, np.array([[10.0, 70.0, 90.0]]))
    assert np.isclose(weak[0, 0, 1], 0.5 * 0.7 * 20.0 / 100.0)
    assert strong[0, 0, 1] > weak[0, 0, 1]
    assert np.allclose(strong, strong.transpose(0, 2, 1))
    # no common enemy: a friend of both, or an enemy of one only, does not count
    friendly = common_threat(np.abs(ties), np.array([[10.0, 70.0, 90.0]]))
    assert np.array_equal(friendly, np.zeros_like(friendly))
    assert weak[0, 0, 2] == 0.0
