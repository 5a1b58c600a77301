"""KTAB's Spatial Model of Politics (SMP), re-implemented in vectorized NumPy.

This engine reproduces the SMP of KTAB, the KAPSARC Toolkit for Behavioral Analysis (C++, MIT
licence; public fork ``lsyaseen/KTAB``, last commit 3b5b063, 2019-11-17), with the same
arithmetic in the same order, so that it reproduces the positions and win probabilities that
KTAB's command-line program ``smpc`` prints. Every equation below names the KTAB function that
it follows; the numbers in brackets, e.g. [E3], are used in the docstrings and in
``docs/smp.md``.

One step ("turn") of the model from a state (positions :math:`x_i`, ideals :math:`\\xi_i`):

[E1] Distance, salience-weighted and normalised (``SMPModel::bvDiff``, smp.cpp):
     :math:`d_{ij} = \\sqrt{\\sum_k (s_{ik}(\\xi_{ik}-x_{jk}))^2 / \\sum_k s_{ik}^2}`.
[E2] Utility with risk attitude :math:`R` (``SMPModel::bsUtil``):
     :math:`u(d, R) = (1-d)(1+dR)` (for :math:`d>1`, :math:`(1-d)(1+R)`).
[E3] Votes (``Model::vote``, kmodel.cpp): :math:`v_k(i:j) = w_k f(u_{ki}-u_{kj})`, ``f`` the
     voting rule (proportional :math:`f(\\Delta)=\\Delta`; binary :math:`\\mathrm{clip}
     (\\Delta/10^{-8}, \\pm 1)`; PropBin :math:`0.8\\Delta+0.2\\,\\mathrm{bin}`; PropCbc
     :math:`0.5\\Delta+0.5\\Delta^3`; cubic :math:`\\Delta^3`; ASymProsp :math:`\\Delta` for
     losses, :math:`2\\Delta/3` for gains).
[E4] Coalitions (``Model::coalitions``): :math:`C_{ij} = 10^{-8} + \\sum_k \\max(v_k(i:j), 0)`.
[E5] Victory probability (``Model::vProb``): :math:`P[i>j] = x(C_{ij})/(x(C_{ij})+x(C_{ji}))`,
     :math:`x(c)=c, c^2, c^4, c^8` (Linear, Square, Quartic, Octic) or the 10 % threshold rule
     (Binary).
[E6] Probabilistic Condorcet election (``Model::condPCE``, ``markovUniformPCE``,
     ``markovIncentivePCE``): conditional :math:`p_i \\propto \\prod_j P[i>j]`, or the
     stationary distribution of the Markov-uniform / Markov-incentive challenge processes.
[E7] Risk attitudes (``SMPState::setAllAUtil``, smp.cpp; ``Model::bigRfromProb``): a
     risk-neutral election over the actors' positions (votes weighted by capability) gives
     :math:`p_i`; BigRRange Mid gives :math:`R_i = (3p_i-(p_{max}+2p_{min}))/(2(p_{max}-p_{min}))`
     (Min: :math:`(p_i-p_{min})/(p_{max}-p_{min})`, Max: :math:`(2p_i-(p_{max}+p_{min}))/
     (p_{max}-p_{min})`). Actor h's estimate of i's attitude (``Model::estNRA``), OneThird:
     :math:`R^h_i = (2R_h+R_i)/3` (None: :math:`R_h`; Half; TwoThirds; Full: :math:`R_i`), and
     :math:`U^h_{ij} = u(d_{ij}, R^h_i)`.
[E8] Challenges (``SMPState::probEduChlg``, smpbcn.cpp): from h's view, the principals
     contribute :math:`v_i = \\mathrm{vote}(\\sigma_i c_i, U^h_{ii}, U^h_{ij})`,
     :math:`v_j = \\mathrm{vote}(\\sigma_j c_j, U^h_{ji}, U^h_{jj})` (:math:`\\sigma` = summed
     salience), so :math:`C^0_{ij}=10^{-10}+v_i^+ + v_j^+`, :math:`C^0_{ji}=10^{-10}+v_i^-+v_j^-`.
     Each third party n considers the little contest (``Actor::vProbLittle``):
     :math:`\\pi_n = (C^0_{ij}+v_n^+)/(C^0_{ij}+v_n^++C^0_{ji}+v_n^-)` and votes
     (``Actor::thirdPartyVoteSU``, semi-commitment) over
     :math:`\\pi_n(2U_{ni}+U_{nn})+(1-\\pi_n)3U_{nj}` versus
     :math:`\\pi_n 3U_{ni}+(1-\\pi_n)(2U_{nj}+U_{nn})`. Then
     :math:`\\phi_{ij}=C_{ij}/(C_{ij}+C_{ji})` and the expected gain to k is
     :math:`(1-\\sigma_j)2U_{ki}+\\sigma_j(\\phi 2U_{ki}+(1-\\phi)2U_{kj})-(U_{ki}+U_{kj})`.
[E9] Target (``SMPState::bestChallenge``): each actor i challenges the j of largest own
     expected gain, if that exceeds ``min_sig_edu``; the first j wins a tie.
[E10] Bargain (``SMPActor::interpolateBrgn``, ``interpBrgnSnPm``): per dimension
     :math:`b = \\mathrm{round}_4(((w_i+10^{-6})x_i + w_j x_j)/(w_i+10^{-6}+w_j))` with
     :math:`w = s^2 P^2` (S2P2; S1P1: :math:`sP`), P the challenger's estimate of
     :math:`\\phi_{ij}`; S2PMax moves each side by its probability deficit.
[E11] Bargain choice (``SMPState::updateBestBrgnPositions``): each actor k holds an election
     (votes weighted by capability) over the status quo and the bargains that involve it; the
     value to actor a of the state after a bargain is the mean over actors of a's utility of
     their positions, the two movers at their bargained positions. The winner (argmax, or a
     draw when stochastic) gives k's next position.
[E12] Ideals (``SMPState::newIdeals``): :math:`\\xi_i' = \\sum_j A_{ij}x'_j +
     (1-\\sum_j A_{ij})\\xi_i` (``A`` = identity unless ``IdealAdjustment`` is given).
[E13] Stop (``smpStopFn``, smp.cpp): after ``min_steps`` steps, once
     :math:`\\sum_i\\|x^t_i-x^{t-1}_i\\| / (\\sum_i\\|x^1_i-x^0_i\\|+10^{-4}) <` ``stop_ratio``;
     or after ``max_steps``.
[E14] Win probabilities (``SMPState::pDist``, ``State::posProb``; printed by
     ``SMPModel::showVPHistory``): an election over the distinct positions (within
     ``pos_tol``), each actor voting with its own utilities and its capability; every actor
     is given the probability of its position.

The forecast is our choice (KTAB prints none): the expected outcome of [E14] over the final
state, :math:`\\sum_u P(u) x_u` over the distinct positions u.

References
----------
KTAB source, https://github.com/lsyaseen/KTAB, commit 3b5b063541c7 (2019-11-17), MIT licence:

- ``examples/smp/libsrc/smp.cpp``: ``smpStopFn``, ``SMPModel::bsUtil``, ``bvDiff``,
  ``stateDist``, ``configExec``, ``showVPHistory``; ``SMPState::setAllAUtil``, ``setVDiff``,
  ``pDist``, ``newIdeals``; ``SMPActor::interpBrgnSnPm``, ``interpBrgnS2PMax``,
  ``interpolateBrgn``.
- ``examples/smp/libsrc/smpbcn.cpp``: ``SMPState::doBCN``, ``probEduChlg``,
  ``bestChallenge``, ``updateBestBrgnPositions``.
- ``examples/smp/libsrc/smpread.cpp``: ``SMPModel::csvRead``, ``xmlRead``.
- ``KTAB/kmodel/libsrc/kmodel.cpp``: ``Model::vote``, ``coalitions``, ``vProb``, ``probCE2``,
  ``condPCE``, ``markovUniformPCE``, ``markovIncentivePCE``, ``scalarPCE``, ``bigRfromProb``,
  ``estNRA``; ``Actor::vProbLittle``, ``thirdPartyVoteSU``.
- ``KTAB/kmodel/libsrc/kstate.cpp``: ``State::setUENdx``, ``posProb``;
  ``KTAB/kutils/libsrc/kutils.h``: ``ueIndices``; ``KTAB/kutils/libsrc/prng.cpp``:
  ``PRNG::probSel``.

Wise, B. P. "Markov Voting with Incentives in KTAB", draft v04, KAPSARC; shipped with KTAB as
``KTAB/kmodel/doc/markov-incentives.tex`` (the Markov-incentive PCE of [E6]).

KAPSARC (2019). "KAPSARC Toolkit for Behavioral Analysis (KTAB): Spatial Model of Politics GUI
(SMP) User guide", version 1.4, http://kapsarc.github.io/KTAB/web/tutorial/SMPTutorial.html
(which refers for the model to KAPSARC's discussion papers "An Introduction to the KAPSARC
Toolkit for Behavioral Analysis (KTAB)" and "Multidimensional Bargaining using KTAB").
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from factions.engines.base import EngineResult, EngineSpec, FloatArray, register

__all__ = ["SMP", "SMPOptions", "parse_options", "run_smp"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Constants of KTAB, with the function that fixes them.
_MIN_C = 1e-8  # Model::coalitions, minC
_MIN_CLTN = 1e-10  # SMPState::probEduChlg, minCltn
_BIN_TOL = 1e-8  # Model::vote, sTol
_MIN_W = 1e-6  # SMPActor::interpBrgnSnPm / interpBrgnS2PMax, minW
_EPS_SUPPORT = 1e-10  # Model::markovIncentivePCE, epsSupport
_TOL_MARKOV_U = 1e-6  # Model::markovUniformPCE, pTol
_TOL_MARKOV_I = 1e-8  # Model::markovIncentivePCE, pTol
_VP_BIN_THRESH = 1.10  # Model::vProb, Binary threshold
_VP_BIN_MINX = 1e-6  # Model::vProb, minX

# ---------------------------------------------------------------------------------------------
# Options


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class _EnumOption:
    snake: str
    ktab: str
    values: tuple[tuple[str, str, tuple[str, ...]], ...]  # (canonical, KTAB name, aliases)
    default: str
    doc: str

    def parse(self, value: object, given_as: str) -> str:
        if isinstance(value, str):
            key = _norm(value)
            for canon, ktab, aliases in self.values:
                if key in {_norm(canon), _norm(ktab), *(_norm(a) for a in aliases)}:
                    return canon
        allowed = ", ".join(f"{ktab!r}/{canon!r}" for canon, ktab, _ in self.values)
        raise ValueError(f"option {given_as}={value!r} is not allowed; allowed values: {allowed}")


_ENUMS: tuple[_EnumOption, ...] = (
    _EnumOption(
        "voting_rule",
        "VotingRule",
        (
            ("binary", "Binary", ()),
            ("prop_bin", "PropBin", ()),
            ("proportional", "Proportional", ("Prop",)),
            ("prop_cbc", "PropCbc", ()),
            ("cubic", "Cubic", ()),
            ("asym_prosp", "ASymProsp", ()),
        ),
        "proportional",
        "how a difference in utility becomes a vote [E3]",
    ),
    _EnumOption(
        "victory_prob",
        "VictoryProbModel",
        (
            ("linear", "Linear", ()),
            ("square", "Square", ()),
            ("quartic", "Quartic", ()),
            ("octic", "Octic", ()),
            ("binary", "Binary", ()),
        ),
        "linear",
        "victory probability from coalition strengths [E5]",
    ),
    _EnumOption(
        "pce_model",
        "PCEModel",
        (
            ("conditional", "Conditional", ()),
            ("markov_incentive", "MarkovIncentive", ()),
            ("markov_uniform", "MarkovUniform", ()),
        ),
        "conditional",
        "probabilistic Condorcet election [E6]",
    ),
    _EnumOption(
        "state_transitions",
        "StateTransitions",
        (("deterministic", "Deterministic", ()), ("stochastic", "Stochastic", ())),
        "deterministic",
        "argmax or random draw of each actor's bargain [E11]",
    ),
    _EnumOption(
        "big_r_range",
        "BigRRange",
        (("min", "Min", ()), ("mid", "Mid", ()), ("max", "Max", ())),
        "mid",
        "range of inferred risk attitudes [E7]",
    ),
    _EnumOption(
        "big_r_adjust",
        "BigRAdjust",
        (
            ("none", "None", ("No", "NoRA")),
            ("one_third", "OneThird", ()),
            ("half", "Half", ()),
            ("two_thirds", "TwoThirds", ()),
            ("full", "Full", ()),
        ),
        "one_third",
        "how far h's estimate of i's risk attitude moves from h's own [E7]",
    ),
    _EnumOption(
        "third_party_commit",
        "ThirdPartyCommit",
        (
            ("no_commit", "NoCommit", ()),
            ("semi_commit", "SemiCommit", ()),
            ("full_commit", "FullCommit", ()),
        ),
        "semi_commit",
        "what a third party expects to give up when it joins a side [E8]",
    ),
    _EnumOption(
        "inter_vec_brgn",
        "InterVecBrgn",
        (("s1p1", "S1P1", ()), ("s2p2", "S2P2", ()), ("s2pmax", "S2PMax", ())),
        "s2p2",
        "interpolation of a bargain between two positions [E10]",
    ),
    _EnumOption(
        "bargn_model",
        "BargnModel",
        (
            ("init_only_interp", "InitOnlyInterp", ()),
            ("init_rcvr_interp", "InitRcvrInterp", ()),
            ("pw_comp_interp", "PWCompInterp", ()),
        ),
        "init_only_interp",
        "whose interpolation(s) are offered as bargains [E10]",
    ),
    # Interpretive choices (not KTAB settings):
    _EnumOption(
        "bargain_order",
        "BargainOrder",
        (("sq_first", "SQFirst", ()), ("sequential", "Sequential", ())),
        "sq_first",
        "order of an actor's bargains; it only breaks exact ties of [E11] (KTAB's order "
        "depends on thread timing; its logs show the status quo first)",
    ),
    _EnumOption(
        "rcvr_prob",
        "RcvrProb",
        (("ktab", "KTAB", ()), ("victory", "Victory", ())),
        "ktab",
        "InitRcvrInterp/PWCompInterp: the 'probability' the receiver uses in its "
        "interpolation: KTAB passes j's estimate of i's expected gain (get<1> of "
        "probEduChlg); 'victory' uses j's estimate of P[i>j]",
    ),
    _EnumOption(
        "pwcomp_weight",
        "PWCompWeight",
        (("ktab", "KTAB", ()), ("receiver", "Receiver", ())),
        "ktab",
        "PWCompInterp: the receiver's weight; KTAB uses c_i * sigma_j, 'receiver' c_j * sigma_j",
    ),
    # Implementation (not a model choice): the results are the same to the last bit.
    _EnumOption(
        "kernels",
        "Kernels",
        (("numpy", "NumPy", ()), ("numba", "Numba", ())),
        "numpy",
        "implementation of the hot passes: 'numpy' (the reference) or 'numba' (fused compiled "
        "loops, bit-identical; needs the 'fast' extra, else NumPy with a warning)",
    ),
)

_NUMERIC: tuple[tuple[str, str, float | int, str], ...] = (
    ("max_steps", "maxIter", 100, "at most this many steps (configExec, maxIter) [E13]"),
    ("min_steps", "minIter", 2, "at least this many steps (configExec, minIter) [E13]"),
    ("stop_ratio", "minDeltaRatio", 0.02, "stop ratio (configExec, minDeltaRatio) [E13]"),
    ("min_sig_delta", "minSigDelta", 1e-4, "added to the first step's size [E13]"),
    ("min_sig_edu", "minSigEDU", 1e-5, "least expected gain worth a challenge [E9]"),
    ("pos_tol", "posTol", 1e-3, "positions closer than this are one position [E14]"),
    ("max_memory_mb", "MaxMemoryMB", 500.0, "bound on the working memory of one batch chunk"),
)

_OTHER: tuple[tuple[str, str, str], ...] = (
    ("prng_seed", "prngSeed", "seed for the default rng when rng is None (stochastic only)"),
    ("ideal_adjustment", "IdealAdjustment", "ideal-accommodation matrix A of [E12]"),
    ("actor_ids", "ActorIds", "actor names, to resolve IdealAdjustment pairs given by name"),
)


@dataclass(frozen=True)
class SMPOptions:
    """Parsed SMP options, in snake_case with canonical values (see :func:`parse_options`)."""

    voting_rule: str = "proportional"
    victory_prob: str = "linear"
    pce_model: str = "conditional"
    state_transitions: str = "deterministic"
    big_r_range: str = "mid"
    big_r_adjust: str = "one_third"
    third_party_commit: str = "semi_commit"
    inter_vec_brgn: str = "s2p2"
    bargn_model: str = "init_only_interp"
    bargain_order: str = "sq_first"
    rcvr_prob: str = "ktab"
    pwcomp_weight: str = "ktab"
    kernels: str = "numpy"
    max_steps: int = 100
    min_steps: int = 2
    stop_ratio: float = 0.02
    min_sig_delta: float = 1e-4
    min_sig_edu: float = 1e-5
    pos_tol: float = 1e-3
    max_memory_mb: float = 500.0
    prng_seed: int | None = None
    ideal_adjustment: Any = None
    actor_ids: tuple[str, ...] | None = None


DEFAULTS: dict[str, Any] = {e.snake: e.default for e in _ENUMS}
DEFAULTS.update({snake: default for snake, _, default, _ in _NUMERIC})
DEFAULTS.update({"prng_seed": None, "ideal_adjustment": None})


def parse_options(options: Mapping[str, Any]) -> SMPOptions:
    """Parse options given in KTAB's CamelCase (as KTAB's XML stores them) or snake_case.

    Raises
    ------
    ValueError
        For an unknown option name (the message lists the known ones) or value (the message
        lists the allowed values), or an option given twice under both spellings.

    Examples
    --------
    >>> parse_options({"VictoryProbModel": "Square", "voting_rule": "prop"}).victory_prob
    'square'
    """
    by_key: dict[str, str] = {}
    for e in _ENUMS:
        by_key[_norm(e.snake)] = e.snake
        by_key[_norm(e.ktab)] = e.snake
    for snake, ktab, _, _ in _NUMERIC:
        by_key[_norm(snake)] = snake
        by_key[_norm(ktab)] = snake
    for snake, ktab, _ in _OTHER:
        by_key[_norm(snake)] = snake
        by_key[_norm(ktab)] = snake
    enums = {e.snake: e for e in _ENUMS}
    out: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for given, value in options.items():
        found = by_key.get(_norm(given))
        if found is None:
            names = sorted(
                [f"{e.ktab}/{e.snake}" for e in _ENUMS]
                + [f"{k}/{s}" for s, k, _, _ in _NUMERIC]
                + [f"{k}/{s}" for s, k, _ in _OTHER]
            )
            raise ValueError(f"unknown smp option {given!r}; known options: {', '.join(names)}")
        snake = found
        if snake in seen:
            raise ValueError(f"smp option {snake!r} given twice ({seen[snake]!r}, {given!r})")
        seen[snake] = given
        if snake in enums:
            out[snake] = enums[snake].parse(value, given)
        elif snake in {"max_steps", "min_steps"}:
            try:
                iv = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"option {given}={value!r}: must be an integer >= 1") from None
            if iv < 1 or iv != float(value):
                raise ValueError(f"option {given}={value!r}: must be an integer >= 1")
            out[snake] = iv
        elif snake in {s for s, _, _, _ in _NUMERIC}:
            try:
                fv = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"option {given}={value!r}: must be a number >= 0") from None
            if not np.isfinite(fv) or fv < 0 or (snake == "max_memory_mb" and fv <= 0):
                raise ValueError(f"option {given}={value!r}: must be a finite number >= 0")
            out[snake] = fv
        elif snake == "prng_seed":
            if value is None or value == "":
                out[snake] = None
            else:
                try:
                    out[snake] = int(str(value).strip())
                except ValueError:
                    raise ValueError(
                        f"option {given}={value!r}: must be a non-negative integer"
                    ) from None
                if out[snake] < 0:
                    raise ValueError(f"option {given}={value!r}: must be a non-negative integer")
        elif snake == "actor_ids":
            if value is None:
                out[snake] = None
            elif isinstance(value, str) or not isinstance(value, Sequence):
                raise ValueError(f"option {given}: must be a sequence of actor names")
            else:
                out[snake] = tuple(str(v) for v in value)
        else:  # ideal_adjustment
            out[snake] = value
    return SMPOptions(**out)


# ---------------------------------------------------------------------------------------------
# Sequential arithmetic: KTAB adds (and multiplies) in index order; NumPy's sum uses pairwise
# summation. These helpers keep KTAB's order, so that results agree to the last bit.


def _reduce_is_sequential() -> bool:
    """Whether ``np.add.reduce`` / ``np.multiply.reduce`` over axis 1 of a C-contiguous
    ``(A, K, M)`` array (``M >= 2``) adds in index order, as NumPy's reduction machinery does
    when the reduced axis is not the innermost (pairwise summation is used only there)."""
    rng = np.random.default_rng(12345)
    x = rng.standard_normal((3, 37, 5)) * 10.0 ** rng.integers(-12, 12, (3, 37, 5))
    acc_s = x[:, 0].copy()
    acc_p = x[:, 0].copy()
    for k in range(1, x.shape[1]):
        acc_s = acc_s + x[:, k]
        acc_p = acc_p * (1.0 + x[:, k] * 1e-13)
    y = 1.0 + x * 1e-13
    y[:, 0] = x[:, 0]
    return bool(
        np.array_equal(np.add.reduce(x, axis=1), acc_s)
        and np.array_equal(np.multiply.reduce(y, axis=1), acc_p)
    )


_REDUCE_OK = _reduce_is_sequential()


def _fold(
    ufunc: np.ufunc, terms: FloatArray, start: FloatArray | float | None, axis: int
) -> FloatArray:
    axis = axis % terms.ndim
    if start is not None:
        idx: list[Any] = [slice(None)] * terms.ndim
        idx[axis] = 0
        first = tuple(idx)
        terms[first] = ufunc(start, terms[first])
    trailing = int(np.prod(terms.shape[axis + 1 :]))
    if _REDUCE_OK and axis < terms.ndim - 1 and trailing >= 2 and terms.flags.c_contiguous:
        out: FloatArray = ufunc.reduce(terms, axis=axis)
        return out
    acc = ufunc.accumulate(terms, axis=axis)
    out = np.take(acc, -1, axis=axis)
    return out


def _seqsum(
    terms: FloatArray, start: FloatArray | float | None = None, axis: int = -1
) -> FloatArray:
    """``((start + t_0) + t_1) + ...`` along ``axis`` (``t_0 + t_1 + ...`` if no start).

    KTAB adds in index order; ``np.sum`` would use pairwise summation. ``terms`` may be
    overwritten. Fast when ``terms`` is C-contiguous and ``axis`` is not the last one.
    """
    return _fold(np.add, terms, start, axis)


def _seqprod(terms: FloatArray, axis: int = -1) -> FloatArray:
    """``((1 * t_0) * t_1) * ...`` along ``axis`` (``terms`` may be overwritten)."""
    return _fold(np.multiply, terms, None, axis)


def _sqsum_dims(diff: Callable[[int], FloatArray], n_dims: int) -> FloatArray:
    """``0 + diff(0)^2 + diff(1)^2 + ...`` over dimensions, in order (KBase::norm, bvDiff)."""
    acc: FloatArray | None = None
    for k in range(n_dims):
        t = diff(k)
        t = t * t
        acc = t if acc is None else acc + t
    assert acc is not None
    return acc


# ---------------------------------------------------------------------------------------------
# Kernels


def _numba() -> Any:
    """The fused Numba kernels (``Kernels="numba"``), imported on first use."""
    from factions.engines import _smp_numba

    return _smp_numba


def _numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def bs_util(d: FloatArray, r: FloatArray | float) -> FloatArray:
    """[E2] ``SMPModel::bsUtil``: utility of normalised distance ``d`` for risk attitude ``r``."""
    one_m = 1.0 - d
    out: FloatArray = np.where(d <= 1.0, one_m * (1.0 + d * r), one_m * (1.0 + r))
    return out


def _bv_diff(ideal: FloatArray, pos: FloatArray, sal: FloatArray, ssq: FloatArray) -> FloatArray:
    """[E1] ``SMPModel::bvDiff``: distance from each ideal to each position.

    ``ideal``, ``sal`` ``(..., a, D)``; ``pos`` ``(..., j, D)``; ``ssq`` ``(..., a)`` the sum of
    squared saliences. Returns ``(..., a, j)``.
    """
    n_dims = ideal.shape[-1]

    def term(k: int) -> FloatArray:
        d: FloatArray = (ideal[..., :, None, k] - pos[..., None, :, k]) * sal[..., :, None, k]
        return d

    ds = _sqsum_dims(term, n_dims)
    out: FloatArray = np.sqrt(ds / ssq[..., :, None])
    return out


def vote(rule: str, w: FloatArray | float, u1: FloatArray, u2: FloatArray) -> FloatArray:
    """[E3] ``Model::vote``: the vote of weight ``w`` for option 1 over option 2."""
    du = u1 - u2
    if rule == "proportional":
        out: FloatArray = w * du
        return out
    if rule == "binary":
        out = w * np.clip(du / _BIN_TOL, -1.0, 1.0)
        return out
    if rule == "prop_bin":
        rbp = 0.2
        out = w * ((1 - rbp) * du + rbp * np.clip(du / _BIN_TOL, -1.0, 1.0))
        return out
    if rule == "prop_cbc":
        rpc = 0.5
        out = w * ((1 - rpc) * du + rpc * (du * du * du))
        return out
    if rule == "cubic":
        out = w * (du * du * du)
        return out
    if rule == "asym_prosp":
        out = np.where(du < 0.0, w * du, np.where(du > 0.0, (2.0 * w * du) / 3.0, 0.0))
        return out
    raise ValueError(f"unknown voting rule {rule!r}")


def _coalitions(u: FloatArray, w: FloatArray, rule: str, fused: bool = False) -> FloatArray:
    """[E4] ``Model::coalitions``: ``C[g, i, j]`` from utilities ``u[g, voter, option]``.

    ``w[g, voter]`` are the voting weights. Voters are summed in index order, from ``1e-8``.
    KTAB scans ``j < i`` and puts the negative votes for (i:j) into ``C[j, i]``; that equals
    the positive votes for (j:i) for every rule except ASymProsp, which is treated separately.
    """
    if fused:
        nb = _numba()
        out: FloatArray = nb.coalitions(
            np.ascontiguousarray(u), np.ascontiguousarray(w), nb.RULES[rule]
        )
        return out
    g, k, m = u.shape
    v = np.empty((g, k, m, m))  # v[g, k, i, j], C-contiguous for the sequential sum over k
    if rule == "proportional":
        np.subtract(u[:, :, :, None], u[:, :, None, :], out=v)
        v *= w[:, :, None, None]
    else:
        v[...] = vote(rule, w[:, :, None, None], u[:, :, :, None], u[:, :, None, :])
    neg = np.maximum(-v, 0.0) if rule == "asym_prosp" else None
    pos = np.maximum(v, 0.0, out=v)
    c = _seqsum(pos, _MIN_C, axis=1)
    if neg is not None:
        cn = _seqsum(neg, _MIN_C, axis=1)
        lower = np.tri(m, m, -1, dtype=bool)
        c = np.where(lower, c, np.swapaxes(cn, -1, -2))
    idx = np.arange(m)
    c[..., idx, idx] = _MIN_C
    return c


def _vp_strength(c: FloatArray, model: str) -> tuple[FloatArray, FloatArray]:
    """[E5] the pair ``(x1, x2)`` of ``Model::vProb(vpm, s1, s2)`` for ``s1=C[i,j], s2=C[j,i]``."""
    s1 = c
    s2 = np.swapaxes(c, -1, -2)
    if model == "linear":
        return s1, s2
    if model == "square":
        return s1 * s1, s2 * s2
    if model == "quartic":
        return s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    if model == "octic":
        q1 = s1 * s1 * s1 * s1
        q2 = s2 * s2 * s2 * s2
        return q1 * q1, q2 * q2
    if model == "binary":
        p12 = ((s1 / (s1 + s2)) * (_VP_BIN_THRESH + 1.0) - 1.0) / (_VP_BIN_THRESH - 1.0)
        win = s1 >= _VP_BIN_THRESH * s2
        lose = (~win) & (s2 >= _VP_BIN_THRESH * s1)
        x1 = np.where(win, 1.0, np.where(lose, _VP_BIN_MINX, p12))
        x2 = np.where(win, _VP_BIN_MINX, np.where(lose, 1.0, 1 - p12))
        return x1, x2
    raise ValueError(f"unknown victory-probability model {model!r}")


def victory_prob(c: FloatArray, model: str) -> FloatArray:
    """[E5] ``Model::vProb``: ``P[i > j]`` from the coalition matrix (lower triangle first)."""
    x1, x2 = _vp_strength(c, model)
    tot = x1 + x2
    p_low = x1 / tot
    p_up = np.swapaxes(x2 / tot, -1, -2)
    m = c.shape[-1]
    lower = np.tri(m, m, -1, dtype=bool)
    p: FloatArray = np.where(lower, p_low, p_up)
    idx = np.arange(m)
    p[..., idx, idx] = 0.5
    return p


def _markov_loop(
    p0: FloatArray, step: Callable[[FloatArray, IntArray], FloatArray], tol: float
) -> FloatArray:
    """Iterate ``q = step(p)``, ``p = (p + q) / 2`` per row until ``max|q - p| <= tol``."""
    p = p0.copy()
    active = np.ones(p.shape[0], dtype=bool)
    for _ in range(100000):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        pa = p[idx]
        q = step(pa, idx)
        change = np.max(np.abs(q - pa), axis=-1)
        p[idx] = (pa + q) / 2.0
        active[idx] = change > tol
    return p


def pce(c: FloatArray, vpm: str, pcem: str) -> FloatArray:
    """[E6] ``Model::probCE2``: each option's probability from coalitions ``C[g, i, j]``."""
    pv = victory_prob(c, vpm)
    m = c.shape[-1]
    if pcem == "conditional":
        p = _seqprod(np.ascontiguousarray(np.swapaxes(pv, -1, -2)), axis=-2)
        out: FloatArray = p / _seqsum(p.copy())[..., None]
        return out
    p0 = np.full(c.shape[:-1], 1.0 / m)
    if pcem == "markov_uniform":

        def step_u(pa: FloatArray, idx: IntArray) -> FloatArray:
            terms = np.ascontiguousarray(np.swapaxes(pv[idx], -1, -2))  # [g, j, i]
            terms *= pa[:, None, :] + pa[:, :, None]
            q: FloatArray = _seqsum(terms, axis=-2) / m
            return q

        return _markov_loop(p0, step_u, _TOL_MARKOV_U)
    if pcem == "markov_incentive":
        inctv = c * pv
        ar = np.arange(m)
        inctv[..., ar, ar] = inctv[..., ar, ar] + _EPS_SUPPORT
        colsum = _seqsum(np.swapaxes(inctv, -1, -2).copy())  # sum over k of inctv[k, j]
        chlg = inctv / colsum[..., None, :]  # chlg[i, j] = P[i challenges j]

        def step_i(pa: FloatArray, idx: IntArray) -> FloatArray:
            ct = pa[:, :, None] * np.swapaxes(chlg[idx], -1, -2)  # ct[i, j] = p_i chlg[j, i]
            terms = np.swapaxes(pv[idx] * (ct + np.swapaxes(ct, -1, -2)), -1, -2)
            return _seqsum(np.ascontiguousarray(terms), axis=-2)

        return _markov_loop(p0, step_i, _TOL_MARKOV_I)
    raise ValueError(f"unknown PCE model {pcem!r}")


