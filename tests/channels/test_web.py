"""The web chat over real HTTP: the shared conversation files, the cookie session, rate limits,
request checks, the page itself, and logs that never hold what people typed."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import ipaddress
import logging
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bot.app import Assistant
from bot.channels.telegram_common import FLOOD_NOTICE
from bot.channels.web.server import BAD_REQUEST, COOKIE, TEXT_MAX, WebChat
from bot.channels.web.session import KEY_FILE
from bot.config import Config
from bot.content.loader import Content
from bot.core import ui
from bot.core.engine import Engine
from bot.core.types import Document, Incoming, Outcome, Reply
from bot.storage.sqlite import SqliteStore
from tests.conversation_runner import CONVERSATIONS, Seen, conversation_files, pick_button, run_conversation
from tests.stats.helpers import assert_anonymous
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parents[2]


def web_config(data_dir: Path, **extra: str) -> Config:
    env = {
        "BOT_DATA_DIR": str(data_dir),
        "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
        "BOT_WEB_HOST": "127.0.0.1",
        "BOT_WEB_PORT": "0",
        **extra,
    }
    return Config.load(env=env, dotenv=None)


@dataclass
class Served:
    chat: WebChat
    task: asyncio.Task[None]
    store: SqliteStore

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.chat.port}"

    async def stop(self) -> None:
        self.chat.request_stop()
        await self.task
        self.store.close()


async def serve_web(config: Config, content: Content, **kwargs: int) -> Served:
    store = SqliteStore(config.database)
    chat = WebChat(config, Assistant(Engine.build(content, seed=1), store, config.idle_seconds), **kwargs)
    task = asyncio.create_task(chat.run())
    ready = asyncio.create_task(chat.ready.wait())
    await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    return Served(chat, task, store)


@pytest.fixture
async def web(tmp_path: Path, content: Content) -> AsyncIterator[Served]:
    served = await serve_web(web_config(tmp_path), content)
    yield served
    await served.stop()


def client(**headers: str) -> aiohttp.ClientSession:
    # unsafe=True: keep cookies for an IP-address host, as a browser does for 127.0.0.1.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)


async def post_once(url: str, body: dict[str, str], **headers: str) -> tuple[int, dict, dict[str, str]]:
    """One message from a new visitor (no cookie yet): status, JSON body, headers."""
    async with client(**headers) as http, http.post(url, json=body) as response:
        return response.status, await response.json(), dict(response.headers)


@dataclass
class Browserless:
    """The conversation runner's driver for one web visitor: JSON over HTTP, cookies kept."""

    http: aiohttp.ClientSession
    base: str
    buttons: list[tuple[str, str]] = field(default_factory=list)

    async def post(self, body: dict[str, str]) -> list[Seen]:
        async with self.http.post(f"{self.base}/api/message", json=body) as response:
            assert response.status == 200, await response.text()
            data = await response.json()
        seen = []
        for reply in data["replies"]:
            buttons = [(b["label"], b["payload"]) for row in reply["buttons"] for b in row]
            if buttons:
                self.buttons = buttons
            seen.append(Seen(reply["text"], tuple(label for label, _ in buttons)))
        return seen

    async def send(self, text: str) -> list[Seen]:
        return await self.post({"text": text})

    async def press(self, fragment: str) -> list[Seen]:
        return await self.post({"payload": pick_button(self.buttons, fragment)})


@pytest.mark.parametrize("path", conversation_files("web"), ids=lambda p: p.stem)
async def test_conversation_over_web(path: Path, web: Served) -> None:
    async with client() as http:
        driver = Browserless(http, web.base)
        await run_conversation(path, driver.send, driver.press)
        assert len(http.cookie_jar) == 1


async def test_subscribing_is_not_offered_in_the_web_chat(web: Served) -> None:
    """Only Telegram chats can receive reminders: /dangky, the menu button and forged buttons of the
    subscription flow all end in the polite explanation, and no subscriber row is ever written."""
    async with client() as http:
        driver = Browserless(http, web.base)
        await run_conversation(CONVERSATIONS / "subscribe_web.yaml", driver.send, driver.press)
        for payload in ("k:sub_kinds:announcements", "k:sub_kinds:done", "k:sub_topics:all", "n:sub_done"):
            seen = await driver.post({"payload": payload})
            assert "qua Telegram" in seen[0].text, seen
    assert web.store.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0


