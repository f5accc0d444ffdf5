"""Settings the assistant cannot run with, found before it tries."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.config import Config
from bot.doctor.finding import Finding

TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _int_problem(config: Config, name: str, low: int, high: int) -> Finding | None:
    value = config.get(name).strip()
    if value.isdigit() and low <= int(value) <= high:
        return None
    return Finding(
        "settings", "fail", f"{name}={value!r} không hợp lệ: cần một số nguyên từ {low} đến {high}.", f"Sửa {name}."
    )


def check_settings(config: Config) -> list[Finding]:
    found = [
        problem
        for problem in (
            _int_problem(config, "BOT_WEB_PORT", 1, 65535),
            _int_problem(config, "BOT_WEBHOOK_PORT", 1, 65535),
            _int_problem(config, "BOT_FLOOD_PER_MINUTE", 1, 10_000),
            _int_problem(config, "BOT_STATS_MIN_COUNT", 2, 1000),
        )
        if problem
    ]
    try:
        if float(config.get("BOT_SESSION_IDLE_HOURS")) <= 0:
            raise ValueError
    except ValueError:
        found.append(
            Finding(
                "settings",
                "fail",
                f"BOT_SESSION_IDLE_HOURS={config.get('BOT_SESSION_IDLE_HOURS')!r} không hợp lệ: cần số giờ lớn hơn 0.",
                "Ví dụ: BOT_SESSION_IDLE_HOURS=24",
            )
        )
    for name, allowed in (("BOT_FRAMEWORK", ("aiogram", "ptb")), ("BOT_WEB_CHAT", ("auto", "on", "off"))):
        value = config.get(name).strip().lower()
        if value and value not in allowed:
            found.append(
                Finding("settings", "fail", f"{name}={value!r} không hợp lệ.", f"Chọn một trong: {', '.join(allowed)}.")
            )
    token = config.token.strip()
    if token and not TOKEN_RE.match(token):
        found.append(
            Finding(
                "settings",
                "fail",
                "TELEGRAM_BOT_TOKEN không đúng dạng mã bot (số:chuỗi ký tự, ví dụ 123456789:AAE…).",
                "Chép lại nguyên mã từ @BotFather, không thêm dấu cách hay dấu ngoặc.",
            )
        )
    api = urlsplit(config.get("TELEGRAM_API_BASE").strip())
    if api.scheme not in ("http", "https") or not api.hostname:
        found.append(
            Finding(
                "settings",
                "fail",
                "TELEGRAM_API_BASE không phải địa chỉ web.",
                "Để trống để dùng https://api.telegram.org",
            )
        )
    found.extend(_webhook_settings(config))
    admins = [part.strip() for part in config.get("BOT_ADMIN_IDS").split(",") if part.strip()]
    if any(not part.lstrip("-").isdigit() for part in admins):
        found.append(
            Finding(
                "settings",
                "fail",
                "BOT_ADMIN_IDS chỉ được chứa mã số người dùng Telegram, cách nhau bởi dấu phẩy.",
                "Ví dụ: BOT_ADMIN_IDS=123456789,987654321 (xem mã của mình bằng cách nhắn cho @userinfobot).",
            )
        )
    found.extend(_proxy_settings(config))
    if not found:
        found.append(Finding("settings", "ok", f"Cài đặt hợp lệ. Chế độ chạy: {describe_mode(config)}."))
    return found


def _webhook_settings(config: Config) -> list[Finding]:
    url, secret = config.get("BOT_WEBHOOK_URL").strip(), config.get("BOT_WEBHOOK_SECRET")
    found = []
    if url:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            found.append(
                Finding(
                    "settings",
                    "fail",
                    "BOT_WEBHOOK_URL phải là địa chỉ HTTPS công khai (Telegram chỉ gửi tới HTTPS).",
                    "Ví dụ: BOT_WEBHOOK_URL=https://bot.example.vn/tg/webhook, hoặc để trống để dùng long polling.",
                )
            )
        if not secret:
            found.append(
                Finding(
                    "settings",
                    "warn",
                    "Webhook chưa có BOT_WEBHOOK_SECRET: ai biết địa chỉ webhook cũng gửi được tin giả.",
                    "Đặt BOT_WEBHOOK_SECRET một chuỗi ngẫu nhiên dài, ví dụ: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                )
            )
    if secret and not SECRET_RE.match(secret):
        found.append(
            Finding(
                "settings",
                "fail",
                "BOT_WEBHOOK_SECRET chỉ được dùng chữ không dấu, số, '_' và '-' (tối đa 256 ký tự).",
                "Tạo lại: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        )
    return found


def _proxy_settings(config: Config) -> list[Finding]:
    from bot.channels.web.proxies import parse

    _, bad = parse(config.get("BOT_TRUSTED_PROXIES"))
    if not bad:
        return []
    return [
        Finding(
            "settings",
            "fail",
            f"BOT_TRUSTED_PROXIES có mục không phải địa chỉ IP hay dải mạng: {', '.join(bad[:3])}.",
            "Ghi địa chỉ IP (ví dụ 127.0.0.1) hoặc dải mạng CIDR (ví dụ 172.16.0.0/12), cách nhau bởi dấu phẩy "
            "hoặc dấu cách; không ghi tên máy.",
        )
    ]


def describe_mode(config: Config) -> str:
    from bot.serve import wants_web

    has_telegram = bool(config.token.strip())
    parts = []
    if has_telegram:
        url = config.get("BOT_WEBHOOK_URL").strip()
        parts.append(f"Telegram (webhook {url})" if url else "Telegram (long polling)")
    if wants_web(config, has_telegram=has_telegram):
        host = config.get("BOT_WEB_HOST")
        parts.append(f"web chat tại http://{host}:{config.get('BOT_WEB_PORT')}/")
    return " + ".join(parts) or "trò chuyện trong cửa sổ dòng lệnh (BOT_WEB_CHAT=off, chưa có mã bot)"
