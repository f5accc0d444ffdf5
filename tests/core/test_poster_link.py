"""A poster's QR code opens `/start poster_<topic>`: counted anonymously per topic, then a tip."""

from __future__ import annotations

from datetime import date

from bot.app import Assistant
from bot.core.engine import Engine
from bot.core.types import Event, Incoming, Session
from bot.reports.figures import build
from bot.reports.labels import Labels
from bot.reports.render import render


def test_poster_link_counts_the_topic_and_shows_its_tip(engine: Engine) -> None:
    outcome = engine.handle(Incoming("u1", text="/start poster_lua_dao"), Session(user_key="u1"))
    assert Event("deep_link", topic="lua_dao", detail="poster_lua_dao") in outcome.events
    assert "Lừa đảo trực tuyến" in outcome.replies[0].text and "Nguồn:" in outcome.replies[0].text
    labels = [button.label for button in outcome.replies[0].all_buttons()]
    assert any("Mẹo khác" in label for label in labels) and any("Menu" in label for label in labels)


def test_unknown_poster_topic_is_an_ordinary_start(engine: Engine) -> None:
    outcome = engine.handle(Incoming("u2", text="/start poster_khong_co"), Session(user_key="u2"))
    assert not [event for event in outcome.events if event.kind == "deep_link"]
    assert "Xin chào" in outcome.replies[0].text


def test_poster_scans_reach_the_counters_without_identifying_anyone(assistant: Assistant) -> None:
    assistant.handle(Incoming("nguoi-quet-ma-123", text="/start poster_bat_nat_mang"))
    assistant.handle(Incoming("nguoi-khac-456", text="/start poster_bat_nat_mang"))
    rows = [row for row in assistant.store.counters() if row["kind"] == "deep_link"]
    assert sum(row["count"] for row in rows) == 2
    assert {row["detail"] for row in rows} == {"poster_bat_nat_mang"}
    assert "nguoi-quet-ma-123" not in repr(assistant.store.counters())


def test_poster_scans_appear_in_the_wards_report(assistant: Assistant) -> None:
    for n in range(12):
        assistant.handle(Incoming(f"nguoi-quet-{n}", text="/start poster_lua_dao"))
    today = date.fromisoformat(assistant.day())
    report = build(
        assistant.store.stats, today, today, ward="phường Trung Thành", threshold=10, labels=Labels(), made=today
    )
    overview = report.table("overview")
    row = overview.rows.index("Lượt mở trợ lý từ mã QR trên áp phích")
    assert overview.body()[row][1] == "12"
    # Without content labels (as `python -m bot report` does when the content is broken), no quiz is
    # known: every format still renders.
    assert "Lượt mở trợ lý từ mã QR trên áp phích | 12" in render(report, "md").decode()
    assert all(render(report, fmt) for fmt in ("docx", "xlsx", "csv"))
