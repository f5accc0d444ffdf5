"""The core's own small types: what comes in from any channel and what goes back out.

No framework type crosses this line, so Telegram, the web chat, the terminal and the tests all
drive the same conversations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT = 4096
PAYLOAD_LIMIT = 64


@dataclass(frozen=True)
class Attachment:
    """A photo or document the user sent, by the channel's own reference (Telegram's file_id)."""

    kind: str  # "photo" | "document"
    ref: str
    name: str = ""


@dataclass(frozen=True)
class Incoming:
    """One thing a user did: typed `text` or pressed a button carrying `payload`. `admin` and
    `reachable` are decided by `Assistant`, whatever a channel put there."""

    user_key: str
    text: str | None = None
    payload: str | None = None
    admin: bool = False  # set by `Assistant` from its admin list, never trusted from a channel
    # Set by `Assistant` from the user key: later messages (broadcasts, reminders) can reach this
    # user (a Telegram chat); the web chat and the terminal cannot be written to afterwards.
    reachable: bool = False
    attachment: Attachment | None = None  # a photo or document; only staff tools read it


@dataclass(frozen=True)
class Button:
    label: str
    payload: str

    def __post_init__(self) -> None:
        if len(self.payload.encode("utf-8")) > PAYLOAD_LIMIT:
            raise ValueError(f"button payload over {PAYLOAD_LIMIT} bytes: {self.payload!r}")


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Document:
    """A file to send with a reply (a report for staff). Bytes, so no temporary file outlives it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """One message to show. `replace` hints that it may edit the message whose button was pressed;
    `document`, if any, is sent with the text (as its caption when short enough)."""

    text: str
    buttons: Keyboard = ()
    replace: bool = False
    document: Document | None = None

    def __post_init__(self) -> None:
        if len(self.text) > TEXT_LIMIT:
            raise ValueError(f"reply text over {TEXT_LIMIT} characters")

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True)
class Event:
    """Something that happened, for the statistics. Never carries a user id or message text."""

    kind: str
    topic: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Action:
    """A side effect the core asks for (forget this user, subscribe them…); `Assistant` performs
    it against the store, so the core itself stays pure."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class QuizProgress:
    quiz_id: str
    question_order: list[int]
    option_orders: list[list[int]]
    index: int = 0
    correct: int = 0


@dataclass
class Session:
    """Per-user conversation state; persisted as JSON so a restart resumes mid-quiz."""

    user_key: str
    role: str | None = None
    age_band: str | None = None
    group: str | None = None  # residential group (tổ dân phố), only if the user chose to give one
    awaiting: str | None = None
    quiz: QuizProgress | None = None
    tip_cursor: dict[str, int] = field(default_factory=dict)
    started: bool = False
    updated_at: float = 0.0
    # Answers a multi-step flow collects before its final action (subscription choices…).
    draft: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {
            "role": self.role,
            "age_band": self.age_band,
            "group": self.group,
            "awaiting": self.awaiting,
            "tip_cursor": self.tip_cursor,
            "started": self.started,
            "quiz": None,
            "draft": self.draft,
        }
        if self.quiz:
            data["quiz"] = self.quiz.__dict__.copy()
        return data

    @classmethod
    def from_json(cls, user_key: str, data: dict[str, Any], updated_at: float) -> Session:
        quiz = QuizProgress(**data["quiz"]) if data.get("quiz") else None
        return cls(
            user_key=user_key,
            role=data.get("role"),
            age_band=data.get("age_band"),
            group=data.get("group"),
            awaiting=data.get("awaiting"),
            quiz=quiz,
            tip_cursor=dict(data.get("tip_cursor") or {}),
            started=bool(data.get("started")),
            updated_at=updated_at,
            draft=dict(data.get("draft") or {}),
        )


@dataclass
class Outcome:
    replies: list[Reply]
    session: Session
    events: list[Event]
    kind: str = "command"
    topic: str | None = None
    answer_id: str | None = None
    score: float | None = None
    suggested: bool = False  # the FAQ was offered among "did you mean" buttons, not answered
    actions: list[Action] = field(default_factory=list)
