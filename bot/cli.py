"""`python -m bot …`: run · chat · check · ask · doctor · backup · broadcast · export · report ·
unanswered · bench. Messages to the user are Vietnamese."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from bot.broadcast.cli import add_broadcast_parser, run_broadcast
from bot.config import Config
from bot.content.checks import Minimums, check_minimums, check_warnings
from bot.content.loader import Content, ContentInvalid, load_content
from bot.content.topics import TOPICS
from bot.core.engine import Engine
from bot.core.types import Incoming, Outcome, Session
from bot.exports.cli import add_parser as add_export_parser
from bot.reports.command import add_parser as add_report_parser
from bot.storage.trouble import DatabaseUnusable

INVALID_HEADER = "Nội dung chưa hợp lệ – hãy sửa các lỗi sau (tệp:dòng):"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý An Toàn Số")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="chạy trợ lý (Telegram nếu có mã bot, nếu không: trò chuyện trên web)")
    sub.add_parser("chat", help="trò chuyện trong cửa sổ dòng lệnh")
    check = sub.add_parser("check", help="kiểm tra nội dung knowledge/ và flows/")
    check.add_argument("--report", action="store_true", help="in thống kê nội dung")
    check.add_argument("--json", action="store_true", help="in dạng JSON")
    ask = sub.add_parser("ask", help="hỏi một câu (hoặc cả tệp) và xem trợ lý trả lời gì")
    ask.add_argument("text", nargs="?", help="câu hỏi")
    ask.add_argument("--batch", type=Path, help="tệp, mỗi dòng một câu hỏi")
    ask.add_argument("--json", action="store_true", help="mỗi câu trả lời một dòng JSON")
    sub.add_parser("doctor", help="kiểm tra cài đặt, nội dung, cơ sở dữ liệu và kết nối Telegram; chỉ cách sửa")
    backup = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu (an toàn cả khi trợ lý đang chạy)")
    backup.add_argument("target", nargs="?", type=Path, help="tệp hoặc thư mục đích (mặc định: BOT_DATA_DIR/backup/)")
    bench = sub.add_parser("bench", help="đo hiệu năng")
    bench.add_argument(
        "what", choices=["match", "calibrate", "danger", "worst", "fuzz", "telegram", "stats", "broadcast"]
    )
    bench.add_argument("--eval", type=Path, default=Path("../shared/eval/faq_dev.yaml"))
    bench.add_argument("--also", type=Path, action="append", default=[], help="calibrate: thêm bộ câu hỏi")
    bench.add_argument("--rounds", type=int, default=5, help="telegram: số lượt đo mỗi kênh")
    bench.add_argument("--updates", type=int, default=400, help="telegram: số cập nhật mỗi lượt")
    bench.add_argument("--subscribers", type=int, default=5000, help="broadcast: số người nhận")
    bench.add_argument("--messages", type=int, default=10_000, help="fuzz: số tin nhắn gây lỗi")
    bench.add_argument("--seed", type=int, default=2026, help="fuzz: hạt giống (lặp lại đúng một lần chạy)")
    bench.add_argument("--rate", type=int, default=30, help="broadcast: giới hạn tin/giây của máy chủ giả")
    bench.add_argument("--framework", choices=["aiogram", "ptb"], help="broadcast: thư viện (mặc định BOT_FRAMEWORK)")
    sub.add_parser("seed", help="(người phát triển) tính trước vectơ nghĩa của nội dung và ghi vào gói")
    add_broadcast_parser(sub)
    add_export_parser(sub)
    add_report_parser(sub)
    unanswered = sub.add_parser("unanswered", help="xem câu hỏi trợ lý chưa trả lời được (nếu BOT_KEEP_UNANSWERED bật)")
    unanswered.add_argument("--json", action="store_true", help="mỗi câu một dòng JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Every command; a database that cannot be used (corrupt, read-only, a folder where the file
    should be) is one Vietnamese line and exit code 1, as the other start-up failures are."""
    try:
        return _main(argv)
    except DatabaseUnusable as exc:
        print(f"{exc.trouble.message} Chạy: python -m bot doctor", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    config = Config.load()
    command = args.command or "run"
    if command != "export":
        # What this process writes (database, backups, reports, caches) is the owner's alone, as
        # under the service's UMask=0077; `export` writes public material for a web server to serve.
        os.umask(0o077)
    if command in ("report", "backup", "unanswered"):
        return _data_command(config, command, args)
    if command == "broadcast":
        return run_broadcast(config, args)
    if command == "bench" and args.what == "broadcast":
        from bot.broadcast.bench import bench_broadcast

        framework = args.framework or config.get("BOT_FRAMEWORK").strip().lower() or "aiogram"
        return bench_broadcast(args.subscribers, args.rate, framework)
    try:
        if command == "check":
            return _check(config, args.report, args.json)
        if command == "doctor":
            from bot import doctor

            return doctor.main(config)
        content = load_content(config.knowledge_dir, config.flows_dir)
    except ContentInvalid as exc:
        print(INVALID_HEADER, file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    if command == "ask":
        return _ask(config, content, args)
    if command == "seed":
        from bot.app import build_engine
        from bot.core.engine import ordinary_texts
        from bot.understanding.detector import training_set
        from bot.understanding.normalize import readable
        from bot.understanding.semantic import SHIPPED, write_shipped

        engine = build_engine(config, content)
        if engine.semantic is None:
            print("Mô hình hiểu nghĩa không nạp được (xem python -m bot doctor).", file=sys.stderr)
            return 1
        kb = content.knowledge
        texts, _, _ = training_set(kb.danger_examples, kb.faqs, ordinary_texts(content))
        engine.semantic.vectors([readable(text, engine.lexicon) for text in texts])  # the danger model's too
        print(f"Đã ghi {write_shipped()} vectơ vào {SHIPPED}")
        from bot.understanding.detector import SHIPPED_MODEL, write_shipped_model

        assert engine.detector is not None
        write_shipped_model(engine.detector)
        print(f"Đã ghi mô hình phát hiện nguy hiểm vào {SHIPPED_MODEL}")
        return 0
    if command == "export":
        from bot.exports.cli import run as run_export

        return run_export(config, content, args)
    if command == "bench":
        if args.what == "telegram":
            from bot.bench_telegram import bench_telegram

            return bench_telegram(content, rounds=args.rounds, updates=args.updates)
        if args.what == "stats":
            from bot.stats.bench import bench_stats

            return bench_stats(content)
        if args.what == "danger":
            from bot.app import build_engine
            from bot.bench_danger import bench_danger

            semantic = build_engine(config, content).semantic
            return bench_danger(content, config.knowledge_dir, semantic, [args.eval])
        from bot.bench import bench_match, calibrate

        if args.what == "fuzz":
            from bot.app import build_engine
            from bot.bench_fuzz import bench_fuzz

            return bench_fuzz(build_engine(config, content), args.messages, args.seed)
        if args.what == "worst":
            from bot.app import build_engine
            from bot.bench import bench_worst

            return bench_worst(content, build_engine(config, content))
        if args.what == "calibrate":
            from bot.app import build_engine

            return calibrate(build_engine(config, content), [args.eval, *args.also])
        from bot.app import build_engine

        return bench_match(content, args.eval, build_engine(config, content).semantic)
    return _run(config, content, terminal=command == "chat")


def _data_command(config: Config, command: str, args: argparse.Namespace) -> int:
    """Commands on the stored data: they need no valid content, and never load the matcher."""
    if command == "report":
        from bot.reports.command import report_command

        return report_command(config, args)
    if command == "backup":
        from bot import backup

        return backup.main(config, args.target)
    from bot.stats.unanswered import unanswered_command

    return unanswered_command(config.database, args.json)


def _run(config: Config, content: Content, terminal: bool) -> int:
    """`run`: every channel the settings ask for, in one process (bot.serve); `chat`, or nothing
    to serve (no token and BOT_WEB_CHAT=off): the terminal chat. Either way the housekeeping
    sweep (bot.housekeeping) runs beside it."""
    from bot.app import Assistant
    from bot.channels.console import run_console
    from bot.housekeeping import Housekeeper
    from bot.serve import NotStarted, Plan, plan, run

    chosen = Plan(None, web=False)
    if not terminal:
        try:
            chosen = plan(config)
        except NotStarted as exc:
            print(exc.message, file=sys.stderr)
            return exc.code
    assistant = Assistant.from_config(config, content=content)
    try:
        if not chosen.empty:
            return run(config, assistant, chosen)  # the runner keeps its own Housekeeper
        with Housekeeper(assistant):
            run_console(assistant, sys.stdin, sys.stdout)
    except KeyboardInterrupt:
        print()
    finally:
        assistant.store.close()
    return 0


def _check(config: Config, report: bool, as_json: bool) -> int:
    content = load_content(config.knowledge_dir, config.flows_dir)
    shortfalls = check_minimums(content.knowledge, Minimums())
    warnings = [str(warning) for warning in check_warnings(content)]
    if report:
        data = content_report(content)
        if as_json:
            print(json.dumps({**data, "warnings": warnings}, ensure_ascii=False))
        else:
            print(_report_table(data))
    if shortfalls:
        print("Nội dung hợp lệ nhưng còn thiếu so với yêu cầu:", file=sys.stderr)
        for line in shortfalls:
            print(f"  - {line}", file=sys.stderr)
    if warnings:
        # Warnings do not change the exit code: the assistant may run while they are being fixed.
        print(f"Lưu ý ({len(warnings)}, không chặn khởi động) – nên sửa (tệp:dòng):", file=sys.stderr)
        for line in warnings:
            print(f"  ⚠️ {line}", file=sys.stderr)
    kb = content.knowledge
    if not as_json:
        print(
            f"✅ Nội dung hợp lệ: {len(kb.faqs)} hỏi đáp, {len(kb.tips)} mẹo, {len(kb.quizzes)} bộ trắc nghiệm, "
            f"{len(kb.guides)} hướng dẫn báo cáo, {len(content.flows.nodes)} nút hội thoại."
        )
    return 0


def content_report(content: Content) -> dict:
    kb = content.knowledge
    unsourced = sum(
        1
        for item in [*kb.faqs, *kb.tips, *kb.quizzes, *kb.guides, *kb.contacts, *kb.activities]
        if not item.source.strip()
    )
    return {
        "faq": {
            "total": len(kb.faqs),
            "by_topic": {t: sum(f.topic == t for f in kb.faqs) for t in TOPICS},
            "by_audience": dict(Counter(f.audience for f in kb.faqs)),
            "min_variants": min((len(f.variants) for f in kb.faqs), default=0),
        },
        "tips": {
            "total": len(kb.tips),
            "by_topic": {t: sum(tip.topic == t for tip in kb.tips) for t in TOPICS},
            "by_age_band": dict(Counter(tip.age_band for tip in kb.tips)),
        },
        "quizzes": [{"id": q.id, "questions": len(q.questions), "age_band": q.age_band} for q in kb.quizzes],
        "guides": len(kb.guides),
        "contacts": len(kb.contacts),
        "activities": len(kb.activities),
        "unsourced": unsourced,
    }


def _report_table(data: dict) -> str:
    lines = ["Chủ đề                      FAQ  Mẹo", "-" * 38]
    for topic, label in TOPICS.items():
        lines.append(f"{label[:26]:<26} {data['faq']['by_topic'][topic]:>5} {data['tips']['by_topic'][topic]:>4}")
    lines.append("-" * 38)
    lines.append(f"{'Tổng':<26} {data['faq']['total']:>5} {data['tips']['total']:>4}")
    lines.append(
        "\nMẹo theo độ tuổi: " + ", ".join(f"{k}: {v}" for k, v in sorted(data["tips"]["by_age_band"].items()))
    )
    lines.append("FAQ theo đối tượng: " + ", ".join(f"{k}: {v}" for k, v in sorted(data["faq"]["by_audience"].items())))
    lines.append("Trắc nghiệm: " + ", ".join(f"{q['id']} ({q['questions']} câu)" for q in data["quizzes"]))
    lines.append(f"Hướng dẫn báo cáo: {data['guides']} · Thiếu nguồn: {data['unsourced']}")
    return "\n".join(lines)


def answer_record(query: str, outcome: Outcome) -> dict:
    """The `ask --json` contract: q, kind, topic, id, score, text (stable for outside tools)."""
    return {
        "q": query,
        "kind": outcome.kind,
        "topic": outcome.topic,
        "id": outcome.answer_id,
        "score": outcome.score,
        "text": "\n\n".join(reply.text for reply in outcome.replies),
        "suggested": outcome.suggested,
    }


def ask_one(engine: Engine, query: str) -> Outcome:
    """Answer as to a first-time user, in memory only: `ask` writes no user data."""
    return engine.handle(Incoming("ask", text=query), Session(user_key="ask", started=True))


def _ask(config: Config, content: Content, args: argparse.Namespace) -> int:
    if args.batch is None and not args.text:
        print('Hãy nhập câu hỏi, ví dụ: python -m bot ask "con bị bắt nạt trên mạng"', file=sys.stderr)
        return 2
    from bot.app import build_engine

    engine = build_engine(config, content)
    if args.batch is not None:
        try:
            queries = args.batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(f"Không đọc được tệp {args.batch}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        queries = [args.text]
    for query in queries:
        record = answer_record(query, ask_one(engine, query))
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(
                f"[{record['kind']}] {record['topic'] or ''} {record['id'] or ''} {record['score'] or ''}\n{record['text']}\n"
            )
    return 0
