"""What every export shares: the options, choosing content by topic and audience, the link to the
assistant, progress on long runs and the record of what was written where."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, TextIO, TypeVar

from bot.content.topics import TOPICS

HOTLINE = "111"
HOTLINE_LINE = "Tổng đài quốc gia bảo vệ trẻ em 111 – miễn phí, 24/7"
ASSISTANT_NAME = "Trợ lý An Toàn Số"
AUDIENCES = ("parent", "student", "teacher", "all")
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


class ExportError(Exception):
    """A problem the ward officer can fix; the message is Vietnamese and shown as is."""


@dataclass(frozen=True)
class ExportOptions:
    out: Path
    ward: str
    topics: tuple[str, ...] = ()  # empty: every topic
    audience: str | None = None  # None or "all": everyone
    bot_username: str = ""
    led_sizes: tuple[tuple[int, int], ...] = ((1920, 1080), (1152, 384))
    today: date = field(default_factory=date.today)

    def assistant_url(self, start: str | None = None) -> str:
        if not self.bot_username:
            return ""
        return f"https://t.me/{self.bot_username}" + (f"?start={start}" if start else "")

    def require_username(self, what: str) -> None:
        if not self.bot_username:
            raise ExportError(
                f"{what} cần liên kết tới trợ lý: hãy đặt BOT_TELEGRAM_USERNAME (tên bot trên Telegram, không có @)."
            )


def parse_username(raw: str) -> str:
    name = raw.strip().removeprefix("@").removeprefix("https://t.me/").strip("/")
    if name and not USERNAME.match(name):
        raise ExportError(f"BOT_TELEGRAM_USERNAME '{raw}' không hợp lệ: chỉ gồm chữ, số, dấu _ (5–32 ký tự).")
    return name


def parse_sizes(raw: str) -> tuple[tuple[int, int], ...]:
    sizes = []
    for part in raw.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d{3,5})[xX×](\d{2,5})", part)
        if not match:
            raise ExportError(f"BOT_LED_SIZES: '{part}' không đúng dạng RỘNGxCAO, ví dụ 1920x1080.")
        width, height = int(match[1]), int(match[2])
        if not (160 <= width <= 7680 and 64 <= height <= 4320):
            raise ExportError(f"BOT_LED_SIZES: kích thước {part} nằm ngoài khoảng cho phép.")
        sizes.append((width, height))
    if not sizes:
        raise ExportError("BOT_LED_SIZES đang để trống.")
    return tuple(sizes)


class Selectable(Protocol):
    topic: str
    audience: str


S = TypeVar("S", bound=Selectable)


def select(items: Iterable[S], options: ExportOptions) -> list[S]:
    """Items of the chosen topics, for the chosen audience (items for everyone always qualify)."""
    wanted = options.audience if options.audience not in (None, "all") else None
    return [
        item
        for item in items
        if (not options.topics or item.topic in options.topics) and (wanted is None or item.audience in (wanted, "all"))
    ]


def topics_in_order(options: ExportOptions) -> list[str]:
    return [topic for topic in TOPICS if not options.topics or topic in options.topics]


def ward_title(ward: str) -> str:
    """'phường Trung Thành' → 'UBND phường Trung Thành'."""
    return ward if ward.upper().startswith("UBND") else f"UBND {ward}"


@dataclass(frozen=True)
class Written:
    path: Path
    what: str


@dataclass
class ExportResult:
    kind: str
    written: list[Written] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, path: Path, what: str) -> None:
        self.written.append(Written(path, what))


class Progress:
    """'[12/224] …' on one line on a terminal; every tenth step (and the last) elsewhere."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        if total < 2:
            return
        line = f"[{done}/{total}] {label}"
        if self.tty:
            end = "\n" if done == total else ""
            self.stream.write(f"\r\033[K{line[:100]}{end}")
        elif done == total or done % max(1, total // 10) == 0:
            self.stream.write(line + "\n")
        self.stream.flush()


def quiet(_done: int, _total: int, _label: str) -> None:
    """Progress for callers that do not want any (tests, libraries)."""


def write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a crash never leaves half a file where a good one was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the pages from the ward's web server
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def prepare_out(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise ExportError(f"'{out}' đã là một tệp, không phải thư mục. Hãy chọn --out khác.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Không tạo được thư mục '{out}': {exc.strerror}.") from exc
    return out


def sentences(text: str) -> list[str]:
    """Split into sentences (and list lines), keeping the punctuation."""
    parts: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            parts.extend(piece.strip() for piece in re.split(r"(?<=[.!?;])\s+(?=\S)", line) if piece.strip())
    return parts
