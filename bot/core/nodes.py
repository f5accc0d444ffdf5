"""One small handler per flow node type and per button payload prefix, registered by name."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.content.loader import Content
from bot.content.models import Faq, Guide, Quiz, Tip
from bot.content.topics import AGE_BANDS, TOPICS
from bot.core import ui
from bot.core.types import Action, Button, Event, Keyboard, Outcome, QuizProgress, Reply, Session


@dataclass
class Context:
    content: Content
    session: Session
    rng: random.Random
    admin: bool = False  # the sender is on the staff list (decided by `Assistant`, not by a channel)
    reachable: bool = False  # broadcasts can reach the sender later (decided by `Assistant`)
    events: list[Event] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def outcome(self, replies: list[Reply], kind: str) -> Outcome:
        return Outcome(replies=replies, session=self.session, events=self.events, kind=kind, actions=self.actions)

    def menu_row(self) -> Keyboard:
        return ui.menu_row(self.content)

    def node_of_type(self, node_type: str) -> str | None:
        return next((nid for nid, node in self.content.flows.nodes.items() if node.type == node_type), None)


NodeHandler = Callable[[Context, str], list[Reply]]
NODE_HANDLERS: dict[str, NodeHandler] = {}


def node_type(name: str) -> Callable[[NodeHandler], NodeHandler]:
    def register(handler: NodeHandler) -> NodeHandler:
        NODE_HANDLERS[name] = handler
        return handler

    return register


# Nodes that ask and wait for an answer: a danger message there shows the emergency card, which
# then offers the way back to the question (onboarding, subscription steps).
ASKING_TYPES = frozenset({"choice", "sub_start", "sub_kinds", "sub_topics", "sub_age_gate", "sub_group"})


def render(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    if node.type in ASKING_TYPES:
        ctx.session.awaiting = node_id
    elif node.type != "emergency":
        ctx.session.awaiting = None
    return NODE_HANDLERS[node.type](ctx, node_id)


def back_row(ctx: Context) -> Keyboard:
    """ "Back to the question you were answering": the quiz question, or the step that waits."""
    if ctx.session.quiz is not None:
        return ((Button(ui.BACK_TO_QUESTION, "q:continue"),),)
    awaiting = ctx.session.awaiting
    if awaiting and awaiting in ctx.content.flows.nodes:
        return ((Button(ui.BACK_TO_QUESTION, f"n:{awaiting}"),),)
    return ()


def _buttons(ctx: Context, node_id: str) -> Keyboard:
    node = ctx.content.flows.nodes[node_id]
    return tuple(tuple(Button(b.label, f"n:{b.next}") for b in row) for row in node.buttons)


def _with_menu(ctx: Context, rows: Keyboard) -> Keyboard:
    menu = ctx.menu_row()
    return rows if any(b.payload == menu[0][0].payload for row in rows for b in row) else rows + menu


@node_type("message")
def _message(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    if node.next and not node.buttons:
        return [Reply(node.text), *render(ctx, node.next)]
    return [Reply(node.text, _buttons(ctx, node_id))]


@node_type("menu")
def _menu(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    rows = _buttons(ctx, node_id)
    if node_id == ctx.content.flows.commands.menu and ctx.session.quiz is not None:
        # A quiz left half-way (another menu item, a restart of the terminal chat): the way back.
        rows = ((Button(ui.CONTINUE_QUIZ, "q:continue"),),) + rows
    return [Reply(node.text, rows, replace=True)]


@node_type("choice")
def _choice(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    buttons = [Button(o.label, f"s:{node_id}:{o.value}") for o in node.options]
    # A long list of short choices (residential groups) goes three to a row, so it fits a phone.
    per_row = 3 if len(buttons) > 5 and all(len(b.label) <= 12 for b in buttons) else 1
    rows = tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
    return [Reply(node.text, rows)]


@node_type("tip_topics")
def _tip_topics(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    topics = [t for t in TOPICS if any(tip.topic == t for tip in ctx.content.knowledge.tips)]
    buttons = [Button(TOPICS[t], f"t:{t}") for t in topics]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return [Reply(node.text, rows + ctx.menu_row(), replace=True)]


@node_type("quiz_list")
def _quiz_list(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    band = ctx.session.age_band
    if ctx.session.role == "parent":
        # A parent's own quiz first, then the one for their child's age (to do together).
        quizzes = sorted(
            ctx.content.knowledge.quizzes, key=lambda q: (q.audience != "parent", q.age_band != band, q.id)
        )
    else:
        quizzes = sorted(ctx.content.knowledge.quizzes, key=lambda q: (q.age_band != band, q.id))
    rows = tuple((Button(ui.short(q.title), f"q:{q.id}"),) for q in quizzes)
    return [Reply(node.text, rows + ctx.menu_row(), replace=True)]


@node_type("guide_menu")
def _guide_menu(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    guides = ctx.content.knowledge.guides
    buttons = [Button(g.button, f"g:{g.id}") for g in guides]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return [Reply(node.text, rows + _buttons(ctx, node_id) + ctx.menu_row(), replace=True)]


@node_type("guide")
def _guide_node(ctx: Context, node_id: str) -> list[Reply]:
    guide = ctx.content.knowledge.guide(ctx.content.flows.nodes[node_id].guide or "")
    return _guide(ctx, guide.id) if guide else [Reply(ui.STALE_BUTTON, ctx.menu_row())]


@node_type("activities")
def _activities(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    ctx.events.append(Event("activity_viewed", topic="hoat_dong_tre_em"))
    lines = [node.text]
    for kind, heading in (
        ("ward_programme", "🏫 Chương trình của phường"),
        ("online", "💻 Hoạt động trực tuyến an toàn"),
    ):
        items = [a for a in ctx.content.knowledge.activities if a.kind == kind]
        if items:
            lines.append(f"\n{heading}")
        for activity in items:
            when = " · ".join(part for part in (activity.when, activity.where) if part)
            mark = f" {ui.EXAMPLE_MARK}" if activity.example else ""
            lines.append(f"• {activity.title}{mark}" + (f"\n  {when}" if when else "") + f"\n  {activity.description}")
    return [Reply(_fit("\n".join(lines)), _buttons(ctx, node_id) + ctx.menu_row())]


@node_type("contacts")
def _contacts(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    return [Reply(node.text + "\n\n" + contact_lines(ctx.content), _buttons(ctx, node_id) + ctx.menu_row())]


def contact_lines(content: Content, *, placeholders: bool = True) -> str:
    """One line per contact, the number once (a name like "Tổng đài … 111" already carries it).

    `placeholders=False` leaves out a contact the ward has not filled in yet: a crisis card must not
    send anyone to "phường sẽ cập nhật số điện thoại".
    """
    lines = []
    for contact in content.knowledge.contacts:
        if not placeholders and (contact.placeholder or not contact.phone):
            continue
        if contact.phone and re.search(rf"(?<!\d){re.escape(contact.phone)}(?!\d)", contact.name):
            lines.append(f"☎️ {contact.name}" + (f" – {contact.hours}" if contact.hours else ""))
        else:
            hours = f" ({contact.hours})" if contact.hours else ""
            lines.append(f"☎️ {contact.phone or ui.PLACEHOLDER_PHONE} – {contact.name}{hours}")
    return "\n".join(lines)


@node_type("duties")
def _duties(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    ctx.events.append(Event("duties_viewed", topic="quyen_tre_em"))
    duties = ctx.content.knowledge.duties
    parts = [node.text]
    if duties:
        for duty in duties.duties:
            parts.append(f"\n{duty.title}\n" + "\n".join(f"• {item}" for item in duty.items))
        parts.append("\n📜 Gợi ý điều khoản cho hương ước, quy ước:")
        parts.extend(f"{i}. {clause.text}" for i, clause in enumerate(duties.convention_clauses, 1))
        parts.append("\n" + ui.SOURCE.format(source=duties.duties[0].source))
    return [Reply(_fit("\n".join(parts)), _buttons(ctx, node_id) + ctx.menu_row())]


@node_type("emergency")
def _emergency(ctx: Context, node_id: str) -> list[Reply]:
    node = ctx.content.flows.nodes[node_id]
    text = node.text.strip() + "\n\n" + contact_lines(ctx.content, placeholders=False)
    return [Reply(text, back_row(ctx) + _buttons(ctx, node_id) + ctx.menu_row())]


@node_type("forget")
def _forget(ctx: Context, node_id: str) -> list[Reply]:
    """Delete everything held about this user (sessions, subscriptions…): done by the caller."""
    node = ctx.content.flows.nodes[node_id]
    ctx.actions.append(Action("forget_user"))
    ctx.events.append(Event("data_deleted"))
    return [Reply(node.text, _buttons(ctx, node_id))]


# The periods staff can ask for in the chat; the dates are worked out by whoever performs the action.
REPORT_PERIODS = {"this_month": "Tháng này", "last_month": "Tháng trước", "last_6_months": "6 tháng gần đây"}
REPORT_FORMATS = {"docx": "📄 Văn bản Word (DOCX)", "xlsx": "📊 Bảng tính Excel (XLSX)"}


@node_type("stats_report")
def _stats_report(ctx: Context, node_id: str) -> list[Reply]:
    """Staff pick a period, then a format; everyone else is sent to the node's `next` (a refusal)."""
    node = ctx.content.flows.nodes[node_id]
    if not ctx.admin:
        return render(ctx, node.next or ctx.content.flows.commands.menu)
    rows = tuple((Button(label, f"r:{period}"),) for period, label in REPORT_PERIODS.items())
    return [Reply(node.text, rows + ctx.menu_row())]


