"""Which Telegram updates were already answered, kept in the database so that a restart does not
act on one twice (Telegram sends again every update whose offset it never saw confirmed).

Only update ids and the time they were answered: nothing about who sent them. Rows older than
`KEEP_SECONDS` are pruned as new ones arrive (Telegram keeps unconfirmed updates for 24 hours).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

DELIVERED = Migrations("antoanso.delivered")
KEEP_SECONDS = 3 * 24 * 3600
PRUNE_EVERY = 500  # prune when an update id is a multiple of this: cheap, and often enough


@DELIVERED()
def delivered_updates(db: sqlite_utils.Database) -> None:
    db["delivered_updates"].create({"channel": str, "update_id": int, "at": float}, pk=("channel", "update_id"))


class DeliveredUpdates:
    """`seen(channel, id)` before handling an update, `remember(channel, id, now)` after its
    replies went out, so one cut short by a crash or a stop deadline is answered after the restart."""

    def __init__(self, db: sqlite_utils.Database, transaction: Callable[[], Any], reading: Callable[[], Any]) -> None:
        self.db = db
        self._transaction = transaction
        self._reading = reading

    def seen(self, channel: str, update_id: int) -> bool:
        with self._reading():
            row = self.db.execute(
                "SELECT 1 FROM delivered_updates WHERE channel = ? AND update_id = ?", [channel, update_id]
            ).fetchone()
        return row is not None

    def remember(self, channel: str, update_id: int, now: float) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO delivered_updates (channel, update_id, at) VALUES (?, ?, ?)",
                [channel, update_id, now],
            )
            if update_id % PRUNE_EVERY == 0:
                self.db.execute("DELETE FROM delivered_updates WHERE at < ?", [now - KEEP_SECONDS])
