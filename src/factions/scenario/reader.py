"""One reader for every scenario document: files, YAML, JSON and TOML, with bounded resources.

The command line, the library (:func:`factions.scenario.io.load_scenario`), the importers and
the web app all read through this module, so that a hostile document meets the same guards
wherever it is given (docs/scenario-format.md, "Limits"):

- only regular files are read (a FIFO, a device or a directory is refused before it is
  opened for long), and at most :data:`MAX_FILE_BYTES` of them;
- YAML is read with the safe loader; its node graph is checked *before* anything is built:
  a document whose aliases expand to more than ``max_values`` values (a "billion laughs"),
  a recursive alias, nesting deeper than :data:`MAX_DEPTH`, a duplicate key or an integer
  of more than :data:`MAX_INT_DIGITS` digits is an error with its path;
- JSON and TOML get the same checks after parsing (JSON's duplicate keys with their paths;
  TOML refuses duplicates itself), and nesting too deep for the parser is an error, not a
  ``RecursionError``;
- an empty document is reported as ``empty file``.

Every failure is a :class:`~factions.errors.ScenarioError` whose problems name a path.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from factions.errors import Problem, ScenarioError

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_VALUES",
    "Format",
    "parse_document",
    "read_text_file",
]

Format = Literal["yaml", "json", "toml"]

#: The largest scenario (or import) file read, in bytes.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: The most values (scalars, lists and mappings) a document may hold once YAML aliases are
#: expanded.
MAX_VALUES = 1_000_000
#: The deepest nesting of lists and mappings a document may have.
MAX_DEPTH = 64
#: The most digits an integer may have (a scenario needs far fewer).
MAX_INT_DIGITS = 30

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _fail(message: str, path: str = "", source: str | None = None) -> ScenarioError:
    return ScenarioError([Problem(path, message)], source)


def read_text_file(
    path: str | Path, *, max_bytes: int = MAX_FILE_BYTES, source: str | None = None
) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes (a BOM is dropped).

    Raises
    ------
    ScenarioError
        When the path is not a regular file (a FIFO, a device, a directory), is larger
        than ``max_bytes``, cannot be read, or is not UTF-8 text.
    """
    where = source if source is not None else str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _fail("no such file", source=where) from None
    except OSError as e:
        raise _fail(f"cannot read the file: {e.strerror or e}", source=where) from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail("is a directory, not a scenario file", source=where)
    if not stat.S_ISREG(st.st_mode):
        raise _fail("not a regular file (a FIFO, a device or a socket is never read)", source=where)
    if st.st_size > max_bytes:
        raise _fail(f"the file is {st.st_size} bytes; the limit is {max_bytes} bytes", source=where)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since stat(), open() does not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise _fail(f"cannot read the file: {e.strerror or e}", source=where) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _fail("not a regular file", source=where)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _fail(f"the file is larger than the limit of {max_bytes} bytes", source=where)
            chunks.append(chunk)
    except OSError as e:
        raise _fail(f"cannot read the file: {e.strerror or e}", source=where) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _fail(f"not UTF-8 text (byte {e.start})", source=where) from None


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _int_problem(node: ScalarNode, path: str) -> Problem | None:
    if node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
        return Problem(
            path, f"an integer of {len(node.value)} characters (at most {MAX_INT_DIGITS} digits)"
        )
    return None


def _check_yaml_graph(root: Node, max_values: int) -> list[Problem]:
    """Problems of a composed YAML node graph, found without building (or expanding) it.

    Each distinct list or mapping node is visited once; its expanded size and depth are
    memoised, so a document of nested aliases costs its own size to check, not its
    expansion. Scalars are checked where they stand.
    """
    problems: list[Problem] = []
    if isinstance(root, ScalarNode):
        bad = _int_problem(root, "")
        return [bad] if bad else []
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk over collections: (node, path, children done?).
    stack: list[tuple[Node, str, bool]] = [(root, "", False)]
    while stack:
        node, path, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total, deepest = 1, 0
            for _, kid in _children(node):
                if isinstance(kid, ScalarNode):
                    total += 1
                else:
                    total += size[id(kid)]
                    deepest = max(deepest, depth[id(kid)])
            size[key], depth[key] = total, deepest + 1
            if total > max_values:
                problems.append(
                    Problem(
                        path,
                        f"the document expands to more than {max_values} values "
                        "(YAML aliases nested in aliases?)",
                    )
                )
                return problems
            if depth[key] > MAX_DEPTH:
                problems.append(Problem(path, f"nested more than {MAX_DEPTH} levels deep"))
                return problems
            continue
        if key in size:
            continue
        if key in on_path:
            problems.append(Problem(path, "a recursive YAML alias (a value that contains itself)"))
            return problems
        if len(on_path) > MAX_DEPTH:
            problems.append(Problem(path, f"nested more than {MAX_DEPTH} levels deep"))
            return problems
        on_path.add(key)
        stack.append((node, path, True))
        if isinstance(node, MappingNode):
            seen: set[tuple[str, str]] = set()
            for k, _ in node.value:
                if isinstance(k, ScalarNode) and k.tag != _MERGE_TAG:
                    ident = (k.tag, k.value)
                    if ident in seen:
                        problems.append(
                            Problem(_join(path, k.value), "duplicate key (given more than once)")
                        )
                    seen.add(ident)
        for label, kid in reversed(_children(node)):
            if isinstance(kid, ScalarNode):
                if kid.tag == _INT_TAG and len(kid.value) > MAX_INT_DIGITS:
                    bad = _int_problem(kid, _join(path, label))
                    problems += [bad] if bad else []
            else:
                stack.append((kid, _join(path, label), False))
    return problems


