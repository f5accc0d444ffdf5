"""What subscribing, stopping and deleting one's data actually keep in the database; the residential
group is onboarding's, one code for the subscription, the audiences and the statistics; only a
Telegram user can subscribe."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.broadcast.outbox import NewBroadcast
from bot.content.loader import ContentInvalid, load_content
from bot.core.types import Incoming
from bot.storage.subscriptions import Segment
from tests.conftest import ROOT

USER = "tg:777"


def say(assistant: Assistant, text: str | None = None, payload: str | None = None, user: str = USER) -> str:
    outcome = assistant.handle(Incoming(user, text=text, payload=payload))
    return "\n".join(reply.text for reply in outcome.replies)


def subscribe_parent(assistant: Assistant) -> None:
    for payload in ("n:sub_start", "n:sub_role", "s:sub_role:parent"):
        say(assistant, payload=payload)
    assert "tổ dân phố nào" in say(assistant, payload="s:sub_child_age:11-14"), "no group given yet: asked"
    say(assistant, payload="k:sub_group:to-07")
    for payload in ("k:sub_kinds:tips_daily", "k:sub_kinds:announcements", "k:sub_kinds:done"):
        say(assistant, payload=payload)
    say(assistant, payload="k:sub_topics:lua_dao")
    assert "Đăng ký xong" in say(assistant, payload="k:sub_topics:done")


def test_what_a_subscription_keeps(assistant: Assistant) -> None:
    subscribe_parent(assistant)
    kept = assistant.outbox.subscriptions.get(USER)
    assert kept is not None and kept.active
    assert (kept.role, kept.age_band, kept.group, kept.group_label) == ("parent", "11-14", "to-07", "Tổ 7")
    assert kept.kinds == ("tips_daily", "announcements") and kept.topics == ("lua_dao",)
    assert kept.consent_at > 0
    subs = assistant.outbox.subscriptions
    assert subs.count(Segment(group="to-07"), "tg:") == 1 and subs.count(Segment(group="to-05"), "tg:") == 0
    assert subs.count(Segment(kind="activity"), "tg:") == 0, "only the kinds they chose"
    assert subs.count(Segment(topic="lua_dao"), "tg:") == 1 and subs.count(Segment(topic="tin_gia"), "tg:") == 0


@pytest.mark.parametrize("text", ["dùng", "đúng", "Dũng", "huy", "dung"])
def test_words_that_only_look_like_stop_do_not_unsubscribe(assistant: Assistant, text: str) -> None:
    subscribe_parent(assistant)
    say(assistant, text=text)
    assert assistant.outbox.subscriptions.get(USER).active


@pytest.mark.parametrize("text", ["dừng", "Dừng!", "HUỶ", "hủy", "stop", "/huy", "hủy đăng ký", "dung nhan tin"])
def test_stop_words_unsubscribe(assistant: Assistant, text: str) -> None:
    subscribe_parent(assistant)
    assert "Đã dừng" in say(assistant, text=text)
    kept = assistant.outbox.subscriptions.get(USER)
    assert not kept.active and kept.inactive_reason == "unsubscribed"


def test_under_16_is_never_subscribed_even_by_an_old_button(assistant: Assistant) -> None:
    for payload in ("n:sub_start", "n:sub_role", "s:sub_role:student"):
        say(assistant, payload=payload)
    assert "nhờ bố mẹ" in say(assistant, payload="k:sub_age_gate:under16")
    for payload in ("k:sub_kinds:announcements", "k:sub_kinds:done", "k:sub_topics:done", "n:sub_done"):
        reply = say(assistant, payload=payload)
    assert "nhờ bố mẹ" in reply
    assert assistant.outbox.subscriptions.get(USER) is None
    # Quizzes and tips keep working.
    assert "Chọn một bộ trắc nghiệm" in say(assistant, text="/trachnghiem")
    assert "Nguồn:" in say(assistant, payload="t:lua_dao")


def test_a_student_of_16_is_subscribed_in_the_15_17_band(assistant: Assistant) -> None:
    for payload in ("n:sub_start", "s:sub_role:student", "k:sub_age_gate:16plus", "n:sub_kinds"):
        say(assistant, payload=payload)
    for payload in ("k:sub_kinds:tips_weekly", "k:sub_kinds:done", "k:sub_topics:all"):
        say(assistant, payload=payload)
    kept = assistant.outbox.subscriptions.get(USER)
    assert (kept.role, kept.age_band, kept.kinds) == ("student", "15-17", ("tips_weekly",))


def test_unsubscribing_withdraws_messages_already_queued(assistant: Assistant) -> None:
    subscribe_parent(assistant)
    outbox = assistant.outbox
    spec = NewBroadcast("announcement", "Hẹn giờ", Segment(), "Tất cả", time.time() + 3600)
    broadcast_id = outbox.create(spec, [(USER, None), ("tg:1", None)], time.time())
    say(assistant, text="/huy")
    assert outbox.progress(broadcast_id).total == 1


def test_forget_deletes_subscription_queued_rows_and_history(assistant: Assistant) -> None:
    subscribe_parent(assistant)
    outbox = assistant.outbox
    now = time.time()
    sent_id = outbox.create(NewBroadcast("announcement", "Cũ", Segment(), "Tất cả", now), [(USER, None)], now)
    (row_id,) = outbox.db.execute("SELECT id FROM outbox WHERE broadcast_id = ?", [sent_id]).fetchone()
    outbox.mark_sent(row_id, now)
    outbox.create(NewBroadcast("announcement", "Sắp gửi", Segment(), "Tất cả", now + 60), [(USER, None)], now)
    outbox.record_tips([(USER, "some-tip")], [], now)
    staff_spec = NewBroadcast("announcement", "Của cán bộ", Segment(), "Tất cả", now, created_by=USER, report_to=USER)
    outbox.create(staff_spec, [("tg:1", None)], now)
    say(assistant, text="/xoadulieu")
    assert "Đã xóa xong" in say(assistant, payload="n:forget_done")
    db = outbox.db
    assert outbox.subscriptions.get(USER) is None
    for table, column in (("outbox", "user_key"), ("tips_sent", "user_key"), ("subscriptions", "user_key")):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [USER]).fetchone()[0] == 0
    assert outbox.progress(sent_id).sent == 1, "the delivery count stays, tied to no one"
    assert db.execute("SELECT count(*) FROM broadcasts WHERE ? IN (created_by, report_to)", [USER]).fetchone()[0] == 0


def test_the_group_given_at_the_start_is_reused_and_counted_alike(assistant: Assistant) -> None:
    """One notion of group: chosen once (onboarding), kept in the session, stored with the
    subscription under the same code the statistics count by; not asked a second time."""
    for payload in ("n:ask_role", "s:ask_role:teacher"):
        say(assistant, payload=payload)
    assert "Menu chính" in say(assistant, payload="s:ask_group:to-03")
    for payload in ("n:sub_start", "n:sub_role"):
        say(assistant, payload=payload)
    assert "tin nào" in say(assistant, payload="s:sub_role:teacher"), "the group question is skipped"
    for payload in ("k:sub_kinds:announcements", "k:sub_kinds:done"):
        say(assistant, payload=payload)
    assert "tổ dân phố: Tổ 3" in say(assistant, payload="k:sub_topics:all")
    assert assistant.outbox.subscriptions.get(USER).group == "to-03"
    groups = {row["grp"] for row in assistant.store.counters() if row["kind"] == "subscribed"}
    assert groups == {"to-03"}, "the subscription is counted under the same group code"


def test_a_group_answered_while_subscribing_is_remembered_for_statistics(assistant: Assistant) -> None:
    subscribe_parent(assistant)
    counted = {row["grp"] for row in assistant.store.counters() if row["kind"] in ("profile_set", "tip_read")}
    assert "to-07" in counted
    assert "đã cũ" in say(assistant, payload="k:sub_group:to-99"), "a group not in the list is never stored"


def test_only_a_telegram_user_can_subscribe(assistant: Assistant) -> None:
    """A web-chat visitor is told reminders come through Telegram; even forged buttons store nothing."""
    visitor = "web:visitor-1"
    assert "qua Telegram" in say(assistant, text="/dangky", user=visitor)
    for payload in ("n:sub_role", "s:sub_role:parent", "k:sub_kinds:announcements", "k:sub_kinds:done", "n:sub_done"):
        reply = say(assistant, payload=payload, user=visitor)
    assert "qua Telegram" in reply
    assert assistant.outbox.subscriptions.get(visitor) is None
    assert assistant.outbox.subscriptions.count(Segment(), "") == 0


def test_check_names_the_line_of_a_wrong_age_gate(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "subscribe.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 16plus", "value: over16"), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(ROOT / "knowledge", flows)
    message = str(caught.value)
    assert "subscribe.yaml:" in message and "sub_age_gate" in message and "16plus" in message
