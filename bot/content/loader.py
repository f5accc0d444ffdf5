"""Load and validate `knowledge/` and `flows/` once at start-up; every error names file:line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.content.flow_models import Commands, FlowFile, Node, SmallTalk
from bot.content.models import Activity, Contact, DangerExample, Duties, Faq, Guide, OutOfScope, Quiz, Tip
from bot.content.yaml_lines import ContentError, LoadedYaml, PathKey, TextAt, load_yaml

T = TypeVar("T")


@dataclass
class Knowledge:
    """Everything the assistant says, validated. `where` keeps each entry's file:line for checks."""

    faqs: list[Faq] = field(default_factory=list)
    tips: list[Tip] = field(default_factory=list)
    quizzes: list[Quiz] = field(default_factory=list)
    guides: list[Guide] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    out_of_scope: list[OutOfScope] = field(default_factory=list)
    duties: Duties | None = None
    abbreviations: dict[str, list[str]] = field(default_factory=dict)
    synonym_groups: list[list[str]] = field(default_factory=list)
    danger_examples: list[DangerExample] = field(default_factory=list)
    where: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)
    # Every text the assistant may show, with its line (not the typing aids or danger examples).
    texts: list[TextAt] = field(default_factory=list, repr=False)

    def faq(self, faq_id: str) -> Faq | None:
        return self._faq_by_id.get(faq_id)

    def quiz(self, quiz_id: str) -> Quiz | None:
        return next((quiz for quiz in self.quizzes if quiz.id == quiz_id), None)

    def guide(self, guide_id: str) -> Guide | None:
        return next((guide for guide in self.guides if guide.id == guide_id), None)

    def index(self) -> None:
        self._faq_by_id = {faq.id: faq for faq in self.faqs}


@dataclass
class Flows:
    nodes: dict[str, Node]
    commands: Commands
    where: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    texts: list[TextAt] = field(default_factory=list, repr=False)
    small_talk: SmallTalk | None = None  # flows/small_talk.yaml; without it no message is small talk


@dataclass
class Content:
    knowledge: Knowledge
    flows: Flows


