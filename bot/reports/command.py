"""`python -m bot report --from … --to … [--format …] [--out …]` for the ward's staff."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.content.loader import ContentInvalid, load_content
from bot.reports.periods import PeriodError, checked, named, parse_day
from bot.reports.render import FORMATS, ExtraMissing

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def add_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="lập báo cáo thống kê ẩn danh cho một kỳ")
    report.add_argument("--from", dest="first", help="ngày bắt đầu, dạng 2026-06-01 (mặc định: đầu tháng này)")
    report.add_argument("--to", dest="last", help="ngày kết thúc, dạng 2026-11-30 (mặc định: hôm nay)")
    report.add_argument("--format", choices=FORMATS, default="docx", help="dạng tệp (mặc định docx)")
    report.add_argument("--out", type=Path, help="tệp hoặc thư mục để ghi (mặc định: thư mục hiện tại)")


def report_command(config: Config, args: argparse.Namespace, today: date | None = None) -> int:
    from bot.reports.make import make_report
    from bot.storage.sqlite import SqliteStore

    today = today or datetime.now(VIETNAM).date()
    try:
        default_first, _ = named("this_month", today)
        first = parse_day(args.first, "bắt đầu") if args.first else default_first
        last = parse_day(args.last, "kết thúc") if args.last else today
        first, last = checked(first, last)
    except PeriodError as exc:
        print(f"❌ {exc}", file=sys.stderr)
        return 2
    if not config.database.exists():  # a folder in its place: the store says so (bot/storage/trouble.py)
        print(f"❌ Chưa có dữ liệu: không thấy {config.database} (BOT_DATA_DIR đúng chưa?).", file=sys.stderr)
        return 1
    try:
        content = load_content(config.knowledge_dir, config.flows_dir)
    except (ContentInvalid, OSError):
        content = None
        print("Nội dung chưa hợp lệ: báo cáo dùng mã thay cho tên chủ đề, hướng dẫn…", file=sys.stderr)
    started = time.perf_counter()
    print(f"Đang tổng hợp số liệu {first.isoformat()} → {last.isoformat()} …", file=sys.stderr)
    store = SqliteStore(config.database)
    try:
        report, name, payload = make_report(store.stats, config, content, first, last, args.format, today)
    except ExtraMissing as exc:
        print(f"❌ {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    target = args.out or Path(name)
    if target.is_dir():
        target = target / name
    elif target.suffix.lower() != f".{args.format}":
        target = target.with_name(target.name + f".{args.format}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(payload)
    print(f"✅ Đã ghi {target} ({len(payload) / 1024:.0f} KB, {time.perf_counter() - started:.1f} giây).")
    print(report.summary)
    return 0
