"""Automatic tip reminders: the right tip for each subscriber, at the set hour, once per period,
rotating without repeats."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.broadcast.outbox import Outbox
from bot.broadcast.texts import VIETNAM
from bot.broadcast.tips import TipPlan
from bot.content.loader import Content
from bot.storage.sqlite import SqliteStore
from bot.storage.subscriptions import Subscription

MONDAY_8 = datetime(2026, 7, 6, 8, 0, tzinfo=VIETNAM)  # a Monday


@pytest.fixture
def outbox() -> Outbox:
    return Outbox(SqliteStore(":memory:"))


@pytest.fixture
def plan(content: Content) -> TipPlan:
    return TipPlan(content.knowledge.tips, hour=8, weekday=7)


def _sub(role: str, band: str | None, topics: tuple[str, ...] = ()) -> Subscription:
    return Subscription("tg:1", role, band, None, ("tips_daily",), topics, True, 0.0)


def test_each_subscriber_gets_tips_for_their_role_and_age(plan: TipPlan) -> None:
    parent = plan.pool(_sub("parent", "6-10"))
    assert parent and {t.audience for t in parent} <= {"parent", "all"}
    student = plan.pool(_sub("student", "15-17"))
    assert student and {(t.audience, t.age_band) for t in student} <= {("student", "15-17"), ("student", "all")}
    assert {t.id for t in parent}.isdisjoint({t.id for t in student})
    scams = plan.pool(_sub("parent", "11-14", ("lua_dao",)))
    assert scams and {t.topic for t in scams} == {"lua_dao"}
    topics = [t.topic for t in parent[:5]]
    assert len(set(topics)) == 5, "topics take turns"


def _subscribe(outbox: Outbox, key: str, role: str, band: str | None, kinds: tuple[str, ...]) -> None:
    outbox.subscriptions.subscribe(key, role=role, age_band=band, group=None, kinds=kinds, topics=(), now=0)


def _texts(outbox: Outbox, broadcast_id: int) -> dict[str, str]:
    rows = outbox.db.execute("SELECT user_key, text FROM outbox WHERE broadcast_id = ?", [broadcast_id])
    return dict(rows.fetchall())


def test_daily_run_at_the_hour_once_and_weekly_on_its_day(outbox: Outbox, plan: TipPlan) -> None:
    _subscribe(outbox, "tg:1", "parent", "6-10", ("tips_daily",))
    _subscribe(outbox, "tg:2", "student", "15-17", ("tips_weekly", "announcements"))
    _subscribe(outbox, "tg:3", "parent", None, ("announcements",))
    before = (MONDAY_8 - timedelta(minutes=1)).timestamp()
    assert plan.schedule_if_due(outbox, before) is None and outbox.recent() == []
    monday = plan.schedule_if_due(outbox, MONDAY_8.timestamp())
    assert monday is not None
    assert list(_texts(outbox, monday)) == ["tg:1"], "weekly ones wait for their day; non-tip ones never"
    assert "💡 Mẹo hôm nay" in _texts(outbox, monday)["tg:1"] and "/huy" in _texts(outbox, monday)["tg:1"]
    assert plan.schedule_if_due(outbox, (MONDAY_8 + timedelta(hours=5)).timestamp()) is None, "once a day"
    sunday = plan.schedule_if_due(outbox, (MONDAY_8 + timedelta(days=6, hours=2)).timestamp())
    texts = _texts(outbox, sunday)
    assert set(texts) == {"tg:1", "tg:2"} and "Mẹo tuần này" in texts["tg:2"]


def test_tips_rotate_without_repeats_then_start_again(outbox: Outbox, plan: TipPlan) -> None:
    _subscribe(outbox, "tg:1", "student", "15-17", ("tips_daily",))
    pool = plan.pool(outbox.subscriptions.get("tg:1"))
    seen = []
    for day in range(len(pool) + 3):
        broadcast_id = plan.schedule_if_due(outbox, (MONDAY_8 + timedelta(days=day)).timestamp())
        seen.append(_texts(outbox, broadcast_id)["tg:1"])
    first_round = seen[: len(pool)]
    assert len(set(first_round)) == len(pool), "no tip twice in a round"
    assert seen[len(pool) :] == first_round[:3], "then a new round"
    assert max(Counter(seen).values()) == 2


def test_late_start_still_sends_that_days_tips(outbox: Outbox, plan: TipPlan) -> None:
    _subscribe(outbox, "tg:1", "parent", "6-10", ("tips_daily",))
    late = (MONDAY_8 + timedelta(hours=6)).timestamp()
    assert plan.schedule_if_due(outbox, late) is not None
    assert outbox.get(1).status == "scheduled" and outbox.get(1).send_at == late
