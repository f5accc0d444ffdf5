"""Subscribing to reminders, as flow node types: consent, age gate, residential group, kinds,
topics, then one `subscribe` action the assistant performs. Unsubscribing is one action too.

The answers collect in `session.draft["sub"]`; nothing is kept until the last step. A student who
is under 16 is never subscribed, whichever button (old or new) leads to the last step. Only a user
broadcasts can reach later (`Context.reachable`: a Telegram chat, not the web chat) is offered a
subscription. The residential group is the one of onboarding (`session.group`, the same codes the
statistics count by): asked with the same buttons only when not known yet.
Button payloads: `k:<node>:<value>` (one answer or toggle on that node).
"""

from __future__ import annotations

from typing import Any

from bot.content.flow_models import Node
from bot.content.topics import AGE_BANDS, ROLES, TOPICS
from bot.core import nodes, ui
from bot.core.types import Action, Button, Event, Keyboard, Reply

KINDS: dict[str, str] = {
    "tips_daily": "💡 Mẹo mỗi ngày",
    "tips_weekly": "💡 Mẹo mỗi tuần",
    "announcements": "📢 Thông báo của phường",
    "activities": "🎨 Nhắc hoạt động cho trẻ",
}
EXCLUSIVE = {"tips_daily": "tips_weekly", "tips_weekly": "tips_daily"}
DONE = "Xong ➡️"
ALL_TOPICS = "🌐 Mọi chủ đề"
ON, OFF = "✅", "◻️"
NO_KIND = "Anh/chị chọn ít nhất một loại tin rồi bấm “Xong” nhé."
UNDER16, OVER16 = "under16", "16plus"
SKIP = "skip"


def _sub(ctx: nodes.Context) -> dict[str, Any]:
    return ctx.session.draft.setdefault("sub", {})


def _node(ctx: nodes.Context, node_id: str) -> Node:
    return ctx.content.flows.nodes[node_id]


def _stale(ctx: nodes.Context) -> list[Reply]:
    return [Reply(ui.STALE_BUTTON, ctx.menu_row())]


def _unreachable(ctx: nodes.Context) -> list[Reply]:
    """What a web-chat (or terminal) user sees instead: reminders only reach Telegram chats."""
    start = ctx.node_of_type("sub_start")
    target = _node(ctx, start).next if start else None
    return nodes.render(ctx, target or ctx.content.flows.commands.menu)


@nodes.node_type("sub_start")
def _start(ctx: nodes.Context, node_id: str) -> list[Reply]:
    if not ctx.reachable:
        return _unreachable(ctx)
    ctx.session.draft["sub"] = {}
    return [Reply(_node(ctx, node_id).text, nodes._buttons(ctx, node_id))]


@nodes.node_type("sub_age_gate")
def _age_gate(ctx: nodes.Context, node_id: str) -> list[Reply]:
    node = _node(ctx, node_id)
    rows = tuple((Button(o.label, f"k:{node_id}:{o.value}"),) for o in node.options)
    return [Reply(node.text, rows)]


def _gate_answer(ctx: nodes.Context, node_id: str, value: str) -> list[Reply]:
    option = next((o for o in _node(ctx, node_id).options if o.value == value), None)
    if option is None:
        return _stale(ctx)
    _sub(ctx)["age16"] = value == OVER16
    if value == OVER16:
        ctx.session.age_band = "15-17"
    else:
        ctx.events.append(Event("subscribe_refused", detail="under16"))
    return nodes.render(ctx, option.next)


def group_question(flow_nodes: dict[str, Node]) -> Node | None:
    """Onboarding's residential-group question (a `choice` on `group`): its options are the one
    list of groups, for the subscription, the broadcast audiences and the statistics alike."""
    return next((n for n in flow_nodes.values() if n.type == "choice" and n.field == "group"), None)


def group_labels(flow_nodes: dict[str, Node]) -> dict[str, str]:
    """Group code → label ("to-05" → "Tổ 5"), in the order the ward listed them."""
    question = group_question(flow_nodes)
    return {o.value: o.label for o in question.options if o.value != SKIP} if question else {}


