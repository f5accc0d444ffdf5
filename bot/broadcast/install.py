"""Wire subscriptions and staff broadcasts into an `Assistant`: the core's `subscribe`,
`unsubscribe` and `forget_user` actions, and the staff desk asked before the engine.

Subscriptions and the outbox live in the assistant's SQLite database, under its one lock and
transaction (`SqliteStore.transaction`); an assistant on the in-memory store (unit tests) gets a
private in-memory SQLite store, so there is one implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.broadcast.outbox import Outbox
from bot.broadcast.staff import StaffDesk
from bot.channels.telegram_common import USER_PREFIX

if TYPE_CHECKING:
    from bot.app import Assistant


def reachable(user_key: str) -> bool:
    """Can a broadcast reach this user later? Only a Telegram chat can be written to unasked; a
    web-chat visitor or the terminal cannot, so they are never stored as subscribers."""
    return user_key.startswith(USER_PREFIX)


def install_broadcasts(assistant: Assistant) -> Outbox:
    from bot.storage.sqlite import SqliteStore

    store = assistant.store
    outbox = Outbox(store if isinstance(store, SqliteStore) else SqliteStore(":memory:"))
    subscriptions = outbox.subscriptions
    clock = assistant.clock

    def subscribe(user_key: str, data: dict[str, Any]) -> None:
        if not reachable(user_key):  # the core asked only a reachable user; a second lock on the door
            return
        subscriptions.subscribe(
            user_key,
            role=data.get("role"),
            age_band=data.get("age_band"),
            group=data.get("group"),
            group_label=data.get("group_label"),
            kinds=data.get("kinds", []),
            topics=data.get("topics", []),
            now=clock(),
        )

    def unsubscribe(user_key: str, _data: dict[str, Any]) -> None:
        subscriptions.deactivate(user_key, "unsubscribed", clock())
        outbox.withdraw(user_key)

    forget_session = assistant.action_handlers["forget_user"]

    def forget(user_key: str, data: dict[str, Any]) -> None:
        # Subscription, queued messages, tip history, drafts first; then the session and today's
        # statistics digest, which ends with the WAL checkpoint that leaves nothing behind.
        outbox.forget(user_key)
        forget_session(user_key, data)

    assistant.action_handlers.update(subscribe=subscribe, unsubscribe=unsubscribe, forget_user=forget)
    assistant.desks.append(StaffDesk(outbox, lambda: assistant.content))
    return outbox
