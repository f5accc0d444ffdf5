"""The outbox: a broadcast and one row per recipient, written in one transaction before anything
is sent. A sender works through pending rows; a row is marked the moment its message is
accepted, so a crash at any point re-sends at most the messages that were in flight.

Also here: which process may send (a lease, so two senders never share a job), staff drafts of
/thongbao, and which tips each subscriber already received.

Everything goes through the one store's transaction and lock (`SqliteStore.transaction`/`reading`),
and each delivery is counted in the statistics (`broadcast_delivered`, by the subscriber's role, age
band and group, never by who) in the same transaction that marks it sent.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlite_utils
from sqlite_utils import Migrations

from bot.core.types import Event, Session
from bot.storage.subscriptions import Segment, SubscriptionStore

if TYPE_CHECKING:
    from bot.storage.sqlite import SqliteStore

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DELIVERED = "broadcast_delivered"  # the statistics event of one message that reached its subscriber

OUTBOX = Migrations("antoanso.outbox")

ACTIVE = ("scheduled", "sending")
# Row states. `blocked`: the user blocked the bot or the chat is gone; they are skipped from then on.
PENDING, SENT, BLOCKED, FAILED, CANCELLED = "pending", "sent", "blocked", "failed", "cancelled"


@OUTBOX()
def create_outbox(db: sqlite_utils.Database) -> None:
    db["broadcasts"].create(
        {
            "id": int,
            "kind": str,
            "text": str,
            "media_kind": str,
            "media_ref": str,
            "media_name": str,
            "media_file_id": str,
            "segment": str,
            "audience": str,
            "status": str,
            "created_at": float,
            "send_at": float,
            "started_at": float,
            "finished_at": float,
            "created_by": str,
            "report_to": str,
            "reported": int,
            "total": int,
        },
        pk="id",
        defaults={"reported": 0, "total": 0},
    )
    db["broadcasts"].create_index(["status", "send_at"])
    db["outbox"].create(
        {
            "id": int,
            "broadcast_id": int,
            "user_key": str,
            "text": str,
            "status": str,
            "attempts": int,
            "next_at": float,
            "error": str,
            "sent_at": float,
        },
        pk="id",
        foreign_keys=[("broadcast_id", "broadcasts", "id")],
        defaults={"attempts": 0, "next_at": 0.0},
    )
    db["outbox"].create_index(["broadcast_id", "user_key"], unique=True)
    db["outbox"].create_index(["broadcast_id", "status", "id"])
    db["outbox"].create_index(["user_key"])
    db["sender_lease"].create({"name": str, "owner": str, "pid": int, "host": str, "expires_at": float}, pk="name")
    db["staff_drafts"].create({"user_key": str, "data": str, "updated_at": float}, pk="user_key")
    db["tip_runs"].create({"period": str, "broadcast_id": int, "created_at": float}, pk="period")
    db["tips_sent"].create({"user_key": str, "tip_id": str, "sent_at": float}, pk=("user_key", "tip_id"))


@dataclass(frozen=True)
class Broadcast:
    id: int
    kind: str
    text: str
    segment: Segment
    audience: str
    status: str
    created_at: float
    send_at: float
    total: int
    media_kind: str | None = None
    media_ref: str | None = None
    media_name: str | None = None
    media_file_id: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    created_by: str | None = None
    report_to: str | None = None
    reported: bool = False


@dataclass(frozen=True)
class NewBroadcast:
    kind: str
    text: str
    segment: Segment
    audience: str
    send_at: float
    media_kind: str | None = None
    media_ref: str | None = None
    media_name: str | None = None
    media_file_id: str | None = None  # already on Telegram (staff sent it): no upload needed
    created_by: str | None = None
    report_to: str | None = None


@dataclass(frozen=True)
class Row:
    id: int
    broadcast_id: int
    user_key: str
    text: str | None
    attempts: int


@dataclass
class Progress:
    """Delivery figures of one broadcast: what the report and the progress bar show."""

    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return self.counts.get(SENT, 0)

    @property
    def blocked(self) -> int:
        return self.counts.get(BLOCKED, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(FAILED, 0)

    @property
    def pending(self) -> int:
        return self.counts.get(PENDING, 0)

    @property
    def cancelled(self) -> int:
        return self.counts.get(CANCELLED, 0)

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed + self.cancelled


def _broadcast(row: dict[str, Any]) -> Broadcast:
    return Broadcast(
        id=row["id"],
        kind=row["kind"],
        text=row["text"],
        segment=Segment(**json.loads(row["segment"] or "{}")),
        audience=row["audience"] or "",
        status=row["status"],
        created_at=row["created_at"],
        send_at=row["send_at"],
        total=row["total"] or 0,
        media_kind=row["media_kind"],
        media_ref=row["media_ref"],
        media_name=row["media_name"],
        media_file_id=row["media_file_id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        created_by=row["created_by"],
        report_to=row["report_to"],
        reported=bool(row["reported"]),
    )


class Outbox:
    """All outbox reads and writes, each a short transaction of `store` (reads under its lock)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.db = store.db
        self.subscriptions = SubscriptionStore(store)

    def _tx(self) -> Any:
        return self.store.transaction()

    def _one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self.store.reading():
            return self.db.execute(sql, list(params)).fetchone()

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self.store.reading():
            return self.db.execute(sql, list(params)).fetchall()

    def _broadcasts(self, where: str | None = None, params: Iterable[Any] = (), **options: Any) -> list[Broadcast]:
        with self.store.reading():
            return [_broadcast(r) for r in self.db["broadcasts"].rows_where(where, list(params), **options)]

    # --- broadcasts ---------------------------------------------------------------------------

    def create(
        self, spec: NewBroadcast, recipients: Iterable[tuple[str, str | None]], now: float, *, period: str | None = None
    ) -> int:
        """The broadcast and every recipient row, all or nothing. `recipients`: (user key, own text
        or None for the broadcast's). `period` marks a tip run done in the same transaction."""
        with self._tx():
            cursor = self.db.execute(
                "INSERT INTO broadcasts (kind, text, media_kind, media_ref, media_name, media_file_id, segment, "
                "audience, status, created_at, send_at, created_by, report_to, reported, total) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, 0, 0)",
                [
                    spec.kind,
                    spec.text,
                    spec.media_kind,
                    spec.media_ref,
                    spec.media_name,
                    spec.media_file_id,
                    json.dumps(spec.segment.__dict__, ensure_ascii=False),
                    spec.audience,
                    now,
                    spec.send_at,
                    spec.created_by,
                    spec.report_to,
                ],
            )
            broadcast_id = int(cursor.lastrowid or 0)
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO outbox (broadcast_id, user_key, text, status, attempts, next_at) "
                "VALUES (?, ?, ?, 'pending', 0, 0)",
                ((broadcast_id, user_key, text) for user_key, text in recipients),
            )
            total = self.db.execute("SELECT count(*) FROM outbox WHERE broadcast_id = ?", [broadcast_id]).fetchone()[0]
            self.db.execute("UPDATE broadcasts SET total = ? WHERE id = ?", [total, broadcast_id])
            if period:
                self.db.execute(
                    "INSERT INTO tip_runs (period, broadcast_id, created_at) VALUES (?, ?, ?)",
                    [period, broadcast_id, now],
                )
        return broadcast_id

    def get(self, broadcast_id: int) -> Broadcast | None:
        rows = self._broadcasts("id = ?", [broadcast_id])
        return rows[0] if rows else None

    def recent(self, limit: int = 10) -> list[Broadcast]:
        return self._broadcasts(order_by="id DESC", limit=limit)

    def active(self) -> list[Broadcast]:
        return self._broadcasts("status IN ('scheduled', 'sending')", order_by="send_at, id")

    def due(self, now: float) -> Broadcast | None:
        """The next broadcast to work on: an unfinished one first (resuming), then by time."""
        rows = self._broadcasts(
            "status IN ('scheduled', 'sending') AND send_at <= ?",
            [now],
            order_by="status = 'sending' DESC, send_at, id",
            limit=1,
        )
        return rows[0] if rows else None

    def next_wake(self) -> float | None:
        """When the earliest scheduled broadcast is due (None: nothing waits)."""
        row = self._one("SELECT min(send_at) FROM broadcasts WHERE status IN ('scheduled', 'sending')")
        return row[0] if row else None

    def progress(self, broadcast_id: int) -> Progress:
        rows = self._all("SELECT status, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY status", [broadcast_id])
        counts = {status: n for status, n in rows}
        return Progress(total=sum(counts.values()), counts=counts)

    def start(self, broadcast_id: int, now: float) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE broadcasts SET status = 'sending', started_at = coalesce(started_at, ?) "
                "WHERE id = ? AND status = 'scheduled'",
                [now, broadcast_id],
            )

    def status(self, broadcast_id: int) -> str | None:
        row = self._one("SELECT status FROM broadcasts WHERE id = ?", [broadcast_id])
        return row[0] if row else None

    def set_media_file_id(self, broadcast_id: int, file_id: str) -> None:
        with self._tx():
            self.db.execute("UPDATE broadcasts SET media_file_id = ? WHERE id = ?", [file_id, broadcast_id])

    def finish_if_done(self, broadcast_id: int, now: float) -> bool:
        with self._tx():
            left = self.db.execute(
                "SELECT count(*) FROM outbox WHERE broadcast_id = ? AND status = 'pending'", [broadcast_id]
            ).fetchone()[0]
            if left:
                return False
            self.db.execute(
                "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ? AND status = 'sending'",
                [now, broadcast_id],
            )
        return True

    def cancel(self, broadcast_id: int, now: float) -> int | None:
        """Stop a scheduled or sending broadcast: its pending rows are cancelled. Returns how many
        messages will not be sent, or None if it was not active."""
        with self._tx():
            status = self.status(broadcast_id)
            if status not in ACTIVE:
                return None
            cursor = self.db.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'pending'", [broadcast_id]
            )
            self.db.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ?", [now, broadcast_id]
            )
        return cursor.rowcount

    def unreported(self) -> list[Broadcast]:
        return self._broadcasts(
            "status IN ('done', 'cancelled') AND reported = 0 AND report_to IS NOT NULL", order_by="id"
        )

    def mark_reported(self, broadcast_id: int) -> None:
        with self._tx():
            self.db.execute("UPDATE broadcasts SET reported = 1 WHERE id = ?", [broadcast_id])

    # --- rows ---------------------------------------------------------------------------------

    def rows(self, broadcast_id: int, now: float, after_id: int = 0, limit: int = 100) -> list[Row]:
        found = self._all(
            "SELECT id, broadcast_id, user_key, text, attempts FROM outbox "
            "WHERE broadcast_id = ? AND status = 'pending' AND next_at <= ? AND id > ? ORDER BY id LIMIT ?",
            [broadcast_id, now, after_id, limit],
        )
        return [Row(*values) for values in found]

    def waiting(self, broadcast_id: int) -> tuple[int, float | None]:
        """(pending rows, earliest retry time among them)."""
        count, earliest = self._one(
            "SELECT count(*), min(next_at) FROM outbox WHERE broadcast_id = ? AND status = 'pending'", [broadcast_id]
        )
        return count, earliest

    def mark_sent(self, row_id: int, now: float) -> None:
        """Telegram accepted the message: mark it, and count the delivery (anonymously: the kind of
        broadcast and the subscriber's role, age band and group; `visitor=False`, for the user did
        nothing) in the same transaction, so a crash can neither lose nor double the count."""
        with self._tx():
            marked = self.db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, error = NULL "
                "WHERE id = ? AND status IN ('pending', 'cancelled')",
                [now, row_id],
            ).rowcount
            if not marked:
                return
            kind, user_key, role, age_band, group = self.db.execute(
                "SELECT b.kind, o.user_key, s.role, s.age_band, s.grp FROM outbox o "
                "JOIN broadcasts b ON b.id = o.broadcast_id LEFT JOIN subscriptions s ON s.user_key = o.user_key "
                "WHERE o.id = ?",
                [row_id],
            ).fetchone()
            profile = Session(user_key=user_key or "", role=role, age_band=age_band, group=group)
            day = datetime.fromtimestamp(now, VIETNAM).date().isoformat()
            self.store.record_events([Event(DELIVERED, detail=kind)], profile, day, visitor=False)

    def mark_blocked(self, row: Row, reason: str, now: float) -> None:
        """The user blocked the bot or the chat is gone: this row, their other pending rows and
        their subscription all stop, in one transaction."""
        with self._tx():
            self.db.execute(
                "UPDATE outbox SET status = 'blocked', error = ? WHERE user_key = ? AND status = 'pending'",
                [reason, row.user_key],
            )
            self.subscriptions.deactivate(row.user_key, reason, now)

    def mark_retry(self, row: Row, error: str, next_at: float) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_at = ?, error = ? WHERE id = ? AND status = 'pending'",
                [next_at, error[:200], row.id],
            )

    def mark_failed(self, row: Row, error: str) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, error = ? "
                "WHERE id = ? AND status = 'pending'",
                [error[:200], row.id],
            )

    def is_pending(self, row_id: int) -> bool:
        found = self._one("SELECT status FROM outbox WHERE id = ?", [row_id])
        return bool(found) and found[0] == PENDING

    # --- users ----------------------------------------------------------------------------------

    def withdraw(self, user_key: str) -> int:
        """Unsubscribed: nothing more goes to them, even from broadcasts already queued."""
        with self._tx():
            cursor = self.db.execute("DELETE FROM outbox WHERE user_key = ? AND status = 'pending'", [user_key])
        return cursor.rowcount

    def forget(self, user_key: str) -> None:
        """/xoadulieu: the subscription, pending rows, tip history and drafts go, in one
        transaction; finished rows keep only their status (for the delivery counts), no longer tied
        to anyone; a staff member's name leaves the broadcasts they sent."""
        with self._tx():
            self.db.execute("DELETE FROM subscriptions WHERE user_key = ?", [user_key])
            self.db.execute("DELETE FROM outbox WHERE user_key = ? AND status = 'pending'", [user_key])
            self.db.execute("UPDATE outbox SET user_key = NULL, text = NULL WHERE user_key = ?", [user_key])
            self.db.execute("DELETE FROM tips_sent WHERE user_key = ?", [user_key])
            self.db.execute("DELETE FROM staff_drafts WHERE user_key = ?", [user_key])
            self.db.execute("UPDATE broadcasts SET created_by = NULL WHERE created_by = ?", [user_key])
            self.db.execute("UPDATE broadcasts SET report_to = NULL WHERE report_to = ?", [user_key])

    # --- tips -----------------------------------------------------------------------------------

    def tip_run_done(self, period: str) -> bool:
        return self._one("SELECT 1 FROM tip_runs WHERE period = ?", [period]) is not None

    def tips_sent(self, user_keys: Iterable[str]) -> dict[str, set[str]]:
        keys = list(user_keys)
        sent: dict[str, set[str]] = {key: set() for key in keys}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for user_key, tip_id in self._all(
                f"SELECT user_key, tip_id FROM tips_sent WHERE user_key IN ({marks})", chunk
            ):
                sent[user_key].add(tip_id)
        return sent

    def record_tips(self, chosen: Iterable[tuple[str, str]], reset: Iterable[str], now: float) -> None:
        """Remember which tip each subscriber gets; `reset` users start a new round first."""
        with self._tx():
            self.db.conn.executemany("DELETE FROM tips_sent WHERE user_key = ?", ((key,) for key in reset))
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO tips_sent (user_key, tip_id, sent_at) VALUES (?, ?, ?)",
                ((key, tip, now) for key, tip in chosen),
            )

    # --- staff drafts ---------------------------------------------------------------------------

    def draft(self, user_key: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM staff_drafts WHERE user_key = ?", [user_key])
        return json.loads(row[0]) if row else None

    def save_draft(self, user_key: str, data: dict[str, Any], now: float) -> None:
        with self._tx():
            self.db["staff_drafts"].upsert(
                {"user_key": user_key, "data": json.dumps(data, ensure_ascii=False), "updated_at": now}, pk="user_key"
            )

    def drop_draft(self, user_key: str) -> None:
        with self._tx():
            self.db.execute("DELETE FROM staff_drafts WHERE user_key = ?", [user_key])

    # --- the sender lease -------------------------------------------------------------------------

    def acquire_lease(self, owner: str, now: float, ttl: float) -> bool:
        """Become the one sending process, unless a live one already is. A holder on this machine
        whose process is gone (killed) is replaced at once; elsewhere, when its lease runs out."""
        host, pid = socket.gethostname(), os.getpid()
        with self._tx():
            row = self.db.execute(
                "SELECT owner, pid, host, expires_at FROM sender_lease WHERE name = 'sender'"
            ).fetchone()
            if row and row[0] != owner and row[3] > now and not (row[2] == host and not _alive(row[1])):
                return False
            self.db.execute(
                "INSERT OR REPLACE INTO sender_lease (name, owner, pid, host, expires_at) VALUES ('sender', ?, ?, ?, ?)",
                [owner, pid, host, now + ttl],
            )
        return True

    def release_lease(self, owner: str) -> None:
        with self._tx():
            self.db.execute("DELETE FROM sender_lease WHERE name = 'sender' AND owner = ?", [owner])

    def sender_alive(self, now: float) -> bool:
        """Is some process (the running assistant, another CLI) sending right now?"""
        row = self._one("SELECT pid, host, expires_at FROM sender_lease WHERE name = 'sender'")
        if not row or row[2] <= now:
            return False
        return not (row[1] == socket.gethostname() and not _alive(row[0]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
