"""YAML loading that remembers the line of every value, so errors can say `file:line`.

PyYAML's composed node tree knows where each node starts; we construct plain Python data from it
and keep a map from the path of each value (e.g. `(3, "variants", 1)`) to its 1-based line.

Content is hand-edited and reloaded into a running assistant, so the loader refuses what no content
needs and what could hurt the process (issue 21): aliases and anchors (an "alias bomb" expands a few
lines into gigabytes; a recursive alias never ends), tags other than the plain ones, `<<` merge keys,
keys that are lists or mappings, nesting deeper than any real content, and files far larger than any
real content. Every refusal is a Vietnamese `file:line` error, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.yaml_messages import translate

PathKey = tuple[int | str, ...]

# The largest shipped file is ~70 KB (a danger-example bank); 2 MB is ~30 times that, room for any
# real file, while a pasted dump or a generated attack is refused before it is parsed.
MAX_FILE_BYTES = 2 * 1024 * 1024
# The deepest shipped content is 6 levels (flows: nodes → node → buttons → row → button → label);
# 20 leaves room and keeps PyYAML's recursive composer far below Python's recursion limit.
MAX_DEPTH = 20
# Explicit tags a content author may write (`!!str 111`); every other tag is refused.
PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")}
MERGE_TAG = "tag:yaml.org,2002:merge"
BOM = "\ufeff"
QUOTE_HINT = 'nếu đây là câu chữ, hãy đặt cả giá trị trong dấu ngoặc kép "…"'


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


@dataclass(frozen=True)
class TextAt:
    """One text value of a content file and where it stands, so a check can name the exact line."""

    file: Path
    path: PathKey
    text: str
    line: int | None
    body_line: int | None = None  # a literal block (`|`): the file line of the text's first line

    def line_at(self, offset: int) -> int | None:
        """File line of character `offset` of the text (exact inside `|` blocks, else the value's line)."""
        if self.body_line is None:
            return self.line
        return self.body_line + self.text.count("\n", 0, offset)

    @property
    def place(self) -> str:
        """The value's path as pydantic errors write it (`0.answer`, `nodes.emergency.text`)."""
        return ".".join(str(part) for part in self.path) or "(tệp)"


@dataclass
class LoadedYaml:
    """Plain data plus the line of each value inside it."""

    file: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    literals: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of the deepest known prefix of `path` (pydantic locations may go past our nodes)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: PathKey, message: str) -> ContentError:
        return ContentError(self.file, self.line_of(path), message)

    def texts(self) -> list[TextAt]:
        """Every text value with its place, in file order, for checks that read all texts (phone
        numbers, sources): a number typed in a button label is found as surely as one in an answer."""
        found: list[TextAt] = []
        stack: list[tuple[PathKey, Any]] = [((), self.data)]
        while stack:
            path, value = stack.pop()
            if isinstance(value, str):
                found.append(TextAt(self.file, path, value, self.line_of(path), self.literals.get(path)))
            elif isinstance(value, dict):
                stack.extend(((*path, key), item) for key, item in value.items())
            elif isinstance(value, list):
                stack.extend(((*path, index), item) for index, item in enumerate(value))
        found.sort(key=lambda text: text.line or 0)
        return found


