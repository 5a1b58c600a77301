"""The saved corpus: every bad input issue 14 found, through the command line.

Each case of ``corpus/cases.yaml`` (written by make_corpus.py) is a regression test: on the
code before issue 14 each of them crashed, hung, ran out of memory, printed a traceback or
invalid JSON, or was silently accepted. Now each exits 0 or 2 as expected, with the
expected ``path: message`` line, under the harness's time and memory caps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .harness import Case, run_case

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text("utf-8"))


@pytest.mark.parametrize("entry", CASES, ids=[c["file"] for c in CASES])
def test_corpus_case(entry: dict[str, Any], tmp_path: Path) -> None:
    case = Case(
        entry["file"], {entry["file"]: (CORPUS / entry["file"]).read_bytes()}, entry["argv"]
    )
    outcome = run_case(case, tmp_path)
    assert outcome.ok, (outcome.failures, outcome.stderr[-2000:])
    assert outcome.exit_code == entry["exit"], outcome.stderr[-2000:]
    if entry["exit"] == 2:
        lines = outcome.stderr.splitlines()
        assert any(entry["expect"] in ln for ln in lines), outcome.stderr[-2000:]
    else:
        assert entry["expect"] in outcome.stdout


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("fifo", "not a regular file"),
        ("devzero", "not a regular file"),
        ("dir", "is a directory"),
        ("missing", "no such file"),
    ],
)
def test_special_paths_are_refused_at_once(kind: str, message: str, tmp_path: Path) -> None:
    """Issue 14, item 15: a FIFO named *.yaml blocked forever; a link to /dev/zero grew
    past 2 GB. Only regular files are read."""
    case = Case(kind, {"s.yaml": b""}, ["validate", "{file}"], special={"s.yaml": kind})
    outcome = run_case(case, tmp_path, time_cap=10)
    assert outcome.ok, outcome.failures
    assert outcome.exit_code == 2
    assert message in outcome.stderr


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    """Issue 14, item 15: files are read up to a size limit (MAX_FILE_BYTES by default)."""
    from factions.errors import ScenarioError
    from factions.scenario.reader import read_text_file

    path = tmp_path / "s.yaml"
    path.write_bytes(b"# " + b"x" * 2000 + b"\n")
    with pytest.raises(ScenarioError, match="the limit is 1000 bytes"):
        read_text_file(path, max_bytes=1000)
