"""Every performance figure of docs/benchmarks.md, measured side by side in one run.

Run: ``.venv/bin/python benchmarks/bench_all.py [--repeat 3] [--max-members 1000000]
[--write docs/benchmarks.md]``. Without ``--write`` it prints the Markdown; with it, it
rewrites the file. The machine (CPU model, cores, memory) and the load average before and
after are read from the system, not written by hand: timings on a shared machine vary, so
read them with the load they were measured under.

What it measures (each ensemble and CLI figure in a fresh Python process):

- engines: smp on KTAB's dummyData-a080 and -a160 (one run each), smp on SOE-Pol-Comp as a
  batch of 1,000 perturbed members (each with NumPy and, when numba is installed, with the
  fused Numba kernels; see also bench_smp_kernels.py), eum on emission-standards as 10,000
  perturbed members with NumPy and with JAX kernels (when JAX is installed); alternating,
  median of ``--repeat``;
- CLI start-up: ``factions --version`` and ``factions scenarios``, and a whole
  ``factions run iraq-2008`` (median of 5, wall and CPU time);
- ensembles of iraq-2008 (model ``mean``) from 1,000 to ``--max-members`` members (up
  to 100,000 with ``local`` and with ``processes`` and ``dask`` on 2 workers, then
  ``processes`` on 2 workers; ten million without the series): wall time, members per
  second, CPU time, the peak resident memory of the whole process tree
  (coordinator and workers, sampled every 50 ms) and the disk used;
- 2-worker efficiency ``t(1 worker) / (2 t(2 workers))`` of ``factions ensemble`` (and, at the
  first size, of ``run_ensemble`` called from a script) at ``--efficiency-members``
  members (default 20,000; a comma-separated list measures several sizes) for the
  ``processes`` and ``dask`` backends, end to end (process start, sampling, chunks,
  aggregation), the 1- and 2-worker runs alternating, median of ``--repeat``;
- sensitivity (PRCC, 1,000 members) end to end through the CLI;
- the other benchmark scripts of this folder, each run once in a fresh process and its
  Markdown output included as it printed it: ``bench_steps.py`` (where a chunk of the shipped
  scenario spends its time), ``bench_bounded.py`` (ten years of the bounded steps),
  ``bench_smp_kernels.py`` (NumPy against the fused Numba kernels), ``bench_backtest.py``
  and ``bench_calibrate.py``.

With ``--write``, the page's hand-written part (from the line ``## Reading these figures``
on) is kept as it is; everything above it is replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import load, machine  # noqa: E402

TMP = Path(os.environ.get("FACTIONS_BENCH_TMP", tempfile.gettempdir()))


def median_alternating(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Any]:
    """Run the functions in turn ``repeat`` times; the median of each one's result (a
    number, or a tuple of numbers, each taken separately)."""
    times: dict[str, list[Any]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            times[k].append(fn())
    out: dict[str, Any] = {}
    for k, v in times.items():
        if isinstance(v[0], tuple):
            out[k] = tuple(statistics.median(x) for x in zip(*v, strict=True))
        else:
            out[k] = statistics.median(v)
    return out


# --- engines ---------------------------------------------------------------------------


def engines(repeat: int) -> list[tuple[str, tuple[float, float]]]:
    import numpy as np
    from bench_engines import DATA, batch, single

    from factions.engines import ENGINES
    from factions.scenario.arrays import to_arrays
    from factions.scenario.io import load_scenario

    def clock(fn: Callable[[], object]) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            return time.perf_counter() - t0, time.process_time() - c0

        return run

    from threadpoolctl import threadpool_limits

    smp, eum = ENGINES["smp"].run, ENGINES["eum"].run
    fns: dict[str, Callable[[], tuple[float, float]]] = {}
    for name in ("dummyData-a080", "dummyData-a160"):
        x, s, c = single(to_arrays(load_scenario(DATA / f"{name}.csv")))
        fns[f"smp, {name}, one run"] = clock(lambda x=x, s=s, c=c: smp(x, s, c))
    xs, ss, cs = batch(to_arrays(load_scenario("soe-reform")), 1000)
    fns["smp, SOE-Pol-Comp, 1,000 members"] = clock(lambda: smp(xs, ss, cs))
    from factions.engines.smp import _numba_available

    if _numba_available():  # the fused kernels (bit-identical); compiled or loaded first
        for name in ("dummyData-a080", "dummyData-a160"):
            x, s, c = single(to_arrays(load_scenario(DATA / f"{name}.csv")))
            smp(x, s, c, kernels="numba")
            fns[f"smp, {name}, one run, Numba"] = clock(
                lambda x=x, s=s, c=c: smp(x, s, c, kernels="numba")
            )
        fns["smp, SOE-Pol-Comp, 1,000 members, Numba"] = clock(
            lambda: smp(xs, ss, cs, kernels="numba")
        )
    xe, se, ce = batch(to_arrays(load_scenario("emission-standards")), 10_000)
    fns["eum, emission-standards, 10,000 members, NumPy"] = clock(lambda: eum(xe, se, ce))
    try:
        import jax

        eum(xe, se, ce, kernels="jax")  # compile once: the timing is of compiled kernels
        device = jax.devices()[0].platform
        label = f"eum, emission-standards, 10,000 members, JAX {jax.__version__} ({device})"
        fns[label] = clock(lambda: eum(xe, se, ce, kernels="jax"))
    except ImportError:
        pass
    with threadpool_limits(limits=1):  # single-threaded, as the targets are stated
        res = median_alternating(fns, repeat)
    del np
    return list(res.items())


# --- processes: wall time, CPU time, peak memory of the tree ----------------------------


def measured(
    cmd: list[str], env: dict[str, str] | None = None, memory: bool = True
) -> dict[str, Any]:
    """Run ``cmd``; its wall time, CPU time, the peak resident memory summed over its
    process tree (proportional set size, so shared pages count once), its stdout.

    With ``memory=False`` the tree's memory is not sampled (peaks read 0): reading every
    process's PSS 20 times a second took 10-15 % of a core, CPU that a run with as many
    workers as cores has to give up and a 1-worker run does not (it biased efficiencies).
    """
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})  # fmt: skip
    peak = peak_root = 0
    root = psutil.Process(proc.pid)
    while memory and proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    # PSS: pages shared between the coordinator and forked workers are
                    # counted once across the tree (RSS would count them in each).
                    rss = getattr(p.memory_full_info(), "pss", 0) or p.memory_info().rss
                    total += rss
                    if p is root:
                        peak_root = max(peak_root, rss)
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall": wall, "cpu": cpu, "peak_mb": peak / 2**20, "root_mb": peak_root / 2**20,
            "stdout": out}  # fmt: skip


ENSEMBLE = """
import json, sys, time
from pathlib import Path
def main():
    from factions import load_scenario
    from factions.ensemble import make_backend, run_ensemble
    scenario, runs, backend, workers, out, series = sys.argv[1:7]
    t0 = time.perf_counter()
    r = run_ensemble(load_scenario(scenario), runs=int(runs), seed=0, model="mean",
                     backend=make_backend(backend, workers=int(workers)), out=Path(out),
                     store_series=series == "1")
    print(json.dumps({"seconds": time.perf_counter() - t0, "chunks": r.manifest["wall_seconds"]}))
