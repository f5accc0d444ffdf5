"""Content reload without a restart: new valid content is used at once; invalid content is refused
with file:line errors and the assistant keeps answering from the old content."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.app import Assistant
from bot.config import Config
from bot.content.loader import load_content
from bot.core.types import Incoming
from bot.reload import ContentReloader
from bot.storage.memory import MemoryStore
from tests.content_edits import NEW_NAME, OLD_NAME, copy_content, edit
from tests.subprocess_env import clean_env


def contacts_text(assistant: Assistant) -> str:
    return "\n".join(reply.text for reply in assistant.handle(Incoming("u", text="/lienhe")).replies)


def test_reload_uses_new_content_and_refuses_broken_content(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    knowledge, flows = copy_content(tmp_path)
    config = Config.load(env={"BOT_KNOWLEDGE_DIR": str(knowledge), "BOT_FLOWS_DIR": str(flows)}, dotenv=None)
    assistant = Assistant.from_config(config, store=MemoryStore())
    reloader = ContentReloader(config, assistant)
    assert OLD_NAME in contacts_text(assistant)

    edit(knowledge / "contacts.yaml", OLD_NAME, NEW_NAME)
    result = reloader.reload()
    faqs = len(load_content(knowledge, flows).knowledge.faqs)  # the content team keeps adding FAQs
    assert result.ok and f"{faqs} hỏi đáp" in result.summary
    assert NEW_NAME in contacts_text(assistant)

    engine = assistant.engine
    edit(flows / "menu.yaml", "next: contacts", "next: contactz")
    caplog.set_level(logging.INFO)
    result = reloader.reload()
    assert not result.ok and "vẫn dùng nội dung cũ" in result.summary
    assert any("menu.yaml:" in error and "contactz" in error for error in result.errors), result.errors
    assert assistant.engine is engine, "the old content stays in place"
    assert NEW_NAME in contacts_text(assistant)
    assert "menu.yaml:" in caplog.text, "the officer finds the mistake in the log"

    shutil.rmtree(knowledge)
    assert not reloader.reload().ok
    assert NEW_NAME in contacts_text(assistant)


async def test_sighup_reloads_the_running_assistant(tmp_path: Path) -> None:
    knowledge, flows = copy_content(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = clean_env()
    env.update(BOT_KNOWLEDGE_DIR=str(knowledge), BOT_FLOWS_DIR=str(flows), BOT_WEB_PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/api/message"

    async def contacts() -> str:
        async with aiohttp.ClientSession() as http, http.post(url, json={"text": "/lienhe"}) as response:
            return "\n".join(reply["text"] for reply in (await response.json())["replies"])

    async def stderr_until(fragment: str) -> str:
        assert process.stderr is not None
        seen = ""
        while fragment not in seen:
            line = await asyncio.wait_for(process.stderr.readline(), 30)
            assert line, f"process ended before logging {fragment!r}:\n{seen}"
            seen += line.decode()
        return seen

    try:
        assert process.stdout is not None
        assert "Trò chuyện trên web" in (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert OLD_NAME in await contacts()

        edit(knowledge / "contacts.yaml", OLD_NAME, NEW_NAME)
        process.send_signal(signal.SIGHUP)
        await stderr_until("Đã nạp lại nội dung")
        assert NEW_NAME in await contacts()

        edit(flows / "menu.yaml", "next: contacts", "next: contactz")
        process.send_signal(signal.SIGHUP)
        log = await stderr_until("contactz")
        assert "vẫn dùng nội dung cũ" in log and "menu.yaml:" in log
        assert NEW_NAME in await contacts(), "still serving the last good content"

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_reload_of_hostile_content_is_refused_and_the_log_says_the_old_content_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21 item 7: a recursive alias crashed the reload with a traceback and the log never said
    that the new content was refused; any unforeseen fault must be refused the same way."""
    knowledge, flows = copy_content(tmp_path)
    config = Config.load(env={"BOT_KNOWLEDGE_DIR": str(knowledge), "BOT_FLOWS_DIR": str(flows)}, dotenv=None)
    assistant = Assistant.from_config(config, store=MemoryStore())
    reloader = ContentReloader(config, assistant)
    engine = assistant.engine
    caplog.set_level(logging.INFO, logger="bot.reload")

    hostile = knowledge / "faq" / "zz_loop.yaml"
    hostile.write_text("- id: vong-lap\n  variants: &v\n    - *v\n", encoding="utf-8")
    result = reloader.reload()
    assert not result.ok and assistant.engine is engine
    assert "Nội dung mới bị từ chối vì chưa hợp lệ (1 lỗi); trợ lý vẫn dùng nội dung cũ." in caplog.text
    assert f"{hostile}:2: không dùng neo YAML ('&v')" in caplog.text
    assert OLD_NAME in contacts_text(assistant)

    hostile.unlink()
    caplog.clear()

    def unforeseen(*_: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("bot.reload.load_content", unforeseen)
    result = reloader.reload()
    assert not result.ok and assistant.engine is engine
    assert "Nội dung mới bị từ chối (lỗi không lường trước: RecursionError); trợ lý vẫn dùng nội dung cũ" in caplog.text
    assert "Traceback" not in caplog.text
    assert OLD_NAME in contacts_text(assistant)
