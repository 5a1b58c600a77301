"""Reports: one self-contained HTML page (and PNG figures) of a run or an ensemble.

>>> from factions import load_scenario, simulate
>>> from factions.report import run_figures, view_of_result
>>> figures = run_figures(view_of_result(simulate(load_scenario("iraq-2008"))))
>>> figures[0]["section"], figures[0]["kind"]
('answers', 'table')

:func:`write_report` writes ``FILE.html`` (Plotly.js inlined: it works offline) and a
sibling folder ``FILE-figures/`` with PNGs of the main figures. See docs/report.md.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from factions.report.figures import RunView, run_figures, view_of_result, view_of_run_dir
from factions.report.html import render_html
from factions.report.plots import render_pngs
from factions.simulate import RunResult

__all__ = ["RunView", "run_figures", "view_of_result", "view_of_run_dir", "write_report"]


def _umask() -> int:
    """The process's umask (temporary files are created private; the report should not be)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (the backtest and
    calibration pages and calibration files use it too)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _swap_dir(new: Path, target: Path) -> None:
    """Put the finished directory ``new`` in place of ``target`` (replacing any old one)."""
    old: Path | None = None
    if target.exists() or target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def write_report(source: RunResult | Path, out: Path) -> list[Path]:
    """Write the report of a run (a :class:`RunResult`) or of a stored ensemble run (its
    directory) to ``out`` (an .html file) and ``<stem>-figures/`` beside it.

    Everything is built in memory first, then written through temporary names and renames:
    the PNG folder first, the page last, so no reader ever sees a half-written file.

    Returns
    -------
    list[Path]
        ``out`` first, then every PNG written.

    Raises
    ------
    FactionsError
        If ``source`` is a directory that is not a complete factions run.
    OSError
        If the files cannot be written.
    """
    view = view_of_result(source) if isinstance(source, RunResult) else view_of_run_dir(source)
    out = Path(out)
    figures = run_figures(view)
    pngs = render_pngs(figures)
    folder = out.with_name(f"{out.stem}-figures")
    links = {fid: f"{folder.name}/{fid}.png" for fid in pngs}
    page = render_html(view, figures, links)

    out.parent.mkdir(parents=True, exist_ok=True)
    # Both the PNGs and the page are written to temporary names before either is renamed
    # into place: a full disk leaves the old report (or nothing) as it was.
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=out.parent))
    page_tmp: Path | None = None
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        for fid, png in pngs.items():
            (tmp / f"{fid}.png").write_bytes(png)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        page_tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(page_tmp, 0o666 & ~_umask())
        _swap_dir(tmp, folder)
        os.replace(page_tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if page_tmp is not None:
            page_tmp.unlink(missing_ok=True)
        raise
    return [out, *(folder / f"{fid}.png" for fid in pngs)]
