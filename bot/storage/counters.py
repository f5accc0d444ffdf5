"""How one event becomes one anonymous counter row: the only bridge from sessions to statistics."""

from __future__ import annotations

from bot.core.types import Event, Session


def counter_key(event: Event, session: Session, day: str) -> tuple[str, str, str, str, str, str]:
    """(day, kind, topic, detail, role, age_band): never a user key, never message text."""
    return (
        day,
        event.kind,
        event.topic or "",
        (event.detail or "")[:40],
        session.role or "",
        session.age_band or "",
    )