async def test_session_lives_in_an_anonymous_cookie(web: Served) -> None:
    async with client() as http:
        async with http.post(f"{web.base}/api/message", json={"text": "/start"}) as response:
            cookie = response.headers["Set-Cookie"]
        assert re.match(
            rf"{COOKIE}=[A-Za-z0-9_-]{{22,}}\.[A-Za-z0-9_-]{{22}}; Max-Age=\d+; Path=/; HttpOnly; SameSite=Lax$", cookie
        )
        driver = Browserless(http, web.base)
        await driver.send("/start")
        await driver.press("Phụ huynh")
        seen = await driver.press("11–14")
        assert "tổ dân phố" in seen[0].text
        seen = await driver.press("Tổ 3")
        assert "Menu chính" in seen[0].text
        async with http.post(f"{web.base}/api/message", json={"text": "/start"}) as response:
            assert "Set-Cookie" not in response.headers, "a known visitor keeps the same id"
            again = await response.json()
        assert "Menu chính" in again["replies"][0]["text"], "the role was remembered: /start opens the menu"
    sid = cookie.split(";")[0].split("=", 1)[1].split(".")[0]  # the id, without the server's signature
    rows = web.store.db.execute("SELECT user_key, data FROM sessions").fetchall()
    assert [row[0] for row in rows] == [f"web:{sid}"]
    assert '"role": "parent"' in rows[0][1]
    async with client() as stranger:  # no cookie: a new, separate conversation
        seen = await Browserless(stranger, web.base).send("/start")
        assert "là ai" in seen[-1].text


async def test_web_visitors_are_counted_without_their_cookie(web: Served) -> None:
    """The anonymous session key reaches the statistics only as today's keyed digest."""
    async with client() as http:
        driver = Browserless(http, web.base)
        await run_conversation(CONVERSATIONS / "onboarding_quiz.yaml", driver.send, driver.press)
        value = next(iter(http.cookie_jar)).value
    sid = value.split(".")[0]
    stats = web.store.stats
    assert {row["grp"] for row in stats.counts() if row["kind"] == "profile_set"} >= {"to-03"}
    assert sum(row["users"] for row in stats.daily_users()) == 1
    assert assert_anonymous(web.chat.config.database, [value, sid, f"web:{sid}"]) > 20  # read beside the live store


async def test_a_reply_with_a_file_comes_as_a_download(web: Served) -> None:
    """A file (a staff report on Telegram) reaches the page inline, byte for byte, to download."""
    data = "Bảng,Giá trị\nTổ 3,<10\n".encode() + bytes(range(256))
    real_handle = web.chat.assistant.handle

    def handle(incoming: Incoming) -> Outcome:
        outcome = real_handle(incoming)
        outcome.replies.append(Reply("📊 Báo cáo", document=Document("bao-cao.csv", data)))
        return outcome

    web.chat.assistant.handle = handle  # type: ignore[method-assign]
    status, body, _ = await post_once(f"{web.base}/api/message", {"text": "/lienhe"})
    assert status == 200
    sent = body["replies"][-1]
    assert sent["text"] == "📊 Báo cáo" and sent["document"]["filename"] == "bao-cao.csv"
    assert sent["document"]["size"] == len(data) and base64.b64decode(sent["document"]["data"]) == data
    assert "document" not in body["replies"][0], "plain replies stay as they were"


async def test_cookie_for_the_embedded_widget_behind_https(web: Served) -> None:
    """Through the local proxy's HTTPS the cookie must survive inside the ward site's frame
    (third-party: SameSite=None, which browsers take only with Secure); over plain HTTP, Lax."""
    _, _, headers = await post_once(f"{web.base}/api/message", {"text": "/start"}, **{"X-Forwarded-Proto": "https"})
    cookie = headers["Set-Cookie"]
    assert "; Secure; SameSite=None; Partitioned" in cookie and "HttpOnly" in cookie
    _, _, headers = await post_once(f"{web.base}/api/message", {"text": "/start"})
    cookie = headers["Set-Cookie"]
    assert cookie.endswith("; HttpOnly; SameSite=Lax") and "Secure" not in cookie


