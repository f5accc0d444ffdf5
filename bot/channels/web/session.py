"""Session ids the web chat issued itself: a random id and its signature (HMAC-SHA256) in the cookie.

A cookie value the server did not sign – one a page or a person made up, or an id of someone else's
conversation that was guessed or read somewhere – starts a fresh conversation instead of opening
or planting one. The key lives in the data folder (readable by the service only), so conversations
survive a restart; losing it only means every web visitor starts over, nothing else is lost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

log = logging.getLogger("bot.web")

KEY_FILE = "web-session.key"
KEY_BYTES = 32
COOKIE_PATTERN = re.compile(r"^([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{22})$")


def _read_key(path: Path) -> bytes | None:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return key if len(key) >= KEY_BYTES else None


def _create_key(folder: Path) -> bytes:
    """A new key written atomically with mode 0600; if another process won the race, its key."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / KEY_FILE
    key = secrets.token_bytes(KEY_BYTES)
    temporary = folder / f".{KEY_FILE}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        try:
            os.link(temporary, path)  # fails if the key exists: never replace a key in use
        except FileExistsError:
            existing = _read_key(path)
            if existing is not None:
                return existing
            os.replace(temporary, path)  # an empty or damaged file: nothing valid was signed with it
            log.warning("The web session key in the data folder was unreadable: replaced it")
    finally:
        temporary.unlink(missing_ok=True)
    return key


class SessionIds:
    """Issues signed ids and tells an issued one from anything else."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def load(cls, folder: Path) -> SessionIds:
        """The key kept in `folder`, made on first use; a key for this run only if it cannot be kept."""
        key = _read_key(folder / KEY_FILE)
        if key is None:
            try:
                key = _create_key(folder)
            except OSError as error:
                log.warning(
                    "Cannot keep the web session key in the data folder (%s): web conversations "
                    "start over after a restart",
                    error.strerror or type(error).__name__,
                )
                key = secrets.token_bytes(KEY_BYTES)
        return cls(key)

    def _signature(self, sid: str) -> str:
        digest = hmac.new(self._key, b"ats-web-session:" + sid.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")

    def issue(self) -> tuple[str, str]:
        """(cookie value, session id): a fresh random id and the signed value that carries it."""
        sid = secrets.token_urlsafe(18)
        return f"{sid}.{self._signature(sid)}", sid

    def verify(self, cookie: str) -> str | None:
        """The session id in a cookie value this server signed; None for anything else."""
        match = COOKIE_PATTERN.match(cookie)
        if match is None:
            return None
        sid, signature = match.groups()
        return sid if hmac.compare_digest(signature, self._signature(sid)) else None