def scalar_pce(u: FloatArray, w: FloatArray, opts: SMPOptions) -> FloatArray:
    """``Model::scalarPCE``: [E4]-[E6] for utilities ``u[g, voter, option]``, weights ``w``."""
    c = _coalitions(u, w, opts.voting_rule, opts.kernels == "numba")
    return pce(c, opts.victory_prob, opts.pce_model)


def est_nra(rh: FloatArray, ri: FloatArray, adjust: str) -> FloatArray:
    """[E7] ``Model::estNRA``: h's estimate of i's risk attitude."""
    if adjust == "full":
        return ri + 0.0 * rh
    if adjust == "two_thirds":
        out: FloatArray = (rh + (2.0 * ri)) / 3.0
        return out
    if adjust == "half":
        out = (rh + ri) / 2
        return out
    if adjust == "one_third":
        out = ((2.0 * rh) + ri) / 3.0
        return out
    if adjust == "none":
        return rh + 0.0 * ri
    raise ValueError(f"unknown BigRAdjust {adjust!r}")


def big_r_from_prob(p: FloatArray, rng_kind: str) -> FloatArray:
    """[E7] ``Model::bigRfromProb``; where all ``p`` are equal (0/0 in KTAB) we give 0."""
    pmin = np.minimum(p.min(axis=-1, keepdims=True), 1.0)
    pmax = np.maximum(p.max(axis=-1, keepdims=True), 0.0)
    span = pmax - pmin
    safe = np.where(span > 0, span, 1.0)
    if rng_kind == "min":
        r = (p - pmin) / safe
    elif rng_kind == "mid":
        r = (3 * p - (pmax + 2 * pmin)) / (2 * safe)
    elif rng_kind == "max":
        r = (2 * p - (pmax + pmin)) / safe
    else:
        raise ValueError(f"unknown BigRRange {rng_kind!r}")
    out: FloatArray = np.where(span > 0, r, 0.0)
    return out


