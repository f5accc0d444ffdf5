"""Words of the broadcast feature in one place: audience labels, the footer every broadcast
carries, delivery reports, and the `--segment` syntax of the command line."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.broadcast.outbox import Broadcast, Progress
from bot.channels.telegram_common import CAPTION_LIMIT
from bot.content.topics import AGE_BANDS, ROLES, TOPICS
from bot.core.types import TEXT_LIMIT
from bot.storage.subscriptions import Segment
from bot.understanding.normalize import fold_key

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
KINDS = {"announcement": "📢 Thông báo của phường", "activity": "🎨 Nhắc hoạt động cho trẻ", "tip": "💡 Mẹo"}
STATUS = {
    "scheduled": "🕗 đã hẹn giờ",
    "sending": "📤 đang gửi",
    "done": "✅ đã gửi xong",
    "cancelled": "⏹ đã dừng",
}
CHILD_BANDS = ("6-10", "11-14", "15-17")


FOOTER = "\n\n—\nTrợ lý An Toàn Số. Không muốn nhận tin nữa: gõ /huy"


def compose(text: str, media_kind: str | None = None) -> tuple[str, str | None]:
    """The text as it will arrive (with the footer), or an error in Vietnamese if too long."""
    full = text.strip() + FOOTER
    limit = CAPTION_LIMIT if media_kind else TEXT_LIMIT
    used = len(full.encode("utf-16-le")) // 2
    if used > limit:
        room = limit - (used - len(text.strip()))
        what = "chú thích ảnh/tệp" if media_kind else "tin nhắn"
        return full, f"Nội dung quá dài: {what} tối đa khoảng {room} ký tự (đang có {len(text.strip())})."
    return full, None


def describe(segment: Segment, group_name: str | None = None) -> str:
    """The audience in words: "Phụ huynh · con 11–14 tuổi · Tổ 5"."""
    parts = []
    if segment.role:
        parts.append(ROLES.get(segment.role, segment.role))
    if segment.age_band:
        band = AGE_BANDS.get(segment.age_band, segment.age_band)
        parts.append(f"con {band}" if segment.role == "parent" else band)
    if segment.group:
        parts.append(group_name or segment.group)
    if segment.topic:
        parts.append(f"quan tâm: {TOPICS.get(segment.topic, segment.topic)}")
    return " · ".join(parts) or "Tất cả người đăng ký"


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, VIETNAM).strftime("%H:%M %d/%m/%Y")


def report(broadcast: Broadcast, progress: Progress) -> str:
    """The delivery report staff receive when a broadcast ends."""
    head = (
        f"⏹ Thông báo #{broadcast.id} đã dừng."
        if broadcast.status == "cancelled"
        else f"📬 Thông báo #{broadcast.id} đã gửi xong."
    )
    lines = [
        head,
        f"Người nhận: {broadcast.audience} ({progress.total} người)",
        f"• Đã nhận: {progress.sent}",
        f"• Đã chặn bot hoặc không còn tài khoản: {progress.blocked}",
        f"• Lỗi, không gửi được: {progress.failed}",
        f"• Còn chờ: {progress.pending}",
    ]
    if progress.cancelled:
        lines.append(f"• Không gửi vì đã dừng: {progress.cancelled}")
    return "\n".join(lines)


def status_line(broadcast: Broadcast, progress: Progress) -> str:
    kind = KINDS.get(broadcast.kind, broadcast.kind)
    status = STATUS.get(broadcast.status, broadcast.status)
    timing = when(broadcast.created_at)
    if broadcast.status == "scheduled":
        waiting = broadcast.send_at <= broadcast.created_at + 60
        status, timing = ("⏳ chờ gửi", timing) if waiting else (status, f"gửi lúc {when(broadcast.send_at)}")
    return (
        f"#{broadcast.id} {kind} – {status} ({timing})\n"
        f"   {broadcast.audience}: {progress.sent}/{progress.total} đã nhận · {progress.blocked} chặn · "
        f"{progress.failed} lỗi · {progress.pending} chờ"
    )


def bar(done: int, total: int, width: int = 24) -> str:
    filled = width if not total else round(width * done / total)
    percent = 100 if not total else round(100 * done / total)
    return f"[{'█' * filled}{'░' * (width - filled)}] {percent:3d}% {done}/{total}"


class SegmentError(ValueError):
    """A `--segment` the command line cannot read; the message says what is allowed."""


def match_group(value: str, groups: dict[str, str]) -> str | None:
    """The code of the group `value` names among `groups` (code → label): its code ("to-05"), its
    label however typed ("Tổ 5", "to 5"), or its number alone ("5")."""
    wanted = {fold_key(value), fold_key(f"tổ {value}")}
    for code, label in groups.items():
        if value.strip().lower() == code.lower() or fold_key(label) in wanted:
            return code
    return None


def parse_segment(text: str, kind: str = "announcement", groups: dict[str, str] | None = None) -> tuple[Segment, str]:
    """`all` or `role=parent,age=6-10,group=5,topic=lua_dao` (any subset) → (segment, audience in
    words). `groups`: the residential groups known (code → label), for `group=`."""
    segment, group_name = Segment(kind=kind), None
    text = (text or "all").strip()
    if text.lower() in ("all", "tat-ca", "tất cả", ""):
        return segment, describe(segment)
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise SegmentError(f"'{part}' không đúng dạng khóa=giá trị (ví dụ: role=parent)")
        if key == "role":
            if value not in ROLES:
                raise SegmentError(f"vai trò '{value}' không có; chọn một trong: {', '.join(ROLES)}")
            segment = replace(segment, role=value)
        elif key in ("age", "age_band"):
            if value not in CHILD_BANDS:
                raise SegmentError(f"độ tuổi '{value}' không có; chọn một trong: {', '.join(CHILD_BANDS)}")
            segment = replace(segment, age_band=value)
        elif key == "group":
            known = groups or {}
            code = match_group(value, known)
            if code is None:
                listing = ", ".join(known.values()) or "chưa có ai cho biết tổ"
                raise SegmentError(f"tổ dân phố '{value}' không có (ví dụ: group=5); các tổ: {listing}")
            segment, group_name = replace(segment, group=code), known[code]
        elif key == "topic":
            if value not in TOPICS:
                raise SegmentError(f"chủ đề '{value}' không có; chọn một trong: {', '.join(TOPICS)}")
            segment = replace(segment, topic=value)
        else:
            raise SegmentError(f"không biết khóa '{key}'; dùng role, age, group, topic")
    return segment, describe(segment, group_name)
