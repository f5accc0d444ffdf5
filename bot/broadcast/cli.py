"""`python -m bot broadcast …`: the ward's IT contractor sends, follows and stops broadcasts.

    python -m bot broadcast --text "…" | --file tin.txt [--photo ảnh.jpg | --document tệp.pdf]
                            [--segment role=parent,age=6-10,group=5,topic=lua_dao] [--kind activity]
                            [--at "25/12/2026 08:00"] [--yes] [--no-wait]
    python -m bot broadcast status [ID] [--watch]
    python -m bot broadcast cancel ID
    python -m bot broadcast send [--wait]

A new broadcast is written to the outbox first. If the assistant (or another command) is already
sending, this command only follows the progress; otherwise it sends by itself – through
BOT_FRAMEWORK's library, as the assistant would – with a progress bar, and stopping it (Ctrl+C)
leaves the rest for later: nothing is lost either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.broadcast import texts
from bot.broadcast.outbox import Broadcast, NewBroadcast, Outbox, Progress
from bot.broadcast.service import BroadcastService, setting_number
from bot.broadcast.when import WhenError, parse_when
from bot.channels.telegram_common import USER_PREFIX, TransportError
from bot.config import Config
from bot.content.loader import ContentInvalid, load_content
from bot.core.subscribe import group_labels

PREFIX = USER_PREFIX
YES = {"c", "co", "có", "y", "yes"}
MEDIA_LIMITS = {"photo": 10 * 1024 * 1024, "document": 50 * 1024 * 1024}


def add_broadcast_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("broadcast", help="gửi thông báo cho người đăng ký; xem tiến độ, dừng")
    parser.add_argument("action", nargs="?", choices=["status", "cancel", "send"], help="status · cancel · send")
    parser.add_argument("id", nargs="?", type=int, help="số thông báo (#)")
    content = parser.add_mutually_exclusive_group()
    content.add_argument("--text", help="nội dung thông báo")
    content.add_argument("--file", type=Path, help="tệp văn bản UTF-8 chứa nội dung")
    media = parser.add_mutually_exclusive_group()
    media.add_argument("--photo", type=Path, help="kèm một ảnh (nội dung thành chú thích)")
    media.add_argument("--document", type=Path, help="kèm một tệp (nội dung thành chú thích)")
    parser.add_argument("--segment", default="all", help="all, hoặc role=…,age=…,group=…,topic=…")
    parser.add_argument("--kind", choices=["announcement", "activity"], default="announcement")
    parser.add_argument("--at", help="hẹn giờ gửi (giờ Việt Nam), ví dụ '25/12/2026 08:00'")
    parser.add_argument("--yes", "-y", action="store_true", help="không hỏi lại trước khi gửi")
    parser.add_argument("--no-wait", action="store_true", help="chỉ xếp hàng, không gửi ngay tại đây")
    parser.add_argument("--watch", action="store_true", help="status: theo dõi đến khi gửi xong")
    parser.add_argument("--wait", action="store_true", help="send: chờ cả các thông báo đã hẹn giờ")


def run_broadcast(config: Config, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from bot.storage.sqlite import SqliteStore

    store = SqliteStore(config.database)
    outbox = Outbox(store)
    try:
        if args.action == "status":
            return _status(outbox, args.id, args.watch, out)
        if args.action == "cancel":
            return _cancel(outbox, args.id, out)
        if args.action == "send":
            return _send(config, outbox, out, wait=args.wait)
        return _create(config, outbox, args, out)
    except KeyboardInterrupt:
        print("\nĐã dừng theo dõi. Thông báo không mất: phần chưa gửi vẫn nằm trong hàng đợi.", file=out)
        return 130
    finally:
        store.close()


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _create(config: Config, outbox: Outbox, args: argparse.Namespace, out: TextIO) -> int:
    if args.text is None and args.file is None:
        return _fail('Cần nội dung: --text "…" hoặc --file tin.txt (xem: python -m bot broadcast --help).')
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"Không đọc được tệp {args.file}: {getattr(exc, 'strerror', None) or exc}")
    else:
        text = args.text
    if not text.strip():
        return _fail("Nội dung thông báo đang trống.")
    media_kind, media_path = ("photo", args.photo) if args.photo else ("document", args.document)
    if media_path is not None:
        if not media_path.is_file():
            return _fail(f"Không tìm thấy tệp {media_path}.")
        if media_path.stat().st_size > MEDIA_LIMITS[media_kind]:
            return _fail(f"Tệp {media_path} quá lớn cho Telegram (tối đa {MEDIA_LIMITS[media_kind] // 2**20} MB).")
    else:
        media_kind = None
    full, problem = texts.compose(text, media_kind)
    if problem:
        return _fail(problem)
    try:
        segment, audience = texts.parse_segment(args.segment, args.kind, _groups(config, outbox))
    except texts.SegmentError as exc:
        return _fail(f"--segment: {exc}")
    now = time.time()
    try:
        send_at = parse_when(args.at, now) if args.at else now
    except WhenError as exc:
        return _fail(f"--at: {exc}")
    recipients = [(s.user_key, None) for s in outbox.subscriptions.recipients(segment, PREFIX)]
    if not recipients:
        print(f"Không có ai trong nhóm “{audience}” đăng ký nhận loại tin này; chưa tạo thông báo.", file=out)
        return 1
    print("— Tin sẽ đến đúng như sau —\n" + full + "\n— hết —", file=out)
    attached = f" · kèm {'ảnh' if media_kind == 'photo' else 'tệp'} {media_path.name}" if media_path else ""
    print(
        f"Loại: {texts.KINDS[args.kind]} · Người nhận: {audience} · {len(recipients)} người{attached}\n"
        f"Gửi: {'ngay' if send_at <= now + 60 else texts.when(send_at)}",
        file=out,
    )
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail("Thêm --yes để xác nhận khi chạy không tương tác.")
        if input("Gửi thông báo này? [c/K]: ").strip().lower() not in YES:
            print("Đã huỷ, chưa gửi gì.", file=out)
            return 1
    spec = NewBroadcast(
        kind=args.kind,
        text=full,
        segment=segment,
        audience=audience,
        send_at=send_at,
        media_kind=media_kind,
        media_ref=str(media_path.resolve()) if media_path else None,
        media_name=media_path.name if media_path else None,
        created_by="cli",
    )
    broadcast_id = outbox.create(spec, recipients, now)
    print(f"✅ Đã xếp hàng thông báo #{broadcast_id} cho {len(recipients)} người.", file=out)
    if args.no_wait:
        print("Trợ lý đang chạy sẽ gửi; không thì chạy: python -m bot broadcast send", file=out)
        return 0
    if outbox.sender_alive(time.time()):
        print("Trợ lý đang chạy và sẽ gửi thông báo này. Đang theo dõi (Ctrl+C để thôi theo dõi):", file=out)
        return _follow(outbox, broadcast_id, out)
    if not config.token:
        print(
            "Chưa có TELEGRAM_BOT_TOKEN nên chưa gửi được từ đây. Thông báo đã nằm trong hàng đợi: "
            "trợ lý sẽ gửi khi chạy (python -m bot run), hoặc chạy python -m bot broadcast send khi có mã bot.",
            file=out,
        )
        return 0
    return _send(config, outbox, out, wait=send_at > now + 1, only=broadcast_id)


def _groups(config: Config, outbox: Outbox) -> dict[str, str]:
    """Residential groups `--segment group=…` may name: the ward's list in flows/, then any code a
    subscriber still has."""
    groups: dict[str, str] = {}
    with contextlib.suppress(ContentInvalid, OSError):  # without readable flows, the stored groups still work
        groups.update(group_labels(load_content(config.knowledge_dir, config.flows_dir).flows.nodes))
    for code, label in outbox.subscriptions.group_names().items():
        groups.setdefault(code, label)
    return groups


def _send(config: Config, outbox: Outbox, out: TextIO, *, wait: bool, only: int | None = None) -> int:
    if outbox.sender_alive(time.time()):
        print("Trợ lý đang chạy và đang lo việc gửi; không cần chạy lệnh này.", file=out)
        return _status(outbox, only, watch=only is not None, out=out)
    if not config.token:
        return _fail("Cần TELEGRAM_BOT_TOKEN (và TELEGRAM_API_BASE nếu dùng máy chủ Bot API riêng) để gửi.")
    from bot.channels.telegram_common import FRAMEWORKS, open_transport

    framework = config.get("BOT_FRAMEWORK").strip().lower() or "aiogram"
    if framework not in FRAMEWORKS:
        return _fail(f"BOT_FRAMEWORK='{framework}' không hợp lệ; chọn một trong: {', '.join(FRAMEWORKS)}.")
    try:
        transport = open_transport(config, framework)
    except ModuleNotFoundError:
        return _fail(f'Chưa cài thư viện {FRAMEWORKS[framework][2]}: chạy pip install -e ".[{framework}]" rồi thử lại.')
    except TransportError:
        return _fail("Mã bot (TELEGRAM_BOT_TOKEN) không đúng dạng; kiểm tra lại mã lấy từ @BotFather.")

    async def main() -> int:
        service = BroadcastService(
            config.database, transport, rate=max(1.0, setting_number(config, "BOT_BROADCAST_RATE", 30))
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, service.request_stop)
        printer = Printer(out)
        watcher = asyncio.create_task(_watch_service(service, printer))
        try:
            await service.run(until_idle=True, wait_scheduled=wait)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            for broadcast_id in {*printer.started, *([only] if only else [])}:  # the bar's last state
                broadcast = await service.db(service.db.outbox.get, broadcast_id)
                if broadcast is not None:
                    printer.show(broadcast, await service.db(service.db.outbox.progress, broadcast_id))
            printer.finish()
            await service.close()
        if service.stop_event.is_set():
            print("Đã tạm dừng. Phần chưa gửi vẫn trong hàng đợi: chạy lại python -m bot broadcast send.", file=out)
            return 130
        return 0

    from bot.channels.telegram_common import redact_secrets

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with redact_secrets(config.token):
        code = asyncio.run(main())
    if code == 0:
        for broadcast in outbox.recent(3):
            if only is None or broadcast.id == only:
                print(texts.report(broadcast, outbox.progress(broadcast.id)), file=out)
                break
    return code


async def _watch_service(service: BroadcastService, printer: Printer) -> None:
    outbox = service.db.outbox
    while True:
        for broadcast in await service.db(outbox.active):
            if broadcast.status == "sending":
                printer.show(broadcast, await service.db(outbox.progress, broadcast.id))
        await asyncio.sleep(0.5)


class Printer:
    """One progress line, redrawn in place on a terminal; a line per 10 % otherwise (logs)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.started: dict[int, tuple[float, int]] = {}
        self.last_step: dict[int, int] = {}
        self.drawn = False

    def show(self, broadcast: Broadcast, progress: Progress) -> None:
        now = time.monotonic()
        start, done0 = self.started.setdefault(broadcast.id, (now, progress.done))
        speed = (progress.done - done0) / (now - start) if now > start else 0.0
        left = progress.total - progress.done
        eta = f" · còn ~{_duration(left / speed)}" if speed > 0 and left else ""
        line = f"#{broadcast.id} {texts.bar(progress.done, progress.total)} · {speed:.1f} tin/giây{eta}"
        if self.tty:
            self.out.write("\r" + line.ljust(78))
            self.out.flush()
            self.drawn = True
        else:
            step = 100 * progress.done // max(1, progress.total) // 10
            if self.last_step.get(broadcast.id) != step:
                self.last_step[broadcast.id] = step
                print(line, file=self.out, flush=True)

    def finish(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.drawn = False


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} giây" if seconds < 90 else f"{seconds / 60:.0f} phút"


