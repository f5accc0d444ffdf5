"""What subscribing, stopping and deleting one's data actually keep in the database."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.broadcast.outbox import NewBroadcast
from bot.content.loader import ContentInvalid, load_content
from bot.core.subscribe import group_label
from bot.core.types import Incoming
from bot.storage.subscriptions import Segment
from tests.conftest import ROOT

USER = "tg:777"


def say(assistant: Assistant, text: str | None = None, payload: str | None = None) -> str:
    outcome = assistant.handle(Incoming(USER, text=text, payload=payload))
    return "\n".join(reply.text for reply in outcome.replies)


def subscribe_parent(assistant: Assistant) -> None:
    for payload in ("n:sub_start", "n:sub_role", "s:sub_role:parent", "s:sub_child_age:11-14"):
        say(assistant, payload=payload)
    say(assistant, text="Tổ dân phố Đồng Tâm")
    for payload in ("k:sub_kinds:tips_daily", "k:sub_kinds:announcements", "k:sub_kinds:done"):
        say(assistant, payload=payload)
    say(assistant, payload="k:sub_topics:lua_dao")
    assert "Đăng ký xong" in say(assistant, payload="k:sub_topics:done")


def test_what_a_subscription_keeps(assistant: Assistant) -> None:
    subscribe_parent(assistant)
    kept = assistant.outbox.subscriptions.get(USER)
    assert kept is not None and kept.active
    assert (kept.role, kept.age_band, kept.group) == ("parent", "11-14", "Tổ Đồng Tâm")
    assert kept.kinds == ("tips_daily", "announcements") and kept.topics == ("lua_dao",)
    assert kept.consent_at > 0
    subs = assistant.outbox.subscriptions
    assert subs.count(Segment(group="to dong tam"), "tg:") == 1, "groups match however they are typed"
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


def test_group_labels_are_read_only_from_answers_that_name_a_group() -> None:
    assert group_label("5") == "Tổ 5"
    assert group_label("tổ 12") == "Tổ 12"
    assert group_label("TDP 3") == "Tổ 3"
    assert group_label("tổ dân phố đồng tâm") == "Tổ Đồng Tâm"
    assert group_label("to dan pho 7") == "Tổ 7"
    assert group_label("con tôi bị bắt nạt") is None
    assert group_label("0") is None and group_label("tổ 1234") is None


def test_group_answer_not_understood_asks_again(assistant: Assistant) -> None:
    for payload in ("n:sub_start", "s:sub_role:other"):
        say(assistant, payload=payload)
    assert "chưa nhận ra tổ dân phố" in say(assistant, text="nhà tôi gần chợ")
    assert "tin nào" in say(assistant, text="tổ 9")


def test_check_names_the_line_of_a_wrong_age_gate(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "subscribe.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 16plus", "value: over16"), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(ROOT / "knowledge", flows)
    message = str(caught.value)
    assert "subscribe.yaml:" in message and "sub_age_gate" in message and "16plus" in message


def test_a_command_leaves_the_group_question(assistant: Assistant) -> None:
    for payload in ("n:sub_start", "s:sub_role:other"):
        say(assistant, payload=payload)
    say(assistant, text="/start")
    assert "tin nào" not in say(assistant, text="tổ 9"), "'tổ 9' is no longer taken as the group answer"
