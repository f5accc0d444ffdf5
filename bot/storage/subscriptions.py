"""Subscribers: who agreed to receive what, kept apart from conversation sessions (which expire).

One row per user key ("tg:<chat id>"): role, age band, residential group (optional), chosen kinds
and topics, active flag and consent time. Broadcast audiences are `Segment`s over active rows.
The group is onboarding's code (`grp`, as in the statistics: "to-05"), with the label the user saw.
Every write is a transaction of the one store (`SqliteStore.transaction`), every read holds its lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlite_utils
from sqlite_utils import Migrations

if TYPE_CHECKING:
    from bot.storage.sqlite import SqliteStore

SUBSCRIPTIONS = Migrations("antoanso.subscriptions")

# Broadcast kinds and the subscription kind each one needs.
KIND_NEEDS = {"announcement": ("announcements",), "activity": ("activities",), "tip": ("tips_daily", "tips_weekly")}


@SUBSCRIPTIONS()
def create_subscriptions(db: sqlite_utils.Database) -> None:
    db["subscriptions"].create(
        {
            "user_key": str,
            "role": str,
            "age_band": str,
            "grp": str,  # the group's code, as onboarding and the statistics have it
            "group_label": str,  # its label when the user subscribed ("Tổ 5")
            "kinds": str,  # ",tips_weekly,announcements,"
            "topics": str,  # ",lua_dao," or "" for every topic
            "active": int,
            "consent_at": float,
            "updated_at": float,
            "inactive_reason": str,
        },
        pk="user_key",
        not_null={"active"},
        defaults={"active": 1, "kinds": "", "topics": ""},
    )
    db["subscriptions"].create_index(["active", "role", "age_band"])


@dataclass(frozen=True)
class Subscription:
    user_key: str
    role: str | None
    age_band: str | None
    group: str | None
    kinds: tuple[str, ...]
    topics: tuple[str, ...]
    active: bool
    consent_at: float
    inactive_reason: str | None = None
    group_label: str | None = None


@dataclass(frozen=True)
class Segment:
    """A broadcast audience: active subscribers who chose `kind`'s messages and match every filter
    that is set. A topic filter also matches subscribers who follow every topic."""

    kind: str = "announcement"
    role: str | None = None
    age_band: str | None = None
    group: str | None = None  # group code ("to-05"), as in session.group and the statistics
    topic: str | None = None

    def where(self, prefix: str = "") -> tuple[str, list[str]]:
        clauses, params = ["active = 1"], []
        if prefix:
            clauses.append("user_key LIKE ?")
            params.append(prefix.replace("%", "") + "%")
        needs = KIND_NEEDS.get(self.kind, (self.kind,))
        clauses.append("(" + " OR ".join("kinds LIKE ?" for _ in needs) + ")")
        params += [f"%,{need},%" for need in needs]
        for column, value in (("role", self.role), ("age_band", self.age_band), ("grp", self.group)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.topic:
            clauses.append("(topics = '' OR topics LIKE ?)")
            params.append(f"%,{self.topic},%")
        return " AND ".join(clauses), params


def _joined(items: Iterable[str]) -> str:
    items = [item for item in items if item]
    return f",{','.join(items)}," if items else ""


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)


def _row(row: dict) -> Subscription:
    return Subscription(
        user_key=row["user_key"],
        role=row["role"],
        age_band=row["age_band"],
        group=row["grp"],
        group_label=row["group_label"],
        kinds=_split(row["kinds"]),
        topics=_split(row["topics"]),
        active=bool(row["active"]),
        consent_at=row["consent_at"] or 0.0,
        inactive_reason=row["inactive_reason"],
    )


class SubscriptionStore:
    def __init__(self, store: SqliteStore) -> None:
        self.db = store.db
        self.transaction = store.transaction
        self.reading = store.reading

    def subscribe(
        self,
        user_key: str,
        *,
        role: str | None,
        age_band: str | None,
        group: str | None,
        kinds: Iterable[str],
        topics: Iterable[str],
        now: float,
        group_label: str | None = None,
    ) -> None:
        """Save (or replace) a subscription; each consent is dated anew."""
        row = {
            "user_key": user_key,
            "role": role,
            "age_band": age_band,
            "grp": group or None,
            "group_label": (group_label or group) if group else None,
            "kinds": _joined(kinds),
            "topics": _joined(topics),
            "active": 1,
            "consent_at": now,
            "updated_at": now,
            "inactive_reason": None,
        }
        with self.transaction():
            self.db["subscriptions"].upsert(row, pk="user_key")

    def deactivate(self, user_key: str, reason: str, now: float) -> bool:
        """Stop sending to this user ('unsubscribed', 'blocked', 'chat_not_found'); True if they were active."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE subscriptions SET active = 0, inactive_reason = ?, updated_at = ? "
                "WHERE user_key = ? AND active = 1",
                [reason, now, user_key],
            )
        return cursor.rowcount > 0

    def get(self, user_key: str) -> Subscription | None:
        with self.reading():
            rows = list(self.db["subscriptions"].rows_where("user_key = ?", [user_key]))
        return _row(rows[0]) if rows else None

    def recipients(self, segment: Segment, prefix: str = "") -> list[Subscription]:
        where, params = segment.where(prefix)
        with self.reading():
            return [_row(row) for row in self.db["subscriptions"].rows_where(where, params, order_by="user_key")]

    def count(self, segment: Segment, prefix: str = "") -> int:
        where, params = segment.where(prefix)
        with self.reading():
            return self.db.execute(f"SELECT count(*) FROM subscriptions WHERE {where}", params).fetchone()[0]

    def breakdown(self, column: str, segment: Segment, prefix: str = "") -> list[tuple[str, int]]:
        """(value, count) of one column ('role', 'age_band', 'grp') among `segment`, for staff
        choosing an audience; empty values are left out."""
        if column not in ("role", "age_band", "grp"):
            raise ValueError(column)
        where, params = segment.where(prefix)
        sql = (
            f"SELECT {column}, count(*) FROM subscriptions WHERE {where} AND coalesce({column}, '') != '' "
            f"GROUP BY {column} ORDER BY {column}"
        )
        with self.reading():
            return [(value, n) for value, n in self.db.execute(sql, params).fetchall()]

    def group_names(self) -> dict[str, str]:
        """Group code → the label subscribers saw, for every group someone gave (newest label wins)."""
        sql = "SELECT grp, group_label FROM subscriptions WHERE coalesce(grp, '') != '' ORDER BY updated_at"
        with self.reading():
            return {code: label or code for code, label in self.db.execute(sql).fetchall()}

    def topic_counts(self, segment: Segment, topics: Iterable[str], prefix: str = "") -> list[tuple[str, int]]:
        return [(topic, self.count(Segment(**{**segment.__dict__, "topic": topic}), prefix)) for topic in topics]

    def forget(self, user_key: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM subscriptions WHERE user_key = ?", [user_key])
