"""The data the calibrations fit: ParlGov elections and cabinets, COW military spending.

The package ships a trimmed copy (the columns the fits read, every row) under
``factions/calibration/data/`` with the sources' attribution and licences (README.md there).
``--data DIR`` reads a user's own copy instead: a folder with ``parlgov/`` and ``cow/``
holding the same file names with at least the same columns (a full export, a newer release
or the trimmed copy). Files are read by column name, so extra columns are ignored.

:func:`trim_copy` makes the shipped copy from the full files.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from factions.errors import Problem, ScenarioError

__all__ = [
    "COLUMNS",
    "DataSet",
    "Table",
    "builtin_data_dir",
    "open_data",
    "trim_copy",
]

#: The files each target reads and the columns it needs from each.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "parlgov": {
        "elections-Election.csv": (
            "id", "type", "country", "date", "early", "seats_total",
            "previous_parliament_election", "previous_cabinet",
        ),
        "elections-ElectionResult.csv": ("election", "party", "alliance", "seats", "vote_share"),
        "cabinets-Cabinet.csv": (
            "id", "country", "start_date", "caretaker", "previous_cabinet",
        ),
        "cabinets-CabinetParty.csv": ("cabinet", "party", "pm"),
        "datacore-Code.csv": ("id", "table_variable", "short", "name"),
    },
    "cow": {
        "cow_nmc.csv": ("ccode", "year", "milex"),
        "grh_arms_races.csv": ("race_id", "ccode1", "ccode2", "styear", "endyear"),
        "td_rivalries.csv": ("rivalryno", "rivalryname", "ccode1", "ccode2", "styear", "endyear"),
    },
}  # fmt: skip

Table = dict[str, list[str]]


def builtin_data_dir() -> Path:
    """The folder of the shipped (trimmed) data."""
    return Path(str(resources.files("factions.calibration") / "data"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _read(path: Path, columns: tuple[str, ...], label: str) -> Table:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = csv.reader(f)
            header = next(rows, None)
            if header is None:
                raise ScenarioError([Problem(label, "the file is empty")])
            missing = [c for c in columns if c not in header]
            if missing:
                raise ScenarioError([Problem(label, f"missing column(s) {', '.join(missing)}")])
            idx = [header.index(c) for c in columns]
            out: Table = {c: [] for c in columns}
            for line, row in enumerate(rows, start=2):
                if not row:
                    continue
                if len(row) < len(header):
                    raise ScenarioError(
                        [
                            Problem(
                                f"{label}:{line}", f"expected {len(header)} fields, got {len(row)}"
                            )
                        ]
                    )
                for c, i in zip(columns, idx, strict=True):
                    out[c].append(row[i])
            return out
    except FileNotFoundError:
        raise ScenarioError([Problem(label, "no such file")]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ScenarioError([Problem(label, f"cannot read: {e}")]) from None


@dataclass(frozen=True)
class DataSet:
    """One source's tables (by file name), with each file's path and sha256."""

    source: str
    root: Path
    tables: Mapping[str, Table]
    files: Mapping[str, str]  # "parlgov/elections-Election.csv" -> sha256

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


def open_data(source: str, data_dir: Path | None = None) -> DataSet:
    """Read ``source`` (``"parlgov"`` or ``"cow"``) from ``data_dir`` (default: shipped).

    Raises
    ------
    ScenarioError
        ``--data: ...`` problems naming the missing folder, file or column.
    """
    root = (data_dir if data_dir is not None else builtin_data_dir()) / source
    if not root.is_dir():
        raise ScenarioError([Problem("--data", f"no folder '{source}/' in {root.parent}")])
    tables: dict[str, Table] = {}
    files: dict[str, str] = {}
    for name, cols in COLUMNS[source].items():
        path = root / name
        tables[name] = _read(path, cols, f"--data: {source}/{name}")
        files[f"{source}/{name}"] = _sha256(path)
    return DataSet(source, root, tables, files)


def _rows(table: Table) -> Iterator[list[str]]:
    cols = list(table)
    for i in range(len(table[cols[0]]) if cols else 0):
        yield [table[c][i] for c in cols]


def trim_copy(src: Path, dst: Path) -> list[Path]:
    """Write the columns :data:`COLUMNS` names from the full files in ``src`` to ``dst``.

    Every row is kept; only the columns the fits read survive (the shipped copy).
    """
    written: list[Path] = []
    for source, files in COLUMNS.items():
        (dst / source).mkdir(parents=True, exist_ok=True)
        for name, cols in files.items():
            table = _read(src / source / name, cols, f"{source}/{name}")
            out = dst / source / name
            with out.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(cols)
                w.writerows(_rows(table))
            written.append(out)
    return written
