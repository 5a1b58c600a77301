"""The machine a benchmark runs on, read from the system (one place for every script)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _proc(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """CPU model (from /proc/cpuinfo), cores, memory, Python, NumPy and the system."""
    import numpy as np

    mem = _proc("/proc/meminfo", "MemTotal")
    return {
        "cpu": _proc("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory": f"{int(mem.split()[0]) / 2**20:.0f} GiB" if mem else "",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "system": f"{platform.system()} {platform.release()}",
    }


def load() -> str:
    """The load average (1, 5, 15 minutes), or '?' where the system does not say."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine_line() -> str:
    """One line for a benchmark's output: the machine and the load it was measured under."""
    m = machine()
    return (
        f"Machine: {m['cpu']}, {m['cores']} CPUs, {m['memory']} memory, {m['system']}, "
        f"Python {m['python']}, NumPy {m['numpy']}; load average {load()}"
    )