def outside_address() -> str | None:
    """This machine's own address on its network: a "proxy" that is not 127.0.0.1, like Docker's
    gateway is to the container. A UDP connect sends nothing; it only picks the interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.mark.parametrize("trusted", [False, True], ids=["proxy-not-trusted", "proxy-in-BOT_TRUSTED_PROXIES"])
async def test_forwarded_headers_count_only_from_trusted_proxies(
    tmp_path: Path, content: Content, trusted: bool
) -> None:
    """Behind Docker the proxy is not 127.0.0.1. Listed in BOT_TRUSTED_PROXIES, each visitor it
    forwards has their own limit and the widget's cookie is Secure; not listed, its headers are
    ignored (a visitor cannot claim an address): everyone shares the proxy's one limit."""
    address = outside_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    extra = {"BOT_WEB_HOST": address, "BOT_FLOOD_PER_MINUTE": "3"}
    if trusted:
        extra["BOT_TRUSTED_PROXIES"] = f"127.0.0.1, ::1 {address}/32"
    served = await serve_web(web_config(tmp_path, **extra), content)
    try:
        url = f"http://{address}:{served.chat.port}/api/message"
        _, _, headers = await post_once(url, {"text": "/start"}, **{"X-Forwarded-Proto": "https"})
        secure = "; Secure; SameSite=None" in headers["Set-Cookie"]
        assert secure is trusted, headers["Set-Cookie"]
        # 61 new visitors (no cookie), each behind their own address: 60 a minute per address.
        forwarded = [f"198.51.100.{n}, {address}" if n % 2 else f"198.51.100.{n}" for n in range(1, 62)]
        codes = [(await post_once(url, {"text": "/help"}, **{"X-Forwarded-For": hop}))[0] for hop in forwarded]
        if trusted:
            assert codes == [200] * 61, "each visitor their own limit (a trusted hop on the right is skipped)"
        else:
            assert codes[:59] == [200] * 59 and codes[59:] == [429, 429], "one shared limit for the proxy"
    finally:
        await served.stop()


