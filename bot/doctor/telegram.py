"""Telegram from this machine: getMe (network, token) and getWebhookInfo (webhook state, errors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from bot.channels.telegram_common import TokenRedactor
from bot.config import Config
from bot.doctor.finding import Finding

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "quá thời gian chờ mà không có trả lời"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "không tìm ra địa chỉ máy chủ (lỗi DNS hoặc không có mạng)"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return "lỗi chứng chỉ TLS (kiểm tra giờ hệ thống và chứng chỉ gốc)"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "không kết nối được (mạng bị chặn, hoặc máy chủ từ chối kết nối)"
    return "mạng bị ngắt giữa chừng"


async def check_telegram(config: Config, timeout: float = 10.0) -> list[Finding]:
    token = config.token.strip()
    if not token:
        return [
            Finding(
                "telegram",
                "info",
                "Chưa có TELEGRAM_BOT_TOKEN: bỏ qua kiểm tra Telegram; python -m bot sẽ mở web chat.",
                "Muốn chạy trên Telegram: tạo bot với @BotFather và đặt TELEGRAM_BOT_TOKEN (README, mục "
                "Chạy trên Telegram).",
            )
        ]
    base = config.get("TELEGRAM_API_BASE").strip().rstrip("/")
    host = urlsplit(base).hostname or base
    redactor = TokenRedactor(token)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        try:
            status, me = await _call(http, f"{base}/bot{token}/getMe")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reason = _network_reason(exc)
            return [
                Finding(
                    "telegram",
                    "fail",
                    f"Không kết nối được tới máy chủ Telegram ({host}): {reason}.",
                    f"Kiểm tra máy chủ có vào được Internet không (thử: curl -sI {base}), DNS, và tường lửa có cho "
                    "kết nối HTTPS (cổng 443) đi ra ngoài. Nếu có proxy, cấu hình proxy cho máy chủ.",
                )
            ]
        if status in (401, 404) or me.get("error_code") in (401, 404):
            return [
                Finding(
                    "telegram",
                    "fail",
                    "Telegram từ chối mã bot: mã sai, thiếu ký tự, hoặc đã bị thu hồi.",
                    "Mở @BotFather, gửi /mybots → chọn bot → API Token để lấy mã đúng (hoặc /revoke để cấp mã "
                    "mới), đặt lại TELEGRAM_BOT_TOKEN rồi khởi động lại trợ lý.",
                )
            ]
        if not me.get("ok"):
            description = redactor.clean(str(me.get("description") or f"HTTP {status}"))
            return [
                Finding(
                    "telegram",
                    "fail",
                    f"Telegram trả lỗi khi kiểm tra bot: {description}.",
                    "Thử lại sau ít phút; nếu lỗi còn, kiểm tra TELEGRAM_API_BASE.",
                )
            ]
        username = me.get("result", {}).get("username", "?")
        found = [Finding("telegram", "ok", f"Kết nối Telegram tốt: bot @{username}.")]
        try:
            _, info = await _call(http, f"{base}/bot{token}/getWebhookInfo")
        except (aiohttp.ClientError, TimeoutError, OSError):
            return found + [Finding("webhook", "warn", "Không đọc được trạng thái webhook (mạng chập chờn).", "")]
    return found + webhook_findings(config, info.get("result") or {})


async def _call(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url) as response:
        try:
            data = await response.json(content_type=None)
        except ValueError:
            data = {}
        return response.status, data if isinstance(data, dict) else {}


def webhook_findings(config: Config, info: dict[str, Any]) -> list[Finding]:
    wanted = config.get("BOT_WEBHOOK_URL").strip()
    current = str(info.get("url") or "")
    found: list[Finding] = []
    if not wanted and current:
        found.append(
            Finding(
                "webhook",
                "warn",
                f"Telegram đang gửi tin tới webhook {current}, trong khi cài đặt dùng long polling.",
                "Khi chạy, trợ lý sẽ tự xoá webhook này. Nếu một máy khác đang chạy bot bằng webhook đó, hãy tắt "
                "một bên: hai nơi cùng chạy một bot sẽ tranh nhau tin nhắn.",
            )
        )
    elif wanted and current != wanted:
        found.append(
            Finding(
                "webhook",
                "info",
                f"Webhook chưa đăng ký với Telegram (hiện: {current or 'không có'}); trợ lý tự đăng ký khi khởi động.",
            )
        )
    elif wanted:
        found.append(Finding("webhook", "ok", f"Webhook đã đăng ký: {current}."))
    else:
        found.append(Finding("webhook", "ok", "Không có webhook: trợ lý nhận tin bằng long polling."))
    if current and info.get("last_error_message"):
        when = ""
        if info.get("last_error_date"):
            when = f" (lúc {datetime.fromtimestamp(int(info['last_error_date']), VIETNAM):%H:%M %d/%m/%Y})"
        found.append(
            Finding(
                "webhook",
                "fail",
                f"Telegram không gửi được tin tới webhook{when}: {info['last_error_message']}",
                "Kiểm tra reverse proxy (nginx/Caddy) đang chạy và chuyển đúng đường dẫn tới "
                f"127.0.0.1:{config.get('BOT_WEBHOOK_PORT')}, chứng chỉ TLS còn hạn, và trợ lý đang chạy.",
            )
        )
    pending = int(info.get("pending_update_count") or 0)
    if current and pending > 100:
        found.append(
            Finding("webhook", "warn", f"{pending} tin đang chờ giao cho webhook.", "Kiểm tra trợ lý có đang chạy.")
        )
    return found
