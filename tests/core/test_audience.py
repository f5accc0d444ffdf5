"""A parent's age band is their child's age: they read what is written to parents, not to the child."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.types import Incoming, Session


def quiz_titles(engine: Engine, session: Session) -> list[str]:
    outcome = engine.handle(Incoming(session.user_key, text="/trachnghiem"), session)
    return [b.label for b in outcome.replies[0].all_buttons() if b.payload.startswith("q:")]


def tips_seen(engine: Engine, session: Session, topic: str, times: int) -> set[str]:
    seen = set()
    for _ in range(times):
        outcome = engine.handle(Incoming(session.user_key, payload=f"t:{topic}"), session)
        seen.add(outcome.replies[0].text.split("\n", 1)[0])
    return seen


@pytest.mark.parametrize("band", ["6-10", "11-14", "15-17", None])
def test_a_parents_quiz_list_starts_with_the_parents_quiz(engine: Engine, band: str | None) -> None:
    titles = quiz_titles(engine, Session(user_key="p", role="parent", age_band=band, started=True))
    assert titles[0].startswith("Phụ huynh"), titles
    if band:
        assert band in titles[1], "then the quiz for the child's age, to do together"


def test_a_students_quiz_list_starts_with_their_age(engine: Engine) -> None:
    titles = quiz_titles(engine, Session(user_key="s", role="student", age_band="15-17", started=True))
    assert "15-17" in titles[0] and not titles[0].startswith("Phụ huynh")


@pytest.mark.parametrize("topic", ["bat_nat_mang", "lua_dao", "nghien_game", "xam_hai_tinh_duc"])
def test_a_parent_with_a_childs_age_reads_parent_tips(engine: Engine, topic: str) -> None:
    session = Session(user_key="p", role="parent", age_band="11-14", started=True)
    kb = engine.content.knowledge
    parents = {t.id for t in kb.tips if t.topic == topic and t.audience == "parent"}
    assert parents, "the shipped content has parent tips for this topic"
    headings = tips_seen(engine, session, topic, 6)
    assert all(heading.endswith("· Cha mẹ") for heading in headings), headings


def test_a_student_reads_tips_for_their_age(engine: Engine) -> None:
    session = Session(user_key="s", role="student", age_band="11-14", started=True)
    headings = tips_seen(engine, session, "bat_nat_mang", 6)
    assert headings == {"💡 Bắt nạt trực tuyến · 11–14 tuổi"}
