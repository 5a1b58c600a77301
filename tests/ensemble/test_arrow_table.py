"""Parts are written without pyarrow's pandas check (``factions.store.arrow_table``): the
same Parquet bytes as ``pa.table``, and a worker that writes a part never imports pandas."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from factions.store import arrow_table, write_parquet_atomic


def columns() -> dict[str, object]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=50)
    x[[4, 9]] = [np.nan, np.inf]
    return {
        "member": np.arange(50, dtype=np.int64),
        "x": x,
        "f32": rng.normal(size=50).astype(np.float32),
        "i32": rng.integers(-5, 5, size=50, dtype=np.int32),
        "u8": rng.integers(0, 255, size=50, dtype=np.uint8),
        "strided": rng.normal(size=100)[::2],
        "flag": rng.random(50) < 0.5,
        "label": np.array([f"a{i % 3}" for i in range(50)]),
        "listed": [float(i) for i in range(50)],
    }


def written(table: pa.Table, path: Path) -> bytes:
    pq.write_table(table, path, compression="zstd", use_dictionary=False)
    return path.read_bytes()


def test_same_parquet_bytes_as_pa_table(tmp_path: Path) -> None:
    cols = columns()
    ours, theirs = arrow_table(cols), pa.table(cols)
    assert ours.schema == theirs.schema
    assert written(ours, tmp_path / "a.parquet") == written(theirs, tmp_path / "b.parquet")


def test_empty_columns(tmp_path: Path) -> None:
    cols = {"member": np.zeros(0, dtype=np.int64), "x": np.zeros(0)}
    assert written(arrow_table(cols), tmp_path / "a.parquet") == written(
        pa.table(cols), tmp_path / "b.parquet"
    )


def test_the_table_does_not_alias_a_temporary(tmp_path: Path) -> None:
    # the strided column is copied (contiguous); the table keeps its buffer alive
    table = arrow_table({"strided": np.arange(10.0)[::2]})
    assert table.column("strided").to_pylist() == [0.0, 2.0, 4.0, 6.0, 8.0]


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas not installed")
def test_writing_a_part_does_not_import_pandas(tmp_path: Path) -> None:
    code = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from factions.store import write_parquet_atomic\n"
        f"write_parquet_atomic(Path({str(tmp_path / 'p.parquet')!r}),\n"
        "    {'member': np.arange(5), 'x': np.linspace(0, 1, 5)})\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert out.stdout.strip() == "False"
    assert pq.read_table(tmp_path / "p.parquet").column("x").to_pylist()[-1] == 1.0
    # and pa.table does import it (what this test guards against)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, numpy as np, pyarrow as pa; "
         "pa.table({'x': np.zeros(2)}); print('pandas' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "True"


def test_write_parquet_atomic_record(tmp_path: Path) -> None:
    rec = write_parquet_atomic(tmp_path / "m.parquet", {"member": np.arange(3)})
    assert rec["name"] == "m.parquet"
    assert rec["size"] == (tmp_path / "m.parquet").stat().st_size
