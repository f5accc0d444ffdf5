"""Synthetic events for a demonstration database, benchmarks and tests: a made-up population of
residents using the assistant day by day, with a summer peak. Goes through `Statistics.record`,
the real writing path, so the result is what a real deployment would hold. Never real data."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bot.content.topics import TOPICS
from bot.core.types import Event, Session
from bot.stats.recorder import Statistics

ROLES = (("parent", 0.5), ("student", 0.3), ("teacher", 0.08), ("other", 0.12))
BANDS = ("6-10", "11-14", "15-17")
QUIZZES = {"parent": "phu-huynh", "teacher": "cong-dan-so", "other": "cong-dan-so"}
STUDENT_QUIZ = {"6-10": "tre-6-10", "11-14": "tre-11-14", "15-17": "tre-15-17"}
GUIDES = ("bat-nat", "xam-hai", "lua-dao", "doc-hai", "lo-thong-tin", "nghien-game")
GUIDE_TOPIC = dict(
    zip(GUIDES, ("bat_nat_mang", "xam_hai_tinh_duc", "lua_dao", "noi_dung_doc_hai", "thong_tin_ca_nhan", "nghien_game"))
)
POPULAR = ("nghien_game", "lua_dao", "bat_nat_mang", "kiem_soat_cua_cha_me", "mang_xa_hoi")


def population(size: int, rng: random.Random, groups: int = 10) -> list[Session]:
    people = []
    for n in range(size):
        role = rng.choices([r for r, _ in ROLES], [w for _, w in ROLES])[0]
        band = rng.choice(BANDS) if role in ("parent", "student") and rng.random() < 0.85 else None
        group = f"to-{rng.randint(1, groups):02d}" if role != "student" and rng.random() < 0.7 else None
        people.append(Session(user_key=f"synthetic:{n}", role=role, age_band=band, group=group))
    return people


def visit(session: Session, rng: random.Random, first_time: bool) -> list[Event]:
    topics = list(TOPICS)
    weights = [4 if t in POPULAR else 1 for t in topics]
    events = [Event("session_started"), Event("command", detail="start")] if first_time else []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.35:
            events.append(Event("faq_answered", topic=rng.choices(topics, weights)[0]))
        elif roll < 0.6:
            events.append(Event("tip_read", topic=rng.choices(topics, weights)[0]))
        elif roll < 0.72:
            quiz = (
                STUDENT_QUIZ.get(session.age_band or "", "cong-dan-so")
                if session.role == "student"
                else QUIZZES[session.role or "other"]
            )
            events.append(Event("quiz_started", detail=quiz))
            if rng.random() < 0.75:
                band = rng.choices(("0", "50", "80"), (0.15, 0.45, 0.4))[0]
                events.append(Event("quiz_finished", detail=f"{quiz}:{band}"))
        elif roll < 0.8:
            guide = rng.choices(GUIDES, (5, 1, 4, 2, 2, 4))[0]
            events.append(Event("report_guide_opened", topic=GUIDE_TOPIC[guide], detail=guide))
        elif roll < 0.86:
            events.append(Event("activity_viewed", topic="hoat_dong_tre_em"))
        elif roll < 0.93:
            events.append(Event("fallback"))
        elif roll < 0.97:
            events.append(Event("faq_suggested", topic=rng.choices(topics, weights)[0]))
        else:
            events.append(Event("duties_viewed", topic="quyen_tre_em"))
    if rng.random() < 0.004:
        family = rng.choices(("self_harm", "sextortion", "meeting", "violence", "missing"), (3, 2, 1, 2, 1))[0]
        events.append(Event("crisis_shown", detail=family))
    return events


def seed(stats: Statistics, first: date, last: date, *, people: int = 400, seed: int = 7) -> int:
    """Record a synthetic programme from `first` to `last`; returns the number of events."""
    rng = random.Random(seed)
    residents = population(people, rng)
    seen: set[str] = set()
    total = 0
    day = first
    while day <= last:
        summer = 1.8 if day.month in (6, 7, 8) else 1.0
        weekend = 1.3 if day.weekday() >= 5 else 1.0
        ramp = min(1.0, 0.15 + (day - first).days / 30)
        visitors = rng.sample(residents, k=min(len(residents), int(rng.gauss(22, 5) * summer * weekend * ramp) + 1))
        for person in visitors:
            events = visit(person, rng, person.user_key not in seen)
            seen.add(person.user_key)
            stats.record(events, person, day.isoformat())
            total += len(events)
        day += timedelta(days=1)
    stats.close_days((last + timedelta(days=1)).isoformat())
    return total
