"""Content that would not load, or that still holds the placeholders shipped for the ward to fill."""

from __future__ import annotations

from bot.config import Config
from bot.content.checks import Minimums, check_minimums
from bot.content.loader import ContentInvalid, load_content
from bot.doctor.finding import Finding


def check_content(config: Config) -> list[Finding]:
    try:
        content = load_content(config.knowledge_dir, config.flows_dir)
    except ContentInvalid as exc:
        errors = [str(error) for error in exc.errors]
        shown = errors[:15] + ([f"… và {len(errors) - 15} lỗi nữa"] if len(errors) > 15 else [])
        return [
            Finding(
                "content",
                "fail",
                f"Nội dung chưa hợp lệ ({len(errors)} lỗi); trợ lý sẽ không khởi động với nội dung này:",
                "Sửa các chỗ ở trên (tệp:dòng), rồi chạy python -m bot check cho đến khi báo hợp lệ.",
                shown,
            )
        ]
    kb = content.knowledge
    found = [
        Finding(
            "content",
            "ok",
            f"Nội dung hợp lệ: {len(kb.faqs)} hỏi đáp, {len(kb.tips)} mẹo, {len(kb.quizzes)} bộ trắc nghiệm "
            f"({config.knowledge_dir}, {config.flows_dir}).",
        )
    ]
    shortfalls = check_minimums(kb, Minimums())
    if shortfalls:
        found.append(Finding("content", "warn", "Nội dung còn mỏng so với yêu cầu:", "", shortfalls[:10]))
    unfilled = [contact.id for contact in kb.contacts if contact.placeholder]
    if unfilled:
        found.append(
            Finding(
                "content",
                "warn",
                f"Chưa điền số điện thoại thật của phường trong knowledge/contacts.yaml (mục {', '.join(unfilled)}).",
                "Ghi số đã gọi thử vào trường phone, sửa description, đổi placeholder: true thành false.",
            )
        )
    examples = sum(1 for activity in kb.activities if activity.example)
    if examples:
        found.append(
            Finding(
                "content",
                "warn",
                f"Còn {examples} hoạt động mẫu [Ví dụ] trong knowledge/activities.yaml.",
                "Thay bằng hoạt động thật của phường (hoặc xoá) trước khi giới thiệu trợ lý với người dân.",
            )
        )
    return found