class ContentInvalid(Exception):
    """Raised with every problem found, so the officer can fix them all in one go."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def _validate(loaded: LoadedYaml, adapter: TypeAdapter[T], errors: list[ContentError]) -> T | None:
    try:
        return adapter.validate_python(loaded.data)
    except ValidationError as exc:
        for problem in exc.errors():
            path: PathKey = tuple(
                part for part in problem["loc"] if not isinstance(part, str) or not part.startswith("function-")
            )
            place = ".".join(str(part) for part in path) or "(tệp)"
            errors.append(loaded.error(path, f"{place}: {_vietnamese(problem)}"))
        return None


def _vietnamese(problem: dict[str, Any]) -> str:
    """Pydantic's English messages, for the common cases, in the officer's language."""
    kind = problem["type"]
    ctx = problem.get("ctx") or {}
    messages: dict[str, Callable[[], str]] = {
        "missing": lambda: "thiếu trường bắt buộc",
        "extra_forbidden": lambda: "trường không được phép (gõ nhầm tên?)",
        "string_too_long": lambda: f"quá dài (tối đa {ctx.get('max_length')} ký tự)",
        "string_too_short": lambda: f"quá ngắn hoặc để trống (tối thiểu {ctx.get('min_length')} ký tự)",
        "too_short": lambda: f"cần ít nhất {ctx.get('min_length')} mục",
        "too_long": lambda: f"nhiều nhất {ctx.get('max_length')} mục",
        "string_pattern_mismatch": lambda: "sai định dạng (chỉ dùng chữ thường không dấu, số, '-' hoặc '_')",
        "literal_error": lambda: f"giá trị không hợp lệ, phải là một trong: {ctx.get('expected')}",
        "string_type": lambda: "phải là chuỗi văn bản",
        "list_type": lambda: "phải là một danh sách",
        "dict_type": lambda: "phải là một bảng (mapping)",
        "bool_type": lambda: "phải là true hoặc false",
    }
    if kind in messages:
        return messages[kind]()
    if kind == "value_error":
        return str(ctx.get("error", problem["msg"]))
    return problem["msg"]


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.yaml") if path.is_file())


def _load_list(
    files: list[Path],
    model: type[BaseModel],
    kind: str,
    errors: list[ContentError],
    where: dict,
    texts: list[TextAt] | None = None,
) -> list[Any]:
    adapter = TypeAdapter(list[model])  # type: ignore[valid-type]
    items: list[Any] = []
    for file in files:
        try:
            loaded = load_yaml(file)
        except ContentError as exc:
            errors.append(exc)
            continue
        if loaded.data is None:
            continue
        if texts is not None:
            texts.extend(loaded.texts())
        parsed = _validate(loaded, adapter, errors)
        for index, item in enumerate(parsed or []):
            key = (kind, item.id)
            if key in where:
                first_file, first_line = where[key]
                errors.append(loaded.error((index, "id"), f"id '{item.id}' trùng với {first_file}:{first_line}"))
                continue
            where[key] = (str(file), loaded.line_of((index, "id")))
            items.append(item)
    return items


def _load_one(
    file: Path, adapter: TypeAdapter[T], errors: list[ContentError], texts: list[TextAt] | None = None
) -> tuple[T | None, LoadedYaml | None]:
    if not file.exists():
        return None, None
    try:
        loaded = load_yaml(file)
    except ContentError as exc:
        errors.append(exc)
        return None, None
    if texts is not None:
        texts.extend(loaded.texts())
    return _validate(loaded, adapter, errors), loaded


def load_knowledge(folder: Path, errors: list[ContentError]) -> Knowledge:
    kb = Knowledge()
    shown = kb.texts
    kb.faqs = _load_list(_files(folder / "faq"), Faq, "faq", errors, kb.where, shown)
    kb.tips = _load_list(_files(folder / "tips"), Tip, "tip", errors, kb.where, shown)
    kb.guides = _load_list(_existing(folder / "guides.yaml"), Guide, "guide", errors, kb.where, shown)
    kb.contacts = _load_list(_existing(folder / "contacts.yaml"), Contact, "contact", errors, kb.where, shown)
    kb.activities = _load_list(_existing(folder / "activities.yaml"), Activity, "activity", errors, kb.where, shown)
    kb.out_of_scope = _load_list(
        _existing(folder / "out_of_scope.yaml"), OutOfScope, "out_of_scope", errors, kb.where, shown
    )
    quiz_adapter = TypeAdapter(Quiz)
    for file in _files(folder / "quizzes"):
        quiz, loaded = _load_one(file, quiz_adapter, errors, shown)
        if quiz and loaded:
            if ("quiz", quiz.id) in kb.where:
                errors.append(loaded.error(("id",), f"id bộ câu hỏi '{quiz.id}' bị trùng"))
                continue
            kb.where[("quiz", quiz.id)] = (str(file), loaded.line_of(("id",)))
            kb.quizzes.append(quiz)
    kb.duties, _ = _load_one(folder / "duties.yaml", TypeAdapter(Duties), errors, shown)
    abbreviations, _ = _load_one(folder / "teencode.yaml", TypeAdapter(dict[str, dict[str, list[str]]]), errors)
    kb.abbreviations = (abbreviations or {}).get("abbreviations", {})
    synonyms, _ = _load_one(folder / "synonyms.yaml", TypeAdapter(dict[str, list[list[str]]]), errors)
    kb.synonym_groups = (synonyms or {}).get("groups", [])
    example_adapter = TypeAdapter(list[DangerExample])
    for file in _files(folder / "danger_examples"):
        examples, _ = _load_one(file, example_adapter, errors)
        kb.danger_examples.extend(examples or [])
    kb.index()
    return kb


def _existing(file: Path) -> list[Path]:
    return [file] if file.exists() else []


SMALL_TALK_FILE = "small_talk.yaml"  # word lists and replies, not nodes (bot/content/flow_models.py)


def load_flows(folder: Path, errors: list[ContentError]) -> Flows:
    nodes: dict[str, Node] = {}
    where: dict[str, tuple[str, int | None]] = {}
    texts: list[TextAt] = []
    commands: Commands | None = None
    small_talk: SmallTalk | None = None
    for file in _files(folder):
        if file.name == SMALL_TALK_FILE:
            small_talk, _ = _load_one(file, TypeAdapter(SmallTalk), errors, texts)
            continue
        if file.name == "commands.yaml":
            commands, loaded = _load_one(file, TypeAdapter(Commands), errors, texts)
            if loaded:
                where["__commands__"] = (str(file), 1)
                where.update({f"__commands__{k}": (str(file), v) for k, v in _flat_lines(loaded)})
            continue
        parsed, loaded = _load_one(file, TypeAdapter(FlowFile), errors, texts)
        if not parsed or not loaded:
            continue
        for node_id, node in parsed.nodes.items():
            if node_id in nodes:
                errors.append(loaded.error(("nodes", node_id), f"nút '{node_id}' đã có ở {where[node_id][0]}"))
                continue
            nodes[node_id] = node
            where[node_id] = (str(file), loaded.line_of(("nodes", node_id)))
            for path, line in loaded.lines.items():
                if len(path) > 2 and path[:2] == ("nodes", node_id):
                    where[f"{node_id}." + ".".join(map(str, path[2:]))] = (str(file), line)
    if commands is None:
        errors.append(ContentError(folder / "commands.yaml", None, "thiếu tệp commands.yaml (lệnh và điểm vào)"))
        commands = Commands.model_construct(
            start="start",
            onboarding="start",
            menu="start",
            emergency="start",
            fallback="start",
            suggest="start",
            commands={},
            menu_words={},
            deep_links={},
            command_help={},
        )
    return Flows(nodes=nodes, commands=commands, where=where, texts=texts, small_talk=small_talk)


def _flat_lines(loaded: LoadedYaml) -> list[tuple[str, int]]:
    return [(".".join(map(str, path)), line) for path, line in loaded.lines.items() if path]


def load_content(knowledge_dir: Path, flows_dir: Path) -> Content:
    """Load both folders and cross-check them; raise `ContentInvalid` listing every problem."""
    from bot.content.checks import check_references

    errors: list[ContentError] = []
    for folder in (knowledge_dir, flows_dir):
        if not folder.is_dir():
            errors.append(ContentError(folder, None, "không tìm thấy thư mục"))
    if errors:
        raise ContentInvalid(errors)
    knowledge = load_knowledge(knowledge_dir, errors)
    flows = load_flows(flows_dir, errors)
    content = Content(knowledge=knowledge, flows=flows)
    if not errors:
        errors.extend(check_references(content))
    if errors:
        raise ContentInvalid(errors)
    return content
