"""Pydantic models of `flows/`: how conversations move. Node types are registered by name."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from bot.content.models import Strict, Text

NodeId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,40}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]

# Each name maps to one small handler in bot/core/nodes.py; `check` rejects any other.
NODE_TYPES = (
    "message",  # text, optional buttons or `next`
    "menu",  # text and rows of buttons, each going to a node
    "choice",  # asks for a profile field (role, age band) and goes on
    "tip_topics",  # topics that have tips, as buttons
    "quiz_list",  # quizzes, those for the user's age band first
    "guide_menu",  # one button per reporting guide
    "guide",  # one reporting guide (`guide:` names it)
    "activities",  # the ward's children's activities
    "contacts",  # who to call
    "duties",  # roles of family/school/authorities and convention clauses
    "emergency",  # the emergency card
    "forget",  # deletes everything the assistant holds about the user
    "stats_report",  # staff choose a period and get the anonymous statistics report; others go to `next`
    # subscriptions (bot/core/subscribe.py)
    "sub_start",  # consent text, fresh answers; where broadcasts cannot reach the user: `next` instead
    "sub_age_gate",  # options `under16` / `16plus`: under-16 students are not subscribed
    "sub_group",  # the residential group, as in onboarding (skipped when already known); then `next`
    "sub_kinds",  # toggles: daily/weekly tips, announcements, activity reminders; `next` on "done"
    "sub_topics",  # toggles: topics of interest (none = all); `next` on "done"
    "subscribe",  # saves the subscription (an action the assistant performs)
    "unsubscribe",  # stops every message to this user
)


class ButtonSpec(Strict):
    label: Label
    next: NodeId


class OptionSpec(Strict):
    label: Label
    value: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,20}$")]
    next: NodeId


class Node(Strict):
    type: Literal[NODE_TYPES]  # type: ignore[valid-type]
    text: str = ""
    buttons: list[list[ButtonSpec]] = []
    next: NodeId | None = None
    field: Literal["role", "age_band", "group"] | None = None
    options: list[OptionSpec] = []
    guide: str | None = None


class FlowFile(Strict):
    nodes: dict[NodeId, Node] = Field(min_length=1)


class Commands(Strict):
    """Entry points into the flows: commands, menu words typed as text, and deep-link payloads."""

    start: NodeId  # greeting for a new user, then onboarding
    onboarding: NodeId
    menu: NodeId
    emergency: NodeId  # the card shown when a message says a child is in danger now
    fallback: NodeId  # "I don't know this one" with the menu
    suggest: NodeId  # "did you mean" with the closest questions as buttons
    commands: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")], NodeId]
    menu_words: dict[NodeId, list[Text]] = {}
    # Whole messages matched with their diacritics (for words whose unaccented form means something else).
    exact_words: dict[NodeId, list[Text]] = {}
    deep_links: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")], NodeId] = {}
    command_help: dict[str, Text] = {}
    # Words that may surround a menu word without changing it ("menu ở đâu vậy", "chào ad").
    filler_words: list[str] = []


def _has_something_to_match(phrases: list[str]) -> list[str]:
    """A listed word must hold letters or an emoji: "!!!" alone could never be matched."""
    from bot.understanding.small_talk import phrase_key

    empty = [phrase for phrase in phrases if not any(phrase_key(phrase))]
    if empty:
        raise ValueError(f"không có chữ hay biểu tượng nào để so khớp: {', '.join(repr(p) for p in empty)}")
    return phrases


TalkWords = Annotated[list[Text], Field(min_length=1), AfterValidator(_has_something_to_match)]
TalkReply = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=600)]


class TalkGroup(Strict):
    """Whole messages of one kind (thanks, goodbye…) and the short reply shown above the menu."""

    words: TalkWords
    reply: TalkReply


class Unclear(Strict):
    """What a single letter, a lone "?" or an emoji we do not know gets."""

    reply: TalkReply


class SmallTalk(Strict):
    """`flows/small_talk.yaml`: greetings, thanks, goodbyes, yes/no and "I don't understand",
    answered kindly with the menu instead of a guessed FAQ. A message is small talk only when
    all of it is: listed words, `around_words`, punctuation and emoji. When it mixes groups
    ("ok, cảm ơn nhé"), the first group in `GROUP_ORDER` wins."""

    not_understood: TalkGroup
    goodbye: TalkGroup
    thanks: TalkGroup
    greeting: TalkGroup
    decline: TalkGroup
    agree: TalkGroup
    unclear: Unclear
    # Words that may surround small talk without changing it ("cảm ơn ad nhiều nha").
    around_words: list[Text] = []
    # Words around a typed quiz answer ("đáp án B", "em chọn c ạ").
    quiz_answer_words: list[Text] = []


# Which group answers a message that mixes several; also the reply kind each one gets.
GROUP_ORDER = ("not_understood", "goodbye", "thanks", "greeting", "decline", "agree")