def _children(node: Node) -> list[tuple[object, Node]]:
    if isinstance(node, SequenceNode):
        return list(enumerate(node.value))
    if isinstance(node, MappingNode):
        out: list[tuple[object, Node]] = []
        for k, v in node.value:
            if isinstance(k, ScalarNode):
                out.append((k.value, v))
            else:  # a complex key: a list or mapping used as a key
                out += [("?", k), ("?", v)]
        return out
    return []


class _DupDict(dict[str, Any]):
    """A JSON object that had duplicate keys (their names in ``dups``)."""

    dups: list[str]


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dups: list[str] = []
    for k, v in pairs:
        if k in out:
            dups.append(k)
        out[k] = v
    if dups:
        marked = _DupDict(out)
        marked.dups = dups
        return marked
    return out


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _IntTooLong(digits)
    return int(text)


class _IntTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _check_tree(data: Any, max_values: int) -> list[Problem]:
    """Size, depth and (JSON) duplicate-key problems of parsed data, walked iteratively."""
    problems: list[Problem] = []
    count = 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        obj, path, d = stack.pop()
        count += 1
        if count > max_values:
            return [Problem("", f"the document holds more than {max_values} values")]
        if isinstance(obj, dict):
            if d >= MAX_DEPTH:
                return [Problem(path, f"nested more than {MAX_DEPTH} levels deep")]
            for k in getattr(obj, "dups", ()):
                problems.append(Problem(_join(path, k), "duplicate key (given more than once)"))
            stack.extend((v, _join(path, k), d + 1) for k, v in obj.items())
        elif isinstance(obj, list):
            if d >= MAX_DEPTH:
                return [Problem(path, f"nested more than {MAX_DEPTH} levels deep")]
            stack.extend((v, _join(path, i), d + 1) for i, v in enumerate(obj))
    return sorted(problems, key=lambda p: p.path)


def _parse_yaml(text: str, max_values: int, source: str | None) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problems = _check_yaml_graph(node, max_values)
        if problems:
            raise ScenarioError(problems, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_document(
    text: str, fmt: Format, *, source: str | None = None, max_values: int = MAX_VALUES
) -> Any:
    """Parse scenario text in ``fmt`` into plain data, with the guards of the module's text.

    Returns None for an empty document (no value in it).

    Raises
    ------
    ScenarioError
        With the path of each problem (``metadata.id: duplicate key``), or the line and
        column of a syntax error.
    """
    try:
        if fmt == "yaml":
            data = _parse_yaml(text, max_values, source)
        elif fmt == "json":
            if not text.strip():
                return None
            data = json.loads(text, object_pairs_hook=_json_object, parse_int=_json_int)
        else:
            data = tomllib.loads(text)
    except ScenarioError:
        raise
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        raise _fail(f"not valid YAML: {where}{problem}", source=source) from None
    except json.JSONDecodeError as err:
        raise _fail(
            f"not valid JSON: line {err.lineno}, column {err.colno}: {err.msg}", source=source
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise _fail(f"not valid TOML: {err}", source=source) from None
    except _IntTooLong as err:
        raise _fail(
            f"an integer of {err.digits} digits (at most {MAX_INT_DIGITS})", source=source
        ) from None
    except RecursionError:
        raise _fail(
            f"not valid {fmt.upper()}: nested too deeply (at most {MAX_DEPTH} levels)",
            source=source,
        ) from None
    except ValueError as err:  # e.g. an integer too long for Python (TOML, YAML)
        raise _fail(f"not valid {fmt.upper()}: {err}", source=source) from None
    # YAML's graph was checked before it was built; JSON and TOML are checked now.
    problems = [] if fmt == "yaml" else _check_tree(data, max_values)
    if problems:
        raise ScenarioError(problems, source)
    return data
