"""The SQLite store (sqlite-utils): WAL mode, short transactions, schema versioned by migrations."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from bot.broadcast.outbox import OUTBOX
from bot.core.types import Event, Session
from bot.stats.daykey import DayKey
from bot.stats.recorder import Statistics, checkpoint
from bot.stats.schema import STATS
from bot.stats.unanswered import UnansweredLog
from bot.storage.delivered import DELIVERED, DeliveredUpdates
from bot.storage.subscriptions import SUBSCRIPTIONS
from bot.storage.trouble import DatabaseUnusable, check_writable, explain

# Named migration sets (sqlite-utils' Migrations): each module that owns tables registers its own
# set, so sessions, subscribers and statistics can grow independently. Applied once each, by name.
CORE = Migrations("antoanso.core")
MIGRATION_SETS: list[Migrations] = [CORE, STATS, SUBSCRIPTIONS, OUTBOX, DELIVERED]


@CORE()
def sessions_and_counters(db: sqlite_utils.Database) -> None:
    db["sessions"].create({"user_key": str, "data": str, "updated_at": float}, pk="user_key")
    db["counters"].create(
        {"day": str, "kind": str, "topic": str, "detail": str, "role": str, "age_band": str, "count": int},
        pk=("day", "kind", "topic", "detail", "role", "age_band"),
    )


def _create_private(path: Path) -> None:
    """The data folder 0700 and a new database file 0600, whatever the umask of the process that
    makes them (a hand-run `python -m bot chat`): SQLite gives the -wal and -shm files the mode of
    the database file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not os.path.lexists(path):
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        """Open (or create) the database, or raise `DatabaseUnusable` saying why in Vietnamese: a
        corrupt, read-only or unopenable file is found here, at start-up, not at the first write."""
        try:
            self._open(path)
            check_writable(self.db.conn)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(Exception):
                self.db.close()
            raise DatabaseUnusable(explain(Path(path), exc)) from exc

    def _open(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            _create_private(Path(path))
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        # Deleted rows are overwritten with zeros, so /xoadulieu leaves nothing to recover in the file.
        conn.execute("PRAGMA secure_delete = ON")
        self.db = sqlite_utils.Database(conn)
        # One connection, used from worker threads (channels run the assistant off the event loop):
        # one transaction or read at a time, or two users' BEGINs collide. Statistics and the
        # unanswered log share it (their reads through `_reading`).
        self.lock = threading.RLock()
        if str(path) != ":memory:":
            self.db.enable_wal()
        self._migrate()
        self.stats = Statistics(self.db, DayKey.beside(path), self.transaction, self.reading)
        self.unanswered = UnansweredLog(self.db, self.transaction, reading=self.reading)
        self.delivered = DeliveredUpdates(self.db, self.transaction, self.reading)

    def _migrate(self) -> None:
        for migrations in MIGRATION_SETS:
            migrations.apply(self.db)

    def transaction(self) -> _Immediate:
        """One short write transaction (`BEGIN IMMEDIATE`), serialised with every other use of the
        connection; nested uses join the outer one. Statistics, subscriptions and the outbox all
        write through this, so there is one lock and one transaction rule for the whole file."""
        return _Immediate(self.db.conn, self.lock)

    def reading(self) -> threading.RLock:
        """Hold while reading, so a read never interleaves with another thread's transaction."""
        return self.lock

    def load_session(self, user_key: str, now: float, idle_seconds: float) -> Session:
        with self.lock:
            row = self.db.execute("SELECT data, updated_at FROM sessions WHERE user_key = ?", [user_key]).fetchone()
        if row is None or now - row[1] > idle_seconds:
            return Session(user_key=user_key, updated_at=now)
        return Session.from_json(user_key, json.loads(row[0]), row[1])

    def save_session(self, session: Session, now: float) -> None:
        session.updated_at = now
        with self.transaction():
            self.db.execute(
                "INSERT INTO sessions (user_key, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(user_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                [session.user_key, json.dumps(session.to_json(), ensure_ascii=False), now],
            )

    def record_events(self, events: Iterable[Event], session: Session, day: str, visitor: bool = True) -> None:
        self.stats.record(events, session, day, visitor)

    def counters(self) -> list[dict]:
        return self.stats.counts()

    def forget_user(self, user_key: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM sessions WHERE user_key = ?", [user_key])
        self.stats.forget_visitor(user_key)
        with self.lock:
            checkpoint(self.db)

    def expire_sessions(self, before: float) -> int:
        """Delete conversation state idle since before `before` (it would start afresh anyway)."""
        with self.transaction():
            deleted = self.db.execute("DELETE FROM sessions WHERE updated_at < ?", [before]).rowcount
        if deleted:
            with self.lock:
                checkpoint(self.db)
        return deleted

    def close(self) -> None:
        with self.lock:
            self.db.close()


class _Immediate:
    """`BEGIN IMMEDIATE` … `COMMIT`: take the write lock up front, keep it briefly. The thread lock
    keeps two threads from interleaving on the one connection; a nested use joins the outer one."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.conn, self.lock = conn, lock
        self.outer = False

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            self.outer = not self.conn.in_transaction
            if self.outer:
                self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.outer:
                self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
