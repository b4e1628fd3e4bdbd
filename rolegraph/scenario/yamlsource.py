"""YAML loading that remembers the line of every value, so errors can say `file:line`.

It also refuses what a hostile or broken file could do to the process: values nested more
than MAX_DEPTH levels deep (PyYAML's composer recurses, so they would end in a
RecursionError), aliases that expand the document beyond MAX_VALUES values (an "alias
bomb": a few KB that pydantic and the scenario's digest would expand into gigabytes), and
raw control characters, each with its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed YAML data plus the 1-based line of each value by its path, and parse problems."""

    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, path, message)
    built: dict[int, Any] = field(
        default_factory=dict, repr=False
    )  # node id -> value, so aliases are built once
    sizes: dict[int, int] = field(default_factory=dict, repr=False)  # node id -> expanded size

    def line_of(self, loc: Path_) -> int:
        """Line of the deepest part of `loc` that exists in the file (1 if none)."""
        best = self.lines.get((), 1)
        data = self.data
        walked: list[str | int] = []
        for part in loc:
            if (isinstance(data, dict) and part in data) or (
                isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
            ):
                data = data[part]
            else:
                continue  # a pydantic union tag or a missing key: stay at the parent
            walked.append(part)
            best = self.lines.get(tuple(walked), best)
        return best

    def data_at(self, path: Path_) -> Any:
        """The value at `path`, or None if the file has nothing there."""
        data = self.data
        for part in path:
            in_dict = isinstance(data, dict) and part in data
            if not in_dict and not (
                isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
            ):
                return None
            data = data[part]
        return data

    def data_path(self, loc: Path_) -> Path_:
        """`loc` without the parts that are not keys in the data (pydantic union tags)."""
        data = self.data
        kept: list[str | int] = []
        for part in loc:
            if (isinstance(data, dict) and part in data) or (
                isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
            ):
                data = data[part]
                kept.append(part)
            elif isinstance(part, str) and (
                part[:1].isupper() or "[" in part or part in _TYPE_TAGS
            ):
                continue
            else:
                kept.append(part)
                data = None
        return tuple(kept)


MAX_DEPTH = 50  # scenarios nest about 8 levels; PyYAML's composer recursion ends near 300
MAX_VALUES = 200_000  # values after expanding aliases; a large inline scenario has a few thousand


class _TooBig(Exception):
    """Building stopped: aliases expand the document beyond MAX_VALUES."""


class _TooDeep(yaml.composer.ComposerError):
    """A value nested deeper than MAX_DEPTH."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than MAX_DEPTH at the node that goes too deep."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(
                    None,
                    None,
                    f"values are nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_TYPE_TAGS = {
    "str",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "none",
    "function-after",
    "function-before",
}


def format_path(loc: Path_) -> str:
    """`speakers.0.persona.name` style, or `(root)` for the whole file."""
    return ".".join(str(p) for p in loc) or "(root)"


def load_located(text: str) -> Located:
    """Parse YAML text; syntax errors and duplicate keys become problems, never exceptions."""
    out = Located()
    try:
        loader = _Loader(text)  # checks every character first
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        out.problems.append((line, "(root)", _control_character(exc.character, column)))
        return out
    try:
        node = loader.get_single_node()
    except _TooDeep as exc:
        mark = exc.problem_mark
        out.problems.append(
            (
                mark.line + 1 if mark else 1,
                "(root)",
                f"values are nested more than {MAX_DEPTH} levels deep (from column "
                f"{mark.column + 1 if mark else 1}); flatten the structure",
            )
        )
        return out
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = f"YAML syntax error: {exc.problem or exc}"
        if (
            exc.context == "while scanning a quoted scalar"
            and exc.context_mark
            and "end of stream" in str(exc.problem)
        ):
            line, message = (
                exc.context_mark.line + 1,
                "YAML syntax error: a quote opened on this line is never closed",
            )
        elif (
            exc.context
            and exc.context.startswith("while ")
            and exc.context_mark
            and exc.context_mark.line + 1 != line
        ):
            # e.g. an unclosed bracket: say where it was opened, not only where parsing failed
            message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        out.problems.append((line, "(root)", message))
        return out
    except yaml.YAMLError as exc:
        out.problems.append((1, "(root)", f"YAML error: {exc}"))
        return out
    finally:
        loader.dispose()
    if node is None:
        return out
    try:
        out.data = _build(node, (), out, loader)
    except _TooBig:
        out.data = None
    return out


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character `index` of `text`."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _control_character(character: Any, column: int) -> str:
    code = ord(character) if isinstance(character, str) else int(character)
    return (
        f"raw control character U+{code:04X} at column {column}; YAML does not allow it "
        f'(remove it, or write it as "\\x{code:02x}" inside double quotes)'
    )


def _problem(exc: yaml.YAMLError) -> str:
    """A one-line description of a YAML error (str() of a marked error spans several lines)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        return exc.problem
    return str(exc).splitlines()[0]


