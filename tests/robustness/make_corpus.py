"""Write the saved corpus of tests/robustness/corpus/ (the cases of issue 14, reproduced).

Run it from the repository root to regenerate the files: ``python
tests/robustness/make_corpus.py``. Each case is one file plus one entry in ``cases.yaml``:
the command line to give it (``{file}`` and ``{out}`` are filled in), the exit status
expected, and a fragment that a problem line must contain (exit 2) or the output must
contain (exit 0). The built-in scenarios are the starting points; all data is synthetic.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent / "corpus"
BUILTIN = Path(__file__).parents[2] / "src" / "factions" / "scenario" / "builtin"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((BUILTIN / f"{name}.yaml").read_text("utf-8"))
    return data


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _bomb(levels: int) -> str:
    text = "    a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for k in range(1, levels + 1):
        ref = "*a" if k == 1 else f"*b{k - 1}"
        text += f"    b{k}: &b{k} [{', '.join([ref] * 10)}]\n"
    return text


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(file name, content, expectation) for every case."""
    es, iraq = _load("emission-standards"), _load("iraq-2008")
    out: list[tuple[str, str, dict[str, Any]]] = []

    def add(name: str, text: str, item: int, argv: list[str], exit: int, expect: str) -> None:
        out.append((name, text, {"item": item, "argv": argv, "exit": exit, "expect": expect}))

    def mutate(base: dict[str, Any], fn: Any) -> str:
        d = copy.deepcopy(base)
        fn(d)
        return _yaml(d)

    ktab = "T,d,{n},{d}\nActor,Desc,Power,P1,S1\nA,a,1,10,50\nB,b,1,90,50\n"
    # 1. header counts that would allocate gigabytes
    add(
        "ktab-ndims-1e9.csv",
        ktab.format(n=2, d="1e9"),
        1,
        ["validate", "{file}"],
        2,
        "line 1, nDims",
    )
    add("ktab-ndims-1e6.csv", ktab.format(n=2, d="1e6"), 1, ["run", "{file}"], 2, "nDims")
    add(
        "ktab-nactors-1e9.csv",
        ktab.format(n="1e9", d=1),
        1,
        ["validate", "{file}"],
        2,
        "line 1, nActors",
    )
    # 2. dates at the end of the calendar
    add(
        "date-9999.yaml",
        mutate(es, lambda d: d["metadata"].update(date="9999-12-30", horizon="9999-12-31")),
        2,
        ["run", "{file}"],
        2,
        "metadata.date",
    )
    add(
        "date-0001.yaml",
        mutate(es, lambda d: d["metadata"].update(date="0001-01-01")),
        5,
        ["run", "{file}"],
        2,
        "metadata.date",
    )
    add(
        "horizon-far.yaml",
        mutate(iraq, lambda d: d["metadata"].update(horizon="2999-12-31")),
        2,
        ["run", "{file}"],
        2,
        "metadata.horizon",
    )
    # 3. alias bombs
    for levels, argv in ((8, ["validate", "{file}"]), (7, ["run", "{file}", "--out", "{out}"])):
        head = _yaml(es).replace("options:", "options_old:") + "options:\n  smp:\n"
        add(f"alias-bomb-{levels}.yaml", head + _bomb(levels), 3, argv, 2, "expands to more than")
    # 4. tracebacks on bad input
    add("ktab-nactors-inf.csv", ktab.format(n="inf", d=1), 4, ["validate", "{file}"], 2, "nActors")
    add("ktab-ndims-nan.csv", ktab.format(n=2, d="nan"), 4, ["validate", "{file}"], 2, "nDims")
    add(
        "bdm-header-only.csv",
        "actor,capability,position,salience\n",
        4,
        ["validate", "{file}"],
        2,
        "no actor rows",
    )
    add(
        "json-deep.json",
        "[" * 100_000 + "]" * 100_000,
        4,
        ["validate", "{file}"],
        2,
        "nested too deeply",
    )
    add(
        "toml-deep.toml",
        "a = " + "[" * 2000 + "]" * 2000 + "\n",
        4,
        ["validate", "{file}"],
        2,
        "nested too deeply",
    )
    add(
        "json-bigint.json",
        '{"schema_version": ' + "9" * 5000 + "}",
        4,
        ["validate", "{file}"],
        2,
        "digits",
    )

    # 5. validated scenarios that crashed run
    def election(d: dict[str, Any], **kw: Any) -> None:
        ev = next(e for e in d["events"] if e.get("kind") == "election")
        ev["election"].update(kw)

    add(
        "seats-2e63.yaml",
        mutate(
            iraq,
            lambda d: (
                election(d, seats=2**63),
                [e["election"].pop("districts", None) for e in d["events"] if e.get("election")],
            ),
        ),
        5,
        ["run", "{file}"],
        2,
        "seats",
    )
    add(
        "first-divisor-inf.yaml",
        mutate(iraq, lambda d: election(d, rule="sainte_lague", first_divisor=float("inf"))),
        5,
        ["run", "{file}"],
        2,
        "first_divisor",
    )
    add(
        "fear-inf.yaml",
        mutate(iraq, lambda d: d["dynamics"].update(fear=float("inf"))),
        5,
        ["run", "{file}"],
        2,
        "dynamics.fear",
    )
    add(
        "fear-1e308.yaml",
        mutate(iraq, lambda d: d["dynamics"].update(fear=1e308)),
        5,
        ["run", "{file}"],
        2,
        "dynamics.fear",
    )

    def multiply(d: dict[str, Any]) -> None:
        d["events"].append(
            {
                "id": "boom",
                "date": "2008-12-01",
                "name": "Boom",
                "changes": [
                    {
                        "target": "resource",
                        "actor": d["actors"][0]["id"],
                        "resource": "money",
                        "op": "multiply",
                        "value": 1e308,
                    }
                ],
            }
        )

    add("multiply-1e308.yaml", mutate(iraq, multiply), 5, ["run", "{file}"], 2, "changes.0.value")
    add(
        "scale-1e308.yaml",
        mutate(es, lambda d: d["issues"][0].update(scale={"low": -1e308, "high": 1e308})),
        5,
        ["run", "{file}"],
        2,
        "scale",
    )

    def many_actors(d: dict[str, Any]) -> None:
        d["actors"] = [{"id": f"a{i}", "name": f"A{i}", "capability": 1} for i in range(3000)]
        d["stances"] = [
            {"actor": f"a{i}", "issue": "emission", "position": 4 + i % 7, "salience": 50}
            for i in range(3000)
        ]
        d.pop("questions", None)

    add("actors-3000.yaml", mutate(es, many_actors), 5, ["run", "{file}"], 2, "actors")
    # 6. markup in names
    for n, (base, argv) in enumerate(
        ((es, ["show", "{file}"]), (iraq, ["run", "{file}", "--out", "{out}"]))
    ):

        def markup(d: dict[str, Any]) -> None:
            d["actors"][0]["name"] = d["issues"][0]["name"] = "Cars [/bold] [red]x"
            d["metadata"]["title"] = "[link=http://x]Title[/link] [/]"

        text = mutate(base, markup)
        add(f"markup-name-{n}.yaml", text, 6, argv, 0, "Cars [/bold] [red]x" if n == 0 else "")
    # 7. NaN in JSON
    add(
        "horizon-no-resources.yaml",
        mutate(es, lambda d: d["metadata"].update(horizon="1995-01-01")),
        7,
        ["run", "{file}", "--json"],
        2,
        "issues.0",
    )
    add(
        "arena-weight-nan.yaml",
        mutate(
            iraq, lambda d: d["dynamics"].update(arena_weights={"armed": {"money": float("nan")}})
        ),
        7,
        ["run", "{file}", "--json"],
        2,
        "dynamics.arena_weights.armed.money",
    )
    add(
        "arena-weight-negative.yaml",
        mutate(
            iraq, lambda d: d["dynamics"].update(arena_weights={"armed": {"armed_strength": -5}})
        ),
        7,
        ["run", "{file}", "--json"],
        2,
        "dynamics.arena_weights.armed.armed_strength",
    )

    def nan_threshold(d: dict[str, Any]) -> None:
        q = next(q for q in d["questions"] if q.get("threshold") is not None)
        q["threshold"] = float("nan")

    add(
        "threshold-nan.yaml",
        mutate(iraq, nan_threshold),
        7,
        ["run", "{file}", "--json"],
        2,
        "threshold",
    )
    # 14. control characters echoed
    add(
        "control-chars.yaml",
        mutate(es, lambda d: d["questions"][0].update(series="position:x\x1b[31mRED:emission")),
        14,
        ["validate", "{file}"],
        2,
        "x\\x1b[31mRED",
    )
    # 15. duplicate keys
    text = _yaml(es).replace("metadata:\n", "metadata:\n  id: first\n", 1)
    add("duplicate-key.yaml", text, 15, ["validate", "{file}"], 2, "metadata.id: duplicate key")
    as_json = json.dumps(yaml.safe_load(_yaml(es)), default=str)
    add(
        "duplicate-key.json",
        as_json.replace('"metadata": {', '"metadata": {"id": "x", ', 1),
        15,
        ["validate", "{file}"],
        2,
        "metadata.id: duplicate key",
    )
    add("empty.yaml", "", 15, ["validate", "{file}"], 2, "empty file")
    # 16. a 100 KB name
    add(
        "long-event-name.yaml",
        mutate(iraq, lambda d: d["events"][0].update(name="x" * 100_000)),
        16,
        ["run", "{file}", "--out", "{out}"],
        2,
        "events.0.name",
    )
    return out


def main() -> None:
    ROOT.mkdir(exist_ok=True)
    index = []
    for name, text, expect in cases():
        (ROOT / name).write_text(text, "utf-8")
        index.append({"file": name, **expect})
    (ROOT / "cases.yaml").write_text(
        "# Written by tests/robustness/make_corpus.py: the cases of issue 14.\n"
        + yaml.safe_dump(index, sort_keys=False, width=100),
        "utf-8",
    )


if __name__ == "__main__":
    main()
