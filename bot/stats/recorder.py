"""`Statistics`: the only writer of statistics. Events in, anonymous counts out.

Each event becomes +1 on a row keyed (day, kind, topic, detail, role, age band, residential
group). Each user who does anything on a day is counted once for that day through a keyed digest
(see `daykey`); when the day closes the digests are collapsed into `stats_daily_users` and deleted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlite_utils

from bot.core.types import Event, Session
from bot.stats import fields
from bot.stats.daykey import DayKey

# A write transaction, and a read guard: the store's connection is shared by worker threads, so
# reads hold the store's lock too (SqliteStore.lock); both come from the store that owns the connection.
Transaction = Callable[[], AbstractContextManager[Any]]


class Statistics:
    def __init__(
        self, db: sqlite_utils.Database, daykey: DayKey, transaction: Transaction, reading: Transaction = nullcontext
    ) -> None:
        self.db = db
        self.daykey = daykey
        self._transaction = transaction
        self._reading = reading

    # -- writing --------------------------------------------------------------------------------
    def record(self, events: Iterable[Event], session: Session, day: str, visitor: bool = True) -> None:
        """Count `events` for `day` under the session's role, age band and group; if `visitor`, count
        the user among the day's unique users. Nothing of the user but a keyed digest is written."""
        dims = profile(session)
        rows = []
        for event in events:
            kind = fields.kind(event.kind)
            if kind is None:
                fields.log.warning("statistics: dropped an event whose kind is not a plain code")
                continue
            rows.append((day, kind, fields.code(event.topic, "topic"), fields.code(event.detail, "detail"), *dims))
        key = self.daykey.key_for(day, self.close_days_before) if visitor else None
        if not rows and key is None:
            return
        with self._transaction():
            if rows:
                self.db.conn.executemany(
                    "INSERT INTO stats_counts (day, kind, topic, detail, role, age_band, grp, count) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT(day, kind, topic, detail, role, age_band, grp) "
                    "DO UPDATE SET count = count + 1",
                    rows,
                )
            if key is not None:
                self.db.execute(
                    "INSERT INTO stats_visitors (day, digest, role, age_band, grp) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(day, digest) DO UPDATE SET role = excluded.role, age_band = excluded.age_band, "
                    "grp = excluded.grp",
                    [day, digest(key, session.user_key), *dims],
                )

    def close_days(self, today: str) -> None:
        """Close every day before `today`: used at start-up, by the sweep and before a report."""
        self.daykey.key_for(today, self.close_days_before)

    def close_days_before(self, day: str) -> None:
        """Collapse the digests of days before `day` into per-day counts, then delete them."""
        with self._transaction():
            self.db.execute(
                "INSERT INTO stats_daily_users (day, role, age_band, grp, users) "
                "SELECT day, role, age_band, grp, COUNT(*) FROM stats_visitors WHERE day < ? "
                "GROUP BY day, role, age_band, grp "
                "ON CONFLICT(day, role, age_band, grp) DO UPDATE SET users = users + excluded.users",
                [day],
            )
            deleted = self.db.execute("DELETE FROM stats_visitors WHERE day < ?", [day]).rowcount
        if deleted:
            with self._reading():
                checkpoint(self.db)

    def forget_visitor(self, user_key: str) -> None:
        """/xoadulieu: remove the user's digest for today; they stay counted (a count is not theirs)."""
        current = self.daykey.current()
        if current is None:
            return
        day, key = current
        with self._transaction():
            row = self.db.execute(
                "SELECT role, age_band, grp FROM stats_visitors WHERE day = ? AND digest = ?",
                [day, digest(key, user_key)],
            ).fetchone()
            if row is None:
                return
            self.db.execute("DELETE FROM stats_visitors WHERE day = ? AND digest = ?", [day, digest(key, user_key)])
            self.db.execute(
                "INSERT INTO stats_daily_users (day, role, age_band, grp, users) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT(day, role, age_band, grp) DO UPDATE SET users = users + 1",
                [day, *row],
            )

    # -- reading --------------------------------------------------------------------------------
    def counts(self, first: str = "0000-00-00", last: str = "9999-99-99") -> list[dict]:
        with self._reading():
            return list(
                self.db["stats_counts"].rows_where(
                    "day >= ? AND day <= ?", [first, last], order_by="day, kind, topic, detail, role, age_band, grp"
                )
            )

    def daily_users(self, first: str = "0000-00-00", last: str = "9999-99-99") -> list[dict]:
        """Unique users per day and profile: closed days from their counts, the open day live."""
        sql = (
            "SELECT day, role, age_band, grp, SUM(users) AS users FROM ("
            " SELECT day, role, age_band, grp, users FROM stats_daily_users WHERE day >= :a AND day <= :b"
            " UNION ALL"
            " SELECT day, role, age_band, grp, COUNT(*) FROM stats_visitors WHERE day >= :a AND day <= :b"
            " GROUP BY day, role, age_band, grp"
            ") GROUP BY day, role, age_band, grp ORDER BY day, role, age_band, grp"
        )
        with self._reading():
            cursor = self.db.execute(sql, {"a": first, "b": last})
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def profile(session: Session) -> tuple[str, str, str]:
    """(role, age band, residential group) as codes; "" where the user gave none."""
    return (
        fields.code(session.role, "role"),
        fields.code(session.age_band, "age band"),
        fields.code(session.group, "group"),
    )


def digest(key: bytes, user_key: str) -> str:
    return hmac.new(key, user_key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def checkpoint(db: sqlite_utils.Database) -> None:
    """Move the WAL into the database file and truncate it, so deleted rows linger in neither
    (with secure_delete on, SQLite zeroes the freed space in the database file)."""
    if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
