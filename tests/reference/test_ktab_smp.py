"""The ``smp`` engine against KTAB's own Spatial Model of Politics.

Provenance of the reference outputs (``tests/data/ktab/*.history.txt``): KTAB's command-line
program ``smpc`` (KTAB, public fork ``lsyaseen/KTAB``, ``examples/smp``; MIT licence, see
``tests/data/ktab/LICENSE-KTAB.txt``) run as ``smpc --logmin --csv FILE`` with its default
parameters (VictoryProbModel Linear, VotingRule Proportional, PCEModel Conditional,
StateTransitions Deterministic, BigRRange Mid, BigRAdjust OneThird, ThirdPartyCommit
SemiCommit, InterVecBrgn S2P2, BargnModel InitOnlyInterp) on the KTAB scenario files of the
same name (``examples/smp/doc/*.csv``). ``SMPModel::showVPHistory`` prints every actor's
position after every step as ``%5.1f`` of ``100 * position`` and each actor's win probability
per state as ``%.4f``; we compare with exactly that formatting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factions.engines import ENGINES
from factions.engines import smp as smp_mod
from factions.engines.smp import parse_options, run_smp
from factions.scenario.arrays import to_arrays
from factions.scenario.importers import import_ktab_xml
from factions.scenario.io import load_scenario

KTAB = Path(__file__).parent.parent / "data" / "ktab"

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]

_HAS_NUMBA = smp_mod._numba_available()
# The NumPy kernels are the reference; the fused Numba kernels must give the same bits.
KERNELS = [
    pytest.param("numpy", id="numpy"),
    pytest.param(
        "numba",
        id="numba",
        marks=pytest.mark.skipif(not _HAS_NUMBA, reason="numba not installed (extra 'fast')"),
    ),
]


def _load(name: str) -> Arrays:
    a = to_arrays(load_scenario(KTAB / f"{name}.csv"))
    return a.to_unit(a.positions)[None], a.salience[None], a.capability[None], a.actor_ids


def _parse_history(path: Path) -> tuple[int, list[str], list[list[list[str]]], list[list[str]]]:
    """(steps, actor names, positions[actor][dim][state], win probs[actor][state]) as printed."""
    lines = path.read_text().splitlines()
    m = re.match(r"There were (\d+) states, with (\d+) steps between them", lines[0])
    assert m, lines[0]
    steps = int(m.group(2))
    names: list[str] = []
    pos: dict[str, list[list[str]]] = {}
    prob: dict[str, list[str]] = {}
    mode = ""
    for line in lines[1:]:
        if line.startswith("History of actor positions"):
            mode = "pos"
        elif line.startswith("History of actors' winning"):
            mode = "prob"
        elif mode and ":" in line and "," in line:
            head, values = line.rsplit(":", 1)
            name = head.split(",")[0].strip()
            if mode == "pos":
                if name not in pos:
                    names.append(name)
                pos.setdefault(name, []).append(values.split())
            else:
                prob[name] = values.split()
    return steps, names, [pos[k] for k in names], [prob[k] for k in names]


# name, KTAB's steps (first line of the history file)
CASES = [
    ("SOE-Pol-Comp", 27),
    ("SOE-Policy", 19),
    ("dummyData_3Dim", 10),
    ("dummyData-a080", 17),
]


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize(("name", "ktab_steps"), CASES)
def test_reproduces_ktab_history(name: str, ktab_steps: int, kernels: str) -> None:
    x, s, c, ids = _load(name)
    steps, names, pos, prob = _parse_history(KTAB / f"{name}.history.txt")
    assert steps == ktab_steps
    assert names == list(ids)
    res = run_smp(x, s, c, kernels=kernels)
    assert res.steps == steps
    assert int(res.member_steps[0]) == steps  # type: ignore[index]
    p = res.positions[0]  # (T+1, n, D)
    assert p.shape == (steps + 1, len(ids), x.shape[2])
    worst = 0.0
    for i in range(len(ids)):
        for d in range(x.shape[2]):
            printed = pos[i][d]
            assert len(printed) == steps + 1
            ours = [f"{100.0 * v:.1f}" for v in p[:, i, d]]
            assert ours == printed, (ids[i], d)
            worst = max(worst, float(np.max(np.abs(100.0 * p[:, i, d] - np.array(printed, float)))))
    assert worst <= 0.05 + 1e-9
    wp = res.extras["win_prob"][0]
    for i in range(len(ids)):
        assert [f"{v:.4f}" for v in wp[:, i]] == prob[i], ids[i]


# Inputs shipped with KTAB whose outputs we do not have: the run must be clean.
CLEAN = [
    pytest.param("SOE-Competitive", None, id="SOE-Competitive"),
    # 29 steps: the KTAB run reported in the shared reference README (smpc, defaults)
    pytest.param("dummyData_6Dim", 29, id="dummyData_6Dim"),
    pytest.param("dummyData-a040", None, id="dummyData-a040"),
    pytest.param("dummyData-a160", None, id="dummyData-a160"),  # about 1.5 s
]


def _assert_clean(res: Any, n: int, d: int) -> None:
    p = res.positions
    assert p.shape[1:] == (res.steps + 1, n, d)
    assert np.all(np.isfinite(p))
    assert p.min() >= 0.0
    assert p.max() <= 1.0
    assert 1 <= res.steps <= 100
    wp = res.extras["win_prob"]
    assert wp.shape == p.shape[:3]
    assert np.all(np.isfinite(wp))
    assert np.all((wp >= 0) & (wp <= 1 + 1e-12))
    assert np.all(np.isfinite(res.forecast))
    # a member that stopped early repeats its final state
    for b, t in enumerate(res.member_steps):
        assert np.array_equal(p[b, t:], np.broadcast_to(p[b, t], p[b, t:].shape))


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize(("name", "steps"), CLEAN)
def test_other_ktab_inputs_run_cleanly(name: str, steps: int | None, kernels: str) -> None:
    x, s, c, _ = _load(name)
    res = run_smp(x, s, c, kernels=kernels)
    _assert_clean(res, x.shape[1], x.shape[2])
    if steps is not None:
        assert res.steps == steps


def _smp_example() -> tuple[Arrays, dict[str, Any]]:
    text = (KTAB / "smpExample.xml").read_text("utf-8-sig")
    text = text.replace("<dCoord></dCoord>", "<dCoord>12.5</dCoord>", 1)
    scen = import_ktab_xml(text)
    a = to_arrays(scen)
    arrays = (a.to_unit(a.positions)[None], a.salience[None], a.capability[None], a.actor_ids)
    return arrays, dict(scen.options["smp"])


@pytest.mark.parametrize("kernels", KERNELS)
def test_smp_example_xml_runs_with_its_options(kernels: str) -> None:
    # KTAB's smpExample.xml: MarkovIncentive, Stochastic, PropCbc, an IdealAdjustment matrix
    (x, s, c, ids), opts = _smp_example()
    opts["Kernels"] = kernels
    assert opts["StateTransitions"] == "Stochastic"
    res = run_smp(x, s, c, actor_ids=ids, **opts)  # seeded by its prngSeed
    _assert_clean(res, 5, 3)
    again = run_smp(x, s, c, actor_ids=ids, **opts)
    assert np.array_equal(res.positions, again.positions)
    # ideals start at the positions, then lag them: the first step is the same as without
    # the adjustment, the run as a whole is not
    plain = {k: v for k, v in opts.items() if k != "IdealAdjustment"}
    other = run_smp(x, s, c, **plain)
    assert np.array_equal(res.positions[:, :2], other.positions[:, :2])
    t = min(res.steps, other.steps) + 1
    assert not np.array_equal(res.positions[:, :t], other.positions[:, :t])
    with pytest.raises(ValueError, match="actor_ids"):
        run_smp(x, s, c, **opts)


def _perturbed(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, s, c, _ = _load("SOE-Pol-Comp")
    rng = np.random.default_rng(seed)
    xb = np.clip(x + rng.normal(0, 0.05, (batch, *x.shape[1:])), 0, 1)
    sb = s * np.exp(rng.normal(0, 0.1, (batch, *s.shape[1:])))
    sb = sb / np.maximum(1, sb.sum(-1, keepdims=True))
    cb = c * np.exp(rng.normal(0, 0.1, (batch, *c.shape[1:])))
    return xb, sb, cb


@pytest.mark.parametrize("kernels", KERNELS)
def test_batch_equals_singles(kernels: str) -> None:
    xb, sb, cb = _perturbed(6)
    res = run_smp(xb, sb, cb, kernels=kernels)
    assert res.member_steps is not None
    assert res.steps == int(res.member_steps.max())
    for k in range(xb.shape[0]):
        one = run_smp(xb[k : k + 1], sb[k : k + 1], cb[k : k + 1], kernels=kernels)
        t = one.steps
        assert int(res.member_steps[k]) == t
        assert np.array_equal(res.positions[k, : t + 1], one.positions[0])
        assert np.array_equal(res.extras["win_prob"][k, : t + 1], one.extras["win_prob"][0])
        assert np.array_equal(res.forecast[k], one.forecast[0])
    # chunking the batch (a tiny memory bound) changes nothing
    small = run_smp(xb, sb, cb, max_memory_mb=0.01, kernels=kernels)
    assert np.array_equal(small.positions, res.positions)
    _assert_clean(res, xb.shape[1], xb.shape[2])


@pytest.mark.parametrize("kernels", KERNELS)
def test_stochastic_transitions_are_reproducible(kernels: str) -> None:
    xb, sb, cb = _perturbed(4, seed=1)

    def run(seed: int, **kw: Any) -> Any:
        return run_smp(xb, sb, cb, rng=np.random.default_rng(seed), kernels=kernels, **kw)

    a = run(7, StateTransitions="Stochastic")
    b = run(7, state_transitions="stochastic", max_memory_mb=0.01)
    assert np.array_equal(a.positions, b.positions)
    assert np.array_equal(a.member_steps, b.member_steps)  # type: ignore[arg-type]
    c = run(8, StateTransitions="Stochastic")
    det = run(7)
    assert not np.array_equal(a.positions, c.positions) or not np.array_equal(
        a.positions, det.positions
    )
    # prngSeed seeds the default generator when no rng is given
    d1 = run_smp(xb, sb, cb, StateTransitions="Stochastic", prngSeed="0042")
    d2 = run_smp(xb, sb, cb, StateTransitions="Stochastic", prng_seed=42)
    assert np.array_equal(d1.positions, d2.positions)


def test_options_in_both_spellings() -> None:
    x, s, c, _ = _load("dummyData_3Dim")
    camel = {
        "VictoryProbModel": "Square",
        "VotingRule": "PropBin",
        "PCEModel": "MarkovUniform",
        "BigRAdjust": "Half",
        "BigRRange": "Max",
        "ThirdPartyCommit": "FullCommit",
        "InterVecBrgn": "S1P1",
        "BargnModel": "PWCompInterp",
    }
    snake = {
        "victory_prob": "square",
        "voting_rule": "prop_bin",
        "pce_model": "markov_uniform",
        "big_r_adjust": "half",
        "big_r_range": "max",
        "third_party_commit": "full_commit",
        "inter_vec_brgn": "s1p1",
        "bargn_model": "pw_comp_interp",
    }
    a = run_smp(x, s, c, **camel)
    b = run_smp(x, s, c, **snake)
    assert np.array_equal(a.positions, b.positions)
    _assert_clean(a, x.shape[1], x.shape[2])
    # KTAB's own enum spellings ("Prop", "None") and the XML schema's ("Proportional", "No")
    assert parse_options({"VotingRule": "Prop"}) == parse_options({"VotingRule": "Proportional"})
    assert parse_options({"BigRAdjust": "No"}).big_r_adjust == "none"
    # the defaults are KTAB's
    explicit = {
        e.ktab: e.values[[v[0] for v in e.values].index(e.default)][1] for e in smp_mod._ENUMS
    }
    assert np.array_equal(run_smp(x, s, c, **explicit).positions, run_smp(x, s, c).positions)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("VotingRule", "Squared"),
        ("victory_prob", "cubic"),
        ("PCEModel", 3),
        ("ThirdPartyCommit", "Semi"),
        ("StateTransitions", "Random"),
    ],
)
def test_bad_option_value(option: str, value: Any) -> None:
    x, s, c, _ = _load("dummyData_3Dim")
    with pytest.raises(ValueError, match=rf"{option}.*allowed values"):
        run_smp(x, s, c, **{option: value})


def test_bad_option_name_and_numbers() -> None:
    x, s, c, _ = _load("dummyData_3Dim")
    with pytest.raises(ValueError, match=r"unknown smp option 'Bogus'.*VotingRule/voting_rule"):
        run_smp(x, s, c, Bogus=1)
    with pytest.raises(ValueError, match="given twice"):
        run_smp(x, s, c, VotingRule="Cubic", voting_rule="cubic")
    with pytest.raises(ValueError, match="max_steps"):
        run_smp(x, s, c, max_steps=0)
    with pytest.raises(ValueError, match="IdealAdjustment"):
        run_smp(x, s, c, IdealAdjustment=np.eye(3))
    with pytest.raises(ValueError, match="capabilities"):
        run_smp(x, s, np.zeros_like(c))


def test_every_option_value_runs_cleanly() -> None:
    x, s, c, _ = _load("SOE-Pol-Comp")
    for e in smp_mod._ENUMS:
        for _, ktab, _ in e.values:
            res = run_smp(x, s, c, rng=np.random.default_rng(3), **{e.ktab: ktab})
            _assert_clean(res, x.shape[1], x.shape[2])


@pytest.mark.skipif(not _HAS_NUMBA, reason="numba not installed (extra 'fast')")
def test_numba_kernels_equal_numpy_for_every_option_value() -> None:
    # every value of every model option (each voting rule, commitment, bargaining model, PCE,
    # victory model ...) on a perturbed batch: the fused kernels give the reference's bits
    xb, sb, cb = _perturbed(3, seed=4)
    for e in smp_mod._ENUMS:
        if e.snake == "kernels":
            continue
        for _, ktab, _ in e.values:
            kw = {e.ktab: ktab, "max_steps": 8}
            a = run_smp(xb, sb, cb, rng=np.random.default_rng(5), **kw)
            b = run_smp(xb, sb, cb, rng=np.random.default_rng(5), Kernels="Numba", **kw)
            assert np.array_equal(a.positions, b.positions), (e.ktab, ktab)
            assert np.array_equal(a.extras["win_prob"], b.extras["win_prob"]), (e.ktab, ktab)
            assert np.array_equal(a.forecast, b.forecast), (e.ktab, ktab)


def test_numba_kernels_fall_back_to_numpy_with_a_warning(monkeypatch: Any) -> None:
    x, s, c, _ = _load("dummyData_3Dim")
    monkeypatch.setattr(smp_mod, "_numba_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="needs numba"):
        res = run_smp(x, s, c, kernels="numba")
    assert np.array_equal(res.positions, run_smp(x, s, c).positions)


def test_max_steps_caps_the_run() -> None:
    x, s, c, _ = _load("SOE-Pol-Comp")
    res = run_smp(x, s, c, max_steps=5)
    assert res.steps == 5
    full = run_smp(x, s, c)
    assert np.array_equal(res.positions, full.positions[:, :6])


def test_sequential_sums_keep_ktab_order() -> None:
    # KTAB adds in index order; the engine relies on NumPy reductions doing so too.
    rng = np.random.default_rng(5)
    for shape, axis in [((4, 50, 3), 1), ((2, 3, 40, 7), 2), ((5, 33), 1), ((6, 9, 1), 1)]:
        t = rng.standard_normal(shape) * 10.0 ** rng.integers(-10, 10, shape)
        tm = np.moveaxis(t, axis, 0)
        ref = 0.5 + tm[0]
        for k in range(1, tm.shape[0]):
            ref = ref + tm[k]
        assert np.array_equal(smp_mod._seqsum(t.copy(), 0.5, axis=axis), ref)


def test_engine_is_registered() -> None:
    spec = ENGINES["smp"]
    assert spec.run is run_smp
    assert spec.stochastic
    assert spec.options["voting_rule"] == "proportional"
    assert spec.options["max_steps"] == 100


@pytest.mark.parametrize("kernels", KERNELS)
def test_cli_json_reproduces_soe_pol_comp(kernels: str) -> None:
    """``factions run SOE-Pol-Comp.csv --model smp --json`` prints KTAB's trajectory."""
    import json

    from typer.testing import CliRunner

    from factions.cli import app

    csv = str(KTAB / "SOE-Pol-Comp.csv")
    r = CliRunner().invoke(app, ["run", csv, "--model", "smp", "--json", "--kernels", kernels])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    steps, names, pos, _ = _parse_history(KTAB / "SOE-Pol-Comp.history.txt")
    assert data["steps"] == steps
    issues = list(data["issues"])
    for a, name in enumerate(names):
        for d, issue in enumerate(issues):
            ours = [f"{v:5.1f}".strip() for v in data["issues"][issue]["positions"][name]]
            assert ours == pos[a][d], (name, issue)


def test_cli_numba_kernels_are_for_smp_only() -> None:
    from typer.testing import CliRunner

    from factions.cli import app

    r = CliRunner().invoke(app, ["run", "soe-reform", "--model", "eum", "--kernels", "numba"])
    assert r.exit_code == 2
    assert "--kernels" in r.output
    assert "smp model only" in r.output
