"""The core actions the statistics side performs for `Assistant`: keep an unanswered question (if
the ward allows it) and make the statistics report for staff (/baocao_thongke)."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.config import Config
from bot.core.types import Document, Reply

if TYPE_CHECKING:
    from bot.app import Assistant

log = logging.getLogger("bot.stats")

REPORT_CAPTION = "📊 Báo cáo thống kê ẩn danh của {ward}, {period}. Số từ 1 đến {below} ghi là “<{threshold}”."
REPORT_FAILED = "Xin lỗi, chưa tạo được báo cáo lúc này. Anh/chị thử lại sau, hoặc báo cho người quản trị máy chủ."
STAFF_ONLY = "Lệnh này chỉ dành cho cán bộ phường."


def admin_user_keys(config: Config) -> frozenset[str]:
    """BOT_ADMIN_IDS (Telegram user ids, comma-separated) as the user keys the channel uses."""
    ids = (part.strip() for part in config.get("BOT_ADMIN_IDS").split(","))
    return frozenset(f"tg:{user_id}" for user_id in ids if user_id.lstrip("-").isdigit())


def keep_unanswered(config: Config) -> bool:
    return config.get("BOT_KEEP_UNANSWERED").strip().lower() in {"1", "true", "yes", "on", "có", "bật"}


def threshold(config: Config) -> int:
    try:
        return max(2, int(config.get("BOT_STATS_MIN_COUNT")))
    except ValueError:
        return 10


def register(assistant: Assistant) -> None:
    assistant.action_handlers.setdefault("unanswered_question", _unanswered(assistant))
    assistant.action_handlers.setdefault("stats_report", _report(assistant))


def _unanswered(assistant: Assistant):
    enabled = keep_unanswered(assistant.config)

    def handle(_user_key: str, data: dict[str, Any]) -> None:
        if enabled and data.get("text"):
            assistant.store.unanswered.keep(str(data["text"]), assistant.day())

    return handle


def _report(assistant: Assistant):
    def handle(user_key: str, data: dict[str, Any]) -> list[Reply]:
        from bot.reports.make import make_report
        from bot.reports.periods import named
        from bot.reports.render import ExtraMissing

        if user_key not in assistant.admins:  # the core checked too; a second lock on this door
            return [Reply(STAFF_ONLY)]
        today = date.fromisoformat(assistant.day())
        first, last = named(str(data.get("period")), today)
        fmt = str(data.get("format") or "docx")
        try:
            report, name, payload = make_report(
                assistant.store.stats, assistant.config, assistant.content, first, last, fmt, today
            )
        except ExtraMissing as exc:
            return [Reply(str(exc))]
        except Exception:
            log.exception("the statistics report failed")
            return [Reply(REPORT_FAILED)]
        config = assistant.config
        t = threshold(config)
        caption = REPORT_CAPTION.format(
            ward=config.get("BOT_WARD_NAME"), period=report.period.lower(), below=t - 1, threshold=t
        )
        return [Reply(caption, document=Document(name, payload))]

    return handle