def forged(request_cookie: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={request_cookie}"}


async def test_a_session_id_the_server_did_not_issue_is_never_used(web: Served) -> None:
    """Someone who learns or makes up an id (the old unsigned form, a forged signature, another
    visitor's id with someone else's signature) gets a fresh conversation, not that one."""
    url = f"{web.base}/api/message"
    async with client() as http:
        visitor = Browserless(http, web.base)
        await visitor.send("/start")
        await visitor.press("Phụ huynh")
        await visitor.press("11–14")
        await visitor.press("Tổ 3")
        value = next(iter(http.cookie_jar)).value
    sid, signature = value.split(".")
    other = web.chat.sessions.issue()[0]
    for made_up in (sid, "A" * 24, f"{sid}.{'B' * 22}", f"{sid}.{other.split('.')[1]}", f"{sid}.{signature}x"):
        status, body, headers = await post_once(url, {"text": "/start"}, **forged(made_up))
        assert status == 200 and "là ai" in body["replies"][-1]["text"], (made_up, body)
        fresh = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        assert fresh != made_up and web.chat.sessions.verify(fresh) not in (None, sid)
    keys = {row[0] for row in web.store.db.execute("SELECT user_key FROM sessions").fetchall()}
    assert "web:" + "A" * 24 not in keys
    # The real cookie still opens the visitor's own conversation.
    status, body, headers = await post_once(url, {"text": "/start"}, **forged(value))
    assert "Menu chính" in body["replies"][0]["text"] and "Set-Cookie" not in headers


async def test_the_signed_session_survives_a_restart(tmp_path: Path, content: Content) -> None:
    config = web_config(tmp_path)
    served = await serve_web(config, content)
    try:
        async with client() as http:
            visitor = Browserless(http, served.base)
            await visitor.send("/start")
            await visitor.press("Phụ huynh")
            await visitor.press("11–14")
            await visitor.press("Tổ 3")
            value = next(iter(http.cookie_jar)).value
    finally:
        await served.stop()
    key = tmp_path / KEY_FILE
    assert key.is_file() and key.stat().st_mode & 0o077 == 0, "the key is readable by the service only"
    served = await serve_web(config, content)
    try:
        status, body, headers = await post_once(f"{served.base}/api/message", {"text": "/start"}, **forged(value))
        assert status == 200 and "Menu chính" in body["replies"][0]["text"] and "Set-Cookie" not in headers
    finally:
        await served.stop()


DEEP = b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}"
MALFORMED = {
    "broken JSON": (b"{not json", "application/json"),
    "a list, not an object": (b'["hello"]', "application/json"),
    "text is a number": (b'{"text": 5}', "application/json"),
    "payload is a list": (b'{"payload": ["a"]}', "application/json"),
    "no text, no payload": (b'{"message": "hello"}', "application/json"),
    "null": (b"null", "application/json"),
    "empty body": (b"", "application/json"),
    "absurdly nested": (DEEP, "application/json"),
    "unknown charset": (b'{"text": "hello"}', "application/json; charset=bogus"),
    "bytes that are not UTF-8": (b'{"text": "\xff\xfe"}', "application/json"),
    "lone surrogate in the text": (b'{"text": "\\ud800 hello"}', "application/json"),
    "lone surrogate in a button": (b'{"payload": "\\udcff"}', "application/json"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=str)
async def test_malformed_messages_get_a_clear_400_in_vietnamese(
    web: Served, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.DEBUG)
    headers = {"Content-Type": content_type}
    async with client() as http, http.post(f"{web.base}/api/message", data=body, headers=headers) as r:
        assert r.status == 400 and r.content_type == "application/json", await r.text()
        assert await r.json() == {"error": BAD_REQUEST}
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text


async def test_other_methods_on_the_message_endpoint_say_so_in_json(web: Served) -> None:
    async with client() as http, http.get(f"{web.base}/api/message") as response:
        assert response.status == 405 and response.headers["Allow"] == "POST"
        assert (await response.json()) == {"error": BAD_REQUEST}


def ward_filled_in(content: Content, phone: str = "0000 000") -> Content:
    """The content once the ward has written its number (a made-up one, for tests only)."""
    contacts = [
        c.model_copy(update={"phone": phone, "placeholder": False}) if c.placeholder else c
        for c in content.knowledge.contacts
    ]
    return dataclasses.replace(content, knowledge=dataclasses.replace(content.knowledge, contacts=contacts))


async def test_the_emergency_card_names_its_phone_numbers_for_the_page(tmp_path: Path, content: Content) -> None:
    """The page makes tap-to-call links of exactly these (111, 113, 115, the ward's…)."""
    served = await serve_web(web_config(tmp_path), ward_filled_in(content))
    try:
        status, body, _ = await post_once(f"{served.base}/api/message", {"text": "em muốn chết"})
        card = body["replies"][0]
        assert status == 200 and "111" in card["text"]
        assert {"111", "113", "115", "0000 000"} <= set(card["phones"]), card.get("phones")
        assert all(phone in card["text"] for phone in card["phones"])
    finally:
        await served.stop()


def test_only_numbers_of_their_own_are_named() -> None:
    from bot.channels.web.server import reply_json

    text = "Gọi 111. Câu 1/113, mã 1115, 2.114 điểm, tongdai115.vn; số phường 0000 000."
    assert reply_json(Reply(text), ["111", "113", "114", "115", "0000 000"])["phones"] == ["111", "0000 000"]
    assert "phones" not in reply_json(Reply("Câu 11/15"), ["111", "115"])


async def test_forgetting_data_drops_the_session_and_the_id(web: Served) -> None:
    async with client() as http:
        driver = Browserless(http, web.base)
        await driver.send("/start")
        await driver.press("Phụ huynh")
        old = next(iter(http.cookie_jar)).value
        await driver.send("/xoadulieu")
        async with http.post(f"{web.base}/api/message", json={"payload": pick_button(driver.buttons, "Xóa")}) as r:
            assert r.status == 200
            assert "Set-Cookie" in r.headers
        new = next(iter(http.cookie_jar)).value
    assert new != old and web.chat.sessions.verify(new)
    keys = [row[0] for row in web.store.db.execute("SELECT user_key FROM sessions").fetchall()]
    assert f"web:{old.split('.')[0]}" not in keys


async def test_rate_limit_per_session_and_per_address(tmp_path: Path, content: Content) -> None:
    served = await serve_web(web_config(tmp_path, BOT_FLOOD_PER_MINUTE="3"), content)
    try:
        async with client() as http:
            statuses = []
            for _ in range(5):
                async with http.post(f"{served.base}/api/message", json={"text": "/lienhe"}) as response:
                    statuses.append(response.status)
                    body = await response.json()
            assert statuses == [200, 200, 200, 429, 429]
            assert body == {"error": FLOOD_NOTICE} and response.headers["Retry-After"] == "60"
        # Another visitor is not slowed down by the first.
        assert (await post_once(f"{served.base}/api/message", {"text": "/lienhe"}))[0] == 200
        # Fresh cookies for every message do not get around the limit: the address has one too
        # (60 a minute here; behind the local reverse proxy the forwarded address counts).
        url, same = f"{served.base}/api/message", {"X-Forwarded-For": "203.0.113.7"}
        codes = [(await post_once(url, {"text": "/help"}, **same))[0] for _ in range(62)]
        assert codes[:60] == [200] * 60 and codes[60:] == [429, 429]
        assert (await post_once(url, {"text": "/help"}, **{"X-Forwarded-For": "203.0.113.8"}))[0] == 200
    finally:
        await served.stop()


async def test_danger_gets_the_emergency_card_past_the_rate_limit(tmp_path: Path, content: Content) -> None:
    """A student tapping fast hits the limit; their next message tells of danger: it is answered."""
    served = await serve_web(web_config(tmp_path, BOT_FLOOD_PER_MINUTE="3"), content)
    try:
        async with client() as http:
            url = f"{served.base}/api/message"
            for _ in range(4):
                async with http.post(url, json={"text": "/lienhe"}) as response:
                    await response.read()
            assert response.status == 429
            danger = {"text": "em 13 tuoi dang bi nguoi la doa tung anh neu khong gui them"}
            async with http.post(url, json=danger) as response:
                assert response.status == 200
                text = (await response.json())["replies"][0]["text"]
            assert "Gọi 111" in text and "113" in text
            async with http.post(url, json={"text": "/lienhe"}) as response:
                assert response.status == 429  # the limit still holds for everything else
    finally:
        await served.stop()


async def test_requests_that_are_refused_say_why_in_vietnamese(web: Served) -> None:
    async with client() as http:
        url = f"{web.base}/api/message"
        async with http.post(url, data="text=hello", headers={"Content-Type": "text/plain"}) as response:
            assert response.status == 415  # a plain cross-site form cannot post here
        async with http.post(url, data="{not json", headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400 and "gõ lại" in (await response.json())["error"]
        async with http.post(url, json={"text": "   "}) as response:
            assert response.status == 400
        async with http.post(url, json={"text": "a" * (TEXT_MAX + 1)}) as response:
            assert response.status == 413 and "dài quá" in (await response.json())["error"]
        async with http.post(url, json={"text": "x" * 20_000}) as response:
            assert response.status == 413
        async with http.post(url, json={"payload": "zz:no-such-button"}) as response:
            assert response.status == 200
            assert (await response.json())["replies"][0]["text"] == ui.STALE_BUTTON


async def test_failure_is_a_polite_500_without_the_message(
    web: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_incoming: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(web.chat.assistant, "handle", broken)
    caplog.set_level(logging.DEBUG)
    status, body, _ = await post_once(f"{web.base}/api/message", {"text": "bí mật của con tôi"})
    assert status == 500 and "111" in body["error"]
    assert any("failed on a web message" in r.getMessage() for r in caplog.records)
    assert "bí mật" not in caplog.text


async def test_logs_never_hold_message_text(web: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "Nguyễn Văn Zyx con tôi lớp 5A"
    async with client() as http:
        driver = Browserless(http, web.base)
        await driver.send(marker)
        await driver.send("có người dọa tung ảnh nóng của con tôi tối nay")
        value = next(iter(http.cookie_jar)).value
    text = caplog.text
    assert '"POST /api/message HTTP/1.1" 200' in text, "the access log still works"
    for secret in ("Zyx", "Nguyễn", "ảnh nóng", value, value.split(".")[0], "127.0.0.1"):
        assert secret not in text


async def test_the_page_is_self_contained_vietnamese_and_accessible(web: Served) -> None:
    async with client() as http:
        async with http.get(f"{web.base}/") as response:
            assert response.status == 200 and response.content_type == "text/html"
            page = await response.text()
            csp = response.headers["Content-Security-Policy"]
        assert '<html lang="vi">' in page and "phường Trung Thành" in page
        assert 'name="viewport"' in page and 'for="q"' in page and 'role="log"' in page
        assert 'type="submit"' in page and 'href="tel:111"' in page
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors *" in csp
        # Nothing from another server: the machine may be offline.
        assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
        sizes = 0
        for name in ("chat.js", "chat.css"):
            async with http.get(f"{web.base}/static/{name}") as response:
                assert response.status == 200
                body = await response.text()
                sizes += len(body.encode())
                assert "http://" not in body.replace("https?:\\/\\/", "") and "@import" not in body
                assert "googleapis" not in body and "cdn" not in body.lower()
        assert sizes < 20_000, f"page assets weigh {sizes} bytes: keep them small for slow phones"
        for bad in ("index.html", "..%2Fserver.py", "nope.js", "__init__.py"):
            async with http.get(f"{web.base}/static/{bad}") as response:
                assert response.status == 404
        async with http.get(f"{web.base}/widget.js") as response:
            assert response.status == 200 and "iframe" in await response.text()
        async with http.get(f"{web.base}/healthz") as response:
            assert (await response.json())["ok"] is True


async def test_embedding_can_be_limited_to_the_wards_site(tmp_path: Path, content: Content) -> None:
    served = await serve_web(web_config(tmp_path, BOT_WEB_EMBED_ORIGINS="https://phuong.example.vn"), content)
    try:
        async with client() as http, http.get(f"{served.base}/") as response:
            assert response.headers["Content-Security-Policy"].endswith("frame-ancestors https://phuong.example.vn")
    finally:
        await served.stop()


# --- the command a new user types --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bot_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = clean_env()
    env.update(
        BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        BOT_FLOWS_DIR=str(ROOT / "flows"),
        BOT_DATA_DIR=str(tmp_path / "data"),
        BOT_WEB_PORT=str(port),
    )
    return env


async def _wait_for_line(stream: asyncio.StreamReader, fragment: str, timeout: float = 60) -> str:
    async def read() -> str:
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"process ended before printing {fragment!r}")
            if fragment in line:
                return line

    return await asyncio.wait_for(read(), timeout)


async def test_python_m_bot_without_token_serves_the_web_chat(tmp_path: Path) -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=_bot_env(tmp_path, port),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await _wait_for_line(process.stdout, "Trò chuyện trên web")
        assert f"http://127.0.0.1:{port}/" in line
        async with client() as http:
            seen = await Browserless(http, f"http://127.0.0.1:{port}").send("/start")
        assert "Trợ lý An Toàn Số" in seen[0].text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert (tmp_path / "data" / "antoanso.sqlite3").exists()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_busy_port_is_explained(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=_bot_env(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 2
    assert f"Cổng {port} đang được một chương trình khác dùng" in result.stderr
    assert f"BOT_WEB_PORT={port + 1}" in result.stderr and "Traceback" not in result.stderr


def test_web_chat_can_be_turned_off(tmp_path: Path) -> None:
    env = _bot_env(tmp_path, _free_port()) | {"BOT_WEB_CHAT": "off"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        input="thoát\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "Tạm biệt" in result.stdout, "off: the terminal chat, as before"
