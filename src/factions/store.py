"""The run store: one directory per ensemble run, with a manifest and Parquet parts.

Layout of ``RUNS_DIR/<run id>/``::

    manifest.json        what was run (scenario hash, factions version, model, seed, options,
                         sampling), its status and timings, and the finished chunks
    scenario.json        the exact scenario that was run
    parts.jsonl          one line per finished chunk: each part's name, size and sha256
    parts/members-00000.parquet   one row per member: sampled inputs, answers, forecasts
    parts/series-00000.parquet    one row per member and state: the series (optional)
    parts/sketch-00000.npz        the chunk's mergeable aggregate state (ensemble/sketch.py)
    aggregates.json      quantile bands and answer probabilities, once complete

Workers write parts (zstd-compressed Parquet, NumPy ``.npz``) atomically: to a temporary
name, then renamed, so a part is either complete or absent and a killed worker leaves
nothing half-written. The coordinator alone writes the manifest and appends to the parts
journal (``parts.jsonl``, one JSON line per chunk, flushed as each chunk finishes; a line
cut short by a kill is ignored). The run id is a hash of everything that determines the
result, so running the same command again finds the directory and computes only the
missing chunks (resume). A part is trusted only if the journal records it and its size and
sha256 still match; anything else in ``parts/`` is ignored with a warning (a bad part's
chunk is recomputed). Parts are read by explicit file lists (never a glob over the run's
path, which may contain glob characters), with DuckDB for queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from factions.errors import FactionsError

__all__ = [
    "PartRecord",
    "RunDir",
    "arrow_table",
    "atomic_path",
    "default_runs_dir",
    "file_record",
    "list_runs",
    "run_id",
    "write_json_atomic",
    "write_parquet_atomic",
]

MANIFEST = "manifest.json"
JOURNAL = "parts.jsonl"
#: Every kind of part a run may hold (``series`` is optional).
PART_KINDS = ("members", "sketch", "series")
#: A part's name, size (bytes) and sha256 (hex), as recorded in the journal.
PartRecord = dict[str, Any]


def default_runs_dir() -> Path:
    """``$FACTIONS_RUNS`` if set, else ``./runs``."""
    return Path(os.environ.get("FACTIONS_RUNS", "runs"))


def run_id(scenario_id: str, model: str, key: dict[str, Any]) -> str:
    """A readable, content-derived id: ``<scenario>-<model>-<12 hex digits>``."""
    blob = json.dumps(key, sort_keys=True, separators=(",", ":"), default=str)
    return f"{scenario_id}-{model}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path``, renamed onto it if the block succeeds.

    On any failure (a full disk included) the temporary file is removed and ``path`` is left
    as it was.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_record(path: Path) -> PartRecord:
    """A part's name, size and sha256."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"name": path.name, "size": path.stat().st_size, "sha256": h.hexdigest()}


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` via a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def arrow_table(columns: dict[str, Any]) -> pa.Table:
    """Columns as an Arrow table; a 1-D NumPy column of integers or floats is wrapped
    without a copy.

    ``pa.table`` (``pa.array``) on a NumPy array imports pandas, when it is installed, to
    ask whether the array is a pandas object: about 0.19 s and 39 MB once in every worker
    process, which never uses pandas (a worker's first chunk took 0.37-0.44 s, now
    0.23-0.24 s; scratch timings on the 2-core development VM). The Parquet bytes written
    from this table are those written from ``pa.table`` (``tests/ensemble/test_arrow_table.py``).
    Other columns (booleans, strings, lists) go through ``pa.array``."""
    arrays = []
    for v in columns.values():
        if isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "iuf" and v.dtype.isnative:
            a = np.ascontiguousarray(v)
            arrays.append(
                pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), len(a), [None, pa.py_buffer(a)])
            )
        else:
            arrays.append(pa.array(v))
    return pa.Table.from_arrays(arrays, names=list(columns))


def write_parquet_atomic(path: Path, columns: dict[str, Any]) -> PartRecord:
    """Write columns as a zstd Parquet file via a temporary file and a rename.

    Without dictionary encoding: the columns are floats that rarely repeat exactly, so the
    dictionary pages cost time to build and read and made the files larger, not smaller
    (``benchmarks/bench_steps.py`` compares the two on a chunk of iraq-2008)."""
    table = arrow_table(columns)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", use_dictionary=False)
        record = file_record(tmp)
    return {**record, "name": path.name}


@dataclass(frozen=True)
class RunDir:
    """One run's directory."""

    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def parts(self) -> Path:
        return self.path / "parts"

    def part(self, kind: str, chunk: int) -> Path:
        """The path of one chunk's part of a kind (``members`` or ``series``)."""
        return self.parts / f"{kind}-{chunk:05d}.parquet"

    def journal(self) -> dict[int, list[PartRecord]]:
        """The journal's records: chunk -> its parts (the last complete line per chunk)."""
        out: dict[int, list[PartRecord]] = {}
        try:
            text = (self.path / JOURNAL).read_text("utf-8")
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            try:
                rec = json.loads(line)
                chunk, parts = int(rec["chunk"]), list(rec["parts"])
                if all({"name", "size", "sha256"} <= set(p) for p in parts):
                    out[chunk] = parts
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill: that chunk is recomputed
        return out

    def record_chunk(self, chunk: int, parts: list[PartRecord]) -> None:
        """Append one finished chunk's parts to the journal (flushed at once)."""
        line = json.dumps({"chunk": chunk, "parts": parts}, separators=(",", ":"))
        with (self.path / JOURNAL).open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()

    def remove_temporaries(self) -> None:
        """Delete the temporary files of unfinished parts (a worker stopped mid-write, by a
        full disk or a terminated pool, leaves its ``.NAME.tmp`` behind)."""
        if self.parts.exists():
            for p in self.parts.iterdir():
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)

    def verified_chunks(
        self, n_chunks: int, kinds: tuple[str, ...], warn: Callable[[str], None]
    ) -> dict[int, list[PartRecord]]:
        """Chunks whose recorded parts of every kind exist with their recorded size and hash.

        Unknown files in ``parts/`` are reported with ``warn`` and ignored; temporary files
        left by a killed worker are removed; a part whose size or hash differs is reported
        and its chunk left out (to be recomputed).
        """
        if not self.parts.exists():
            return {}
        all_kinds = {*kinds, *PART_KINDS}
        expected = {f"{k}-{c:05d}" for c in range(n_chunks) for k in all_kinds}
        for p in sorted(self.parts.iterdir()):
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)  # a killed worker's unfinished part
            elif p.name.split(".", 1)[0] not in expected:
                warn(f"{p}: not a part of this run; ignored")
        done: dict[int, list[PartRecord]] = {}
        for chunk, parts in self.journal().items():
            names = {p["name"].split(".", 1)[0] for p in parts}
            if chunk >= n_chunks or not {f"{k}-{chunk:05d}" for k in kinds} <= names:
                continue
            ok = True
            for rec in parts:
                path = self.parts / rec["name"]
                try:
                    good = path.stat().st_size == rec["size"] and file_record(path) == rec
                except OSError:
                    good = False
                if not good:
                    warn(f"{path}: missing, or changed since it was written; recomputing")
                    ok = False
            if ok:
                done[chunk] = parts
        return done

    def part_files(self, kind: str) -> list[Path]:
        """The verified parts of one kind, in chunk order (from the journal)."""
        files = []
        for _, parts in sorted(self.journal().items()):
            for rec in parts:
                if rec["name"].startswith(f"{kind}-"):
                    files.append(self.parts / rec["name"])
        return [f for f in files if f.is_file()]

    def manifest(self) -> dict[str, Any]:
        """The manifest (raises FactionsError if missing or unreadable)."""
        try:
            data: dict[str, Any] = json.loads((self.path / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise FactionsError(f"{self.path}: not a factions run ({e})") from None
        return data

    def write_manifest(self, data: dict[str, Any]) -> None:
        data = {**data, "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        write_json_atomic(self.path / MANIFEST, data)

    def remove(self) -> None:
        shutil.rmtree(self.path)


def list_runs(root: Path) -> list[RunDir]:
    """Every run under ``root`` (directories with a manifest), newest first."""
    if not root.exists():
        return []
    runs = [RunDir(p) for p in root.iterdir() if (p / MANIFEST).is_file()]
    return sorted(runs, key=lambda r: (r.path / MANIFEST).stat().st_mtime, reverse=True)
