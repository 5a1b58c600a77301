"""Generators of hostile and extreme inputs, each a :class:`~.harness.Case` from a ``Random``.

Five families (issue 14, "Deliver"):

- :func:`structural`: a built-in scenario with one to three fields deleted, retyped or set to
  an extreme value (NaN, 1e308, 2**64, a 100 KB text, markup, control characters, dates at
  the ends of the calendar), written as YAML, JSON or TOML;
- :func:`textual`: a built-in scenario's text truncated, spliced or sprinkled with YAML's
  special characters, anchors and aliases;
- :func:`imported`: KTAB CSV, BDM CSV and KTAB XML files with corrupted header counts, cells
  and elements;
- :func:`special`: FIFOs, links to /dev/zero, folders, missing files, unknown suffixes,
  binary and empty files;
- :func:`extreme`: valid scenarios at the limits of docs/scenario-format.md (many actors,
  dates near 1800 and 2999, amounts and scales at 1e9, extreme dynamics), run by every model.

:data:`FAMILIES` maps the names to the functions; Hypothesis strategies draw from them in
test_fuzz.py and fuzz.py runs 10,000 of them.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from .harness import Case

BUILTIN = Path(__file__).parents[2] / "src" / "factions" / "scenario" / "builtin"
KTAB_DATA = Path(__file__).parents[1] / "data" / "ktab"

COMMANDS: list[list[str]] = [
    ["validate", "{file}"],
    ["run", "{file}"],
    ["run", "{file}", "--json"],
    ["show", "{file}"],
    ["run", "{file}", "--out", "{out}"],
    ["run", "{file}", "--json", "--model", "median"],
]
MODELS = ("mean", "median", "eum", "smp")

EXTREMES: list[Any] = [
    None,
    "",
    " ",
    0,
    -1,
    1,
    0.5,
    101,
    -1e308,
    1e308,
    float("nan"),
    float("inf"),
    -float("inf"),
    2**63,
    2**64 + 1,
    -(2**63) - 1,
    True,
    False,
    [],
    {},
    [1, 2],
    {"value": 1},
    {"value": float("nan")},
    {"value": 5, "low": 9, "high": 1},
    "x" * 100_000,
    "Cars [/bold] [red]x[/]",
    "x\x1b[31mRED\x07\u202e",
    "9999-12-31",
    "0001-01-01",
    "2008-02-30",
    "1799-12-31",
    "3000-01-01",
    "not a date",
    "${HOME}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "a\nb",
    "é✓😀",
    1e-320,
    -0.0,
]


@cache
def _builtin_text(name: str) -> str:
    return (BUILTIN / f"{name}.yaml").read_text("utf-8")


@cache
def builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in BUILTIN.glob("*.yaml")))


def _builtin(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(_builtin_text(name))
    return data


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def _mutate(rng: random.Random, data: dict[str, Any]) -> None:
    paths = [p for p in _paths(data) if p]
    path = rng.choice(paths)
    parent = _get(data, path[:-1])
    key = path[-1]
    op = rng.random()
    if op < 0.15 and isinstance(parent, dict):
        del parent[key]
    elif op < 0.25 and isinstance(parent, list):
        parent.insert(rng.randrange(len(parent) + 1), copy.deepcopy(parent[key]))
    elif op < 0.3 and isinstance(parent, dict):
        parent[rng.choice(["zzz", "Id", "value", "<<", "id "])] = rng.choice(EXTREMES)
    elif op < 0.35 and isinstance(_get(data, path), list):
        _get(data, path).clear()
    else:
        parent[key] = copy.deepcopy(rng.choice(EXTREMES))


def _dates_to_text(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _dates_to_text(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_dates_to_text(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def _serialise(rng: random.Random, data: Any) -> tuple[str, bytes]:
    fmt = rng.choice(["yaml", "yaml", "json", "toml"])
    if fmt == "json":
        return "s.json", json.dumps(_dates_to_text(data)).encode()
    if fmt == "toml":
        try:
            return "s.toml", tomli_w.dumps(_dates_to_text(data)).encode()
        except (TypeError, ValueError):
            pass
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "s.yaml", text.encode()


def _command(rng: random.Random) -> list[str]:
    argv = list(rng.choice(COMMANDS))
    if argv[0] == "run" and "--model" not in argv and rng.random() < 0.3:
        argv += ["--model", rng.choice(MODELS)]
    return argv


def structural(rng: random.Random) -> Case:
    """A built-in scenario with one to three structural mutations."""
    name = rng.choice(builtin_names())
    data = _builtin(name)
    for _ in range(rng.randint(1, 3)):
        _mutate(rng, data)
    fname, content = _serialise(rng, data)
    return Case(f"structural:{name}", {fname: content}, _command(rng))


_SPECIAL_TEXT = [
    "&a ",
    "*a",
    "*b",
    "<<: ",
    "!!python/object:os.system ",
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "\n",
    "\t",
    "'",
    '"',
    "#",
    "%YAML 1.1\n",
    "---\n",
    "\x00",
    "\ufeff",
    "? ",
    "|",
    ">",
    "!",
    "~",
    "1e999",
    "-.inf",
    ".nan",
]


def textual(rng: random.Random) -> Case:
    """A built-in scenario's text, truncated, spliced or salted with YAML syntax."""
    name = rng.choice(builtin_names())
    text = _builtin_text(name)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(text) + 1)
        if op < 0.25:
            text = text[:i]
        elif op < 0.5:
            j = min(len(text), i + rng.randint(1, 400))
            text = text[:i] + text[j:]
        elif op < 0.65:
            lines = text.splitlines(keepends=True)
            k = rng.randrange(max(1, len(lines)))
            text = "".join(lines[: k + 1] + lines[k : k + rng.randint(1, 5)] + lines[k + 1 :])
        else:
            text = text[:i] + rng.choice(_SPECIAL_TEXT) + text[i:]
    suffix = rng.choice([".yaml", ".yaml", ".yml", ".json"])
    raw = text.encode("utf-8", "surrogatepass")
    return Case(f"textual:{name}", {f"s{suffix}": raw}, _command(rng))