@nodes.node_type("sub_group")
def _group(ctx: nodes.Context, node_id: str) -> list[Reply]:
    node = _node(ctx, node_id)
    question = group_question(ctx.content.flows.nodes)
    if ctx.session.group or question is None:  # given at onboarding: not asked twice
        return nodes.render(ctx, node.next or ctx.content.flows.commands.menu)
    buttons = [Button(o.label, f"k:{node_id}:{o.value}") for o in question.options]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return [Reply(node.text or question.text, rows)]


def _group_answer(ctx: nodes.Context, node_id: str, value: str) -> list[Reply]:
    question = group_question(ctx.content.flows.nodes)
    if question is None or value not in {o.value for o in question.options}:
        return _stale(ctx)
    ctx.session.group = None if value == SKIP else value
    ctx.events.append(Event("profile_set", detail=f"group={value}"))
    return nodes.render(ctx, _node(ctx, node_id).next or ctx.content.flows.commands.menu)


def _toggle_rows(node_id: str, items: dict[str, str], chosen: set[str], per_row: int) -> Keyboard:
    buttons = [Button(f"{ON if key in chosen else OFF} {label}", f"k:{node_id}:{key}") for key, label in items.items()]
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


@nodes.node_type("sub_kinds")
def _kinds(ctx: nodes.Context, node_id: str) -> list[Reply]:
    chosen = set(_sub(ctx).get("kinds", []))
    rows = _toggle_rows(node_id, KINDS, chosen, 1) + ((Button(DONE, f"k:{node_id}:done"),),)
    return [Reply(_node(ctx, node_id).text, rows, replace=True)]


def _kinds_answer(ctx: nodes.Context, node_id: str, value: str) -> list[Reply]:
    sub = _sub(ctx)
    chosen = set(sub.get("kinds", []))
    if value == "done":
        if not chosen:
            return [Reply(NO_KIND), *_kinds(ctx, node_id)]
        return nodes.render(ctx, _node(ctx, node_id).next or ctx.content.flows.commands.menu)
    if value not in KINDS:
        return _stale(ctx)
    if value in chosen:
        chosen.discard(value)
    else:
        chosen.add(value)
        chosen.discard(EXCLUSIVE.get(value, ""))
    sub["kinds"] = [kind for kind in KINDS if kind in chosen]
    return _kinds(ctx, node_id)


@nodes.node_type("sub_topics")
def _topics(ctx: nodes.Context, node_id: str) -> list[Reply]:
    chosen = set(_sub(ctx).get("topics", []))
    rows = _toggle_rows(node_id, TOPICS, chosen, 2)
    rows += ((Button(ALL_TOPICS, f"k:{node_id}:all"), Button(DONE, f"k:{node_id}:done")),)
    return [Reply(_node(ctx, node_id).text, rows, replace=True)]


def _topics_answer(ctx: nodes.Context, node_id: str, value: str) -> list[Reply]:
    sub = _sub(ctx)
    chosen = set(sub.get("topics", []))
    if value in ("done", "all"):
        if value == "all":
            sub["topics"] = []
        return nodes.render(ctx, _node(ctx, node_id).next or ctx.content.flows.commands.menu)
    if value not in TOPICS:
        return _stale(ctx)
    chosen ^= {value}
    sub["topics"] = [topic for topic in TOPICS if topic in chosen]
    return _topics(ctx, node_id)


def _refusal_node(ctx: nodes.Context) -> str | None:
    gate = ctx.node_of_type("sub_age_gate")
    options = _node(ctx, gate).options if gate else []
    return next((o.next for o in options if o.value == UNDER16), None)


def summary(role: str | None, age_band: str | None, group: str | None, kinds: list[str], topics: list[str]) -> str:
    """What is kept, in the user's words: shown when they subscribe."""
    about = [f"vai trò: {ROLES.get(role or '', 'chưa rõ')}"]
    if age_band and role == "parent":
        about.append(f"độ tuổi của con: {AGE_BANDS[age_band]}")
    elif age_band and role == "student":
        about.append("độ tuổi: từ 16 tuổi")
    if group:
        about.append(f"tổ dân phố: {group}")
    chosen = ", ".join(KINDS[k].split(" ", 1)[1].lower() for k in kinds if k in KINDS)
    interest = ", ".join(TOPICS[t] for t in topics if t in TOPICS) or "mọi chủ đề"
    return f"Trợ lý lưu: {'; '.join(about)}.\nAnh/chị sẽ nhận: {chosen}.\nChủ đề quan tâm: {interest}."


