"""/thongbao and /thongbao_trangthai through the assistant (real SQLite file): staff compose,
target, preview with the exact count, send or schedule, follow and cancel; anyone else is refused.
Who is staff is the assistant's own list (BOT_ADMIN_IDS), whatever the message claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.broadcast.outbox import Outbox
from bot.broadcast.staff import REFUSAL
from bot.broadcast.texts import FOOTER, VIETNAM
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Attachment, Incoming
from bot.storage.sqlite import SqliteStore

STAFF = "tg:9001"
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=VIETNAM).timestamp()


@dataclass
class Staff:
    """Drives the assistant as one Telegram user. `admin`: what the message claims (a channel could
    say anything); the assistant decides from BOT_ADMIN_IDS."""

    assistant: Assistant
    user_key: str = STAFF
    admin: bool = True
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def _show(self, incoming: Incoming) -> list[str]:
        outcome = self.assistant.handle(incoming)
        for reply in outcome.replies:
            if reply.buttons:
                self.buttons = [(b.label, b.payload) for b in reply.all_buttons()]
        return [reply.text for reply in outcome.replies]

    def send(self, text: str, attachment: Attachment | None = None) -> list[str]:
        return self._show(Incoming(self.user_key, text=text, admin=self.admin, attachment=attachment))

    def press(self, fragment: str) -> list[str]:
        payload = next(p for label, p in self.buttons if fragment in label)
        return self._show(Incoming(self.user_key, payload=payload, admin=self.admin))

    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]


@pytest.fixture
def open_assistant(engine: Engine, tmp_path: Path):
    opened: list[Assistant] = []
    clock = [NOW]

    def make() -> Assistant:
        config = Config.load(env={"BOT_ADMIN_IDS": "9001, 123", "BOT_DATA_DIR": str(tmp_path)}, dotenv=None)
        assistant = Assistant(engine, SqliteStore(config.database), clock=lambda: clock[0], config=config)
        opened.append(assistant)
        return assistant

    make.clock = clock  # type: ignore[attr-defined]
    yield make
    for assistant in opened:
        assistant.store.close()


@pytest.fixture
def assistant(open_assistant) -> Assistant:
    made = open_assistant()
    subs = made.outbox.subscriptions
    people = [
        ("tg:1", "parent", "6-10", "to-05", ["announcements", "tips_weekly"]),
        ("tg:2", "parent", "6-10", "to-05", ["announcements"]),
        ("tg:3", "parent", "6-10", None, ["announcements", "activities"]),
        ("tg:4", "parent", "11-14", "to-07", ["announcements"]),
        ("tg:5", "teacher", None, "to-05", ["announcements"]),
        ("tg:6", "parent", "6-10", "to-05", ["tips_daily"]),  # no announcements: never targeted
        ("web:1", "parent", "6-10", None, ["announcements"]),  # not reachable on Telegram
    ]
    for key, role, band, group, kinds in people:
        subs.subscribe(key, role=role, age_band=band, group=group, kinds=kinds, topics=[], now=NOW)
    return made


def test_non_staff_get_one_polite_refusal_and_nothing_else(assistant: Assistant) -> None:
    # The message even claims to be from staff (as a careless or hostile channel might): refused.
    resident = Staff(assistant, "tg:1", admin=True)
    for text in ("/thongbao", "/thongbao_trangthai", "/thongbao@antoanso_bot Họp tổ"):
        assert resident.send(text) == [REFUSAL]
    for forged in ("b:now", "b:cc:1", "b:s", "b:a:all"):
        outcome = assistant.handle(Incoming("tg:1", payload=forged, admin=True))
        assert [reply.text for reply in outcome.replies] == [REFUSAL]
        assert not any(reply.buttons for reply in outcome.replies)
    assert assistant.outbox.recent() == []
    assert "Menu chính" in resident.send("/menu")[0]
    visitor = Staff(assistant, "web:abc", admin=True)  # staff are Telegram users only
    assert visitor.send("/thongbao") == [REFUSAL]


def test_compose_target_preview_and_send(assistant: Assistant) -> None:
    staff = Staff(assistant)
    assert "Soạn thông báo" in staff.send("/thongbao")[0]
    typed = "Họp phụ huynh <b>19:30</b> tối nay & nhớ *đúng giờ* _nhé_"
    assert "loại tin" in staff.send(typed)[0]
    audience = staff.press("Thông báo của phường")[0]
    assert "Tất cả người đăng ký – 5 người" in audience
    staff.press("Vai trò")
    assert "Phụ huynh (4)" in staff.labels() and "Giáo viên (1)" in staff.labels()
    assert "Phụ huynh – 4 người" in staff.press("Phụ huynh")[0]
    staff.press("Độ tuổi")
    assert "6–10 tuổi (3)" in staff.labels() and "11–14 tuổi (1)" in staff.labels()
    assert "con 6–10 tuổi – 3 người" in staff.press("6–10 tuổi")[0]
    staff.press("Tổ dân phố")
    assert staff.labels()[:1] == ["Tổ 5 (2)"]
    assert "Tổ 5 – 2 người" in staff.press("Tổ 5")[0]
    preview = staff.press("Xem trước")
    assert preview[1] == typed + FOOTER, "the preview is exactly what arrives"
    assert "Số người nhận: 2" in preview[2]
    done = staff.press("Gửi ngay")[0]
    assert "#1" in done and "2 người" in done
    outbox: Outbox = assistant.outbox
    broadcast = outbox.get(1)
    assert broadcast.text == typed + FOOTER and broadcast.report_to == STAFF
    assert broadcast.audience == "Phụ huynh · con 6–10 tuổi · Tổ 5"
    rows = outbox.db.execute("SELECT user_key FROM outbox WHERE broadcast_id = 1 ORDER BY user_key").fetchall()
    assert [key for (key,) in rows] == ["tg:1", "tg:2"]
    assert outbox.draft(STAFF) is None


def test_schedule_then_follow_and_cancel(assistant: Assistant, open_assistant) -> None:
    staff = Staff(assistant)
    staff.send("/thongbao")
    staff.send("Sinh hoạt hè của thiếu nhi sáng Chủ nhật")
    staff.press("Nhắc hoạt động")
    assert "Số người nhận: 1" in staff.press("Xem trước")[-1]
    staff.press("Hẹn giờ")
    assert "Sáng mai 08:00" in staff.labels()
    assert "đã qua" in staff.send("01/01/2020 08:00")[0]
    asked = staff.send("05/07 07:30")[0]
    assert "07:30 05/07/2026" in asked and "1 người" in asked
    assert "Đã hẹn gửi thông báo #1" in staff.press("Xác nhận hẹn giờ")[0]
    broadcast = assistant.outbox.get(1)
    assert broadcast.status == "scheduled"
    assert broadcast.send_at == datetime(2026, 7, 5, 7, 30, tzinfo=VIETNAM).timestamp()

    status = staff.send("/thongbao_trangthai")[0]
    assert "#1" in status and "đã hẹn giờ" in status and "07:30 05/07/2026" in status
    staff.press("Dừng #1")
    assert "1 tin chưa gửi" in staff.press("Dừng #1")[0]
    assert assistant.outbox.get(1).status == "cancelled"
    assert "Hiện không có thông báo nào" in staff.send("/thongbao_trangthai")[0]


def test_photo_with_caption_is_reused_by_file_id(assistant: Assistant) -> None:
    staff = Staff(assistant)
    staff.send("/thongbao")
    staff.send("Áp phích chương trình hè", Attachment("photo", "AgACAgIAAxkBAAIB-photo"))
    staff.press("Thông báo của phường")
    preview = staff.press("Xem trước")
    assert "Kèm một ảnh" in preview[-1]
    staff.press("Gửi ngay")
    broadcast = assistant.outbox.get(1)
    assert (broadcast.media_kind, broadcast.media_file_id) == ("photo", "AgACAgIAAxkBAAIB-photo")
    assert broadcast.text.startswith("Áp phích chương trình hè")


def test_too_long_is_refused_with_the_room_left(assistant: Assistant) -> None:
    staff = Staff(assistant)
    staff.send("/thongbao")
    assert "quá dài" in staff.send("a" * 4090)[0]
    assert "quá dài" in staff.send("b" * 1100, Attachment("photo", "id"))[0]
    assert "loại tin" in staff.send("Vừa đủ ngắn")[0]


def test_draft_survives_a_restart_and_other_commands_set_it_aside(assistant: Assistant, open_assistant) -> None:
    staff = Staff(assistant)
    staff.send("/thongbao")
    staff.send("Lịch tiêm chủng mới")
    restarted = Staff(open_assistant(), buttons=staff.buttons)
    assert "5 người" in restarted.press("Thông báo của phường")[0]
    assert "Menu chính" in restarted.send("/menu")[0]
    assert restarted.assistant.outbox.draft(STAFF) is None
    replies = restarted.send("con tôi bị bắt nạt trên mạng")
    assert "Nguồn:" in replies[0], "after leaving the draft, text is a question again"


def test_nobody_in_the_group_means_nothing_to_send(assistant: Assistant) -> None:
    staff = Staff(assistant)
    staff.send("/thongbao")
    staff.send("Nhắc lịch bơi an toàn")
    assert "1 người" in staff.press("Nhắc hoạt động")[0]
    assert "Chưa có người đăng ký nào cho biết tổ dân phố" in staff.press("Tổ dân phố")[0]
    staff.press("Quay lại")
    staff.press("Vai trò")
    assert "Giáo viên (0)" in staff.labels()
    staff.press("Giáo viên")
    preview = staff.press("Xem trước")
    assert "chưa có ai đăng ký" in preview[-1]
    assert not any("Gửi ngay" in label for label in staff.labels())
    assert assistant.outbox.recent() == []
