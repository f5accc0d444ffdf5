"""The statistics tables. None has a column that could hold a user id, a name or message text;
`tests/stats/test_no_identifiers.py` inspects them after a scripted conversation."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

STATS = Migrations("antoanso.stats")

COUNT_DIMENSIONS = ("day", "kind", "topic", "detail", "role", "age_band", "grp")

# Tables whose rows are statistics (counts only). `stats_visitors` is the one transient table:
# keyed digests of today's users, collapsed into `stats_daily_users` when the day closes.
STATS_TABLES = ("stats_counts", "stats_daily_users", "stats_visitors")


@STATS()
def counts_and_daily_users(db: sqlite_utils.Database) -> None:
    db["stats_counts"].create(
        {**{name: str for name in COUNT_DIMENSIONS}, "count": int},
        pk=COUNT_DIMENSIONS,
    )
    db["stats_daily_users"].create(
        {"day": str, "role": str, "age_band": str, "grp": str, "users": int},
        pk=("day", "role", "age_band", "grp"),
    )
    db["stats_visitors"].create(
        {"day": str, "digest": str, "role": str, "age_band": str, "grp": str},
        pk=("day", "digest"),
    )
    # The first version counted into `counters` (no residential group): carry those rows over.
    if db["counters"].exists():
        db.execute(
            "INSERT INTO stats_counts (day, kind, topic, detail, role, age_band, grp, count) "
            "SELECT day, kind, topic, detail, role, age_band, '', count FROM counters"
        )
        db["counters"].drop()


@STATS()
def unanswered_questions(db: sqlite_utils.Database) -> None:
    # No user column and no time finer than the day: a kept question cannot be traced to who asked.
    db["unanswered_questions"].create({"day": str, "text": str})
    db["unanswered_questions"].create_index(["day"])


@STATS()
def unanswered_without_order(db: sqlite_utils.Database) -> None:
    """Rows kept before row ids were random counted up in order of arrival; give them random ids,
    and scrub them again for names (bot/stats/names.py came later)."""
    from bot.stats.unanswered import random_rowid, scrub

    rows = db.execute("SELECT day, text FROM unanswered_questions").fetchall()
    db.execute("DELETE FROM unanswered_questions")
    for day, text in rows:
        db.execute(
            "INSERT INTO unanswered_questions (rowid, day, text) VALUES (?, ?, ?)", [random_rowid(), day, scrub(text)]
        )
