"""The smp engine's NumPy kernels against its fused Numba kernels (and a JAX trial).

Run: ``.venv/bin/python benchmarks/bench_smp_kernels.py [--repeat 5]``. Prints Markdown with
the machine and the load average. Everything single-threaded (``threadpoolctl`` limits BLAS to
one thread; the Numba kernels are compiled without ``parallel=True``). Measured:

- one run of KTAB's dummyData-a080 and dummyData-a160, and SOE-Pol-Comp as a batch of 1,000
  perturbed members, with ``kernels="numpy"`` and ``kernels="numba"``: warm, in-process,
  the two alternating, median of ``--repeat``; each pair checked bit for bit (positions, win
  probabilities, forecast);
- the first call in a fresh process (a080), with Numba's on-disk cache cold (an empty
  ``NUMBA_CACHE_DIR``: the kernels are compiled) and warm (loaded from that cache), and the
  import time of numba itself;
- a trial of the same fused challenge pass [E8] in JAX (``jax.jit``, ``lax.fori_loop`` over
  the third parties, 64-bit) on a160's first state: its compile time, warm time and whether
  it equals the NumPy pass bit for bit (defaults only: Proportional, SemiCommit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import load, machine
from bench_engines import DATA, batch, single
from threadpoolctl import threadpool_limits

from factions.engines import smp
from factions.scenario.arrays import to_arrays
from factions.scenario.io import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def cases() -> dict[str, tuple[np.ndarray, ...]]:
    out = {}
    for name in ("dummyData-a080", "dummyData-a160"):
        out[f"{name}, one run"] = single(to_arrays(load_scenario(DATA / f"{name}.csv")))
    out["SOE-Pol-Comp, 1,000 members"] = batch(to_arrays(load_scenario("soe-reform")), 1000)
    return out


def same(a: Any, b: Any) -> bool:
    return bool(
        np.array_equal(a.positions, b.positions)
        and np.array_equal(a.extras["win_prob"], b.extras["win_prob"])
        and np.array_equal(a.forecast, b.forecast)
    )


def warm(repeat: int) -> list[str]:
    rows = ["| case | NumPy (s) | Numba (s) | speed-up | bit-identical |", "|---|---|---|---|---|"]
    for label, (x, s, c) in cases().items():
        ref = smp.run_smp(x, s, c)
        fused = smp.run_smp(x, s, c, kernels="numba")  # loads / compiles the kernels
        times: dict[str, list[float]] = {"numpy": [], "numba": []}
        for _ in range(repeat):
            for k in times:
                t0 = time.perf_counter()
                smp.run_smp(x, s, c, kernels=k)
                times[k].append(time.perf_counter() - t0)
        tn, tb = statistics.median(times["numpy"]), statistics.median(times["numba"])
        rows.append(f"| {label} | {tn:.3f} | {tb:.3f} | {tn / tb:.1f}x | {same(ref, fused)} |")
    return rows


_FIRST = """
import sys, time
t0 = time.perf_counter()
import numba
t_numba = time.perf_counter() - t0
sys.path.insert(0, {bench!r})
from bench_engines import DATA, single
from threadpoolctl import threadpool_limits
from factions.engines.smp import run_smp
from factions.scenario.arrays import to_arrays
from factions.scenario.io import load_scenario
x, s, c = single(to_arrays(load_scenario(DATA / "dummyData-a080.csv")))
with threadpool_limits(1):
    t0 = time.perf_counter(); run_smp(x, s, c, kernels="numba"); t1 = time.perf_counter() - t0
    t0 = time.perf_counter(); run_smp(x, s, c, kernels="numba"); t2 = time.perf_counter() - t0
