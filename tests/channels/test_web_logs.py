"""A request the web server cannot parse (a header over 8 KB, too many headers, a bad header name)
is refused with 400 and logged without what it carried: not the visitor's session cookie, not
any other header value, not the client's address."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content.loader import Content
from tests.channels.test_web import Browserless, Served, client, serve_web, web_config

FILLER = "Q7zfiller" * 1200  # ~10 KB: over aiohttp's 8,190-byte line limit


@pytest.fixture
async def served(tmp_path: Path, content: Content) -> AsyncIterator[Served]:
    chat = await serve_web(web_config(tmp_path), content)
    yield chat
    await chat.stop()


async def raw(web: Served, head: str) -> bytes:
    """Send `head` as it is (no client library tidying it) and read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", web.chat.port)
    try:
        writer.write(head.encode("latin-1"))
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


async def session_cookie(web: Served) -> str:
    async with client() as http:
        await Browserless(http, web.base).send("/start")
        return next(iter(http.cookie_jar)).value


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param("X-Filler: {filler}\r\n", id="one huge header"),
        pytest.param("", id="huge cookie"),
        pytest.param("".join(f"X-Many-{i}: {{filler100}}\r\n" for i in range(150)), id="too many headers"),
        pytest.param("Bad Header\x01: {filler100}\r\n", id="bad header name"),
    ],
)
async def test_a_refused_request_leaves_no_cookie_in_the_log(
    served: Served, caplog: pytest.LogCaptureFixture, extra: str
) -> None:
    sid = await session_cookie(served)
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    cookie = f"ats_sid={sid}" + ("; pad=" + FILLER if not extra else "")
    head = (
        f"POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        + extra.format(filler=FILLER, filler100=FILLER[:100])
        + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    answer = await raw(served, head)
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    logged = caplog.text
    assert "Refused a malformed HTTP request (400" in logged, "the refusal itself is logged"
    for secret in (sid, sid.split(".")[0], FILLER[:40], "Q7zfiller", "127.0.0.1", "Traceback"):
        assert secret not in logged
