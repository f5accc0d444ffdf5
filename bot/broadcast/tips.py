"""Automatic tip reminders: once a day at `hour` (Vietnam time), one tip for every subscriber who
chose daily tips, and on `weekday` also for those who chose weekly tips.

Each subscriber's tip matches their role and age band (and their topics, if they chose some) and
is one they have not had yet; when they have had them all, a new round starts. The day's run, the
broadcast and the record of who got which tip are written in one transaction, so a restart never
sends a day's tips twice and a late start (the server was off at 8:00) still sends them that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.broadcast.outbox import NewBroadcast, Outbox
from bot.broadcast.texts import FOOTER, VIETNAM
from bot.channels.telegram_common import USER_PREFIX
from bot.content.models import Tip
from bot.content.topics import AGE_BANDS, TOPICS
from bot.core import ui
from bot.storage.subscriptions import Segment, Subscription

ADULTS = ("parent", "teacher", "other")


@dataclass
class TipPlan:
    tips: list[Tip]
    hour: int = 8
    weekday: int = 7  # ISO: 1 = Monday … 7 = Sunday
    prefix: str = USER_PREFIX

    def period(self, now: float) -> str | None:
        """The run due at `now` ("tips:2026-07-01"), or None before today's hour."""
        local = datetime.fromtimestamp(now, VIETNAM)
        return f"tips:{local.date().isoformat()}" if local.hour >= self.hour else None

    def pool(self, subscription: Subscription) -> list[Tip]:
        """Tips for this subscriber, topics taking turns so two reminders in a row differ."""
        role, band = subscription.role, subscription.age_band
        if role == "student":
            fits = [t for t in self.tips if t.audience in ("student", "all") and t.age_band in (band, "all")]
        else:
            audiences = {role or "other", "all", "parent"}
            fits = [t for t in self.tips if t.audience in audiences and t.age_band in ("parent", "all", band)]
        chosen = [t for t in fits if t.topic in subscription.topics] if subscription.topics else []
        fits = chosen or fits
        by_topic = [[t for t in fits if t.topic == topic] for topic in TOPICS]
        turns = max((len(group) for group in by_topic), default=0)
        return [group[i] for i in range(turns) for group in by_topic if i < len(group)]

    def text(self, tip: Tip, daily: bool) -> str:
        band = f" · {AGE_BANDS[tip.age_band]}" if tip.age_band not in ("all", "parent") else ""
        head = f"💡 Mẹo {'hôm nay' if daily else 'tuần này'} · {TOPICS[tip.topic]}{band}"
        return f"{head}\n\n{tip.text}\n\n{ui.SOURCE.format(source=tip.source)}{FOOTER}"

    def schedule_if_due(self, outbox: Outbox, now: float) -> int | None:
        """Create today's tip broadcast if it is time and not done yet; its id (None otherwise)."""
        period = self.period(now)
        if period is None or outbox.tip_run_done(period):
            return None
        weekly = datetime.fromtimestamp(now, VIETNAM).isoweekday() == self.weekday
        subscribers = [
            s
            for s in outbox.subscriptions.recipients(Segment(kind="tip"), self.prefix)
            if "tips_daily" in s.kinds or (weekly and "tips_weekly" in s.kinds)
        ]
        had = outbox.tips_sent(s.user_key for s in subscribers)
        recipients, chosen, reset = [], [], []
        for subscriber in subscribers:
            pool = self.pool(subscriber)
            if not pool:
                continue
            fresh = [tip for tip in pool if tip.id not in had[subscriber.user_key]]
            if not fresh:
                reset.append(subscriber.user_key)
                fresh = pool
            tip = fresh[0]
            recipients.append((subscriber.user_key, self.text(tip, "tips_daily" in subscriber.kinds)))
            chosen.append((subscriber.user_key, tip.id))
        with outbox.store.transaction():
            if outbox.tip_run_done(period):
                return None
            if not recipients:
                outbox.db.execute("INSERT INTO tip_runs (period, created_at) VALUES (?, ?)", [period, now])
                return None
            spec = NewBroadcast(
                kind="tip",
                text="💡 Mẹo theo từng người đăng ký",
                segment=Segment(kind="tip"),
                audience="Người đăng ký nhận mẹo",
                send_at=now,
                created_by="tips",
            )
            broadcast_id = outbox.create(spec, recipients, now, period=period)
            outbox.record_tips(chosen, reset, now)
        return broadcast_id
