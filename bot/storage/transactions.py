"""`BEGIN IMMEDIATE` … `COMMIT` on a connection that several threads share.

The assistant handles users in worker threads over one SQLite connection; two transactions
interleaving on it would fail ("cannot start a transaction within a transaction"). One re-entrant
lock per connection serialises them; a nested `immediate` in the same thread joins the outer one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCKS: dict[int, threading.RLock] = {}
_GUARD = threading.Lock()


def _lock(conn: sqlite3.Connection) -> threading.RLock:
    with _GUARD:
        return _LOCKS.setdefault(id(conn), threading.RLock())


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """Take the write lock up front, keep it briefly; roll back on any error."""
    with _lock(conn):
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
