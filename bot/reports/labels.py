"""Vietnamese names for the codes statistics hold (topics, roles, guides, quizzes, groups…)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.content.loader import Content
from bot.content.topics import TOPICS

ROLE_LABELS = {
    "parent": "Phụ huynh, ông bà",
    "student": "Học sinh",
    "teacher": "Giáo viên",
    "other": "Người dân khác",
}
AGE_LABELS = {"6-10": "6–10 tuổi", "11-14": "11–14 tuổi", "15-17": "15–17 tuổi"}
CRISIS_LABELS = {
    "self_harm": "Ý định tự làm hại, tự tử",
    "sextortion": "Bị dọa tung ảnh, tống tiền",
    "meeting": "Bị dụ hẹn gặp",
    "violence": "Bạo lực, đe dọa",
    "missing": "Trẻ mất liên lạc",
}
SCORE_BANDS = {"0": "Dưới 50% câu đúng", "50": "Từ 50% đến dưới 80%", "80": "Từ 80% trở lên"}
UNKNOWN = "Chưa cho biết"

# The indicators of the overview, in order: (figure key, label). Keys are event kinds, plus
# "users" (user-days) and "interactions" (every event a user caused).
INDICATORS: tuple[tuple[str, str], ...] = (
    ("users", "Lượt người dùng (mỗi người một lượt mỗi ngày)"),
    ("session_started", "Lượt bắt đầu trò chuyện"),
    ("interactions", "Lượt tương tác"),
    ("faq_answered", "Câu hỏi được trả lời"),
    ("faq_suggested", "Câu hỏi được gợi ý câu gần nghĩa"),
    ("fallback", "Câu hỏi chưa trả lời được"),
    ("out_of_scope", "Câu hỏi ngoài phạm vi"),
    ("crisis_shown", "Lần hiện thẻ khẩn cấp (111, 113)"),
    ("tip_read", "Lượt xem mẹo an toàn"),
    ("quiz_started", "Bài trắc nghiệm bắt đầu"),
    ("quiz_finished", "Bài trắc nghiệm hoàn thành"),
    ("report_guide_opened", "Lượt mở hướng dẫn báo cáo"),
    ("activity_viewed", "Lượt xem hoạt động cho trẻ"),
    ("deep_link", "Lượt mở trợ lý từ mã QR trên áp phích"),
    ("duties_viewed", "Lượt xem vai trò gia đình, nhà trường"),
    ("subscribed", "Lượt đăng ký nhận tin"),
    ("unsubscribed", "Lượt hủy nhận tin"),
    ("broadcast_delivered", "Tin nhắn thông báo đã gửi tới người nhận"),
    ("data_deleted", "Yêu cầu xóa dữ liệu cá nhân"),
)
# Kinds that are not something a user did in the chat (they are not "interactions").
NOT_INTERACTIONS = {"broadcast_delivered", "stats_report_made"}
# Indicators shown in the overview even when zero; the others only when they occurred.
ALWAYS = {
    "users",
    "session_started",
    "interactions",
    "faq_answered",
    "fallback",
    "crisis_shown",
    "tip_read",
    "quiz_finished",
    "report_guide_opened",
}


@dataclass
class Labels:
    guides: dict[str, str] = field(default_factory=dict)
    quizzes: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=lambda: dict(TOPICS))

    @classmethod
    def from_content(cls, content: Content | None) -> Labels:
        if content is None:
            return cls()
        kb = content.knowledge
        groups: dict[str, str] = {}
        for node in content.flows.nodes.values():
            if node.type == "choice" and node.field == "group":
                groups.update({o.value: o.label for o in node.options if o.value != "skip"})
        return cls(
            guides={g.id: g.title for g in kb.guides},
            quizzes={q.id: q.title for q in kb.quizzes},
            groups=groups,
        )


def vn_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def vn_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def month_label(year: int, month: int) -> str:
    return f"Tháng {month}/{year}"