def _report_payload(ctx: Context, rest: str) -> list[Reply]:
    node_id = ctx.node_of_type("stats_report")
    if node_id is None:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    if not ctx.admin:
        return _stats_report(ctx, node_id)
    period, _, fmt = rest.partition(":")
    if period not in REPORT_PERIODS:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    if fmt not in REPORT_FORMATS:
        rows = tuple((Button(label, f"r:{period}:{f}"),) for f, label in REPORT_FORMATS.items())
        return [Reply(ui.REPORT_FORMAT.format(period=REPORT_PERIODS[period].lower()), rows + ctx.menu_row(), True)]
    ctx.actions.append(Action("stats_report", {"period": period, "format": fmt}))
    ctx.events.append(Event("stats_report_made", detail=fmt))
    return []


def _fit(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- payloads --------------------------------------------------------------------------------
PayloadHandler = Callable[[Context, str], list[Reply]]


def _go(ctx: Context, node_id: str) -> list[Reply]:
    if node_id not in ctx.content.flows.nodes:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    return render(ctx, node_id)


def _set_choice(ctx: Context, rest: str) -> list[Reply]:
    node_id, _, value = rest.partition(":")
    node = ctx.content.flows.nodes.get(node_id)
    option = next((o for o in node.options if o.value == value), None) if node else None
    if node is None or option is None or node.field is None:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    stored = None if value == "skip" else value
    setattr(ctx.session, node.field, stored)
    ctx.events.append(Event("profile_set", detail=f"{node.field}={value}"))
    return render(ctx, option.next)


def _tip(ctx: Context, topic: str) -> list[Reply]:
    if topic not in TOPICS:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    tips = [tip for tip in ctx.content.knowledge.tips if tip.topic == topic]
    pool = tips_for_reader(tips, ctx.session.role, ctx.session.age_band) or tips
    if not pool:
        return [Reply(ui.NO_TIPS, ctx.menu_row())]
    cursor = ctx.session.tip_cursor.get(topic, 0)
    tip = pool[cursor % len(pool)]
    ctx.session.tip_cursor[topic] = cursor + 1
    ctx.events.append(Event("tip_read", topic=topic))
    back = ctx.node_of_type("tip_topics")
    rows: tuple[tuple[Button, ...], ...] = ((Button(ui.MORE_TIPS, f"t:{topic}"),),)
    if back:
        rows += ((Button(ui.OTHER_TOPICS, f"n:{back}"),),)
    band_label = f" · {AGE_BANDS[tip.age_band]}" if tip.age_band != "all" else ""
    text = f"💡 {TOPICS[topic]}{band_label}\n\n{tip.text}\n\n{ui.SOURCE.format(source=tip.source)}"
    return [Reply(text, rows + ctx.menu_row(), replace=True)]


ADULT_ROLES = ("parent", "teacher", "other")


def tips_for_reader(tips: list[Tip], role: str | None, band: str | None) -> list[Tip]:
    """The tips written for this reader. A parent's `age_band` is their child's age: they read
    tips written to parents (those for that age first), never the ones written to the child.
    The same rule as the reminders sent to subscribers (bot/broadcast/tips.py)."""
    if role in ADULT_ROLES:
        audiences = {role, "parent", "all"}
        fits = [tip for tip in tips if tip.audience in audiences and tip.age_band in (band, "parent", "all")]
        return sorted(fits, key=lambda tip: band is None or tip.age_band != band)
    if band is None:
        return [tip for tip in tips if tip.audience in ("student", "all")] if role == "student" else []
    return [tip for tip in tips if tip.audience in ("student", "all") and tip.age_band in (band, "all")]


def _start_quiz(ctx: Context, quiz_id: str) -> list[Reply]:
    quiz = ctx.content.knowledge.quiz(quiz_id)
    if quiz is None:
        return [Reply(ui.QUIZ_GONE, ctx.menu_row())]
    order = list(range(len(quiz.questions)))
    options = []
    for question in quiz.questions:
        permutation = list(range(len(question.options)))
        ctx.rng.shuffle(permutation)
        options.append(permutation)
    ctx.session.quiz = QuizProgress(quiz_id=quiz.id, question_order=order, option_orders=options)
    ctx.events.append(Event("quiz_started", detail=quiz.id))
    return [Reply(f"📝 {quiz.title}\n\n{quiz.intro}"), _question(ctx, quiz)]


QUIZ_LETTERS = "ABCD"  # options are shown, and typed, as letters (a question has at most 4)


def _question(ctx: Context, quiz: Quiz) -> Reply:
    progress = ctx.session.quiz
    assert progress is not None
    question = quiz.questions[progress.question_order[progress.index]]
    permutation = progress.option_orders[progress.question_order[progress.index]]
    letters = QUIZ_LETTERS
    lines = [f"Câu {progress.index + 1}/{len(quiz.questions)}: {question.text}", ""]
    buttons = []
    for shown, original in enumerate(permutation):
        lines.append(f"{letters[shown]}. {question.options[original].text}")
        buttons.append(Button(letters[shown], f"a:{progress.index}:{shown}"))
    return Reply("\n".join(lines), (tuple(buttons),))


def _answer_quiz(ctx: Context, rest: str) -> list[Reply]:
    progress = ctx.session.quiz
    quiz = ctx.content.knowledge.quiz(progress.quiz_id) if progress else None
    index_text, _, shown_text = rest.partition(":")
    if progress is None or quiz is None or not index_text.isdigit() or not shown_text.isdigit():
        return [Reply(ui.QUIZ_GONE, _quiz_rows(ctx, None))]
    if int(index_text) != progress.index:
        return [Reply(ui.ALREADY_ANSWERED), _question(ctx, quiz)]
    original_index = progress.question_order[progress.index]
    question = quiz.questions[original_index]
    permutation = progress.option_orders[original_index]
    shown = int(shown_text)
    if shown >= len(permutation):
        return [Reply(ui.STALE_BUTTON), _question(ctx, quiz)]
    chosen = question.options[permutation[shown]]
    right = next(o for o in question.options if o.correct)
    progress.correct += chosen.correct
    verdict = ui.RIGHT if chosen.correct else ui.WRONG.format(answer=right.text)
    feedback = Reply(f"{verdict}\n{question.explanation}", replace=True)
    progress.index += 1
    if progress.index < len(quiz.questions):
        return [feedback, _question(ctx, quiz)]
    return [feedback, _finish_quiz(ctx, quiz)]


def typed_quiz_answer(ctx: Context, pick: str) -> list[Reply]:
    """A quiz answer typed instead of pressed ("b", "đáp án C", "2" for the second option).
    An option the question does not have asks the same question again, with a short note."""
    progress = ctx.session.quiz
    quiz = ctx.content.knowledge.quiz(progress.quiz_id) if progress else None
    if progress is None or quiz is None or progress.index >= len(quiz.questions):
        return [Reply(ui.QUIZ_GONE, _quiz_rows(ctx, None))]
    count = len(progress.option_orders[progress.question_order[progress.index]])
    shown = int(pick) - 1 if pick.isdigit() else ord(pick.lower()) - ord("a")
    if not 0 <= shown < count:
        return [Reply(ui.QUIZ_PICK.format(last=QUIZ_LETTERS[count - 1], count=count)), _question(ctx, quiz)]
    return _answer_quiz(ctx, f"{progress.index}:{shown}")


def _finish_quiz(ctx: Context, quiz: Quiz) -> Reply:
    progress = ctx.session.quiz
    assert progress is not None
    total = len(quiz.questions)
    percent = round(100 * progress.correct / total)
    result = max((r for r in quiz.results if r.min_percent <= percent), key=lambda r: r.min_percent)
    ctx.events.append(Event("quiz_finished", detail=f"{quiz.id}:{result.min_percent}"))
    ctx.session.quiz = None
    text = f"🎉 Bạn đúng {progress.correct}/{total} câu.\n\n{result.text}"
    return Reply(text, _quiz_rows(ctx, quiz.id))


def _quiz_rows(ctx: Context, quiz_id: str | None) -> Keyboard:
    rows: tuple[tuple[Button, ...], ...] = ()
    if quiz_id:
        rows += ((Button(ui.QUIZ_AGAIN, f"q:{quiz_id}"),),)
    listing = ctx.node_of_type("quiz_list")
    if listing:
        rows += ((Button(ui.OTHER_QUIZ, f"n:{listing}"),),)
    return rows + ctx.menu_row()


def _guide(ctx: Context, guide_id: str) -> list[Reply]:
    guide = ctx.content.knowledge.guide(guide_id)
    if guide is None:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    ctx.events.append(Event("report_guide_opened", topic=guide.topic, detail=guide.id))
    return [Reply(format_guide(guide), _related_rows(ctx) + ctx.menu_row(), replace=True)]


def _related_rows(ctx: Context) -> Keyboard:
    guides = ctx.node_of_type("guide_menu")
    return ((Button(ui.REPORT_GUIDE, f"n:{guides}"),),) if guides else ()


def format_guide(guide: Guide) -> str:
    def section(title: str, items: list[str], numbered: bool = False) -> str:
        if not items:
            return ""
        body = "\n".join(f"{i}. {item}" if numbered else f"• {item}" for i, item in enumerate(items, 1))
        return f"\n\n{title}\n{body}"

    return _fit(
        f"🆘 {guide.title}\n{guide.summary}"
        + section("Làm ngay", guide.immediate, numbered=True)
        + section("Giữ bằng chứng", guide.evidence)
        + section("Không nên", guide.never)
        + section("Báo cáo ở đâu", guide.report_where)
        + section("Gọi ai", guide.call)
        + f"\n\n{ui.SOURCE.format(source=guide.source)}"
    )


def faq_replies(ctx: Context, faq: Faq) -> list[Reply]:
    rows: list[tuple[Button, ...]] = []
    for ref in faq.related[:3]:
        related = ctx.content.knowledge.faq(ref)
        if related:
            rows.append((Button(ui.RELATED + ui.short(related.question, 56), f"f:{related.id}"),))
    if ctx.session.quiz:
        rows.append((Button(ui.CONTINUE_QUIZ, "q:continue"),))
    text = f"{faq.answer}\n\n{ui.SOURCE.format(source=faq.source)}"
    return [Reply(_fit(text), tuple(rows) + ctx.menu_row())]


def _show_faq(ctx: Context, faq_id: str) -> list[Reply]:
    faq = ctx.content.knowledge.faq(faq_id)
    if faq is None:
        return [Reply(ui.STALE_BUTTON, ctx.menu_row())]
    ctx.events.append(Event("faq_answered", topic=faq.topic, detail="button"))
    return faq_replies(ctx, faq)


def _quiz_payload(ctx: Context, rest: str) -> list[Reply]:
    if rest == "continue":
        progress = ctx.session.quiz
        quiz = ctx.content.knowledge.quiz(progress.quiz_id) if progress else None
        return [_question(ctx, quiz)] if quiz else [Reply(ui.QUIZ_GONE, _quiz_rows(ctx, None))]
    return _start_quiz(ctx, rest)


PAYLOAD_HANDLERS: dict[str, PayloadHandler] = {
    "n": _go,
    "s": _set_choice,
    "t": _tip,
    "q": _quiz_payload,
    "a": _answer_quiz,
    "g": _guide,
    "f": _show_faq,
    "r": _report_payload,
}


# Node types and payloads of subscriptions register themselves here.
from bot.core import subscribe as _subscribe  # noqa: E402, F401
