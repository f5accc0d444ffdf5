"""YAML loading that remembers the line of every value, so errors can say `file:line`.

PyYAML's composed node tree knows where each node starts; we construct plain Python data from it
and keep a map from the path of each value (e.g. `(3, "variants", 1)`) to its 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[int | str, ...]


class ContentError(Exception):
    """One problem in a content file, located at `file:line`."""

    def __init__(self, file: Path | str, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class LoadedYaml:
    """Plain data plus the line of each value inside it."""

    file: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of the deepest known prefix of `path` (pydantic locations may go past our nodes)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: PathKey, message: str) -> ContentError:
        return ContentError(self.file, self.line_of(path), message)


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, lines: dict[PathKey, int], file: Path) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in result:
                raise ContentError(file, key_node.start_mark.line + 1, f"khóa '{key}' bị lặp lại")
            result[key] = _build(loader, value_node, (*path, key), lines, file)
            # A mapping value is found by its key's line ("orphan:"), not where its body starts.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml(file: Path) -> LoadedYaml:
    """Parse one YAML file; syntax errors become a `ContentError` with the line."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(file, None, f"tệp không phải UTF-8 ({exc.reason})") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ContentError(file, line, f"lỗi cú pháp YAML: {exc.problem or exc.context}") from exc
    lines: dict[PathKey, int] = {}
    try:
        data = None if node is None else _build(loader, node, (), lines, file)
    finally:
        loader.dispose()
    return LoadedYaml(file=file, data=data, lines=lines)