def _size(node: yaml.Node, out: Located) -> int:
    """Values `node` stands for once its aliases are expanded (1 for a scalar)."""
    return out.sizes.get(id(node), 1)


def _sized(node: yaml.Node, path: Path_, out: Located, children: list[yaml.Node]) -> None:
    """Record the expanded size of a finished collection; stop at the first one too big."""
    size = 1 + sum(_size(child, out) for child in children)
    out.sizes[id(node)] = size
    if size > MAX_VALUES:
        out.problems.append(
            (
                node.start_mark.line + 1,
                format_path(path),
                f"aliases expand this value to more than {MAX_VALUES:,} values; write the "
                "values out, or use fewer aliases",
            )
        )
        raise _TooBig


def _build(
    node: yaml.Node,
    path: Path_,
    out: Located,
    loader: yaml.SafeLoader,
    parents: tuple[int, ...] = (),
) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in parents:
        out.problems.append(
            (
                node.start_mark.line + 1,
                format_path(path),
                "an alias refers to a value that contains it",
            )
        )
        return None
    if id(node) in out.built:  # an alias of a finished value: share it, as PyYAML does
        return out.built[id(node)]
    parents = (*parents, id(node))
    if node.tag not in _PLAIN_TAGS and not isinstance(
        node, yaml.ScalarNode
    ):  # e.g. !!python/object
        out.problems.append(
            (
                node.start_mark.line + 1,
                format_path(path),
                f"bad value: unsupported YAML tag '{node.tag}'",
            )
        )
        return None
    if isinstance(node, yaml.MappingNode):
        try:
            loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            out.problems.append(
                (node.start_mark.line + 1, format_path(path), f"bad merge ('<<'): {_problem(exc)}")
            )
            return None
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            try:
                key = loader.construct_object(key_node, deep=True)
            except yaml.YAMLError as exc:
                out.problems.append(
                    (key_node.start_mark.line + 1, format_path(path), f"bad key: {_problem(exc)}")
                )
                continue
            if isinstance(key, list | dict):
                out.problems.append(
                    (
                        key_node.start_mark.line + 1,
                        format_path(path),
                        "mapping keys must be plain values",
                    )
                )
                continue
            if key in result:
                out.problems.append(
                    (
                        key_node.start_mark.line + 1,
                        format_path((*path, key)),
                        f"duplicate key '{key}' (first given on line {out.lines[(*path, key)]})",
                    )
                )
                continue
            out.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*path, key), out, loader, parents)
        _sized(node, path, out, [v for _, v in node.value])
        out.built[id(node)] = result
        return result
    if isinstance(node, yaml.SequenceNode):
        items = [
            _build(item, (*path, i), out, loader, parents) for i, item in enumerate(node.value)
        ]
        _sized(node, path, out, node.value)
        out.built[id(node)] = items
        return items
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        out.problems.append(
            (node.start_mark.line + 1, format_path(path), f"bad value: {_problem(exc)}")
        )
        return None
