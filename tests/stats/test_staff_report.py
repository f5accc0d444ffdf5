"""/baocao_thongke: staff (BOT_ADMIN_IDS) get the report file in the chat; nobody else does, even
with a hand-made button payload. Over the real bot – aiogram and python-telegram-bot, each through
the shared `TelegramFront` – against the fake Bot API server (sendDocument as a multipart upload)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook

from bot.app import Assistant
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.stats.synthetic import seed
from bot.storage.memory import MemoryStore
from tests.fake_bot_api import FakeBotApi
from tests.stats.helpers import at, press
from tests.test_telegram_channels import FRAMEWORKS, TOKEN, USER, Chat, make_config, start_bot

STRANGER = 4040


def test_core_refuses_a_forged_admin_flag_and_a_forged_payload(engine: Engine) -> None:
    config = Config.load(env={"BOT_ADMIN_IDS": "77, 78"}, dotenv=None)
    assistant = Assistant(engine, MemoryStore(), clock=lambda: at("2026-07-15 09:00"), config=config)
    outcome = assistant.handle(Incoming("tg:5", text="/baocao_thongke", admin=True))
    assert "chỉ dành cho cán bộ" in outcome.replies[0].text
    outcome = assistant.handle(Incoming("tg:5", payload="r:this_month:docx", admin=True))
    assert all(reply.document is None for reply in outcome.replies)
    assert "chỉ dành cho cán bộ" in outcome.replies[0].text
    outcome = assistant.handle(Incoming("tg:78", text="/baocao_thongke"))
    assert [b.label for b in outcome.replies[0].all_buttons()][:3] == ["Tháng này", "Tháng trước", "6 tháng gần đây"]
    outcome = press(assistant, outcome, "Tháng trước", "tg:78")
    outcome = press(assistant, outcome, "Excel", "tg:78")
    document = outcome.replies[-1].document
    assert document is not None and document.filename == "bao-cao-thong-ke_2026-06-01_2026-06-30.xlsx"
    assert load_workbook(io.BytesIO(document.data)).sheetnames[0] == "Thông tin"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_staff_get_the_docx_in_telegram(framework: str, tmp_path: Path, engine: Engine) -> None:
    fake = await FakeBotApi(TOKEN).start()
    try:
        config = make_config(fake, tmp_path, BOT_ADMIN_IDS=str(USER), BOT_WARD_NAME="phường Trung Thành")
        running = await start_bot(framework, config, engine)
        try:
            today = date.fromisoformat(running.channel.assistant.day())
            seed(running.channel.assistant.store.stats, today.replace(day=1), today, people=40)
            staff = Chat(fake, running)
            seen = await staff.send("/baocao_thongke")
            assert "Báo cáo thống kê ẩn danh" in seen[0].text
            await staff.press("Tháng này")
            seen = await staff.press("Word")
            sent = fake.outbox(USER)[-1]
            assert sent["method"] == "sendDocument" and sent["filename"].endswith(".docx")
            assert "Báo cáo thống kê ẩn danh của phường Trung Thành" in sent["text"]
            doc = open_docx(io.BytesIO(sent["data"]))
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in doc.tables[0].rows[0].cells[1].text

            stranger = Chat(fake, running, user=STRANGER)
            seen = await stranger.send("/baocao_thongke")
            assert "chỉ dành cho cán bộ" in seen[0].text
            before = len(fake.outbox(STRANGER))
            update = fake.push_callback(STRANGER, "r:this_month:docx", stranger.keyboard_message)
            await running.channel.wait_processed(update)
            after = fake.outbox(STRANGER)[before:]
            assert after and all(event["method"] != "sendDocument" for event in after)
        finally:
            await running.stop()
    finally:
        await fake.stop()
