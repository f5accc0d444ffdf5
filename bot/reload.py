"""Content reload without a restart: load and validate `knowledge/` and `flows/` again and swap
the assistant's engine only if the new content is valid, so a typo never takes the bot down.

Triggered by SIGHUP (`systemctl reload antoanso`, `docker compose kill -s HUP bot`); see
`bot.serve`. Conversations in progress keep their sessions; the next message uses the new content.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from bot.app import Assistant, build_engine
from bot.config import Config
from bot.content.loader import ContentInvalid, load_content

log = logging.getLogger("bot.reload")
SHOWN_ERRORS = 50


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    summary: str
    errors: list[str] = field(default_factory=list)


class ContentReloader:
    """Swaps `assistant.engine` atomically; one reload at a time."""

    def __init__(self, config: Config, assistant: Assistant) -> None:
        self.config = config
        self.assistant = assistant
        self._lock = threading.Lock()

    def reload(self) -> ReloadResult:
        with self._lock:
            try:
                content = load_content(self.config.knowledge_dir, self.config.flows_dir)
                engine = build_engine(self.config, content, self.assistant.engine.semantic)
            except ContentInvalid as exc:
                errors = [str(error) for error in exc.errors]
                result = ReloadResult(
                    False,
                    f"Nội dung mới bị từ chối vì chưa hợp lệ ({len(errors)} lỗi); trợ lý vẫn dùng nội dung cũ.",
                    errors,
                )
            except OSError as exc:
                result = ReloadResult(
                    False, f"Nội dung mới bị từ chối: không đọc được tệp ({exc}); trợ lý vẫn dùng nội dung cũ."
                )
            except Exception as exc:  # noqa: BLE001 - a reload must never take the running assistant down
                log.debug("reload failed", exc_info=True)
                result = ReloadResult(
                    False,
                    f"Nội dung mới bị từ chối (lỗi không lường trước: {type(exc).__name__}); "
                    "trợ lý vẫn dùng nội dung cũ. Chạy python -m bot check để xem chi tiết.",
                )
            else:
                self.assistant.engine = engine  # one attribute store: a message in flight keeps the old engine
                kb = content.knowledge
                result = ReloadResult(
                    True,
                    f"Đã nạp lại nội dung: {len(kb.faqs)} hỏi đáp, {len(kb.tips)} mẹo, {len(kb.quizzes)} bộ trắc nghiệm.",
                )
        _log(result)
        return result


def _log(result: ReloadResult) -> None:
    if result.ok:
        log.info(result.summary)
        return
    log.error(result.summary)
    for error in result.errors[:SHOWN_ERRORS]:
        log.error("  %s", error)
    if len(result.errors) > SHOWN_ERRORS:
        log.error("  … và %d lỗi nữa (python -m bot check liệt kê tất cả)", len(result.errors) - SHOWN_ERRORS)
