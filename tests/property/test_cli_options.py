"""Random option values for every command: the CLI exits 0 or 2, never with a traceback.

Every option is validated at the boundary, under its own name (``--seed: ...``), so a value
out of range is exit 2 with one clear line, not a ``ValueError`` from deep inside NumPy
(issue 12, item 1). Runs in-process through typer's ``CliRunner`` to stay fast.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from factions.cli import app

runner = CliRunner()

TINY: dict[str, Any] = {
    "metadata": {"id": "tiny", "title": "Two parties", "date": "2008-10-15"},
    "actors": [
        {"id": "a", "name": "Alpha", "kind": "party", "capability": 60},
        {"id": "b", "name": "Beta", "kind": "party", "capability": {"value": 40, "low": 20,
                                                                     "high": 60}},
    ],
    "issues": [{"id": "x", "name": "Issue X", "scale": {"low": 0, "high": 10}}],
    "stances": [
        {"actor": "a", "issue": "x", "position": {"value": 2, "low": 1, "high": 3},
         "salience": 50},
        {"actor": "b", "issue": "x", "position": 8, "salience": 100},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "tiny.yaml").write_text(yaml.safe_dump(TINY), "utf-8")
        (root / "runs").mkdir()
        (root / "taken").write_text("a file, not a folder")
        yield root


def _ints(lo: int, hi: int, huge: bool = True) -> st.SearchStrategy[str]:
    """An integer option's value: mostly near the valid range, sometimes huge or not a number.

    ``huge=False`` keeps large values negative (a valid ``--runs 10**20`` would simply run).
    """
    return st.one_of(
        st.integers(lo - 3, lo + 3).map(str),
        st.integers(lo, hi).map(str),
        st.integers(-(2**70), 2**70 if huge else -1).map(str),
        st.sampled_from(["", "x", "1.5", "1e3", "-", "0x10", " 3"]),
    )


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_ 0123456789:", max_size=12)


def _choice(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(valid), words)


@st.composite
def _options(draw: st.DrawFn, spec: dict[str, st.SearchStrategy[str] | None]) -> list[str]:
    """A random subset of ``spec``'s options, in random order; ``None`` marks a flag."""
    args: list[str] = []
    names = draw(st.lists(st.sampled_from(sorted(spec)), unique=True, max_size=len(spec)))
    for name in names:
        values = spec[name]
        args += [name] if values is None else [name, draw(values)]
    return args


def _scenario(root: Path) -> st.SearchStrategy[str]:
    """Mostly a valid scenario, so that the options themselves are what is tested."""
    return st.one_of(
        st.just(str(root / "tiny.yaml")),
        st.sampled_from(["emission-standards", "nowhere", "x y"]),
    )


def _paths(root: Path, *names: str) -> st.SearchStrategy[str]:
    return st.sampled_from([str(root / n) for n in names] + [str(root / "missing" / "x")])


def _commands(root: Path) -> dict[str, st.SearchStrategy[tuple[list[str], ...]]]:
    models = _choice(["mean", "median", "eum", "smp"])
    common: dict[str, st.SearchStrategy[str] | None] = {
        "--model": models,
        "--seed": _ints(0, 2**64),
        "--json": None,
        "--kernels": _choice(["numpy"]),
    }
    reports = _paths(root, "r.html", "r.txt", "taken", "runs")
    run = st.tuples(
        st.just(["run"]),
        _scenario(root).map(lambda s: [s]),
        _options({**common, "--out": _paths(root, "out", "taken"), "--report": reports}),
    )
    sampling: dict[str, st.SearchStrategy[str] | None] = {
        **common,
        "--runs": _ints(1, 6, huge=False),
        "--backend": _choice(["local"]),
        "--scheduler": st.one_of(words, st.just("tcp://127.0.0.1:1")),
        "--workers": _ints(1, 2),
        "--runs-dir": _paths(root, "runs", "taken"),
    }
    ensemble = st.tuples(
        st.just(["ensemble"]),
        _scenario(root).map(lambda s: [s]),
        _options({**sampling, "--method": _choice(["lhs", "sobol", "random"]),
                  "--chunk-size": _ints(1, 4), "--report": reports}),
    )  # fmt: skip
    sensitivity = st.tuples(
        st.just(["sensitivity"]),
        _scenario(root).map(lambda s: [s]),
        _options({**sampling, "--method": _choice(["prcc"]), "--top": _ints(0, 3)}),
    )
    runs = st.tuples(
        st.sampled_from([["runs", "list"], ["runs", "show"], ["runs", "rm"]]),
        st.lists(st.one_of(words, st.just("../x")), max_size=2),
        _options({"--runs-dir": _paths(root, "runs", "taken"), "--json": None}),
    )
    report = st.tuples(
        st.just(["report"]),
        st.sampled_from([[str(root / "tiny.yaml")], ["nowhere"], [str(root / "runs")]]),
        _options({"--model": models, "--seed": _ints(0, 9), "--runs-dir": _paths(root, "runs"),
                  "--report": _paths(root, "taken", "r.txt", "runs")}),
    )  # fmt: skip
    serve = st.tuples(
        st.just(["serve"]),
        st.just([]),
        _options({"--port": _ints(1, 65535), "--host": st.just("127.0.0.1"),
                  "--runs-dir": _paths(root, "runs", "taken"),
                  "--scenarios-dir": _paths(root, "sc")}),
    )  # fmt: skip
    simple = st.tuples(
        st.sampled_from([["show"], ["validate"], ["schema"], ["scenarios"]]),
        st.lists(_scenario(root), max_size=1),
        st.just([]),
    )
    return {"run": run, "ensemble": ensemble, "sensitivity": sensitivity, "runs": runs,
            "report": report, "serve": serve, "simple": simple}  # fmt: skip


@pytest.mark.parametrize(
    "command", ["run", "ensemble", "sensitivity", "runs", "report", "serve", "simple"]
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_command_exits_0_or_2_never_a_traceback(
    command: str, data: st.DataObject, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import factions.web.app as web_app

    served: list[dict[str, Any]] = []
    monkeypatch.setattr(web_app, "serve", lambda **kw: served.append(kw))
    monkeypatch.chdir(workdir)  # `report` writes SOURCE-report.html here by default
    parts = data.draw(_commands(workdir)[command])
    args = [a for part in parts for a in part]
    r = runner.invoke(app, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.exception)
    assert r.exit_code in (0, 2), (args, r.exit_code, r.output)
    assert "Traceback" not in r.output, (args, r.output)
    if r.exit_code == 2:
        assert r.stderr.strip(), (args, "exit 2 must say why on stderr")
