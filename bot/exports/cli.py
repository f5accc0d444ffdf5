"""The `export` sub-command: options in, Vietnamese messages out, never a traceback."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.config import Config
from bot.content.loader import Content
from bot.content.topics import TOPICS
from bot.exports.common import AUDIENCES, ExportError, ExportOptions, Progress, parse_sizes, parse_username

OPTIONAL = {"PIL", "docx", "fpdf", "qrcode", "fontTools", "fontpkg_be_vietnam_pro", "lxml"}
MISSING_LIBRARIES = 'Lệnh export cần thêm thư viện ({name}). Hãy cài: pip install -e ".[export]"'


def add_parser(sub: argparse._SubParsersAction) -> None:
    from bot.exports import KINDS

    export = sub.add_parser("export", help="xuất nội dung cho bảng LED, đài truyền thanh, trang web, áp phích")
    export.add_argument("kind", choices=list(KINDS), help="led · radio · site · poster")
    export.add_argument("--out", type=Path, required=True, help="thư mục ghi kết quả")
    export.add_argument("--topic", action="append", default=[], help="chỉ chủ đề này (có thể lặp lại)")
    export.add_argument("--audience", help="parent · student · teacher · all")
    export.add_argument("--date", help="ngày thuộc tuần của bản tin, dạng YYYY-MM-DD (mặc định: hôm nay)")


def options_from(config: Config, args: argparse.Namespace) -> ExportOptions:
    topics = tuple(t.strip() for value in args.topic for t in value.split(",") if t.strip())
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise ExportError(f"Không có chủ đề {', '.join(unknown)}. Các chủ đề: {', '.join(TOPICS)}.")
    if args.audience and args.audience not in AUDIENCES:
        raise ExportError(f"Đối tượng '{args.audience}' không hợp lệ; chọn một trong: {', '.join(AUDIENCES)}.")
    try:
        today = date.fromisoformat(args.date) if args.date else date.today()
    except ValueError:
        raise ExportError(f"Ngày '{args.date}' không đúng dạng YYYY-MM-DD, ví dụ 2026-06-15.") from None
    return ExportOptions(
        out=args.out,
        ward=config.get("BOT_WARD_NAME"),
        topics=topics,
        audience=args.audience,
        bot_username=parse_username(config.get("BOT_TELEGRAM_USERNAME")),
        led_sizes=parse_sizes(config.get("BOT_LED_SIZES")),
        today=today,
    )


def run(config: Config, content: Content, args: argparse.Namespace) -> int:
    try:
        from bot.exports import export, summary

        options = options_from(config, args)
        result = export(args.kind, content, options, Progress())
    except ExportError as exc:
        print(f"❌ {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in OPTIONAL:
            raise
        print(MISSING_LIBRARIES.format(name=exc.name), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"❌ Không ghi được vào '{getattr(exc, 'filename', None) or args.out}': {exc.strerror}.", file=sys.stderr)
        return 1
    print(summary(result, str(args.out)))
    return 0