if __name__ == "__main__":
    main()
"""


def ensemble(
    runs: int, backend: str, workers: int, series: bool = True, memory: bool = True
) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="factions-bench-", dir=TMP))
    try:
        r = measured([sys.executable, "-c", ENSEMBLE, "iraq-2008", str(runs), backend,
                      str(workers), str(out), "1" if series else "0"], memory=memory)  # fmt: skip
        disk = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    data = json.loads(r["stdout"].strip().splitlines()[-1])
    return {**data, "wall": r["wall"], "cpu": r["cpu"], "peak_mb": r["peak_mb"],
            "coordinator_mb": r["root_mb"], "disk_mb": disk / 2**20}  # fmt: skip


CLI = "import sys; from factions.cli import main; sys.argv = ['factions', *sys.argv[1:]]; main()"


def ensemble_run(runs: int, backend: str, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds (all processes) of a run without the series or memory sampling."""
    r = ensemble(runs, backend, workers, False, memory=False)
    return float(r["wall"]), float(r["cpu"])


#: ``factions`` arguments of the efficiency runs (then --runs-dir, --runs, --backend, --workers)
CLI_ENSEMBLE = ["ensemble", "iraq-2008", "--no-store-series"]


def cli_ensemble_run(runs: int, backend: str, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds (all processes) of ``factions ensemble`` as a user runs it (no
    series, no memory sampling), into a fresh runs folder."""
    out = Path(tempfile.mkdtemp(prefix="factions-bench-", dir=TMP))
    try:
        r = measured([sys.executable, "-c", CLI, *CLI_ENSEMBLE, "--runs-dir", str(out),
                      "--runs", str(runs), "--backend", backend, "--workers", str(workers)],
                     env={"COLUMNS": "120"}, memory=False)  # fmt: skip
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return float(r["wall"]), float(r["cpu"])


def cli(args: list[str]) -> tuple[float, float]:
    """Median wall and CPU seconds of a CLI command (5 runs, fresh processes)."""
    import resource

    walls, cpus = [], []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, check=True,
                       env={**os.environ, "COLUMNS": "120"})  # fmt: skip
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _spin(seconds: float, out: Any) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        pass
    out.put(time.process_time() - c0)


def free_cores(seconds: float = 2.0) -> float:
    """How many cores this benchmark can get now: busy-loop one process per CPU for
    ``seconds`` and add up the CPU time they got (2.0 on an idle 2-core machine)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_spin, args=(seconds, q)) for _ in range(os.cpu_count() or 1)]
    for p in procs:
        p.start()
    got = [q.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(got) / seconds


# --- the other scripts -------------------------------------------------------------------

#: (``--skip`` key, section title, the script and its arguments)
SCRIPTS = (
    ("steps", "Where a chunk of iraq-2008 spends its time", ["bench_steps.py", "--repeat", "5"]),
    ("bounded", "Bounded steps over ten years", ["bench_bounded.py"]),
    ("kernels", "SMP: NumPy against the fused Numba kernels",
     ["bench_smp_kernels.py", "--repeat", "5"]),
    ("backtest", "Backtest", ["bench_backtest.py", "--repeat", "3"]),
    ("calibration", "Calibration", ["bench_calibrate.py", "--repeat", "1"]),
)  # fmt: skip
#: Where the hand-written part of docs/benchmarks.md starts (kept by ``--write``).
HAND_WRITTEN = "## Reading these figures"


def script(args: list[str]) -> str:
    """Run a benchmark script of this folder in a fresh process; its stdout, with its
    Markdown headings one level lower (they sit under this page's sections), plain lines as
    list items, and a blank line wherever a table, a list and a paragraph meet."""
    out = subprocess.run([sys.executable, str(Path(__file__).parent / args[0]), *args[1:]],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout  # fmt: skip
    lines: list[str] = []
    last = ""
    for line in out.strip().splitlines():
        line = line.rstrip()
        if not line:
            kind = ""
        elif line.startswith("#"):
            line, kind = "##" + line, "heading"
        elif line.startswith("|"):
            kind = "table"
        elif line.startswith("Machine"):
            kind = "machine"
        else:
            line, kind = (line if line.startswith("- ") else "- " + line), "list"
        if kind and last and kind != last:
            lines.append("")
        if kind or (lines and lines[-1]):
            lines.append(line)
        last = kind
    return "\n".join(lines)


# --- bytecode ---------------------------------------------------------------------------


def compile_bytecode() -> str:
    """Compile the factions package's bytecode (``__pycache__``) before measuring, as
    ``pip install`` does, and say so on the page.

    Every fresh process below imports factions. Without cached bytecode (a source checkout
    run with ``PYTHONDONTWRITEBYTECODE=1``, as on the development VM) each of them compiles
    factions' modules from source again: about 0.1 s of every process start, which is not
    what an installed factions costs. Python reads cached bytecode even where that variable
    forbids writing it."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("factions")
    where = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    modules = sum(1 for d in where for _ in d.rglob("*.py"))
    ok = all(compileall.compile_dir(str(d), quiet=2) for d in where)
    note = ("" if not os.environ.get("PYTHONDONTWRITEBYTECODE") else
            " (this environment sets `PYTHONDONTWRITEBYTECODE`, so no process below could "
            "have written it)")  # fmt: skip
    if not ok:
        return f"compiling factions' {modules} modules failed; processes compile from source."
    return (f"factions' {modules} modules were compiled to cached bytecode before measuring, "
            f"as an installed package has it{note}.")  # fmt: skip


# --- the page ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-members", type=int, default=1_000_000)
    parser.add_argument("--efficiency-members", default="20000",
                        help="Comma-separated member counts, e.g. 20000,100000")  # fmt: skip
    parser.add_argument("--skip", default="", help="Comma-separated: engines,cli,scale,"
                        "efficiency,sensitivity,steps,bounded,kernels,backtest,"
                        "calibration")  # fmt: skip
    parser.add_argument("--write", type=Path, help="Write the Markdown here.")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    m = machine()
    compiled = compile_bytecode()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
    load_before = load()
    lines: list[str] = []
    say = lines.append

    if "engines" not in skip:
        say("## Engines (single-threaded, in-process)")
        say("")
        say(f"Median of {args.repeat}, the cases alternating; perturbed members: positions "
            "and saliences jittered by up to +-5 points of 100, capabilities by up to +-10 %, "
            "seed 0.")  # fmt: skip
        say("")
        say("| case | target | wall (s) | CPU (s) |")
        say("|---|---|---|---|")
        targets = {"dummyData-a080": "< 0.05 s", "dummyData-a160": "< 0.3 s",
                   "SOE-Pol-Comp": "< 10 s", "NumPy": "< 2 s"}  # fmt: skip
        for label, (secs, cpu) in engines(args.repeat):
            target = next((t for k, t in targets.items() if k in label), "-")
            say(f"| {label} | {target} | {secs:.3f} | {cpu:.3f} |")
            print(lines[-1], file=sys.stderr, flush=True)
        say("")

    if "cli" not in skip:
        say("## Command line (fresh processes, median of 5)")
        say("")
        say("| command | target | wall (s) | CPU (s) |")
        say("|---|---|---|---|")
        for args_, target in ((["--version"], "< 0.2 s"), (["scenarios"], "< 0.2 s"),
                              (["run", "iraq-2008"], "-")):  # fmt: skip
            wall, cpu = cli(args_)
            say(f"| `factions {' '.join(args_)}` | {target} | {wall:.3f} | {cpu:.3f} |")
            print(lines[-1], file=sys.stderr, flush=True)
        say("")

    if "scale" not in skip:
        say("## Ensembles: iraq-2008 (model `mean`), from 1,000 members up")
        say("")
        say("Each run in a fresh process into a fresh directory; peak memory is the resident "
            "memory (proportional set size) of the whole process tree (coordinator and workers), "
            "sampled every 50 ms. "
            "Aggregates stream (per-chunk sketches merged as chunks finish).")  # fmt: skip
        say("")
        say("| members | backend | workers | series stored | seconds | members/s | "
            "CPU seconds, all processes | peak memory (PSS), all processes (MB) | "
            "coordinator (MB) | "
            "disk (MB) |")  # fmt: skip
        say("|---|---|---|---|---|---|---|---|---|---|")
        n = 1000
        sizes = []
        while n <= args.max_members:
            sizes.append(n)
            n *= 10
        for n in sizes:
            configs = [("local", 1, True), ("processes", 2, True), ("dask", 2, True)]
            if n >= 1_000_000:
                configs = [("processes", 2, True)]
            if n >= 10_000_000:
                configs = [("processes", 2, False)]  # 40 GB of series would not fit
            for backend, k, series in configs:
                r = ensemble(n, backend, k, series)
                say(f"| {n:,} | {backend} | {k} | {'yes' if series else 'no'} | "
                    f"{r['wall']:.1f} | {n / r['wall']:,.0f} | {r['cpu']:.1f} | "
                    f"{r['peak_mb']:.0f} | {r['coordinator_mb']:.0f} | "
                    f"{r['disk_mb']:.0f} |")  # fmt: skip
                print(lines[-1], file=sys.stderr, flush=True)
        say("")

    if "efficiency" not in skip:
        eff_sizes = [int(x) for x in args.efficiency_members.split(",")]
        for n in eff_sizes:
            say(f"## 2-worker efficiency, iraq-2008, {n:,} members, end to end")
            say("")
            say(f"Median of {args.repeat}, 1- and 2-worker runs alternating, each in a fresh "
                "process (process or cluster start, sampling, chunks, aggregation, exit), "
                "series not stored; efficiency is `t(1) / (2 t(2))`, target at least 85 %; "
                "CPU is the CPU seconds of all processes of the run (medians). "
                "`factions ensemble` is the command as a user runs it (`factions "
                f"{' '.join(CLI_ENSEMBLE)} --runs-dir DIR --runs {n} --backend B --workers K`, "
                "its summary table printed); "
                "`run_ensemble` is the library called from a script that imports NumPy "
                "as it comes (OpenBLAS with its own threads; the command starts with one, "
                "see `src/factions/_threads.py`).")  # fmt: skip
            say("")
            before = free_cores()
            say("| run as | backend | 1 worker (s) | 2 workers (s) | efficiency | "
                "CPU, 1 worker (s) | CPU, 2 workers (s) |")  # fmt: skip
            say("|---|---|---|---|---|---|---|")
            ways = [("`factions ensemble`", cli_ensemble_run)]
            if n == eff_sizes[0]:  # the library as well, at the first size
                ways.append(("`run_ensemble`", ensemble_run))
            for how, fn in ways:
                for backend in ("processes", "dask"):
                    runs = {str(k): partial(fn, n, backend, k) for k in (1, 2)}
                    res = median_alternating(runs, args.repeat)
                    (t1, c1), (t2, c2) = res["1"], res["2"]
                    say(f"| {how} | {backend} | {t1:.2f} | {t2:.2f} | "
                        f"{100 * t1 / (2 * t2):.1f} % | {c1:.2f} | {c2:.2f} |")  # fmt: skip
                    print(lines[-1], file=sys.stderr, flush=True)
            local = statistics.median(cli_ensemble_run(n, "local", 1)[0]
                                      for _ in range(args.repeat))  # fmt: skip
            say(f"| `factions ensemble` | local (one process, for reference) | {local:.2f} "
                "| | | | |")  # fmt: skip
            say("")
            say(f"Cores this benchmark could get (one busy loop per CPU for 2 s, CPU seconds "
                f"over wall seconds): {before:.2f} before these runs, {free_cores():.2f} after; "
                f"an efficiency measured with less than 2 says little.")  # fmt: skip
            say("")

    if "sensitivity" not in skip:
        out = Path(tempfile.mkdtemp(prefix="factions-bench-", dir=TMP))
        try:
            r = measured([sys.executable, "-c", CLI, "sensitivity", "iraq-2008", "--runs",
                          "1000", "--runs-dir", str(out), "--json"])  # fmt: skip
        finally:
            shutil.rmtree(out, ignore_errors=True)
        say("## Sensitivity")
        say("")
        say(f"`factions sensitivity iraq-2008 --runs 1000` (PRCC), end to end: "
            f"{r['wall']:.1f} s, peak {r['peak_mb']:.0f} MB.")  # fmt: skip
        say("")

    for key, title, script_args in SCRIPTS:
        if key in skip:
            continue
        say(f"## {title}")
        say("")
        say(f"`.venv/bin/python benchmarks/{' '.join(script_args)}`, in a fresh process, "
            "its output as it printed it:")  # fmt: skip
        say("")
        say(script(script_args))
        say("")
        print(f"{title}: done", file=sys.stderr, flush=True)

    head = [
        "# Benchmarks",
        "",
        "Generated by `benchmarks/bench_all.py` in one run (do not edit the figures by hand; "
        "run it again on your machine: `.venv/bin/python benchmarks/bench_all.py --write "
        'docs/benchmarks.md`). Only the last part, from "Reading these figures" on, is '
        "written by hand.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} logical CPUs, {m['memory']} memory, "
        f"{m['system']}, Python {m['python']}, NumPy {m['numpy']}. Started {started} UTC. "
        f"Load average (1, 5, 15 min) before: {load_before}; after: {load()}.",
        "",
        f"Bytecode: {compiled}",
        "",
    ]
    text = "\n".join(head + lines)
    if args.write:
        kept = ""
        if args.write.exists():
            page = args.write.read_text("utf-8")
            at = page.find(HAND_WRITTEN)
            kept = page[at:] if at >= 0 else ""
        args.write.write_text(text.rstrip("\n") + "\n\n" + kept, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
