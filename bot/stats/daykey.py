"""The day key: a random HMAC key that lives for one calendar day, for counting daily unique users.

A user is counted once a day by a keyed hash of their user key. The key is random, made when the
day's first event arrives, and destroyed when the day closes, so a digest from yesterday can no
longer be tied to anyone, and two days' digests of the same person cannot be matched.

Where it lives (a choice, documented in README "Thống kê ẩn danh"): a small file beside the
database, `antoanso.daykey`, mode 0600, holding the day and the key, **never in the database** (so
it is in no backup and no database page). Kept only in memory it would die on every restart and the
day's count would double-count everyone who came back after the restart; in the file it survives a
restart of the same day. At day close the file is overwritten in place with the next day's key
(same length, fsync), and the day's digests are collapsed into counts and deleted. Processes that
share the data directory (the bot, `python -m bot report`) serialise on an flock of the file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

try:  # Linux and macOS; elsewhere a single process is assumed
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

KEY_BYTES = 32
RECORD_LENGTH = len("2026-01-01\n") + 2 * KEY_BYTES + 1


class DayKey:
    """The current day's key, in a file (`path`) or, for tests and in-memory stores, in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._day: str | None = None
        self._key: bytes | None = None
        self._stamp: tuple[int, int] | None = None

    @classmethod
    def beside(cls, database: Path | str) -> DayKey:
        if str(database) == ":memory:":
            return cls(None)
        return cls(Path(database).with_name("antoanso.daykey"))

    def key_for(self, day: str, close_before: Callable[[str], None]) -> bytes | None:
        """The key for `day`. If the key held is for an earlier day, that day is closed first
        (`close_before(day)` collapses every earlier day's digests into counts), then the key is
        replaced. None if `day` is already closed (another process moved on past midnight)."""
        if self.path is None:
            if self._day is None or self._day < day:
                close_before(day)
                self._day, self._key = day, secrets.token_bytes(KEY_BYTES)
            return self._key if self._day == day else None
        if self._day == day and self._stamp == self._file_stamp():
            return self._key
        with self._locked() as handle:
            stored = self._read(handle)
            if stored and stored[0] > day:
                return None
            if stored and stored[0] == day:
                self._day, self._key = stored
            else:
                close_before(day)  # also after a lost key file: digests of past days are closed anyway
                self._day, self._key = day, secrets.token_bytes(KEY_BYTES)
                self._write(handle, day, self._key)
            self._stamp = self._file_stamp()
            return self._key

    def current(self) -> tuple[str, bytes] | None:
        """(day, key) as held now, for removing one user's digest on /xoadulieu."""
        if self.path is None:
            return (self._day, self._key) if self._day and self._key else None
        if not self.path.exists():
            return None
        with self._locked() as handle:
            return self._read(handle)

    def stored_day(self) -> str | None:
        current = self.current()
        return current[0] if current else None

    # -- file ------------------------------------------------------------------------------------
    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()  # type: ignore[union-attr]
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_ino)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield handle
        finally:
            os.close(handle)  # closing releases the lock

    @staticmethod
    def _read(handle: int) -> tuple[str, bytes] | None:
        os.lseek(handle, 0, os.SEEK_SET)
        raw = os.read(handle, RECORD_LENGTH + 1).decode("ascii", "replace")
        day, _, key = raw.partition("\n")
        try:
            key_bytes = bytes.fromhex(key.strip())
        except ValueError:
            return None
        if len(day) != 10 or len(key_bytes) != KEY_BYTES:
            return None
        return day, key_bytes

    @staticmethod
    def _write(handle: int, day: str, key: bytes) -> None:
        """Overwrite the record in place (same length), so the old key's bytes are replaced."""
        record = f"{day}\n{key.hex()}\n".encode("ascii")
        os.lseek(handle, 0, os.SEEK_SET)
        os.write(handle, record)
        os.ftruncate(handle, len(record))
        os.fsync(handle)
