"""The conversation engine: `handle(incoming, session) -> Outcome(replies, session, events)`.

Pure: no channel, no database, no clock of its own. Free text goes, in this order, through
commands and the flows' exact command words (a whole message such as "dừng" or "menu", which says
nothing else), (1) danger detection, (2) a typed quiz answer while a quiz is open, (3) small talk
(greetings, thanks, yes/no, "không hiểu": `flows/small_talk.yaml`), (4) the FAQ matcher with its
confidence bands.
Button payloads are short prefixed strings (`n:` node, `s:` choice, `t:` tip topic, `q:` quiz,
`a:` quiz answer, `g:` guide, `f:` FAQ), always within Telegram's 64 bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.content.loader import Content
from bot.content.models import OutOfScope
from bot.content.topics import TOPICS
from bot.core import nodes, ui
from bot.core.types import Action, Button, Event, Incoming, Outcome, Reply, Session
from bot.understanding.detector import DangerDetector
from bot.understanding.matcher import SUGGEST_AT, Matcher
from bot.understanding.normalize import Lexicon, fold, nfc, normalize, words
from bot.understanding.safety import Danger, detect_danger
from bot.understanding.semantic import Semantic
from bot.understanding.small_talk import UNCLEAR, SmallTalkIndex

POSTER_LINK = "poster_"
# Small talk answered as "I could not follow you" (kind "fallback" for `ask --json`: nothing was
# answered, please rephrase); thanks, greetings, goodbyes and yes/no are complete exchanges
# answered with the menu, like a menu word (kind "command").
NOT_FOLLOWED = frozenset({"not_understood", UNCLEAR})


def ordinary_texts(content: Content) -> list[str]:
    """What else people send that is not danger (tips, out-of-scope phrases): danger-model negatives."""
    kb = content.knowledge
    return [phrase for entry in kb.out_of_scope for phrase in entry.phrases] + [
        tip.text for tip in kb.tips
    ]  # `/start poster_<topic>`: the start payload of a poster's QR code


@dataclass
class Engine:
    content: Content
    matcher: Matcher
    lexicon: Lexicon
    rng: random.Random
    detector: DangerDetector | None = None
    semantic: Semantic | None = None  # kept so a content reload reuses the loaded model and its cache

    @classmethod
    def build(cls, content: Content, seed: int | None = None, semantic: Semantic | None = None) -> Engine:
        """Everything derived from the content, once: the lexicon, the matcher, the danger model.
        With `semantic` (the sentence-embedding model) both understand meaning, not only words."""
        kb = content.knowledge
        vocabulary = [text for faq in kb.faqs for text in (faq.question, *faq.variants, faq.answer)]
        vocabulary += [tip.text for tip in kb.tips]
        vocabulary += [phrase for entry in kb.out_of_scope for phrase in entry.phrases]
        lexicon = Lexicon.build(kb.abbreviations, kb.synonym_groups, vocabulary)
        matcher = Matcher(kb.faqs, lexicon, [tip.text for tip in kb.tips], kb.out_of_scope, semantic)
        detector = DangerDetector.build(lexicon, kb.danger_examples, kb.faqs, semantic, ordinary_texts(content))
        return cls(content, matcher, lexicon, random.Random(seed), detector, semantic)

    def __post_init__(self) -> None:
        commands = self.content.flows.commands
        phrases = [(target, tuple(words(fold(nfc(p))))) for target, texts in commands.menu_words.items() for p in texts]
        # Longest phrases first, so "menu chính" wins over "menu".
        self._menu_phrases = sorted((p for p in phrases if p[1]), key=lambda p: -len(p[1]))
        self._fillers = {w for phrase in commands.filler_words for w in self._menu_tokens(phrase)}
        # Whole messages compared with their diacritics: "dừng" stops, "dùng"/"đúng" do not.
        self._exact_words = {
            " ".join(words(nfc(p))): target for target, texts in commands.exact_words.items() for p in texts
        }
        self._small_talk = SmallTalkIndex.build(self.content.flows.small_talk)

    def danger(self, text: str) -> Danger | None:
        """Does this message say a child is in danger now? Cheap enough for every message, and
        asked before anything that could hold a message back (flood limits, a failing disk)."""
        if self.detector is None:
            return detect_danger(text, self.lexicon)
        return self.detector.detect(text)

    def emergency(self, user_key: str) -> Outcome:
        """The emergency card on its own, for when the normal path cannot run (a storage fault)."""
        ctx = nodes.Context(self.content, Session(user_key=user_key), self.rng)
        ctx.events.append(Event("crisis_shown", detail="fault"))
        return ctx.outcome(nodes.render(ctx, self.content.flows.commands.emergency), kind="crisis")

    def _menu_tokens(self, text: str) -> tuple[str, ...]:
        """Menu words, fillers and messages go through one pipeline so they compare alike."""
        return normalize(text, self.lexicon, all_readings=False).folded

    def handle(self, incoming: Incoming, session: Session) -> Outcome:
        ctx = nodes.Context(self.content, session, self.rng, admin=incoming.admin, reachable=incoming.reachable)
        if not session.started:
            session.started = True
            ctx.events.append(Event("session_started"))
        if incoming.payload:
            return self._payload(ctx, incoming.payload)
        text = (incoming.text or "").strip()
        if not text:
            return self._fallback(ctx, None)
        if text.startswith("/"):
            outcome = self._command(ctx, text)
            if outcome:
                return outcome
        # A whole message that is one of the flows' command words ("dừng", "hủy đăng ký", "menu ở
        # đâu vậy") says nothing else: it is answered as the command, before the danger check.
        word_target = self._exact_words.get(" ".join(words(nfc(text)))) or self._menu_word(text)
        if word_target:
            ctx.events.append(Event("menu_word"))
            return ctx.outcome(nodes.render(ctx, word_target), kind="command")
        danger = self.danger(text)
        if danger:
            ctx.events.append(Event("crisis_shown", detail=danger.family))
            replies = nodes.render(ctx, self.content.flows.commands.emergency)
            return ctx.outcome(replies + self._answer_after_card(ctx, text, danger), kind="crisis")
        if session.quiz is not None:
            pick = self._small_talk.quiz_pick(text)
            if pick is not None:
                return ctx.outcome(nodes.typed_quiz_answer(ctx, pick), kind="command")
        talk = self._small_talk.match(text)
        if talk:
            return self._small_talk_reply(ctx, talk)
        return self._answer(ctx, text)

    # -- free text -------------------------------------------------------------------------
    def _command(self, ctx: nodes.Context, text: str) -> Outcome | None:
        name, _, argument = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        commands = self.content.flows.commands
        if name == "start":
            return self._start(ctx, argument.strip())
        target = commands.commands.get(name)
        if target is None:
            return None
        ctx.events.append(Event("command", detail=name))
        return ctx.outcome(nodes.render(ctx, target), kind="command")

    def _start(self, ctx: nodes.Context, argument: str) -> Outcome:
        commands = self.content.flows.commands
        ctx.events.append(Event("command", detail="start"))
        link = commands.deep_links.get(argument.lower()) if argument else None
        if link:
            ctx.events.append(Event("deep_link", detail=argument.lower()[:40]))
            return ctx.outcome(nodes.render(ctx, link), kind="command")
        poster_topic = argument.lower().removeprefix(POSTER_LINK)
        if argument.lower().startswith(POSTER_LINK) and poster_topic in TOPICS:
            # A printed poster's QR code: counted per topic (anonymously), then a tip of that topic.
            ctx.events.append(Event("deep_link", topic=poster_topic, detail=POSTER_LINK + poster_topic))
            return ctx.outcome(nodes.PAYLOAD_HANDLERS["t"](ctx, poster_topic), kind="command")
        if ctx.session.role is None:
            return ctx.outcome(nodes.render(ctx, commands.start), kind="command")
        return ctx.outcome(nodes.render(ctx, commands.menu), kind="command")

    def _answer_after_card(self, ctx: nodes.Context, text: str, danger: Danger) -> list[Reply]:
        """Danger the model read between the lines may come with a plain question ("…phải làm
        sao?"): after the card, the FAQ that answers it, when the matcher is sure. Danger said
        outright gets the card alone."""
        if danger.pattern != "model":
            return []
        result = self.matcher.match(text)
        best = result.best
        if best is None or not result.confident or isinstance(best.faq, OutOfScope):
            return []
        ctx.events.append(Event("faq_answered", topic=best.faq.topic, detail="after_card"))
        return nodes.faq_replies(ctx, best.faq)

    def _menu_word(self, text: str) -> str | None:
        """A menu word typed alone, or wrapped only in filler words ("menuu ở đâu vậy")."""
        tokens = self._menu_tokens(text)
        if not tokens or len(tokens) > 6:
            return None
        for target, phrase in self._menu_phrases:
            for start in range(len(tokens) - len(phrase) + 1):
                if tokens[start : start + len(phrase)] == phrase:
                    rest = tokens[:start] + tokens[start + len(phrase) :]
                    if all(word in self._fillers for word in rest):
                        return target
        return None

    def _small_talk_reply(self, ctx: nodes.Context, group: str) -> Outcome:
        """A short reply from `flows/small_talk.yaml` on top of the menu, never a guessed FAQ.
        A step that waits for an answer (onboarding) keeps its way back; an open quiz is offered
        by the menu itself."""
        talk = self.content.flows.small_talk
        assert talk is not None  # the index is empty without the file
        ctx.events.append(Event("small_talk", detail=group))
        back = nodes.back_row(ctx) if ctx.session.quiz is None else ()
        replies = nodes.render(ctx, self.content.flows.commands.menu)
        first = replies[0]
        replies[0] = Reply(f"{getattr(talk, group).reply}\n\n{first.text}", back + first.buttons)
        return ctx.outcome(replies, kind="fallback" if group in NOT_FOLLOWED else "command")

    def _answer(self, ctx: nodes.Context, text: str) -> Outcome:
        result = self.matcher.match(text)
        best = result.best
        if isinstance(best.faq if best else None, OutOfScope):
            ctx.events.append(Event("out_of_scope", detail=best.faq.id))
            outcome = self._fallback(ctx, result.confidence)
            first = outcome.replies[0]
            outcome.replies[0] = Reply(f"{best.faq.reply}\n\n{first.text}", first.buttons)
            return outcome
        if best and result.confident:
            ctx.events.append(Event("faq_answered", topic=best.faq.topic))
            outcome = ctx.outcome(nodes.faq_replies(ctx, best.faq), kind="faq")
            outcome.topic, outcome.answer_id, outcome.score = best.faq.topic, best.faq.id, result.confidence
            return outcome
        if best and result.confidence >= SUGGEST_AT:
            ctx.events.append(Event("faq_suggested", topic=best.faq.topic))
            replies = nodes.render(ctx, self.content.flows.commands.suggest)
            suggestion_rows = tuple((Button(ui.short(c.faq.question), f"f:{c.faq.id}"),) for c in result.suggestions)
            first = replies[0]
            replies[0] = Reply(first.text, suggestion_rows + first.buttons)
            outcome = ctx.outcome(replies, kind="faq")
            outcome.topic, outcome.answer_id, outcome.score = best.faq.topic, best.faq.id, result.confidence
            outcome.suggested = True
            return outcome
        # The words themselves go to an Action, never to an Event: the caller keeps them only if the
        # ward allows it, scrubbed and unlinked (bot/stats/unanswered.py).
        ctx.actions.append(Action("unanswered_question", {"text": text}))
        return self._fallback(ctx, result.confidence)

    def _fallback(self, ctx: nodes.Context, score: float | None) -> Outcome:
        ctx.events.append(Event("fallback"))
        outcome = ctx.outcome(nodes.render(ctx, self.content.flows.commands.fallback), kind="fallback")
        outcome.score = score
        return outcome

    # -- buttons ---------------------------------------------------------------------------
    def _payload(self, ctx: nodes.Context, payload: str) -> Outcome:
        prefix, _, rest = payload.partition(":")
        handler = nodes.PAYLOAD_HANDLERS.get(prefix)
        if handler is None:
            return ctx.outcome([Reply(ui.STALE_BUTTON, ui.menu_row(self.content))], kind="command")
        return ctx.outcome(handler(ctx, rest), kind="command")
