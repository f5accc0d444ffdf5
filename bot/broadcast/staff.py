"""/thongbao and /thongbao_trangthai: ward staff compose, target, preview, schedule, send and
follow broadcasts from Telegram.

This is a "desk" the assistant asks before its engine: it is not part of the pure core because it
must count subscribers and write the outbox. Who is staff is `Incoming.admin`, which the assistant
sets from BOT_ADMIN_IDS whatever the channel said; a Telegram channel passes staff's photos and
documents (`Incoming.attachment`). Anyone else gets one polite refusal that reveals nothing,
whatever command or old button they use. Residential groups are onboarding's (codes and labels
from the flows), as the statistics count them. The draft lives in `staff_drafts`, so a restart
mid-composition loses nothing.

Button payloads start with `b:` and never reach the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.broadcast import texts
from bot.broadcast.outbox import NewBroadcast, Outbox
from bot.broadcast.when import WhenError, parse_when
from bot.channels.telegram_common import USER_PREFIX
from bot.content.loader import Content
from bot.content.topics import AGE_BANDS, ROLES, TOPICS
from bot.core.subscribe import group_labels
from bot.core.types import Button, Incoming, Keyboard, Outcome, Reply, Session
from bot.storage.subscriptions import Segment

COMMAND, STATUS = "thongbao", "thongbao_trangthai"
PREFIX = USER_PREFIX  # staff broadcasts go to Telegram subscribers
DRAFT_HOURS = 24
REFUSAL = "Xin lỗi, lệnh này chỉ dành cho cán bộ phường. Anh/chị cần gì cứ gõ /menu nhé."
ASK_CONTENT = (
    "✍️ Soạn thông báo gửi người đăng ký.\n"
    "Gửi cho mình nội dung: một tin nhắn chữ, hoặc một ảnh/tệp kèm chú thích. Chữ được giữ nguyên như anh/chị gõ."
)
ASK_KIND = "Đây là loại tin nào? (Người đăng ký chỉ nhận loại tin họ đã chọn.)"
ASK_WHEN = (
    "🕗 Gửi lúc nào? Gõ thời gian theo giờ Việt Nam (ví dụ: 19:30 · 08:00 25/12 · 25/12/2026 08:00), "
    "hoặc chọn nhanh bên dưới."
)
MEDIA_HINT = "Muốn gửi ảnh hoặc tệp cho người đăng ký? Gõ /thongbao trước, rồi gửi ảnh/tệp kèm chú thích nhé."
NOTHING_ACTIVE = "Hiện không có thông báo nào đang gửi hay đang hẹn giờ."
DIMENSIONS = {"role": "👪 Vai trò", "age": "🎂 Độ tuổi", "group": "🏘️ Tổ dân phố", "topic": "📚 Chủ đề"}
CANCEL = Button("❌ Huỷ", "b:x")


def _one(rows: list[tuple[Button, ...]]) -> Keyboard:
    return tuple(row for row in rows if row)


class StaffDesk:
    def __init__(self, outbox: Outbox, content: Callable[[], Content]) -> None:
        self.outbox = outbox
        self.subscriptions = outbox.subscriptions
        self.content = content  # the assistant's current content (it may be reloaded)

    def group_names(self) -> dict[str, str]:
        """Group code → label: the ward's list in the flows first, then any older code a
        subscriber still has (with the label they saw)."""
        names = group_labels(self.content().flows.nodes)
        for code, label in self.subscriptions.group_names().items():
            names.setdefault(code, label)
        return names

    # --- routing ---------------------------------------------------------------------------

    def handle(self, incoming: Incoming, now: float) -> Outcome | None:
        """An outcome if this message is staff business, None to let the engine answer."""
        command = _command(incoming.text)
        payload = incoming.payload or ""
        mine = command in (COMMAND, STATUS) or payload.startswith("b:")
        if not incoming.admin:
            return self._out(incoming, [Reply(REFUSAL)]) if mine else None
        key = incoming.user_key
        if command == COMMAND:
            self.outbox.save_draft(key, {"step": "content"}, now)
            return self._out(incoming, [Reply(ASK_CONTENT, ((CANCEL,),))])
        if command == STATUS:
            return self._out(incoming, self._status())
        draft = self.outbox.draft(key)
        if draft is not None and draft.get("at", now) < now - DRAFT_HOURS * 3600:
            self.outbox.drop_draft(key)
            draft = None
        if payload.startswith("b:"):
            return self._out(incoming, self._press(key, draft, payload[2:], now))
        if command is not None:  # another command: the draft (if any) is set aside
            if draft is not None:
                self.outbox.drop_draft(key)
            return None
        if draft is not None and draft.get("step") in ("content", "when"):
            return self._out(incoming, self._typed(key, draft, incoming, now))
        if incoming.attachment is not None:
            return self._out(incoming, [Reply(MEDIA_HINT)])
        return None

    @staticmethod
    def _out(incoming: Incoming, replies: list[Reply]) -> Outcome:
        return Outcome(replies=replies, session=Session(user_key=incoming.user_key), events=[], kind="command")

    def _save(self, key: str, draft: dict[str, Any], now: float) -> None:
        draft["at"] = now
        self.outbox.save_draft(key, draft, now)

    # --- typed input -----------------------------------------------------------------------

    def _typed(self, key: str, draft: dict[str, Any], incoming: Incoming, now: float) -> list[Reply]:
        text = (incoming.text or "").strip()
        if draft["step"] == "when":
            try:
                draft["send_at"] = parse_when(text, now)
            except WhenError as exc:
                return [Reply(str(exc), self._when_buttons(now))]
            draft["step"] = "confirm_at"
            self._save(key, draft, now)
            return self._confirm_at(draft)
        attachment = incoming.attachment
        if not text and attachment is None:
            return [Reply(ASK_CONTENT, ((CANCEL,),))]
        _, problem = texts.compose(text, attachment.kind if attachment else None)
        if problem:
            return [Reply(problem + " Anh/chị gửi lại nội dung ngắn hơn nhé.", ((CANCEL,),))]
        draft.update(step="kind", text=text, segment={"kind": "announcement"})
        if attachment is not None:
            draft.update(media_kind=attachment.kind, media_ref=attachment.ref, media_name=attachment.name or None)
        self._save(key, draft, now)
        rows = [(Button(label, f"b:k:{kind}"),) for kind, label in texts.KINDS.items() if kind != "tip"]
        return [Reply(ASK_KIND, _one([*rows, (CANCEL,)]))]

    # --- buttons ---------------------------------------------------------------------------

    def _press(self, key: str, draft: dict[str, Any] | None, action: str, now: float) -> list[Reply]:
        head, _, value = action.partition(":")
        if head == "s":
            return self._status()
        if head == "c":
            return self._ask_cancel(value)
        if head == "cc":
            return self._cancel(value, now)
        if head == "x":
            self.outbox.drop_draft(key)
            return [Reply("Đã bỏ bản nháp thông báo. Gõ /thongbao khi cần soạn lại.", replace=True)]
        if draft is None or "text" not in draft:
            return [Reply("Bản nháp này không còn nữa. Gõ /thongbao để soạn thông báo mới.")]
        segment = Segment(**draft.get("segment", {}))
        if head == "k" and value in ("announcement", "activity"):
            segment = Segment(kind=value)
        elif head == "a" and value == "all":
            segment = Segment(kind=segment.kind)
            draft.pop("group_name", None)
        elif head == "a" and value == "back":
            pass
        elif head == "d" and value in DIMENSIONS:
            return self._dimension(segment, value)
        elif head == "r" and value in ROLES:
            segment = replace(segment, role=value)
        elif head == "g" and value in texts.CHILD_BANDS:
            segment = replace(segment, age_band=value)
        elif head == "t" and value in TOPICS:
            segment = replace(segment, topic=value)
        elif head == "o":
            names = dict(self._groups(segment))
            if value not in names:
                return [Reply("Tổ này không còn người đăng ký. Anh/chị chọn lại nhé.")]
            segment = replace(segment, group=value)
            draft["group_name"] = self.group_names().get(value, value)
        elif head == "p":
            return self._preview(key, draft, segment, now)
        elif head == "now":
            return self._create(key, draft, segment, now, now)
        elif head == "when":
            draft["step"] = "when"
            self._save(key, draft, now)
            return [Reply(ASK_WHEN, self._when_buttons(now))]
        elif head == "at" and value.isdigit():
            draft["send_at"], draft["step"] = float(value), "confirm_at"
            self._save(key, draft, now)
            return self._confirm_at(draft)
        elif head == "ok" and draft.get("send_at"):
            if draft["send_at"] < now - 60:
                return [Reply("Thời điểm hẹn đã qua. Anh/chị chọn giờ khác nhé.", self._when_buttons(now))]
            return self._create(key, draft, segment, max(draft["send_at"], now), now)
        else:
            return [Reply("Nút này đã cũ. Gõ /thongbao để soạn lại.")]
        draft["segment"] = segment.__dict__
        draft["step"] = "audience"
        self._save(key, draft, now)
        return self._audience(draft, segment)

    # --- screens ---------------------------------------------------------------------------

    def _audience(self, draft: dict[str, Any], segment: Segment) -> list[Reply]:
        count = self.subscriptions.count(segment, PREFIX)
        label = texts.describe(segment, draft.get("group_name"))
        text = (
            f"👥 Gửi cho ai? ({texts.KINDS[segment.kind]})\n"
            f"Đang chọn: {label} – {count} người.\n"
            "Thu hẹp theo vai trò, độ tuổi, tổ dân phố hoặc chủ đề quan tâm; xong thì bấm “Xem trước”."
        )
        dims = [Button(label, f"b:d:{dim}") for dim, label in DIMENSIONS.items()]
        rows = [
            tuple(dims[:2]),
            tuple(dims[2:]),
            (Button("👥 Tất cả người đăng ký", "b:a:all"),),
            (Button("👁 Xem trước ➡️", "b:p"),),
            (CANCEL,),
        ]
        return [Reply(text, _one(rows), replace=True)]

    def _groups(self, segment: Segment) -> list[tuple[str, int]]:
        """(group code, subscribers) of the groups someone in the audience gave, in the ward's order."""
        counts = dict(self.subscriptions.breakdown("grp", replace(segment, group=None), PREFIX))
        return [(code, counts[code]) for code in self.group_names() if code in counts]

    def _dimension(self, segment: Segment, dim: str) -> list[Reply]:
        """The values of one filter, each with how many subscribers it would reach."""
        if dim == "role":
            counts = dict(self.subscriptions.breakdown("role", replace(segment, role=None), PREFIX))
            items = [(ROLES[r], f"b:r:{r}", counts.get(r, 0)) for r in ROLES]
        elif dim == "age":
            counts = dict(self.subscriptions.breakdown("age_band", replace(segment, age_band=None), PREFIX))
            items = [(AGE_BANDS[b], f"b:g:{b}", counts.get(b, 0)) for b in texts.CHILD_BANDS]
        elif dim == "group":
            names = self.group_names()
            items = [(names[code], f"b:o:{code}"[:64], n) for code, n in self._groups(segment)]
        else:
            counts = dict(self.subscriptions.topic_counts(replace(segment, topic=None), TOPICS, PREFIX))
            items = [(TOPICS[t], f"b:t:{t}", counts.get(t, 0)) for t in TOPICS]
        if not items:
            return [Reply("Chưa có người đăng ký nào cho biết tổ dân phố.", ((Button("⬅️ Quay lại", "b:a:back"),),))]
        buttons = [Button(f"{label} ({n})", payload) for label, payload, n in items]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        return [
            Reply(f"Chọn {DIMENSIONS[dim].split(' ', 1)[1].lower()} (số người trong ngoặc):", _one([*rows, (CANCEL,)]))
        ]

    def _preview(self, key: str, draft: dict[str, Any], segment: Segment, now: float) -> list[Reply]:
        draft["segment"] = segment.__dict__
        draft["step"] = "preview"
        self._save(key, draft, now)
        full, _ = texts.compose(draft["text"], draft.get("media_kind"))
        count = self.subscriptions.count(segment, PREFIX)
        media = {"photo": "\n📎 Kèm một ảnh (tin nhắn trên là chú thích của ảnh).", "document": "\n📎 Kèm một tệp."}
        summary = (
            f"Loại: {texts.KINDS[segment.kind]}\n"
            f"Người nhận: {texts.describe(segment, draft.get('group_name'))}\n"
            f"Số người nhận: {count}" + media.get(draft.get("media_kind") or "", "")
        )
        if not count:
            rows = [(Button("✏️ Đổi người nhận", "b:a:back"),), (CANCEL,)]
            return [
                Reply(full),
                Reply(summary + "\n\nNhóm này chưa có ai đăng ký. Anh/chị chọn nhóm khác nhé.", _one(rows)),
            ]
        rows = [
            (Button(f"✅ Gửi ngay cho {count} người", "b:now"),),
            (Button("🕗 Hẹn giờ gửi", "b:when"),),
            (Button("✏️ Đổi người nhận", "b:a:back"),),
            (CANCEL,),
        ]
        return [Reply("👁 Xem trước – tin sẽ đến đúng như sau:"), Reply(full), Reply(summary, _one(rows))]

    def _when_buttons(self, now: float) -> Keyboard:
        local = datetime.fromtimestamp(now, texts.VIETNAM)
        quick = []
        tonight = local.replace(hour=19, minute=0, second=0, microsecond=0)
        if tonight > local:
            quick.append(Button("Tối nay 19:00", f"b:at:{int(tonight.timestamp())}"))
        tomorrow = (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        quick.append(Button("Sáng mai 08:00", f"b:at:{int(tomorrow.timestamp())}"))
        return _one([tuple(quick), (CANCEL,)])

    def _confirm_at(self, draft: dict[str, Any]) -> list[Reply]:
        segment = Segment(**draft["segment"])
        count = self.subscriptions.count(segment, PREFIX)
        text = (
            f"🕗 Hẹn gửi lúc {texts.when(draft['send_at'])} cho {count} người "
            f"({texts.describe(segment, draft.get('group_name'))})?\n"
            "Danh sách người nhận được chốt ngay khi anh/chị xác nhận; ai huỷ đăng ký trước giờ gửi sẽ không nhận."
        )
        rows = [(Button("✅ Xác nhận hẹn giờ", "b:ok"),), (Button("🕗 Chọn giờ khác", "b:when"),), (CANCEL,)]
        return [Reply(text, _one(rows))]

    def _create(self, key: str, draft: dict[str, Any], segment: Segment, send_at: float, now: float) -> list[Reply]:
        full, problem = texts.compose(draft["text"], draft.get("media_kind"))
        if problem:
            return [Reply(problem)]
        recipients = [(s.user_key, None) for s in self.subscriptions.recipients(segment, PREFIX)]
        if not recipients:
            return [Reply("Nhóm này chưa có ai đăng ký, nên chưa gửi gì. Gõ /thongbao để soạn lại.")]
        spec = NewBroadcast(
            kind=segment.kind,
            text=full,
            segment=segment,
            audience=texts.describe(segment, draft.get("group_name")),
            send_at=send_at,
            media_kind=draft.get("media_kind"),
            media_ref=draft.get("media_ref"),
            media_name=draft.get("media_name"),
            media_file_id=draft.get("media_ref"),
            created_by=key,
            report_to=key,
        )
        broadcast_id = self.outbox.create(spec, recipients, now)
        self.outbox.drop_draft(key)
        minutes = max(1, round(len(recipients) / 30 / 60))
        if send_at > now + 60:
            text = (
                f"🕗 Đã hẹn gửi thông báo #{broadcast_id} lúc {texts.when(send_at)} cho {len(recipients)} người.\n"
                "Muốn huỷ: /thongbao_trangthai."
            )
        else:
            text = (
                f"✅ Đã xếp hàng thông báo #{broadcast_id} cho {len(recipients)} người; "
                f"trợ lý gửi dần theo giới hạn của Telegram (khoảng {minutes} phút).\n"
                "Khi xong, anh/chị sẽ nhận báo cáo. Xem tiến độ hoặc dừng: /thongbao_trangthai."
            )
        return [Reply(text, replace=True)]

    def _status(self) -> list[Reply]:
        recent = self.outbox.recent(5)
        if not recent:
            return [Reply("Chưa có thông báo nào. Gõ /thongbao để soạn thông báo đầu tiên.")]
        lines = ["📊 Các thông báo gần đây:"]
        rows: list[tuple[Button, ...]] = []
        for broadcast in recent:
            progress = self.outbox.progress(broadcast.id)
            lines.append(texts.status_line(broadcast, progress))
            if broadcast.status == "sending":
                lines.append("   " + texts.bar(progress.done, progress.total, 12))
            if broadcast.status in ("scheduled", "sending"):
                rows.append((Button(f"⏹ Dừng #{broadcast.id}", f"b:c:{broadcast.id}"),))
        if not rows:
            lines.append("\n" + NOTHING_ACTIVE)
        rows.append((Button("🔄 Làm mới", "b:s"),))
        return [Reply("\n".join(lines), _one(rows), replace=True)]

    def _ask_cancel(self, value: str) -> list[Reply]:
        broadcast = self.outbox.get(int(value)) if value.isdigit() else None
        if broadcast is None or broadcast.status not in ("scheduled", "sending"):
            return self._status()
        left = self.outbox.progress(broadcast.id).pending
        rows = [(Button(f"⏹ Dừng #{broadcast.id}", f"b:cc:{broadcast.id}"),), (Button("Không, cứ gửi", "b:s"),)]
        return [Reply(f"Dừng thông báo #{broadcast.id}? {left} tin chưa gửi sẽ không gửi nữa.", _one(rows))]

    def _cancel(self, value: str, now: float) -> list[Reply]:
        stopped = self.outbox.cancel(int(value), now) if value.isdigit() else None
        if stopped is None:
            return [Reply(f"Thông báo #{value} không còn đang gửi hay hẹn giờ."), *self._status()]
        return [Reply(f"⏹ Đã dừng thông báo #{value}: {stopped} tin chưa gửi sẽ không gửi nữa.", replace=True)]


def _command(text: str | None) -> str | None:
    if not text or not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else None