_CELLS = [
    "inf",
    "-inf",
    "nan",
    "1e9",
    "1e308",
    "-1",
    "0",
    "",
    "x",
    "99999999999999999999",
    "1e6",
    "3",
    "101",
    " 5 ",
    '"',
    "1,2",
]


def _ktab_csv(rng: random.Random) -> str:
    n, d = rng.randint(1, 6), rng.randint(1, 3)
    head = ["Actor", "Desc", "Power"] + [f"{c}{k}" for k in range(d) for c in ("P", "S")]
    rows = [
        ",".join(
            [f"A{i}", f"d{i}", str(rng.randint(1, 100))]
            + [
                str(rng.randint(0, 100)) if c == 0 else str(rng.randint(0, 100 // d))
                for _ in range(d)
                for c in (0, 1)
            ]
        )
        for i in range(n)
    ]
    lines = [f"T,desc,{n},{d}", ",".join(head), *rows]
    for _ in range(rng.randint(1, 3)):
        r = rng.randrange(len(lines))
        cells = lines[r].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(_CELLS)
        lines[r] = ",".join(cells)
    if rng.random() < 0.2:
        lines = lines[: rng.randint(0, len(lines))]
    return "\n".join(lines) + "\n"


def _bdm_csv(rng: random.Random) -> str:
    n = rng.randint(0, 6)
    lines = ["actor,capability,position,salience"]
    lines += [
        f"a{i},{rng.randint(1, 99)},{rng.randint(0, 10)},{rng.randint(1, 100)}" for i in range(n)
    ]
    for _ in range(rng.randint(0, 3)):
        r = rng.randrange(len(lines))
        cells = lines[r].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(_CELLS)
        lines[r] = ",".join(cells)
    return "\n".join(lines) + "\n"


def _ktab_xml(rng: random.Random) -> str:
    files = sorted(KTAB_DATA.glob("*.xml"))
    text = files[0].read_text("utf-8") if files else "<Scenario/>"
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        if op < 0.3:
            for tag in ("dCoord", "dSal", "capability"):
                if f"<{tag}>" in text and rng.random() < 0.5:
                    i = text.index(f"<{tag}>") + len(tag) + 2
                    j = text.index("<", i)
                    text = text[:i] + rng.choice(_CELLS) + text[j:]
        elif op < 0.5:
            text = text[: rng.randrange(len(text) + 1)]
        elif op < 0.7:
            bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            text = bomb + text.split("?>", 1)[-1]
        else:
            i = text.find("<Actor>")
            j = text.find("</Actor>")
            if i >= 0 and j > i:
                actor = text[i : j + 8]
                text = text[:i] + actor * rng.randint(0, 40) + text[j + 8 :]
    return text


def imported(rng: random.Random) -> Case:
    """A KTAB CSV, BDM CSV or KTAB XML file with corrupted counts, cells or elements."""
    kind = rng.choice(["ktab", "bdm", "xml"])
    if kind == "ktab":
        name, text = "k.csv", _ktab_csv(rng)
    elif kind == "bdm":
        name, text = "b.csv", _bdm_csv(rng)
    else:
        name, text = "k.xml", _ktab_xml(rng)
    return Case(f"imported:{kind}", {name: text.encode()}, _command(rng))


def special(rng: random.Random) -> Case:
    """Paths that are not scenario files: FIFOs, devices, folders, missing, odd content."""
    kind = rng.choice(["fifo", "devzero", "dir", "missing", "suffix", "binary", "empty", "bom"])
    suffix = rng.choice([".yaml", ".json", ".toml", ".csv", ".xml"])
    files = {f"s{suffix}": b""}
    marks: dict[str, str] = {}
    if kind in ("fifo", "devzero", "dir", "missing"):
        marks[f"s{suffix}"] = kind
    elif kind == "suffix":
        files = {rng.choice(["s.txt", "s", "s.YAML.bak", "s.exe"]): b"a: 1\n"}
    elif kind == "binary":
        files = {f"s{suffix}": bytes(rng.randrange(256) for _ in range(rng.randint(1, 2000)))}
    elif kind == "bom":
        files = {f"s{suffix}": "\ufeff".encode() + _builtin_text("emission-standards").encode()}
    return Case(f"special:{kind}", files, _command(rng), special=marks)


def _date(rng: random.Random) -> dt.date:
    return rng.choice(
        [
            dt.date(1800, 1, 1),
            dt.date(1800, 1, 31),
            dt.date(2999, 12, 31),
            dt.date(2999, 1, 31),
            dt.date(2000, 2, 29),
            dt.date(2008, 10, 15),
        ]
    )


def extreme(rng: random.Random) -> Case:
    """A valid scenario at the documented limits, run by one of the models."""
    n = rng.choice([1, 2, 3, 25, 60, rng.randint(2, 120)])
    m = rng.choice([1, 2, 5, rng.randint(1, 12)])
    lo, hi = rng.choice([(0, 100), (-1e9, 1e9), (0, 1e-6), (-5, 5), (1e9 - 1, 1e9)])
    start = _date(rng)
    horizon = None
    if rng.random() < 0.5:
        months = rng.choice([1, 12, 120, 1200])
        y, mo = divmod(start.month - 1 + months, 12)
        end = dt.date(min(start.year + y, 2999), mo + 1, 1)
        horizon = end if end > start else None
    kinds = ["armed_strength", "money", "popular_support", "seats", "clients"]
    amount = rng.choice([0.0, 1.0, 100.0, 1e9, 1e-9])
    data: dict[str, Any] = {
        "metadata": {"id": "extreme", "title": "Extreme " * rng.randint(1, 30), "date": start},
        "actors": [
            {
                "id": f"a{i}",
                "name": f"Actor {i} [/b]",
                "kind": rng.choice(["party", "militia", "state", "foreign_state", "public"]),
                "capability": rng.choice([0, 1, 1e9, 50]),
            }
            for i in range(n)
        ],
        "issues": [
            {"id": f"i{j}", "name": f"Issue {j}", "scale": {"low": lo, "high": hi}}
            for j in range(m)
        ],
        "stances": [
            {
                "actor": f"a{i}",
                "issue": f"i{j}",
                "position": rng.choice([lo, hi, (lo + hi) / 2]),
                "salience": rng.choice([0, 1e-9, 50, 100]) if i else 100,
            }
            for i in range(n)
            for j in range(m)
        ],
        "resources": [
            {"actor": f"a{i}", "kind": k, "amount": amount if i else max(amount, 1.0)}
            for i in range(n)
            for k in rng.sample(kinds, rng.randint(1, len(kinds)))
        ],
        "dynamics": {
            "fear": rng.choice([0.0, 10.0, 0.4]),
            "restraint": rng.choice([1e-6, 10.0, 0.3]),
            "discount": rng.choice([1e-9, 0.999999]),
            "bargaining_rounds": rng.choice([1, 100]) if n <= 25 else 1,
        },
        "questions": [{"id": "q", "text": "Where?", "kind": "value", "series": "issue:i0"}],
    }
    if horizon is not None:
        data["metadata"]["horizon"] = horizon
        if n >= 2 and rng.random() < 0.5:
            data["ties"] = [{"a": "a0", "b": "a1", "strength": rng.choice([-1, 1, 0.5])}]
            data["events"] = [
                {
                    "id": "e",
                    "date": start,
                    "name": "E",
                    "changes": [
                        {
                            "target": "resource",
                            "actor": "a0",
                            "resource": kinds[0],
                            "op": rng.choice(["set", "add", "multiply"]),
                            "value": 1e9,
                        }
                    ],
                }
            ]
    model = rng.choice(MODELS) if n <= 60 or horizon is None else rng.choice(["mean", "median"])
    argv = ["run", "{file}", "--json", "--model", model]
    if rng.random() < 0.3:
        argv = ["run", "{file}", "--out", "{out}", "--model", model]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return Case(f"extreme:{model}:{n}x{m}", {"s.yaml": text.encode()}, argv)


FAMILIES: dict[str, Callable[[random.Random], Case]] = {
    "structural": structural,
    "textual": textual,
    "imported": imported,
    "special": special,
    "extreme": extreme,
}


def any_case(rng: random.Random) -> Case:
    """A case from one of the families (structural and textual mutations most often)."""
    family = rng.choices(list(FAMILIES), weights=[4, 3, 2, 1, 2])[0]
    return FAMILIES[family](rng)
