"""What a counter row may hold: short codes from a closed vocabulary, never free text.

Events come from the core, which never puts a user id or message text in them; this is the second
lock on that door. A value that is not a plain code (or that carries a run of five or more digits,
the shape of a phone number or a Telegram id) is replaced by "" and the event is still counted.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("bot.stats")

_CODE = re.compile(r"^[a-z0-9][a-z0-9_:=.\-]{0,39}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DIGITS = re.compile(r"\d{5,}")


def code(value: str | None, what: str) -> str:
    """`value` if it is a safe code, else "" (logged without the value itself)."""
    if not value:
        return ""
    if _CODE.match(value) and not _DIGITS.search(value):
        return value
    log.warning("statistics: dropped a %s that is not a plain code", what)
    return ""


def kind(value: str) -> str | None:
    return value if _KIND.match(value) and not _DIGITS.search(value) else None