@nodes.node_type("subscribe")
def _subscribe(ctx: nodes.Context, node_id: str) -> list[Reply]:
    if not ctx.reachable:  # an old or forged button in the web chat
        return _unreachable(ctx)
    sub = _sub(ctx)
    role = ctx.session.role
    start = ctx.node_of_type("sub_start")
    if role is None and start:
        return nodes.render(ctx, start)
    if role == "student" and not sub.get("age16"):
        refusal = _refusal_node(ctx)
        ctx.events.append(Event("subscribe_refused", detail="under16"))
        return nodes.render(ctx, refusal) if refusal else _stale(ctx)
    kinds = [kind for kind in sub.get("kinds", []) if kind in KINDS]
    if not kinds:
        kinds_node = ctx.node_of_type("sub_kinds")
        return [Reply(NO_KIND), *(nodes.render(ctx, kinds_node) if kinds_node else [])]
    topics = [topic for topic in sub.get("topics", []) if topic in TOPICS]
    age_band = ctx.session.age_band if role in ("parent", "student") else None
    group = ctx.session.group
    label = group_labels(ctx.content.flows.nodes).get(group or "") if group else None
    ctx.actions.append(
        Action(
            "subscribe",
            {
                "role": role,
                "age_band": age_band,
                "group": group,
                "group_label": label,
                "kinds": kinds,
                "topics": topics,
            },
        )
    )
    ctx.events.append(Event("subscribed"))  # a count; the kinds chosen stay with the subscription
    ctx.session.draft.pop("sub", None)
    text = f"{_node(ctx, node_id).text.strip()}\n\n{summary(role, age_band, label, kinds, topics)}"
    return [Reply(text, nodes._with_menu(ctx, nodes._buttons(ctx, node_id)))]


@nodes.node_type("unsubscribe")
def _unsubscribe(ctx: nodes.Context, node_id: str) -> list[Reply]:
    ctx.actions.append(Action("unsubscribe"))
    ctx.events.append(Event("unsubscribed"))
    ctx.session.draft.pop("sub", None)
    return [Reply(_node(ctx, node_id).text, nodes._with_menu(ctx, nodes._buttons(ctx, node_id)))]


ANSWERS = {
    "sub_age_gate": _gate_answer,
    "sub_group": _group_answer,
    "sub_kinds": _kinds_answer,
    "sub_topics": _topics_answer,
}


def _answer_payload(ctx: nodes.Context, rest: str) -> list[Reply]:
    if not ctx.reachable:  # a forged or old button in the web chat
        return _unreachable(ctx)
    node_id, _, value = rest.partition(":")
    node = ctx.content.flows.nodes.get(node_id)
    handler = ANSWERS.get(node.type) if node else None
    return handler(ctx, node_id, value) if handler else _stale(ctx)


nodes.PAYLOAD_HANDLERS["k"] = _answer_payload


def check_subscription_nodes(flow_nodes: dict[str, Node]) -> list[tuple[str, str]]:
    """Mistakes `python -m bot check` reports for these node types: (node id, message)."""
    problems = []
    for node_id, node in flow_nodes.items():
        if node.type == "sub_age_gate" and sorted(o.value for o in node.options) != sorted((UNDER16, OVER16)):
            problems.append((node_id, f"nút '{node_id}' loại sub_age_gate cần đúng hai lựa chọn: {UNDER16}, {OVER16}"))
        if node.type in ("sub_kinds", "sub_topics", "sub_group") and not node.next:
            problems.append((node_id, f"nút '{node_id}' loại {node.type} cần 'next' (đi tiếp sau khi trả lời)"))
        if node.type == "sub_start" and not node.next:
            problems.append(
                (node_id, f"nút '{node_id}' loại sub_start cần 'next' (lời giải thích cho người dùng web chat)")
            )
    return problems
