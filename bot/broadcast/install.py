"""Wire subscriptions and staff broadcasts into an `Assistant`: the core's `subscribe`,
`unsubscribe` and `forget_user` actions, and the staff desk asked before the engine.

Subscriptions and the outbox live in the assistant's SQLite database; an assistant on the
in-memory store (unit tests) gets a private in-memory SQLite, so there is one implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.broadcast.outbox import Outbox
from bot.broadcast.staff import StaffDesk

if TYPE_CHECKING:
    from bot.app import Assistant


def install_broadcasts(assistant: Assistant) -> Outbox:
    db = getattr(assistant.store, "db", None)
    if db is None:
        from bot.storage.sqlite import SqliteStore

        db = SqliteStore(":memory:").db
    outbox = Outbox(db)
    subscriptions = outbox.subscriptions
    clock = assistant.clock

    def subscribe(user_key: str, data: dict[str, Any]) -> None:
        subscriptions.subscribe(
            user_key,
            role=data.get("role"),
            age_band=data.get("age_band"),
            group=data.get("group"),
            kinds=data.get("kinds", []),
            topics=data.get("topics", []),
            now=clock(),
        )

    def unsubscribe(user_key: str, _data: dict[str, Any]) -> None:
        subscriptions.deactivate(user_key, "unsubscribed", clock())
        outbox.withdraw(user_key)

    forget_session = assistant.action_handlers["forget_user"]

    def forget(user_key: str, data: dict[str, Any]) -> None:
        forget_session(user_key, data)
        subscriptions.forget(user_key)
        outbox.forget(user_key)

    assistant.action_handlers.update(subscribe=subscribe, unsubscribe=unsubscribe, forget_user=forget)
    assistant.desks.append(StaffDesk(outbox))
    return outbox