def _third_party_terms(
    commit: str, uni: FloatArray, unj: FloatArray, unn: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """[E8] ``Actor::thirdPartyVoteSU``: (u(ik>j), u(j>ik), u(i>jk), u(jk>i))."""
    if commit == "full_commit":
        a = uni + uni + uni
        b = unj + unj + unj
        return a, b, a, b
    if commit == "semi_commit":
        return uni + uni + unn, unj + unj + unj, uni + uni + uni, unj + unj + unn
    if commit == "no_commit":
        return uni + uni + unn, unj + unj + unn, uni + uni + unn, unj + unj + unn
    raise ValueError(f"unknown ThirdPartyCommit {commit!r}")


def _prob_edu(
    opts: SMPOptions,
    wch: FloatArray,
    sig_j: FloatArray,
    w_i: FloatArray,
    w_j: FloatArray,
    uii: FloatArray,
    uij: FloatArray,
    uji: FloatArray,
    ujj: FloatArray,
    uki: FloatArray,
    ukj: FloatArray,
    uni: FloatArray,
    unj: FloatArray,
    unn: FloatArray,
    keep: FloatArray,
    axis: int,
) -> tuple[FloatArray, FloatArray]:
    """[E8] ``SMPState::probEduChlg``: ``(phi_ij, expected gain to k)`` for many contests.

    Pair-level arrays (``w_i`` ... ``ukj``, ``sig_j``) broadcast to a shape ``S``; the
    third-party arrays (``wch`` the weights :math:`\\sigma_n c_n`, and h's estimates ``uni``,
    ``unj``, ``unn`` of each third party's utilities) have the third parties on ``axis`` of
    ``S`` with that axis inserted; ``keep`` is 0 for the principals (who are not third parties)
    and 1 otherwise. Third parties are added in index order, as KTAB does.
    """
    vr = opts.voting_rule
    ci = vote(vr, w_i, uii, uij)
    cj = vote(vr, w_j, uji, ujj)
    chij = (_MIN_CLTN + np.maximum(ci, 0.0)) + np.maximum(cj, 0.0)
    chji = (_MIN_CLTN - np.minimum(ci, 0.0)) - np.minimum(cj, 0.0)
    chij_e = np.expand_dims(chij, axis)
    chji_e = np.expand_dims(chji, axis)
    # Actor::vProbLittle: n's own vote, added to the side it prefers
    cn = vote(vr, wch, uni, unj)
    cni = np.maximum(cn, 0.0)
    cni += chij_e
    cnj = np.minimum(cn, 0.0)
    np.subtract(chji_e, cnj, out=cnj)
    np.add(cni, cnj, out=cn)
    pin = np.divide(cni, cn, out=cni)
    pjn = np.subtract(1.0, pin, out=cnj)
    # Actor::thirdPartyVoteSU; note (u + u) + u == 3.0 * u exactly (2u is exact)
    commit = opts.third_party_commit
    tmp = cn
    if commit == "semi_commit":
        a, c = uni + uni + unn, 3.0 * uni
        u_ik_j = pin * a
        np.multiply(unj, 3.0, out=tmp)
        tmp *= pjn
        u_ik_j += tmp
        u_i_jk = pin * c
        np.multiply(unj, 2.0, out=tmp)
        tmp += unn
        tmp *= pjn
        u_i_jk += tmp
    else:
        a, b, c, d = _third_party_terms(commit, uni, unj, unn)
        u_ik_j = pin * a + pjn * b
        u_i_jk = pin * c + pjn * d
    if vr == "proportional":
        vn = u_ik_j
        vn -= u_i_jk
        vn *= wch
    else:
        vn = vote(vr, wch, u_ik_j, u_i_jk)
    vn *= keep
    pos = np.maximum(vn, 0.0, out=tmp)
    cij = _seqsum(pos, chij, axis)
    neg = np.minimum(vn, 0.0, out=vn)
    np.negative(neg, out=neg)
    cji = _seqsum(neg, chji, axis)
    tot = cij + cji
    phij = cij / tot
    phji = cji / tot
    eu_vict = uki + uki
    eu_def = ukj + ukj
    eu_sq = uki + ukj
    eu_cntst = phij * eu_vict + phji * eu_def
    eu_chlg = (1 - sig_j) * eu_vict + sig_j * eu_cntst
    return phij, eu_chlg - eu_sq


def _round4(x: FloatArray) -> FloatArray:
    """``interpBrgnSnPm``'s ``round4``: ``(int)(0.5 + 10000 x) / 10000``."""
    out: FloatArray = np.trunc(0.5 + x * 10000.0) / 10000.0
    return out


def interpolate_bargain(
    ivb: str,
    ti: FloatArray,
    si: FloatArray,
    pi: FloatArray,
    tj: FloatArray,
    sj: FloatArray,
    pj: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """[E10] ``SMPActor::interpolateBrgn``: the bargained positions of i and j, per dimension.

    ``ti, si, tj, sj`` ``(..., D)`` positions and saliences; ``pi, pj`` ``(...)`` the
    probabilities.
    """
    pi = pi[..., None]
    pj = pj[..., None]
    if ivb in {"s1p1", "s2p2"}:
        if ivb == "s2p2":
            wi = (si * si) * (pi * pi)
            wj = (sj * sj) * (pj * pj)
        else:
            wi = si * pi
            wj = sj * pj
        den = wi + _MIN_W + wj
        bi = _round4(((wi + _MIN_W) * ti + wj * tj) / den)
        bj = _round4((wi * ti + (_MIN_W + wj) * tj) / den)
        return bi, bj
    if ivb == "s2pmax":
        di = np.where(pj > pi, pj - pi, 0.0)
        dj = np.where(pi > pj, pi - pj, 0.0)
        si2 = si * si
        sj2 = sj * sj
        dik = (di * sj2) / ((di * sj2) + _MIN_W + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + _MIN_W + ((1 - dj) * sj2))
        return ti + dik * (tj - ti), tj + djk * (ti - tj)
    raise ValueError(f"unknown InterVecBrgn {ivb!r}")


# ---------------------------------------------------------------------------------------------
# One state


@dataclass
class _Static:
    """Per-member constants of a chunk."""

    sal: FloatArray  # (B, n, D)
    ssq: FloatArray  # (B, n): sum of squared saliences
    sig: FloatArray  # (B, n): summed salience
    cap: FloatArray  # (B, n)
    wch: FloatArray  # (B, n): sig * cap, the weight in challenges
    acc: FloatArray | None  # (B, n, n) accommodation, None for identity


def _utilities(
    pos: FloatArray, ideal: FloatArray, st: _Static, opts: SMPOptions
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """[E1], [E2], [E7] ``SMPState::setAllAUtil``: ``(U[b, h, i, j], R[b, i], d[b, i, j])``.

    With ``Kernels="numba"`` the first item is not U but its factors ``(B, 2, n, n)``: ``d``
    and ``R^h[b, h, i]``, with ``U[b, h, i, j] = u(d[b, i, j], R^h[b, h, i])`` [E2], which the
    fused kernels evaluate where they need it (see :func:`_own_utils`).
    """
    d = _bv_diff(ideal, pos, st.sal, st.ssq)
    rn = bs_util(d, 0.0)
    fused = opts.kernels == "numba"
    c = _coalitions(rn, st.cap, opts.voting_rule, fused)
    p = pce(c, opts.victory_prob, opts.pce_model)
    r = big_r_from_prob(p, opts.big_r_range)
    rh = est_nra(r[:, :, None], r[:, None, :], opts.big_r_adjust)  # (B, h, i)
    if fused:  # U is computed on the fly from its factors by the fused kernels
        return np.stack([d, rh], axis=1), r, d
    one_m = (1.0 - d)[:, None, :, :]
    dd = d[:, None, :, :]
    rr = rh[:, :, :, None]
    u: FloatArray = one_m * (1.0 + dd * rr)
    if np.any(d > 1.0):  # round-off can push d slightly above 1
        u = np.where(dd <= 1.0, u, one_m * (1.0 + rr))
    return u, r, d


def _own_utils(u: FloatArray, opts: SMPOptions) -> FloatArray:
    """``own[b, i, j] = U[b, i, i, j]``: each actor's utility of each actor's position."""
    if opts.kernels == "numba":
        out: FloatArray = _numba().own_utils(u)
        return out
    own: FloatArray = np.diagonal(u, axis1=1, axis2=2).swapaxes(1, 2)
    return own


def _unique(pos: FloatArray, tol: float) -> tuple[BoolArray, BoolArray]:
    """``State::setUENdx`` / ``ueIndices``: which actors hold a new position, and E[i, j].

    Equivalence is ``||x_i - x_j|| < tol``; an actor is unique if no earlier unique actor is
    equivalent to it (greedy, in index order).
    """
    n_dims = pos.shape[-1]

    def term(k: int) -> FloatArray:
        d: FloatArray = pos[:, :, None, k] - pos[:, None, :, k]
        return d

    eq = np.sqrt(_sqsum_dims(term, n_dims)) < tol
    n = pos.shape[1]
    earlier = np.tri(n, n, -1, dtype=bool)
    uniq = ~np.any(eq & earlier, axis=-1)
    # That is the greedy answer when equivalence is transitive; otherwise redo those greedily.
    trans = eq.sum(axis=(1, 2)) == n  # only the diagonal: trivially transitive
    if not trans.all():
        ef = eq.astype(np.float32)
        trans = ~np.any(((ef @ ef) > 0) & ~eq, axis=(1, 2))
    for b in np.flatnonzero(~trans):
        u = np.zeros(n, dtype=bool)
        for i in range(n):
            u[i] = not np.any(eq[b, i] & u)
        uniq[b] = u
    return uniq, eq


def _win_prob(
    own: FloatArray, pos: FloatArray, st: _Static, opts: SMPOptions
) -> tuple[FloatArray, FloatArray]:
    """[E14] ``SMPState::pDist(-1)`` and ``State::posProb``: ``(p[b, i], forecast[b, D])``."""
    bsz, n, _ = own.shape
    uniq, eq = _unique(pos, opts.pos_tol)
    nu = uniq.sum(axis=1)
    # rank of each unique actor among the unique ones; posProb takes the last equivalent one
    rank = np.cumsum(uniq, axis=1) - 1
    m = eq & uniq[:, None, :]
    last = n - 1 - np.argmax(m[:, :, ::-1], axis=-1)
    k_of = np.take_along_axis(rank, last, axis=1)
    wp = np.empty((bsz, n))
    fc = np.empty((bsz, pos.shape[-1]))
    for m_opt in np.unique(nu):
        grp = np.flatnonzero(nu == m_opt)
        order = np.argsort(~uniq[grp], axis=1, kind="stable")[:, :m_opt]  # unique, ascending
        u = np.take_along_axis(own[grp], order[:, None, :], axis=2)  # (G, voter, option)
        pdt = scalar_pce(u, st.cap[grp], opts) if m_opt > 1 else np.ones((grp.size, 1))
        wp[grp] = np.take_along_axis(pdt, k_of[grp], axis=1)
        xu = np.take_along_axis(pos[grp], order[:, :, None], axis=1)
        fc[grp] = np.einsum("gu,gud->gd", pdt, xu)
    return wp, fc


def _draws(seeds: NDArray[np.uint64], step: int, n: int) -> FloatArray:
    """Uniforms on [0, 1) for (member, actor) at ``step``: SplitMix64 of (seed, step, actor)."""
    ctr = (np.uint64(step) * np.uint64(n) + np.arange(n, dtype=np.uint64)) + np.uint64(1)
    with np.errstate(over="ignore"):
        z = seeds[:, None] + ctr[None, :] * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    out: FloatArray = (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return out


def _bcn(
    pos: FloatArray,
    ideal: FloatArray,
    u: FloatArray,
    r: FloatArray,
    st: _Static,
    opts: SMPOptions,
    draws: FloatArray | None,
    block: int,
) -> FloatArray:
    """One step: challenges [E8]-[E9], bargains [E10], choices [E11] (``SMPState::doBCN``).

    ``u`` is ``U[b, h, i, j]`` of the current state, ``r`` the risk attitudes. Returns the new
    positions.
    """
    bsz, n, n_dims = pos.shape
    ar = np.arange(n)
    offdiag = ~np.eye(n, dtype=bool)
    # --- [E8] from each challenger's own view: h = k = i, for every target j -------------
    own = _own_utils(u, opts)  # own[b, i, j] = U[b, i, i, j]
    phij = np.empty((bsz, n, n))
    edu = np.empty((bsz, n, n))
    uii = np.diagonal(own, axis1=1, axis2=2)  # (B, i)
    # challengers in blocks of about 2**16 contest-third-party cells, to stay in cache
    block = max(1, min(block, 2**16 // max(1, bsz * n * n)))
    if opts.kernels == "numba":  # the whole loop below in one fused pass
        nb = _numba()
        phij, edu = nb.challenges(
            u,
            st.wch,
            st.sig,
            nb.RULES[opts.voting_rule],
            nb.COMMITS[opts.third_party_commit],
        )
    else:
        uji_all = np.swapaxes(np.diagonal(u, axis1=1, axis2=3), 1, 2)  # U[b, i, j, i]
        ujj_all = np.diagonal(u, axis1=2, axis2=3)  # [b, i, j] = U[b, i, j, j]
        keep_all = (
            ~(ar[:, None, None] == ar[None, :, None]) & ~(ar[None, :, None] == ar[None, None, :])
        ).astype(np.float64)  # keep[i, n, j]: n is neither i nor j
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            sl = slice(lo, hi)
            ub = u[:, sl]  # ub[b, i, n, j] = U[b, i, n, j]: (B, i, third party n, target j)
            ph, ed = _prob_edu(
                opts,
                wch=st.wch[:, None, :, None],
                sig_j=st.sig[:, None, :],
                w_i=st.wch[:, sl, None],
                w_j=st.wch[:, None, :],
                uii=uii[:, sl, None],
                uij=own[:, sl, :],
                uji=uji_all[:, sl, :],
                ujj=ujj_all[:, sl, :],
                uki=uii[:, sl, None],
                ukj=own[:, sl, :],
                uni=uji_all[:, sl, :, None],  # U[b, i, n, i]
                unj=ub,
                unn=ujj_all[:, sl, :, None],  # U[b, i, n, n]
                keep=keep_all[sl][None],
                axis=2,
            )
            phij[:, sl] = ph
            edu[:, sl] = ed
    # --- [E9] best target ----------------------------------------------------------------
    ok = (edu > opts.min_sig_edu) & offdiag
    score = np.where(ok, edu, -np.inf)
    best = np.argmax(score, axis=2)  # first maximum
    has = ok.any(axis=2) & (np.take_along_axis(score, best[:, :, None], 2)[:, :, 0] > 0)
    p_iij = np.take_along_axis(phij, best[:, :, None], 2)[:, :, 0]
    bidx = np.arange(bsz)[:, None]
    pos_j = pos[bidx, best]  # (B, i, D)
    sal_j = st.sal[bidx, best]
    # --- [E10] bargains ------------------------------------------------------------------
    b_ii, b_ij = interpolate_bargain(
        opts.inter_vec_brgn, pos, st.sal, p_iij, pos_j, sal_j, 1 - p_iij
    )
    if opts.bargn_model == "init_only_interp":
        g_init = np.broadcast_to(ar, (bsz, n))
        g_rcvr = best
        g_has = has
        g_pi, g_pj = b_ii, b_ij
    else:
        # receiver's view: h = j, k = i for the chosen pairs (i, best_i)
        jj = best
        if opts.kernels == "numba":  # from U's factors (d, R^h), as _utilities computes U
            u_j = bs_util(u[:, 0][:, None], u[:, 1][bidx, jj][:, :, :, None])
        else:
            u_j = u[bidx, jj]  # (B, i, a, col) = U[b, j_i, a, col]
        ii = np.broadcast_to(ar, (bsz, n))

        def at(a: IntArray, col: IntArray) -> FloatArray:
            out: FloatArray = np.take_along_axis(
                np.take_along_axis(u_j, a[:, :, None, None], 2)[:, :, 0, :],
                col[:, :, None],
                2,
            )[:, :, 0]
            return out

        uni_j = np.take_along_axis(u_j, ii[:, :, None, None], 3)[:, :, :, 0]  # U^j[n, i]
        unj_j = np.take_along_axis(u_j, jj[:, :, None, None], 3)[:, :, :, 0]  # U^j[n, j]
        unn_j = np.diagonal(u_j, axis1=2, axis2=3)
        keep = (
            (ar[None, None, :] != ii[:, :, None]) & (ar[None, None, :] != jj[:, :, None])
        ).astype(np.float64)
        ph_j, edu_j = _prob_edu(
            opts,
            wch=st.wch[:, None, :],
            sig_j=st.sig[bidx, jj],
            w_i=st.wch,
            w_j=st.wch[bidx, jj],
            uii=at(ii, ii),
            uij=at(ii, jj),
            uji=at(jj, ii),
            ujj=at(jj, jj),
            uki=at(ii, ii),
            ukj=at(ii, jj),
            uni=uni_j,
            unj=unj_j,
            unn=unn_j,
            keep=keep,
            axis=2,
        )
        p_jij = edu_j if opts.rcvr_prob == "ktab" else ph_j
        b_ji, b_jj = interpolate_bargain(
            opts.inter_vec_brgn, pos, st.sal, p_jij, pos_j, sal_j, 1 - p_jij
        )
        if opts.bargn_model == "init_rcvr_interp":
            g_init = np.repeat(np.broadcast_to(ar, (bsz, n)), 2, axis=1)
            g_rcvr = np.repeat(best, 2, axis=1)
            g_has = np.repeat(has, 2, axis=1)
            g_pi = np.stack([b_ii, b_ji], axis=2).reshape(bsz, 2 * n, n_dims)
            g_pj = np.stack([b_ij, b_jj], axis=2).reshape(bsz, 2 * n, n_dims)
        elif opts.bargn_model == "pw_comp_interp":
            wi = st.cap * st.sig
            sig_j_sel = st.sig[bidx, jj]
            wj = st.cap * sig_j_sel if opts.pwcomp_weight == "ktab" else st.wch[bidx, jj]
            wsum = (wi + wj)[:, :, None]
            g_init = np.broadcast_to(ar, (bsz, n))
            g_rcvr = best
            g_has = has
            g_pi = (wi[:, :, None] * b_ii + wj[:, :, None] * b_ji) / wsum
            g_pj = (wi[:, :, None] * b_ij + wj[:, :, None] * b_jj) / wsum
        else:
            raise ValueError(f"unknown BargnModel {opts.bargn_model!r}")
    # --- [E11] value of each bargain's state to each actor a ---------------------------
    own_r = r[:, None, :]  # posUtil uses the actor's own R

    def pos_util(p: FloatArray) -> FloatArray:  # p (B, g, D) -> (B, g, a)
        dist = _bv_diff(ideal[:, None], p[:, :, None, :], st.sal[:, None], st.ssq[:, None])
        dist = dist[:, :, :, 0]
        return bs_util(dist, own_r)

    u_init = pos_util(g_pi)
    u_rcvr = pos_util(g_pj)
    own_t = np.swapaxes(own, 1, 2)  # own_t[b, n, a] = U[b, a, a, n]
    if opts.kernels == "numba":
        val_b = _numba().bargain_values(
            u_init,
            u_rcvr,
            np.ascontiguousarray(own_t),
            np.ascontiguousarray(g_init),
            np.ascontiguousarray(g_rcvr),
        )
    else:
        val_b = _bargain_values(u_init, u_rcvr, own_t, g_init, g_rcvr, ar, n)
    val_sq = _seqsum(np.ascontiguousarray(own_t), axis=1) / n  # (B, a)
    # each actor's options: SQ + bargains involving it
    inv = g_has[:, None, :] & (
        (g_init[:, None, :] == ar[None, :, None]) | (g_rcvr[:, None, :] == ar[None, :, None])
    )  # (B, k, g)
    n_opt = 1 + inv.sum(axis=2)
    new_pos = pos.copy()
    for m in np.unique(n_opt):
        bb, kk = np.nonzero(n_opt == m)
        if m == 1:
            continue
        gl = np.argsort(~inv[bb, kk], axis=1, kind="stable")[:, : m - 1]  # (G, m-1)
        g_sel_init = g_init[bb[:, None], gl]
        cols = np.concatenate([val_sq[bb][:, None, :], val_b[bb[:, None], gl]], axis=1)
        opt_g = np.concatenate([np.full((bb.size, 1), -1), gl], axis=1)  # -1: status quo
        if opts.bargain_order == "sequential":
            # KTAB run on one thread: bargains initiated before k, k's status quo, the rest
            keys = np.concatenate([(kk - 0.5)[:, None], g_sel_init.astype(float)], axis=1)
            order = np.argsort(keys, axis=1, kind="stable")
            cols = np.take_along_axis(cols, order[:, :, None], 1)
            opt_g = np.take_along_axis(opt_g, order, 1)
        p = scalar_pce(np.swapaxes(cols, 1, 2), st.cap[bb], opts)  # (G, m)
        if draws is None:
            choice = np.argmax(p, axis=1)
        else:
            cs = np.cumsum(p, axis=1)
            hit = draws[bb, kk][:, None] <= cs
            choice = np.where(hit.any(axis=1), np.argmax(hit, axis=1), m - 1)
        g = np.take_along_axis(opt_g, choice[:, None], 1)[:, 0]
        moved = g >= 0
        bm, km, gm = bb[moved], kk[moved], g[moved]
        is_init = g_init[bm, gm] == km
        new_pos[bm, km] = np.where(is_init[:, None], g_pi[bm, gm], g_pj[bm, gm])
    return new_pos


def _bargain_values(
    u_init: FloatArray,
    u_rcvr: FloatArray,
    own_t: FloatArray,
    g_init: IntArray,
    g_rcvr: IntArray,
    ar: IntArray,
    n: int,
) -> FloatArray:
    """[E11] ``val_b[b, g, a]``: the mean over actors of a's utility after bargain g."""
    bsz, n_g, _ = u_init.shape
    # terms[b, :, g, a]: uInit, uRcvr, then own[a, n] for n in order, 0 for init and rcvr
    terms = np.empty((bsz, n + 2, n_g, n))
    terms[:, 0] = u_init
    terms[:, 1] = u_rcvr
    keep = (ar[None, :, None] != g_init[:, None, :]) & (ar[None, :, None] != g_rcvr[:, None, :])
    np.multiply(own_t[:, :, None, :], keep[:, :, :, None], out=terms[:, 2:])
    out: FloatArray = _seqsum(terms, axis=1) / n  # (B, g, a)
    return out


def _new_ideals(ideal: FloatArray, pos: FloatArray, acc: FloatArray | None) -> FloatArray:
    """[E12] ``SMPState::newIdeals``."""
    if acc is None:
        return pos.copy()
    terms = np.swapaxes(acc, 1, 2)[:, :, :, None] * pos[:, :, None, :]  # [b, j, i, d]
    new = _seqsum(np.ascontiguousarray(terms), axis=1)  # (B, i, D)
    si = np.minimum(_seqsum(np.ascontiguousarray(np.swapaxes(acc, 1, 2)), axis=1), 1.0)
    out: FloatArray = new + (1.0 - si)[:, :, None] * ideal
    return out


def _state_dist(p1: FloatArray, p2: FloatArray) -> FloatArray:
    """``SMPModel::stateDist``: sum over actors of the Euclidean distance moved."""
    n_dims = p1.shape[-1]
    norms = np.sqrt(_sqsum_dims(lambda k: p1[..., k] - p2[..., k], n_dims))
    return _seqsum(norms)


# ---------------------------------------------------------------------------------------------
# The run


def _accommodation(opts: SMPOptions, bsz: int, n: int) -> FloatArray | None:
    """The ideal-accommodation matrix of [E12] from the ``IdealAdjustment`` option."""
    ia = opts.ideal_adjustment
    if ia is None or (isinstance(ia, Sequence) and not isinstance(ia, str) and len(ia) == 0):
        return None
    if isinstance(ia, np.ndarray) or (
        isinstance(ia, Sequence) and not isinstance(ia, str) and not isinstance(ia[0], Mapping)
    ):
        a = np.asarray(ia, dtype=np.float64)
        if a.shape == (n, n):
            a = np.broadcast_to(a, (bsz, n, n))
        if a.shape != (bsz, n, n):
            raise ValueError(
                f"option IdealAdjustment: a matrix must be ({n}, {n}) or ({bsz}, {n}, {n}), "
                f"got {a.shape}"
            )
    elif isinstance(ia, Sequence) and not isinstance(ia, str):
        mat = np.eye(n)
        names = opts.actor_ids

        def index(v: object) -> int:
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                k = int(v)
            elif names is not None and str(v) in names:
                k = names.index(str(v))
            else:
                raise ValueError(
                    f"option IdealAdjustment: actor {v!r} is not an index and not in actor_ids"
                    + ("" if names is not None else " (pass actor_ids to use names)")
                )
            if not 0 <= k < n:
                raise ValueError(f"option IdealAdjustment: actor index {k} out of range")
            return k

        for pair in ia:
            if not isinstance(pair, Mapping):
                raise ValueError("option IdealAdjustment: pairs must be mappings")
            try:
                i = index(pair.get("adjusting", pair.get("adjustingIdeal")))
                j = index(pair.get("reference", pair.get("referencePos")))
                mat[i, j] = float(pair["adjust"])
            except KeyError:
                raise ValueError(
                    "option IdealAdjustment: each pair needs adjusting, reference and adjust"
                ) from None
        a = np.broadcast_to(mat, (bsz, n, n))
    else:
        raise ValueError("option IdealAdjustment: give an (n, n) matrix or a list of pairs")
    if np.any(a < 0) or np.any(a > 1) or np.any(a.sum(axis=2) > 1.0 + 1e-10):
        raise ValueError(
            "option IdealAdjustment: entries must be in [0, 1] with row sums at most 1"
        )
    if np.all(a == np.eye(n)):
        return None
    return np.array(a)


def _run_chunk(
    x: FloatArray,
    st: _Static,
    opts: SMPOptions,
    seeds: NDArray[np.uint64] | None,
    block: int,
) -> tuple[list[FloatArray], list[FloatArray], FloatArray, IntArray]:
    """Run the members of one chunk to their stops: (positions, win probs, forecast, steps)."""
    bsz, n, _ = x.shape
    pos = x.copy()
    ideal = x.copy()
    u, r, _ = _utilities(pos, ideal, st, opts)
    wp, fc = _win_prob(_own_utils(u, opts), pos, st, opts)
    hist = [pos.copy()]
    hist_wp = [wp]
    forecast = fc
    steps = np.zeros(bsz, dtype=np.int64)
    d01 = np.zeros(bsz)
    active = np.arange(bsz)
    # per active member: current positions, ideals, U, R
    cur_pos, cur_ideal, cur_u, cur_r = pos, ideal, u, r
    t = 0
    while active.size:
        t += 1
        sub = _Static(
            st.sal[active],
            st.ssq[active],
            st.sig[active],
            st.cap[active],
            st.wch[active],
            None if st.acc is None else st.acc[active],
        )
        draws = None if seeds is None else _draws(seeds[active], t, n)
        new_pos = _bcn(cur_pos, cur_ideal, cur_u, cur_r, sub, opts, draws, block)
        new_ideal = _new_ideals(cur_ideal, new_pos, sub.acc)
        new_u, new_r, _ = _utilities(new_pos, new_ideal, sub, opts)
        own = _own_utils(new_u, opts)
        wp_a, fc_a = _win_prob(own, new_pos, sub, opts)
        full_pos = hist[-1].copy()
        full_pos[active] = new_pos
        full_wp = hist_wp[-1].copy()
        full_wp[active] = wp_a
        hist.append(full_pos)
        hist_wp.append(full_wp)
        forecast[active] = fc_a
        steps[active] = t
        dxy = _state_dist(new_pos, cur_pos)
        if t == 1:
            d01[active] = dxy + opts.min_sig_delta
        quiet = dxy / d01[active] < opts.stop_ratio
        done = (t >= opts.max_steps) | ((t >= opts.min_steps) & quiet)
        keep = ~done
        active = active[keep]
        if keep.all():  # no copies of the U tensor while every member runs
            cur_pos, cur_ideal, cur_u, cur_r = new_pos, new_ideal, new_u, new_r
        else:
            cur_pos, cur_ideal = new_pos[keep], new_ideal[keep]
            cur_u, cur_r = new_u[keep], new_r[keep]
    return hist, hist_wp, forecast, steps


def run_smp(
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    *,
    rng: np.random.Generator | None = None,
    **options: Any,
) -> EngineResult:
    """Run KTAB's SMP on a batch (see the module docstring for [E1]-[E14]).

    Parameters
    ----------
    x
        ``(B, n, D)`` positions on [0, 1] (KTAB's CSV positions / 100).
    s
        ``(B, n, D)`` saliences on [0, 1] (KTAB's CSV saliences / 100); each actor's saliences
        must sum to a value in (0, 1].
    c
        ``(B, n)`` capabilities (KTAB's "power"/"influence"), positive.
    rng
        Used only with ``StateTransitions="Stochastic"``: one 63-bit seed per member is drawn
        from it, and the member's uniforms are SplitMix64 hashes of (seed, step, actor), so
        results do not depend on how the batch is chunked. If None, ``prngSeed`` seeds
        ``numpy.random.default_rng`` (KTAB's own PRNG stream is not reproduced).
    **options
        KTAB's model parameters and the engine's interpretive choices, in KTAB's CamelCase
        or in snake_case; see :func:`parse_options` and ``docs/smp.md``.

    Returns
    -------
    EngineResult
        ``positions`` ``(B, T+1, n, D)``, ``forecast`` ``(B, D)`` (our choice: the expected
        position of the win-probability election [E14] over the final state's distinct
        positions), ``steps`` T, ``member_steps`` and ``extras["win_prob"]`` ``(B, T+1, n)``:
        each actor's probability that its position wins, as ``smpc`` prints it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.1], [0.5], [0.9]]]); s = np.full((1, 3, 1), 0.8)
    >>> res = run_smp(x, s, np.array([[10.0, 20.0, 30.0]]))
    >>> res.positions.shape[0], res.positions.shape[2:], int(res.member_steps[0]) == res.steps
    (1, (3, 1), True)
    """
    opts = parse_options(options)
    if opts.kernels == "numba" and not _numba_available():
        warnings.warn(
            "smp: Kernels='numba' needs numba (pip install 'factions[fast]'); "
            "running the NumPy kernels instead (same results, slower)",
            RuntimeWarning,
            stacklevel=2,
        )
        opts = dataclasses.replace(opts, kernels="numpy")
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    if x.ndim != 3 or s.shape != x.shape or c.shape != x.shape[:2]:
        raise ValueError(
            f"smp: expected x, s of shape (B, n, D) and c of shape (B, n); got {x.shape}, "
            f"{s.shape}, {c.shape}"
        )
    bsz, n, n_dims = x.shape
    if n < 2 or n_dims < 1:
        raise ValueError("smp: needs at least 2 actors and 1 dimension")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(s)) and np.all(np.isfinite(c))):
        raise ValueError("smp: positions, saliences and capabilities must be finite")
    if np.any(x < 0) or np.any(x > 1):
        raise ValueError("smp: positions must lie in [0, 1]")
    if np.any(s < 0) or np.any(s > 1):
        raise ValueError("smp: saliences must lie in [0, 1]")
    if np.any(c <= 0):
        raise ValueError("smp: capabilities must be positive (KTAB's Model::vote requires it)")
    sig = _seqsum(s.copy())
    if np.any(sig <= 0) or np.any(sig > 1 + 1e-9):
        raise ValueError("smp: each actor's saliences must sum to a value in (0, 1]")
    acc = _accommodation(opts, bsz, n)
    seeds: NDArray[np.uint64] | None = None
    if opts.state_transitions == "stochastic":
        if rng is None:
            rng = np.random.default_rng(opts.prng_seed)
        seeds = np.asarray(rng.integers(0, 2**63, size=bsz, dtype=np.uint64), dtype=np.uint64)
    ssq = _sqsum_dims(lambda k: s[..., k], n_dims)
    st_all = _Static(s, ssq, sig, c, sig * c, acc)
    # memory: about 24 arrays of n^3 doubles per member
    per_member = 24 * 8 * float(n) ** 3 + 1.0
    budget = opts.max_memory_mb * 1e6
    chunk = max(1, int(budget // per_member))
    block = n if chunk > 1 else max(1, int(budget // (24 * 8 * float(n) ** 2)))
    chunk = min(chunk, bsz)
    pieces = []
    for lo in range(0, bsz, chunk):
        sl = slice(lo, min(bsz, lo + chunk))
        st = _Static(
            s[sl], ssq[sl], sig[sl], c[sl], st_all.wch[sl], None if acc is None else acc[sl]
        )
        pieces.append(
            _run_chunk(x[sl], st, opts, None if seeds is None else seeds[sl], min(block, n))
        )
    t_max = max(len(p[0]) for p in pieces) - 1
    positions = np.empty((bsz, t_max + 1, n, n_dims))
    win = np.empty((bsz, t_max + 1, n))
    forecast = np.empty((bsz, n_dims))
    member_steps = np.empty(bsz, dtype=np.int64)
    lo = 0
    for hist, hist_wp, fc, steps in pieces:
        hi = lo + fc.shape[0]
        for t in range(t_max + 1):
            k = min(t, len(hist) - 1)
            positions[lo:hi, t] = hist[k]
            win[lo:hi, t] = hist_wp[k]
        forecast[lo:hi] = fc
        member_steps[lo:hi] = steps
        lo = hi
    return EngineResult(
        positions=positions,
        forecast=forecast,
        steps=int(t_max),
        member_steps=member_steps,
        extras={"win_prob": win},
    )


SMP = register(
    EngineSpec(
        name="smp",
        title="KTAB Spatial Model of Politics (challenges, bargains, probabilistic Condorcet "
        "elections)",
        citation="KTAB, the KAPSARC Toolkit for Behavioral Analysis (github.com/lsyaseen/KTAB, "
        "MIT): examples/smp/libsrc/smp.cpp, smpbcn.cpp and KTAB/kmodel/libsrc/kmodel.cpp; "
        "KAPSARC (2019), KTAB SMP user guide v1.4",
        run=run_smp,
        stochastic=True,
        options=dict(DEFAULTS),
        rounds_option="max_steps",
        salience_budget=True,
    )
)
