"""`python -m bot doctor`: what the IT contractor runs first when something is wrong.

Checks settings, content, the database and Telegram (getMe, webhook status) and says, in
Vietnamese, what to fix. It changes nothing: a missing database is probed with a throw-away file,
an existing one only inside a transaction that is rolled back. Exit code 1 when anything fails.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from bot.config import Config
from bot.doctor.content import check_content
from bot.doctor.database import check_database
from bot.doctor.finding import Finding, Status
from bot.doctor.semantic import check_semantic
from bot.doctor.settings import check_settings, describe_mode
from bot.doctor.telegram import check_telegram, webhook_findings

__all__ = [
    "Finding",
    "Status",
    "check_content",
    "check_database",
    "check_semantic",
    "check_settings",
    "check_telegram",
    "describe_mode",
    "diagnose",
    "main",
    "render",
    "webhook_findings",
]

MARK: dict[str, str] = {"ok": "✅", "info": "ℹ️ ", "warn": "⚠️ ", "fail": "❌"}


async def diagnose(config: Config, timeout: float = 10.0) -> list[Finding]:
    findings = check_settings(config)
    findings += await asyncio.to_thread(check_content, config)
    findings += check_database(config)
    findings += await asyncio.to_thread(check_semantic, config)
    findings += await check_telegram(config, timeout)
    return findings


def render(findings: list[Finding]) -> str:
    lines = ["Kiểm tra Trợ lý An Toàn Số", ""]
    for finding in findings:
        lines.append(f"{MARK[finding.status]} {finding.message}")
        lines.extend(f"      {detail}" for detail in finding.details)
        if finding.fix and finding.status != "ok":
            lines.append(f"   → Cách sửa: {finding.fix}")
    failed = sum(f.status == "fail" for f in findings)
    warned = sum(f.status == "warn" for f in findings)
    lines.append("")
    if failed:
        also = f" và {warned} lưu ý (⚠️)" if warned else ""
        lines.append(f"Có {failed} lỗi cần sửa (❌){also}. Sửa xong chạy lại: python -m bot doctor")
    elif warned:
        lines.append(f"Chạy được. Còn {warned} lưu ý (⚠️) nên xử lý.")
    else:
        lines.append("Mọi thứ sẵn sàng.")
    return "\n".join(lines)


def main(config: Config, out: Any = None) -> int:
    findings = asyncio.run(diagnose(config))
    print(render(findings), file=out or sys.stdout)
    return 1 if any(f.status == "fail" for f in findings) else 0
