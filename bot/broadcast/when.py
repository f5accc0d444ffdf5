"""Reading a send time the way ward staff write it, always in Vietnam time (Asia/Ho_Chi_Minh).

Accepted: "19:30" (today, or tomorrow if already past), "08:00 25/12", "25/12 08:00",
"25/12/2026 08:00", "2026-12-25 08:00", "2026-12-25T08:00+07:00".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.broadcast.texts import VIETNAM

TIME = r"(?P<h>\d{1,2})[:hg](?P<m>\d{2})?"
DAY = r"(?P<d>\d{1,2})[/.-](?P<mo>\d{1,2})(?:[/.-](?P<y>\d{4}))?"
PATTERNS = [
    re.compile(rf"^{TIME}$"),
    re.compile(rf"^{TIME}\s+(?:ngày\s+)?{DAY}$"),
    re.compile(rf"^{DAY}\s+(?:lúc\s+)?{TIME}$"),
]
ISO_DAY = re.compile(r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})[ T]" + TIME + r"$")
EXAMPLES = "ví dụ: 19:30 · 08:00 25/12 · 25/12/2026 08:00 · 2026-12-25 08:00"


class WhenError(ValueError):
    """Not a time we can read, or one already past; the message is for the user."""


def parse_when(text: str, now: float) -> float:
    """The Unix time of `text` in Vietnam time; raises WhenError (Vietnamese message)."""
    text = " ".join(text.strip().lower().split())
    today = datetime.fromtimestamp(now, VIETNAM)
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1)) if "+" in text or text.endswith("z") else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return _future(moment.timestamp(), now)
    match = ISO_DAY.match(text) or next((m for p in PATTERNS if (m := p.match(text))), None)
    if match is None:
        raise WhenError(f"Chưa đọc được thời gian '{text}' ({EXAMPLES}).")
    parts = match.groupdict()
    hour, minute = int(parts["h"]), int(parts.get("m") or 0)
    if parts.get("d"):
        year = int(parts["y"]) if parts.get("y") else today.year
        try:
            day = date(year, int(parts["mo"]), int(parts["d"]))
        except ValueError:
            raise WhenError(f"Ngày '{text}' không có thật ({EXAMPLES}).") from None
        if not parts.get("y") and day < today.date():
            day = date(year + 1, day.month, day.day)
    else:
        day = today.date()
    if hour > 23 or minute > 59:
        raise WhenError(f"Giờ '{text}' không hợp lệ ({EXAMPLES}).")
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=VIETNAM)
    if not parts.get("d") and moment.timestamp() <= now:
        moment += timedelta(days=1)
    return _future(moment.timestamp(), now)


def _future(timestamp: float, now: float) -> float:
    if timestamp < now - 60:
        raise WhenError("Thời điểm này đã qua. Anh/chị chọn một thời điểm sắp tới nhé.")
    return max(timestamp, now)
