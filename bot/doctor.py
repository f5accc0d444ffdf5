"""`python -m bot doctor`: what the IT contractor runs first when something is wrong.

Checks settings, content, the database and Telegram (getMe, webhook status) and says, in
Vietnamese, what to fix. It changes nothing: a missing database is probed with a throw-away file,
an existing one only inside a transaction that is rolled back. Exit code 1 when anything fails.
"""

from __future__ import annotations

import asyncio
import errno
import re
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from bot.channels.telegram_common import TokenRedactor
from bot.config import Config
from bot.content.checks import Minimums, check_minimums
from bot.content.loader import ContentInvalid, load_content

Status = Literal["ok", "info", "warn", "fail"]
MARK: dict[str, str] = {"ok": "✅", "info": "ℹ️ ", "warn": "⚠️ ", "fail": "❌"}
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOW_DISK = 200 * 1024 * 1024
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""
    details: list[str] = field(default_factory=list)


ERRNO_TEXT = {
    errno.ENOTDIR: "một phần của đường dẫn là tệp chứ không phải thư mục",
    errno.EACCES: "không có quyền",
    errno.EPERM: "không được phép",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.ENOENT: "không tìm thấy",
    errno.EEXIST: "đã có một tệp trùng tên",
}


def _os_reason(exc: OSError) -> str:
    return ERRNO_TEXT.get(exc.errno or 0, exc.strerror or str(exc))


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


# --- settings ---------------------------------------------------------------------------------


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


# --- content ----------------------------------------------------------------------------------


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
                "Sửa đúng tệp và dòng ở trên, rồi chạy python -m bot check cho đến khi báo hợp lệ.",
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


# --- database ---------------------------------------------------------------------------------


def check_database(config: Config) -> list[Finding]:
    data_dir, db = config.data_dir, config.database
    grant = f"Cấp quyền ghi cho người dùng chạy trợ lý, ví dụ: sudo chown -R antoanso:antoanso {data_dir}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [
            Finding(
                "database",
                "fail",
                f"Không tạo được thư mục dữ liệu {data_dir}: {_os_reason(exc)}.",
                f"Đặt BOT_DATA_DIR là một thư mục ghi được (ví dụ /var/lib/antoanso). {grant}",
            )
        ]
    try:
        found = _probe_existing(db) if db.exists() else _probe_new(data_dir, db)
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return [
                Finding(
                    "database",
                    "warn",
                    f"Cơ sở dữ liệu {db} đang bận (một tiến trình khác giữ khoá ghi quá lâu).",
                    "Thử lại sau ít giây; nếu vẫn bận, kiểm tra không có hai bản trợ lý cùng chạy trên một tệp.",
                )
            ]
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return [
                Finding(
                    "database",
                    "fail",
                    f"Tệp {db} bị hỏng hoặc không phải cơ sở dữ liệu SQLite.",
                    "Dừng trợ lý, đổi tên tệp hỏng, chép bản sao lưu gần nhất vào chỗ của nó (README, mục "
                    "Sao lưu), rồi chạy lại python -m bot doctor.",
                )
            ]
        return [Finding("database", "fail", f"Không ghi được vào cơ sở dữ liệu {db}: {text}.", grant)]
    except OSError as exc:
        return [Finding("database", "fail", f"Không ghi được vào thư mục {data_dir}: {_os_reason(exc)}.", grant)]
    free = shutil.disk_usage(data_dir).free
    if free < LOW_DISK:
        found.append(
            Finding(
                "database",
                "warn",
                f"Ổ đĩa chứa {data_dir} chỉ còn {free // (1024 * 1024)} MB trống.",
                "Giải phóng dung lượng hoặc chuyển bản sao lưu cũ sang nơi khác.",
            )
        )
    return found


def _probe_new(data_dir: Path, db: Path) -> list[Finding]:
    """No database yet: prove the folder takes a SQLite file with a throw-away one."""
    probe = data_dir / ".doctor-probe.sqlite3"
    try:
        conn = sqlite3.connect(probe, timeout=2, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS probe (x)")
            conn.execute("INSERT INTO probe VALUES (1)")
        finally:
            conn.close()
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{probe}{suffix}").unlink(missing_ok=True)
    return [Finding("database", "ok", f"Thư mục dữ liệu ghi được; cơ sở dữ liệu {db} sẽ được tạo khi trợ lý chạy.")]


def _probe_existing(db: Path) -> list[Finding]:
    """Read every page's header (quick_check) and take the write lock, then roll back."""
    conn = sqlite3.connect(db, timeout=2, isolation_level=None)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"malformed: {result}")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE _doctor_probe (x)")  # a real write, undone below
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    size = db.stat().st_size / (1024 * 1024)
    return [Finding("database", "ok", f"Cơ sở dữ liệu ghi được và nguyên vẹn: {db} ({size:.1f} MB).")]


# --- Telegram ---------------------------------------------------------------------------------


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


# --- together ---------------------------------------------------------------------------------


async def diagnose(config: Config, timeout: float = 10.0) -> list[Finding]:
    findings = check_settings(config)
    findings += await asyncio.to_thread(check_content, config)
    findings += check_database(config)
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
        lines.append(f"Có {failed} lỗi cần sửa (❌) và {warned} lưu ý (⚠️). Sửa xong chạy lại: python -m bot doctor")
    elif warned:
        lines.append(f"Chạy được. Còn {warned} lưu ý (⚠️) nên xử lý.")
    else:
        lines.append("Mọi thứ sẵn sàng.")
    return "\n".join(lines)


def main(config: Config, out: Any = None) -> int:
    findings = asyncio.run(diagnose(config))
    print(render(findings), file=out or sys.stdout)
    return 1 if any(f.status == "fail" for f in findings) else 0