print(t_numba, t1, t2)
"""


def first_call() -> list[str]:
    code = _FIRST.format(bench=str(Path(__file__).resolve().parent))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    rows = [
        "| dummyData-a080, fresh process | import numba (s) | first call (s) | second call (s) |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        for label in ("cache cold (compiles)", "cache warm"):
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            t_numba, t1, t2 = (float(v) for v in out.stdout.split())
            rows.append(f"| {label} | {t_numba:.2f} | {t1:.2f} | {t2:.3f} |")
    return rows


def jax_trial(repeat: int) -> list[str]:
    try:
        import jax
    except ImportError:
        return ["JAX not installed: no trial."]
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    x, s, c = single(to_arrays(load_scenario(DATA / "dummyData-a160.csv")))
    opts = smp.parse_options({})
    sig = smp._seqsum(s.copy())
    st = smp._Static(s, smp._sqsum_dims(lambda k: s[..., k], s.shape[2]), sig, c, sig * c, None)
    u, _, _ = smp._utilities(x, x.copy(), st, opts)
    uf, _, _ = smp._utilities(x, x.copy(), st, smp.parse_options({"kernels": "numba"}))
    n = x.shape[1]
    ar = np.arange(n)

    def bs(d: Any, r: Any) -> Any:
        one_m = 1.0 - d
        return jnp.where(d <= 1.0, one_m * (1.0 + d * r), one_m * (1.0 + r))

    def chl(d: Any, rh: Any, wch: Any, sig: Any) -> tuple[Any, Any]:
        i = jnp.arange(n)
        uii = bs(jnp.diagonal(d), jnp.diagonal(rh))[:, None]
        uij = bs(d, jnp.diagonal(rh)[:, None])
        uji = bs(d.T, rh)
        ujj = bs(jnp.diagonal(d)[None, :], rh)
        ci = wch[:, None] * (uii - uij)
        cj = wch[None, :] * (uji - ujj)
        chij = (1e-10 + jnp.maximum(ci, 0.0)) + jnp.maximum(cj, 0.0)
        chji = (1e-10 - jnp.minimum(ci, 0.0)) - jnp.minimum(cj, 0.0)

        def body(t: Any, acc: tuple[Any, Any]) -> tuple[Any, Any]:
            cij, cji = acc
            rt = rh[:, t][:, None]
            uni = bs(d[t][:, None], rt)
            unn = bs(d[t, t], rt)
            unj = bs(d[t][None, :], rt)
            wn = wch[t]
            cn = wn * (uni - unj)
            cni = jnp.maximum(cn, 0.0) + chij
            cnj = chji - jnp.minimum(cn, 0.0)
            pin = cni / (cni + cnj)
            pjn = 1.0 - pin
            u_ik_j = pin * ((uni + uni) + unn) + (unj * 3.0) * pjn
            u_i_jk = pin * (3.0 * uni) + ((unj * 2.0) + unn) * pjn
            vn = (u_ik_j - u_i_jk) * wn
            vn = jnp.where((i[:, None] != t) & (i[None, :] != t), vn, 0.0)
            return cij + jnp.maximum(vn, 0.0), cji + jnp.maximum(-vn, 0.0)

        cij, cji = lax.fori_loop(0, n, body, (chij, chji))
        tot = cij + cji
        ph, pj = cij / tot, cji / tot
        eu_vict, eu_def, eu_sq = uii + uii, uij + uij, uii + uij
        eu_c = ph * eu_vict + pj * eu_def
        return ph, ((1.0 - sig[None, :]) * eu_vict + sig[None, :] * eu_c) - eu_sq

    f = jax.jit(chl)
    args = [jnp.asarray(v) for v in (uf[0, 0], uf[0, 1], st.wch[0], st.sig[0])]
    t0 = time.perf_counter()
    ph, ed = (np.asarray(v) for v in f(*args))
    t_compile = time.perf_counter() - t0
    tj = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        tj.append(time.perf_counter() - t0)
    # the NumPy reference pass (what _bcn computes) and the Numba kernel
    own = np.diagonal(u, axis1=1, axis2=2).swapaxes(1, 2)
    uji = np.swapaxes(np.diagonal(u, axis1=1, axis2=3), 1, 2)
    ujj = np.diagonal(u, axis1=2, axis2=3)
    uii = np.diagonal(own, axis1=1, axis2=2)
    keep = (~(ar[:, None, None] == ar[None, :, None]) & ~(ar[None, :, None] == ar)).astype(float)
    tn = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ref_ph, ref_ed = smp._prob_edu(
            opts,
            wch=st.wch[:, None, :, None],
            sig_j=st.sig[:, None, :],
            w_i=st.wch[:, :, None],
            w_j=st.wch[:, None, :],
            uii=uii[:, :, None],
            uij=own,
            uji=uji,
            ujj=ujj,
            uki=uii[:, :, None],
            ukj=own,
            uni=uji[:, :, :, None],
            unj=u,
            unn=ujj[:, :, :, None],
            keep=keep[None],
            axis=2,
        )
        tn.append(time.perf_counter() - t0)
    nb = smp._numba()
    tb = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        b_ph, b_ed = nb.challenges(uf, st.wch, st.sig, 0, 0)
        tb.append(time.perf_counter() - t0)
    jax_same = np.array_equal(ph, ref_ph[0]) and np.array_equal(ed, ref_ed[0])
    nb_same = np.array_equal(b_ph, ref_ph) and np.array_equal(b_ed, ref_ed)
    off = ~np.eye(n, dtype=bool)  # the diagonal (i = j) is no contest and is never used
    d_ph = float(np.max(np.abs(ph - ref_ph[0])[off]))
    d_ed = float(np.max(np.abs(ed - ref_ed[0])[off]))
    return [
        "| challenge pass [E8], a160 first state | compile (s) | warm (s) | bit-identical |",
        "|---|---|---|---|",
        f"| NumPy (one pass per operation) | - | {statistics.median(tn):.4f} | reference |",
        f"| Numba (fused) | - | {statistics.median(tb):.4f} | {nb_same} |",
        f"| JAX {jax.__version__} (fused, fori_loop) | {t_compile:.2f} | "
        f"{statistics.median(tj):.4f} | {jax_same} (off the diagonal: phi up to {d_ph:.1e}, "
        f"gain up to {d_ed:.1e}) |",
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    m = machine()
    before = load()
    with threadpool_limits(limits=1):
        rows = warm(args.repeat)
        trial = jax_trial(args.repeat)
    first = first_call()
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; Python {m['python']}, "
        f"NumPy {m['numpy']}; load average before {before}, after {load()}.",
        "",
        *rows,
        "",
        *first,
        "",
        *trial,
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