def _follow(outbox: Outbox, broadcast_id: int, out: TextIO) -> int:
    printer = Printer(out)
    while True:
        broadcast = outbox.get(broadcast_id)
        if broadcast is None:
            return 1
        progress = outbox.progress(broadcast_id)
        if broadcast.status == "sending":
            printer.show(broadcast, progress)
        if broadcast.status in ("done", "cancelled"):
            printer.finish()
            print(texts.report(broadcast, progress), file=out)
            return 0
        time.sleep(0.5)


def _status(outbox: Outbox, broadcast_id: int | None, watch: bool, out: TextIO) -> int:
    if broadcast_id is not None:
        broadcast = outbox.get(broadcast_id)
        if broadcast is None:
            return _fail(f"Không có thông báo #{broadcast_id}.")
        if watch and broadcast.status in ("scheduled", "sending"):
            return _follow(outbox, broadcast_id, out)
        progress = outbox.progress(broadcast_id)
        print(texts.status_line(broadcast, progress), file=out)
        print("   " + texts.bar(progress.done, progress.total), file=out)
        return 0
    recent = outbox.recent(10)
    if not recent:
        print("Chưa có thông báo nào.", file=out)
        return 0
    for broadcast in recent:
        progress = outbox.progress(broadcast.id)
        print(texts.status_line(broadcast, progress), file=out)
        if broadcast.status == "sending":
            print("   " + texts.bar(progress.done, progress.total), file=out)
    sending = "có" if outbox.sender_alive(time.time()) else "không"
    print(f"Tiến trình gửi đang chạy: {sending}.", file=out)
    if watch:
        active = [b for b in recent if b.status == "sending"]
        if active:
            return _follow(outbox, active[0].id, out)
    return 0


def _cancel(outbox: Outbox, broadcast_id: int | None, out: TextIO) -> int:
    if broadcast_id is None:
        active = outbox.active()
        listing = ", ".join(f"#{b.id}" for b in active) or "không có"
        return _fail(f"Cần số thông báo: python -m bot broadcast cancel ID (đang gửi/hẹn giờ: {listing}).")
    stopped = outbox.cancel(broadcast_id, time.time())
    if stopped is None:
        return _fail(f"Thông báo #{broadcast_id} không còn đang gửi hay hẹn giờ (hoặc không có).")
    print(f"⏹ Đã dừng thông báo #{broadcast_id}: {stopped} tin chưa gửi sẽ không gửi nữa.", file=out)
    return 0
