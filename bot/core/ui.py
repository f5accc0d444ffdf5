"""The few fixed interface words (buttons, notices) that are not content, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.types import Button, Keyboard

if TYPE_CHECKING:
    from bot.content.loader import Content

MENU = "🏠 Menu chính"
MORE_TIPS = "💡 Mẹo khác"
OTHER_TOPICS = "📚 Chủ đề khác"
NEXT_QUESTION = "Câu tiếp theo ➡️"
QUIZ_AGAIN = "🔁 Làm lại"
OTHER_QUIZ = "📝 Bộ câu hỏi khác"
CONTINUE_QUIZ = "▶️ Tiếp tục bài trắc nghiệm"
BACK_TO_QUESTION = "↩️ Quay lại câu hỏi vừa rồi"
REPORT_GUIDE = "🆘 Hướng dẫn báo cáo"
RELATED = "🔗 "
STALE_BUTTON = "Nút này đã cũ. Anh/chị chọn lại từ menu nhé."
QUIZ_GONE = "Bài trắc nghiệm này đã kết thúc hoặc đã hết hạn. Mình làm bài mới nhé?"
ALREADY_ANSWERED = "Câu này bạn đã trả lời rồi. Mình cùng làm câu đang dở nhé:"
QUIZ_PICK = "Câu này chỉ có đáp án A–{last}: bạn gõ một chữ từ A đến {last} (hoặc số 1–{count}), hoặc bấm nút nhé."
RIGHT = "✅ Chính xác!"
WRONG = "❌ Chưa đúng rồi. Đáp án đúng là: {answer}"
SOURCE = "Nguồn: {source}"
NO_TIPS = "Chủ đề này chưa có mẹo. Anh/chị chọn chủ đề khác nhé."
EXAMPLE_MARK = "(ví dụ – phường sẽ cập nhật)"
REPORT_FORMAT = "Báo cáo {period}: anh/chị muốn nhận tệp dạng nào?"
PLACEHOLDER_PHONE = "phường sẽ cập nhật số điện thoại"


def short(text: str, limit: int = 60) -> str:
    """Button labels must stay short on a phone screen."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def menu_row(content: Content) -> Keyboard:
    return ((Button(MENU, f"n:{content.flows.commands.menu}"),),)
