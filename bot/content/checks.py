"""Cross-file checks that pydantic cannot do alone: references, reachability, phone numbers
(`text_checks`), ambiguous question variants, and minimum coverage per topic."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.content.text_checks import check_phone_numbers, check_placeholders, check_sources
from bot.content.topics import TOPICS
from bot.content.yaml_lines import ContentError
from bot.core.types import PAYLOAD_LIMIT, TEXT_LIMIT

if TYPE_CHECKING:
    from bot.content.loader import Content, Flows, Knowledge


def _at(where: tuple[str, int | None] | None, message: str) -> ContentError:
    file, line = where or ("?", None)
    return ContentError(Path(file), line, message)


def check_references(content: Content) -> list[ContentError]:
    return [
        *_check_knowledge(content.knowledge),
        *_check_flows(content.flows, content.knowledge),
        *check_phone_numbers(content),
    ]


def check_warnings(content: Content) -> list[ContentError]:
    """Problems that do not stop the assistant (`check` prints them, the exit code stays 0):
    contacts still waiting for the ward, sources a reviewer cannot open."""
    return [*check_placeholders(content.knowledge), *check_sources(content.knowledge)]


def _check_knowledge(kb: Knowledge) -> list[ContentError]:
    errors: list[ContentError] = []
    for faq in kb.faqs:
        for ref in faq.related:
            if kb.faq(ref) is None:
                errors.append(_at(kb.where.get(("faq", faq.id)), f"FAQ '{faq.id}' liên kết tới FAQ không có: '{ref}'"))
    errors.extend(_check_duplicate_variants(kb))
    return errors


def _check_duplicate_variants(kb: Knowledge) -> list[ContentError]:
    """Two FAQs sharing (almost) the same question make matching a coin toss."""
    from bot.understanding.normalize import fold_key

    owner: dict[str, str] = {}
    errors: list[ContentError] = []
    for faq in [*kb.faqs, *kb.out_of_scope]:
        for text in (faq.question, *faq.variants):
            key = fold_key(text)
            other = owner.setdefault(key, faq.id)
            if other != faq.id:
                errors.append(
                    _at(kb.where.get(("faq", faq.id)), f"câu hỏi '{text}' của FAQ '{faq.id}' trùng với FAQ '{other}'")
                )
    return errors


def _check_flows(flows: Flows, kb: Knowledge) -> list[ContentError]:
    errors: list[ContentError] = []
    nodes = flows.nodes

    def target(ref: str, where_key: str, what: str) -> None:
        if ref not in nodes:
            errors.append(
                _at(
                    flows.where.get(where_key) or flows.where.get(where_key.split(".")[0]),
                    f"{what} đi tới nút không có: '{ref}'",
                )
            )

    for node_id, node in nodes.items():
        where = flows.where.get(node_id)
        if node.next:
            target(node.next, f"{node_id}.next", f"nút '{node_id}'")
        for r, row in enumerate(node.buttons):
            for c, button in enumerate(row):
                target(button.next, f"{node_id}.buttons.{r}.{c}.next", f"nút '{node_id}'")
                if len(f"n:{button.next}".encode()) > PAYLOAD_LIMIT:
                    errors.append(_at(where, f"nút '{node_id}': dữ liệu nút quá {PAYLOAD_LIMIT} byte"))
        for o, option in enumerate(node.options):
            target(option.next, f"{node_id}.options.{o}.next", f"nút '{node_id}'")
        if len(node.text) > TEXT_LIMIT:
            errors.append(
                _at(flows.where.get(f"{node_id}.text", where), f"nút '{node_id}': văn bản quá {TEXT_LIMIT} ký tự")
            )
        if node.type == "choice" and (not node.field or not node.options):
            errors.append(_at(where, f"nút '{node_id}' loại choice cần 'field' và 'options'"))
        if node.type == "stats_report" and not node.next:
            errors.append(
                _at(where, f"nút '{node_id}' loại stats_report cần 'next' (lời từ chối cho người không phải cán bộ)")
            )
        if node.type == "menu" and not node.buttons:
            errors.append(_at(where, f"nút '{node_id}' loại menu cần 'buttons'"))
        if node.type == "guide" and (not node.guide or kb.guide(node.guide) is None):
            errors.append(
                _at(
                    flows.where.get(f"{node_id}.guide", where),
                    f"nút '{node_id}' dùng hướng dẫn không có: '{node.guide}'",
                )
            )
    cmd = flows.commands
    entry_points = {
        cmd.emergency,
        cmd.fallback,
        cmd.suggest,
        cmd.start,
        cmd.onboarding,
        cmd.menu,
        *cmd.commands.values(),
        *cmd.menu_words,
        *cmd.exact_words,
        *cmd.deep_links.values(),
    }
    for ref in sorted(entry_points):
        if ref not in nodes:
            errors.append(_at(flows.where.get("__commands__"), f"commands.yaml đi tới nút không có: '{ref}'"))
    from bot.core.subscribe import check_subscription_nodes

    errors.extend(_at(flows.where.get(node_id), message) for node_id, message in check_subscription_nodes(nodes))
    reachable = _reachable(flows, entry_points)
    for node_id in nodes:
        if node_id not in reachable:
            errors.append(_at(flows.where.get(node_id), f"nút '{node_id}' không thể tới được từ lệnh hay menu nào"))
    return errors


def _reachable(flows: Flows, roots: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = [root for root in roots if root in flows.nodes]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = flows.nodes[node_id]
        nexts = [node.next] if node.next else []
        nexts += [b.next for row in node.buttons for b in row] + [o.next for o in node.options]
        stack.extend(n for n in nexts if n in flows.nodes)
    return seen


@dataclass(frozen=True)
class Minimums:
    """How much the shipped knowledge base must hold (issue 'full knowledge base')."""

    faq_per_topic: int = 8
    faq_total: int = 160
    variants_per_faq: int = 4
    tips_total: int = 90
    quizzes: int = 5
    questions_per_quiz: int = 12
    guides: int = 6


def check_minimums(kb: Knowledge, minimums: Minimums) -> list[str]:
    """Coverage shortfalls, as plain sentences (they belong to no single line)."""
    problems: list[str] = []
    per_topic = Counter(faq.topic for faq in kb.faqs)
    for topic in TOPICS:
        if per_topic[topic] < minimums.faq_per_topic:
            problems.append(f"chủ đề '{topic}' mới có {per_topic[topic]} FAQ (cần {minimums.faq_per_topic})")
    if len(kb.faqs) < minimums.faq_total:
        problems.append(f"mới có {len(kb.faqs)} FAQ (cần {minimums.faq_total})")
    for faq in kb.faqs:
        if len(faq.variants) < minimums.variants_per_faq:
            problems.append(f"FAQ '{faq.id}' mới có {len(faq.variants)} cách hỏi (cần {minimums.variants_per_faq})")
    if len(kb.tips) < minimums.tips_total:
        problems.append(f"mới có {len(kb.tips)} mẹo (cần {minimums.tips_total})")
    tip_topics = {tip.topic for tip in kb.tips}
    for topic in TOPICS:
        if topic not in tip_topics:
            problems.append(f"chủ đề '{topic}' chưa có mẹo nào")
    if len(kb.quizzes) < minimums.quizzes:
        problems.append(f"mới có {len(kb.quizzes)} bộ trắc nghiệm (cần {minimums.quizzes})")
    for quiz in kb.quizzes:
        if len(quiz.questions) < minimums.questions_per_quiz:
            problems.append(f"bộ '{quiz.id}' mới có {len(quiz.questions)} câu (cần {minimums.questions_per_quiz})")
    if len(kb.guides) < minimums.guides:
        problems.append(f"mới có {len(kb.guides)} hướng dẫn báo cáo (cần {minimums.guides})")
    return problems
