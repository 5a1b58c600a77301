"""``factions backtest``: the DEU leaderboard, its JSON, a user's case folder, bad input."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from factions.backtest.runner import ALL_MODELS
from factions.cli import app

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data" / "deu3"
DEU = DATA / "deu3-dev.csv"


@pytest.fixture(scope="module")
def dev_json() -> dict[str, Any]:
    res = runner.invoke(app, ["backtest", str(DEU), "--split", "dev", "--json"])
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def _independent_mean_mae(split: str) -> float:
    """The salience-weighted mean's MAE with equal capabilities, from the raw file alone."""
    splits = json.loads((DATA / "split.json").read_text())["split"]
    errs = []
    with DEU.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if splits[row["isnr"]] != split or row["out"] == "":
                continue
            num = den = 0.0
            for key, sal in row.items():
                pos = row.get("p" + key[1:], "") if key.startswith("s") else ""
                if sal == "" or pos == "":
                    continue
                num += float(sal) * float(pos)
                den += float(sal)
            errs.append(abs(num / den - float(row["out"])))
    return sum(errs) / len(errs)


def test_json_has_every_model_and_issue(dev_json: dict[str, Any]) -> None:
    ds = dev_json["dataset"]
    assert ds["name"] == "deu3-dev.csv"
    assert ds["sha256"] == hashlib.sha256(DEU.read_bytes()).hexdigest()
    assert ds["n_issues"] == 105
    assert set(dev_json["models"]) == set(ALL_MODELS)
    assert sorted(dev_json["leaderboard"]) == sorted(ALL_MODELS)
    splits = json.loads((DATA / "split.json").read_text())["split"]
    ids = [it["id"] for it in dev_json["issues"]]
    assert sorted(ids) == sorted(k for k, v in splits.items() if v == "dev")
    for it in dev_json["issues"]:
        assert set(it["forecasts"]) == set(ALL_MODELS)
        assert set(it["quantiles"]) == {"positions", "mixture"}
        q = it["quantiles"]["mixture"]
        assert list(q) == ["0.05", "0.25", "0.5", "0.75", "0.95"]
        assert q["0.05"] <= q["0.25"] <= q["0.5"] <= q["0.75"] <= q["0.95"]
        assert 0 <= it["outcome"] <= 100
    mean = dev_json["models"]["mean"]
    assert mean["vs_mean"] is None
    assert mean["crps"] == pytest.approx(mean["mae"])
    for name in ALL_MODELS:
        m = dev_json["models"][name]
        errs = np.array([it["forecasts"][name] - it["outcome"] for it in dev_json["issues"]])
        assert m["mae"] == pytest.approx(np.abs(errs).mean(), abs=1e-3)
        if name != "mean":
            vs = m["vs_mean"]
            assert vs["ci_low"] <= vs["mean_diff"] <= vs["ci_high"]
            assert vs["wins"] + vs["losses"] + vs["ties"] == 105
        assert set(m["subsets"]["procedure"]) == {"CNS", "COD"}
        assert set(m["subsets"]["reference_point"]) <= {"with", "without"}


def test_weighted_mean_dev_mae_is_reproduced_independently() -> None:
    """The mean's dev MAE, recomputed from the raw CSV (equal capabilities)."""
    res = runner.invoke(
        app,
        ["backtest", str(DEU), "--split", "dev", "--models", "mean", "--capability", "equal",
         "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)["models"]["mean"]["mae"]
    assert got == pytest.approx(_independent_mean_mae("dev"), abs=1e-9)


def test_council_mean_dev_mae(dev_json: dict[str, Any]) -> None:
    # The figure issue 9 quotes for the capability x salience mean on dev (24.1).
    assert dev_json["models"]["mean"]["mae"] == pytest.approx(24.15, abs=0.01)


def _case(path: Path, ident: str, positions: dict[str, float], outcome: float) -> None:
    data = {
        "metadata": {"id": ident, "title": ident, "date": "2010-01-01"},
        "actors": [{"id": a, "name": a, "capability": 10 * (k + 1)} for k, a in
                   enumerate(positions)],
        "issues": [{"id": "tax", "name": "Tax", "scale": {"low": 0, "high": 10}}],
        "stances": [{"actor": a, "issue": "tax", "position": p, "salience": 50}
                    for a, p in positions.items()],
        "outcomes": [{"issue": "tax", "value": outcome, "source": "hand-made test case",
                      "reference_point": 0}],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(data), "utf-8")


def test_a_folder_of_hand_made_cases(tmp_path: Path) -> None:
    _case(tmp_path / "one.yaml", "one", {"a": 0, "b": 10}, 5)  # mean 20/3
    _case(tmp_path / "two.yaml", "two", {"a": 2, "b": 4, "c": 10}, 4)  # mean (2+8+30)/6
    (tmp_path / "notes.txt").write_text("ignored")
    res = runner.invoke(app, ["backtest", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["dataset"]["n_issues"] == 2
    ids = [it["id"] for it in out["issues"]]
    assert ids == ["tax", "two/tax"]
    # On 0-100 (scale 0-10 rescaled): |66.67 - 50| and |66.67 - 40|.
    assert out["models"]["mean"]["mae"] == pytest.approx((50 / 3 + 80 / 3) / 2, abs=1e-3)
    assert out["issues"][0]["reference_point"] == 0
    text = runner.invoke(app, ["backtest", str(tmp_path), "--models", "mean,nash"])
    assert text.exit_code == 0
    assert "nash" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "mean,oracle"], "--models: unknown model 'oracle'"),
        (["--split", "test"], "--split: no case is in split 'test'"),
        (["--capability", "gdp"], "--capability: must be one of council, equal"),
        (["--report", "x.pdf"], "--report: the report is an HTML file"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["backtest", str(DEU), *args])
    assert res.exit_code == 2
    assert message in res.stderr


def test_missing_source_and_folder_without_outcomes(tmp_path: Path) -> None:
    res = runner.invoke(app, ["backtest", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2
    assert "no such file or folder" in res.stderr
    res = runner.invoke(app, ["backtest", str(tmp_path)])
    assert res.exit_code == 2
    assert "no issue with an outcome to score" in res.stderr


def test_report_page(tmp_path: Path) -> None:
    page = tmp_path / "bt.html"
    res = runner.invoke(
        app, ["backtest", str(DEU), "--split", "dev", "--models", "mean,exchange,mixture",
              "--report", str(page)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    html = page.read_text("utf-8")
    for fid in ("fig-leaderboard", "fig-errors", "fig-scatter", "fig-pit", "fig-worst"):
        assert fid in html
    assert "Leaderboard: deu3-dev.csv, split dev (105 issues)" in html


def test_run_on_a_deu_file() -> None:
    res = runner.invoke(app, ["run", str(DEU), "--model", "procedural", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["model"] == "procedural"
    assert len(out["issues"]) == 247  # every issue with an outcome
    res = runner.invoke(app, ["run", str(DEU), "--model", "nash"])
    assert res.exit_code == 0
    assert "d00032i1" in res.stdout


def test_validate_a_deu_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["validate", str(DEU)])
    assert res.exit_code == 0
    assert "valid DEU file (124 proposals, 258 issues, 247 with an outcome" in res.stdout
    bad = tmp_path / "bad.csv"
    lines = DEU.read_text("utf-8").splitlines()
    cells = lines[1].split(";")
    cells[lines[0].split(";").index("pde")] = "lots"
    bad.write_text("\n".join([lines[0], ";".join(cells)]), "utf-8")
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "bad.csv: line 2, pde: must be a number or empty, got 'lots'" in res.stderr
