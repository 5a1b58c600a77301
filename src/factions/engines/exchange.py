"""Stokman's exchange model: actors trade support across the issues of one proposal.

The expected outcome of issue ``d`` is the capability x salience weighted mean
``O_d = sum_i w_id x_id / W_d``, ``w_id = c_i s_id``, ``W_d = sum_i w_id`` (Stokman & Van
Oosten 1994, eq. 1). Two actors ``i`` and ``j`` can exchange on issues ``p`` and ``q`` when
they stand on opposite sides of the expected outcome on both, and ``i`` cares relatively
more about ``p`` (``s_ip s_jq > s_iq s_jp``): ``j`` moves its position on ``p`` towards
the outcome by ``u``, which shifts ``O_p`` towards ``i`` by ``a u`` with ``a = w_jp / W_p``;
``i`` moves on ``q`` by ``v``, shifting ``O_q`` towards ``j`` by ``b v``,
``b = w_iq / W_q``. With utility linear in the distance to the outcome, weighted by
salience, the gains are

.. math:: G_i = s_{ip} a u - s_{iq} b v, \\qquad G_j = s_{jq} b v - s_{jp} a u.

- ``variant="equal_gain"`` (default; Stokman & Van Oosten 1994, the equal-gain exchange
  rate): ``G_i = G_j``, so ``v = u a (s_ip + s_jp) / (b (s_iq + s_jq))`` and each gains
  ``a u (s_ip s_jq - s_iq s_jp) / (s_iq + s_jq)``.
- ``variant="random"`` (Arregui, Stokman & Thomson 2004): the rate ``v / u`` is drawn
  uniformly between the two rates at which one of them gains nothing.

The shifts are as large as possible within a bound, option ``move_bound``: ``"partner"``
(default; as in Decide, the exchange model software of Stokman's group,
``calculations.by_absolute_move``: a mover goes at most to its partner's position,
``u <= |x_ip - x_jp|``, ``v <= |x_iq - x_jq|``) or ``"outcome"`` (at most to the expected
outcome, ``u <= |x_jp - O_p|``, ``v <= |x_iq - O_q|``). Option ``overshoot``: ``"allow"``
(default, the behaviour the backtest figures were measured with) or ``"cap"`` (as Decide's
``check_nbs``: no exchange shifts an outcome past the position of the actor who demanded
the move, ``a u <= |x_ip - O_p|`` and ``b v <= |x_jq - O_q|``, the rate ``v / u`` kept).
Exchanges are realised in order of their
total gain, each actor taking part in at most one exchange per round (a greedy reading of
the model's ordering by expected gain); after the round the forecast is the weighted mean
of the new positions. ``rounds`` (default 1, as in the 1994 model) repeats this. On a
single issue no exchange is possible and the forecast is the weighted mean.

Engine options: ``variant``, ``move_bound``, ``overshoot``, ``rounds``.

Checked against Decide (the open Python implementation, github.com/foarsitter/
decide-exchange-model at commit 51dee664): on its sample data the equal-gain exchange that
its test ``test_by_absolute_move`` states (Willems moves 75 points on one issue, Wcentr
61.0511736... on the other; the outcomes shift by 250/19 and 3750/361) is reproduced to
1e-12 by :func:`exchange_terms` and is the first exchange :func:`exchange_round` realises
(``tests/reference/test_institutional.py``). Known differences from Decide's full model:
Decide always caps the outcome shift (here ``overshoot="cap"``, not the default), lets an
actor take part in several exchanges of a round (the remaining exchanges are recalculated,
not dropped), and between rounds moves each actor's starting position part of the way to
its new position (salience weight 0.4, fixed weight 0.1); this engine realises each
actor's best exchange once per round and starts the next round from the moved positions
(neither is an option here).

References
----------
Stokman, F. N. & Van Oosten, R. (1994). The exchange of voting positions: an
object-oriented model of policy networks. In Bueno de Mesquita & Stokman (eds.),
*European Community Decision Making*, ch. 5, pp. 105-127, Yale UP.

Arregui, J., Stokman, F. N. & Thomson, R. (2004). Bargaining in the European Union and
shifts in actors' policy positions. *European Union Politics* 5(1), 47-72.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from factions.engines._common import check_choice, presence, weights
from factions.engines.base import EngineResult, EngineSpec, FloatArray, register

__all__ = ["OPTIONS", "ExchangeTerms", "exchange_round", "exchange_terms", "run_exchange"]

OPTIONS: dict[str, tuple[str, ...]] = {
    "variant": ("equal_gain", "random"),
    "move_bound": ("partner", "outcome"),
    "overshoot": ("allow", "cap"),
}


def _outcome(x: FloatArray, w: FloatArray) -> FloatArray:
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (w * x).sum(axis=1) / total
    return np.where(total > 0, out, 0.5)


class ExchangeTerms(NamedTuple):
    """Every candidate exchange of one round, on axes ``(B, i, j, p, q)``.

    ``j`` moves by ``u`` on ``p`` and ``i`` by ``v`` on ``q``, each towards the expected
    outcome; ``gain_i`` and ``gain_j`` are the actors' utility gains and ``ok`` marks the
    exchanges that are possible and profitable to both.
    """

    outcome: FloatArray  # (B, D) the expected outcomes O_d
    u: FloatArray
    v: FloatArray
    gain_i: FloatArray
    gain_j: FloatArray
    ok: NDArray[np.bool_]


def exchange_terms(
    x: FloatArray,
    s: FloatArray,
    w: FloatArray,
    variant: str,
    rng: np.random.Generator | None,
    move_bound: str = "partner",
    overshoot: str = "allow",
) -> ExchangeTerms:
    """The moves and gains of every candidate exchange (vectorised over all quadruples)."""
    b, n, d = x.shape
    o = _outcome(x, w)  # (B, D)
    big_w = w.sum(axis=1)  # (B, D)
    side = np.sign(x - o[:, None, :]) * (w > 0)  # (B, n, D), 0 when absent
    # Axes (B, i, j, p, q).
    si_p = s[:, :, None, :, None]
    si_q = s[:, :, None, None, :]
    sj_p = s[:, None, :, :, None]
    sj_q = s[:, None, :, None, :]
    opposite_p = (side[:, :, None, :] * side[:, None, :, :]) < 0  # (B, i, j, p)
    opposite_q = opposite_p  # same relation, indexed by q below
    ok = opposite_p[:, :, :, :, None] & opposite_q[:, :, :, None, :]
    ok &= si_p * sj_q > si_q * sj_p
    eye_n = np.eye(n, dtype=bool)[None, :, :, None, None]
    eye_d = np.eye(d, dtype=bool)[None, None, None, :, :]
    ok &= ~eye_n & ~eye_d
    with np.errstate(invalid="ignore", divide="ignore"):
        a = w[:, None, :, :, None] / big_w[:, None, None, :, None]  # w_jp / W_p
        bq = w[:, :, None, None, :] / big_w[:, None, None, None, :]  # w_iq / W_q
        if variant == "equal_gain":
            k = a * (si_p + sj_p) / (bq * (si_q + sj_q))
        else:
            t = rng.random((b, n, n, d, d)) if rng is not None else np.full((b, n, n, d, d), 0.5)
            lo_rate = a * sj_p / (bq * sj_q)
            hi_rate = a * si_p / (bq * si_q)
            k = lo_rate + t * (hi_rate - lo_rate)
        if move_bound == "outcome":
            dist = np.abs(x - o[:, None, :])
            big_u = dist[:, None, :, :, None]  # |x_jp - O_p|
            big_v = dist[:, :, None, None, :]  # |x_iq - O_q|
        else:
            gap = np.abs(x[:, :, None, :] - x[:, None, :, :])  # (B, i, j, d): |x_id - x_jd|
            big_u = gap[:, :, :, :, None]  # |x_ip - x_jp|
            big_v = gap[:, :, :, None, :]  # |x_iq - x_jq|
        u = np.minimum(big_u, big_v / k)
        if overshoot == "cap":
            # Decide's check_nbs: no outcome shifts past the position of the actor who
            # demanded the move (O_p at most to x_ip, O_q at most to x_jq).
            dist_o = np.abs(x - o[:, None, :])
            u = np.minimum(u, dist_o[:, :, None, :, None] / a)
            u = np.minimum(u, dist_o[:, None, :, None, :] / (bq * k))
        v = u * k
        gain_i = si_p * a * u - si_q * bq * v
        gain_j = sj_q * bq * v - sj_p * a * u
        total = gain_i + gain_j
    ok &= np.isfinite(total) & (gain_i > 1e-15) & (gain_j > 1e-15)
    return ExchangeTerms(o, u, v, gain_i, gain_j, ok)


def exchange_round(
    x: FloatArray,
    s: FloatArray,
    w: FloatArray,
    variant: str,
    rng: np.random.Generator | None,
    move_bound: str = "partner",
    overshoot: str = "allow",
) -> FloatArray:
    """One round of exchanges: the new ``(B, n, D)`` positions.

    Vectorised over members, actor pairs and issue pairs; the greedy realisation loops over
    at most ``n / 2`` exchanges, each step vectorised over the batch.
    """
    b, n, d = x.shape
    if d < 2 or n < 2:
        return x.copy()
    o, u, v, gain_i, gain_j, ok = exchange_terms(x, s, w, variant, rng, move_bound, overshoot)
    total = gain_i + gain_j
    score = np.where(ok, total, -np.inf).reshape(b, -1)
    new = x.copy()
    rows = np.arange(b)
    used = np.zeros((b, n), dtype=bool)
    shape = (n, n, d, d)
    for _ in range(n // 2):
        best = np.argmax(score, axis=1)
        live = np.isfinite(score[rows, best])
        if not live.any():
            break
        i, j, p, q = np.unravel_index(best, shape)
        uu = u.reshape(b, -1)[rows, best]
        vv = v.reshape(b, -1)[rows, best]
        # j moves on p, i moves on q, each towards the outcome.
        step_j = np.where(live, -np.sign(x[rows, j, p] - o[rows, p]) * uu, 0.0)
        step_i = np.where(live, -np.sign(x[rows, i, q] - o[rows, q]) * vv, 0.0)
        new[rows, j, p] += step_j
        new[rows, i, q] += step_i
        used[rows, i] |= live
        used[rows, j] |= live
        blocked = used[:, :, None, None, None] | used[:, None, :, None, None]
        score = np.where(np.broadcast_to(blocked, (b, *shape)).reshape(b, -1), -np.inf, score)
    return np.clip(new, 0.0, 1.0)


def run_exchange(
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    *,
    rng: Any = None,
    mask: Any = None,
    variant: str = "equal_gain",
    move_bound: str = "partner",
    overshoot: str = "allow",
    rounds: int = 1,
    **unknown: Any,
) -> EngineResult:
    """Run ``rounds`` rounds of exchange; forecast the weighted mean of the final positions."""
    if unknown:
        raise ValueError(
            f"unknown exchange option '{sorted(unknown)[0]}' "
            "(known: variant, move_bound, overshoot, rounds)"
        )
    check_choice("exchange", "variant", variant, OPTIONS["variant"])
    check_choice("exchange", "move_bound", move_bound, OPTIONS["move_bound"])
    check_choice("exchange", "overshoot", overshoot, OPTIONS["overshoot"])
    if int(rounds) != rounds or int(rounds) < 1:
        raise ValueError(f"exchange option rounds={rounds!r}: expected a positive integer")
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    present = presence(mask, x.shape)
    s = np.where(present, s, 0.0)
    w = weights(s, c, present)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    states = [x.copy()]
    for _ in range(int(rounds)):
        states.append(exchange_round(states[-1], s, w, variant, gen, move_bound, overshoot))
    positions = np.stack(states, axis=1)
    forecast = np.clip(_outcome(states[-1], w), 0.0, 1.0)
    return EngineResult(positions=positions, forecast=forecast, steps=int(rounds))


EXCHANGE = register(
    EngineSpec(
        name="exchange",
        title="Exchange of voting positions across issues (Stokman)",
        citation=(
            "Stokman & Van Oosten (1994), in European Community Decision Making, ch. 5; "
            "Arregui, Stokman & Thomson (2004), EU Politics 5(1)"
        ),
        run=run_exchange,
        stochastic=False,
        options={
            "variant": "equal_gain",
            "move_bound": "partner",
            "overshoot": "allow",
            "rounds": 1,
        },
        accepts_mask=True,
        rounds_option="rounds",
    )
)