class _ContentLoader(yaml.SafeLoader):
    """SafeLoader that refuses, while composing, what content never needs (see the module doc)."""

    def __init__(self, text: str, file: Path) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise ContentError(
                self.file,
                line,
                f"không dùng bí danh YAML ('*{event.anchor}'): hãy chép đầy đủ nội dung vào chỗ này; {QUOTE_HINT}",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise ContentError(self.file, line, f"không dùng neo YAML ('&{anchor}'): hãy xoá '&{anchor}'; {QUOTE_HINT}")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in PLAIN_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise ContentError(
                self.file, line, f"thẻ YAML '{shown}' không được dùng trong nội dung: hãy xoá nó; {QUOTE_HINT}"
            )
        if isinstance(event, yaml.CollectionStartEvent) and self.depth >= MAX_DEPTH:
            raise ContentError(
                self.file,
                line,
                f"lồng quá sâu (hơn {MAX_DEPTH} cấp danh sách/bảng lồng nhau; nội dung thật chỉ cần vài cấp)",
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _key(loader: _ContentLoader, key_node: yaml.Node, file: Path) -> Any:
    line = key_node.start_mark.line + 1
    if key_node.tag == MERGE_TAG:
        raise ContentError(file, line, "không dùng khóa gộp '<<' của YAML: hãy viết đầy đủ từng trường")
    if not isinstance(key_node, yaml.ScalarNode):
        raise ContentError(file, line, "tên trường phải là chữ, không được là danh sách hay bảng ('[…]', '{…}', '?')")
    return _scalar(loader, key_node, file)


def _scalar(loader: _ContentLoader, node: yaml.Node, file: Path) -> Any:
    """A plain value; one PyYAML cannot build (a date like 2026-13-45, `!!int abc`) is an error here."""
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, OverflowError) as exc:
        shown = str(node.value)[:40]
        reason = " (ngày tháng không có thật)" if node.tag == "tag:yaml.org,2002:timestamp" else ""
        raise ContentError(
            file, node.start_mark.line + 1, f"không đọc được giá trị '{shown}'{reason}; {QUOTE_HINT}"
        ) from exc


def _build(loader: _ContentLoader, node: yaml.Node, path: PathKey, into: LoadedYaml) -> Any:
    file, lines = into.file, into.lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(loader, key_node, file)
            if key in result:
                raise ContentError(file, key_node.start_mark.line + 1, f"khóa '{key}' bị lặp lại")
            result[key] = _build(loader, value_node, (*path, key), into)
            # A mapping value is found by its key's line ("orphan:"), not where its body starts.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), into) for i, item in enumerate(node.value)]
    if node.style == "|":
        into.literals[path] = node.start_mark.line + 2  # the block starts on the line after '|'
    return _scalar(loader, node, file)


def read_text(file: Path) -> str:
    """The file as text: bounded in size, UTF-8 (a leading BOM, as Notepad writes, is accepted)."""
    with file.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        line = raw[:MAX_FILE_BYTES].count(b"\n") + 1
        raise ContentError(
            file,
            line,
            f"tệp quá lớn (hơn {MAX_FILE_BYTES // (1024 * 1024)} MB, vượt giới hạn từ dòng này): nội dung thật "
            "chỉ vài chục KB một tệp; hãy chia thành nhiều tệp hoặc kiểm tra có dán nhầm gì vào không",
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContentError(file, 1, "tệp được lưu bằng mã UTF-16: hãy lưu lại với mã hóa UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContentError(
            file,
            line,
            f"tệp không phải UTF-8: byte 0x{raw[exc.start]:02X} ở cột {column} không đọc được "
            "(thường do lưu bằng mã khác, ví dụ Windows-1258); hãy lưu lại tệp với mã hóa UTF-8",
        ) from exc
    text = text.removeprefix(BOM)
    if BOM in text:
        line = text[: text.index(BOM)].count("\n") + 1
        raise ContentError(
            file, line, "có ký tự vô hình BOM (U+FEFF) giữa tệp, thường do ghép hai tệp vào nhau: hãy xoá nó"
        )
    return text


def load_yaml(file: Path) -> LoadedYaml:
    """Parse one YAML file; every problem becomes a `ContentError` with the line."""
    text = read_text(file)
    try:
        loader = _ContentLoader(text, file)
        try:
            node = loader.get_single_node()
            loaded = LoadedYaml(file=file, data=None)
            loaded.data = None if node is None else _build(loader, node, (), loaded)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        line, message = translate(exc)
        raise ContentError(file, line, message) from exc
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise ContentError(
            file,
            line,
            f"có ký tự điều khiển không được phép (mã U+{exc.character:04X}) ở cột {column}: hãy xoá nó",
        ) from exc
    return loaded
