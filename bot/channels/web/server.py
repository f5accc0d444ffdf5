"""The web chat: a tiny page and a JSON endpoint that translate to and from the core's types.

    GET  /             the chat page (static/index.html, Vietnamese, no framework, no CDN)
    GET  /static/...   its script and style sheet
    GET  /widget.js    the loader a ward website embeds (a button that opens the chat in a frame)
    POST /api/message  {"text": "..."} or {"payload": "..."} → {"replies": [{"text", "buttons"}]}
                       (a reply with a file adds "document": {"filename", "size", "data" (base64)},
                       which the page offers as a download)
    GET  /healthz      for Docker's healthcheck and monitoring

The anonymous session is a random id, signed by this server, in a cookie (no name, nothing else);
requests are limited per session and per client address (forwarded by a trusted proxy:
BOT_TRUSTED_PROXIES); logs carry the request line and status, never message text.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import html
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web

from bot.app import Assistant
from bot.channels.telegram_common import FLOOD_NOTICE, FloodLimiter, UserLocks
from bot.channels.web.http_log import server_logger
from bot.channels.web.proxies import TrustedProxies
from bot.channels.web.session import SessionIds
from bot.config import Config
from bot.core.types import PAYLOAD_LIMIT, Incoming, Outcome, Reply

log = logging.getLogger("bot.web")

COOKIE = "ats_sid"
TEXT_MAX = 1000
ACCESS_LOG_FORMAT = '"%r" %s %b %Tfs'  # no client address, no referrer, no body: never message text

TOO_LONG = f"Tin nhắn dài quá ({TEXT_MAX} ký tự trở xuống). Anh/chị viết ngắn lại giúp mình nhé."
BAD_REQUEST = "Mình chưa đọc được tin nhắn này. Anh/chị gõ lại hoặc tải lại trang nhé."
FAILED = (
    "Xin lỗi, mình đang gặp trục trặc. Anh/chị thử lại sau ít phút. Nếu trẻ đang gặp nguy hiểm ngay lúc này, "
    "hãy gọi 113 (công an) hoặc 115 (cấp cứu); cần hỗ trợ thì gọi 111."
)

STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def reply_json(reply: Reply, phones: Iterable[str] = ()) -> dict[str, Any]:
    """A reply for the page; `phones` are the known numbers it mentions, which the page makes
    tap-to-call links (only these: a quiz's "Câu 11/15" must not become a call)."""
    rows = [[{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons if row]
    data: dict[str, Any] = {"text": reply.text, "buttons": rows}
    mentioned = [phone for phone in phones if _mentions(reply.text, phone)]
    if mentioned:
        data["phones"] = mentioned
    if reply.document is not None:
        # Inline, not a second URL: nothing is kept on the server after the answer has gone.
        document = reply.document
        data["document"] = {
            "filename": document.filename,
            "size": len(document.data),
            "data": base64.b64encode(document.data).decode("ascii"),
        }
    return data


def _mentions(text: str, phone: str) -> bool:
    """`phone` as a number of its own: not part of "1/111", "2.115", "1113" or "tongdai111.vn"."""
    return re.search(rf"(?<![\w./,@-]){re.escape(phone)}(?!\w|[.,/-]\d)", text) is not None


@dataclass(frozen=True)
class Page:
    """The static files, read once: small enough to keep in memory, served without a disk seek."""

    files: dict[str, bytes]

    @classmethod
    def load(cls) -> Page:
        folder = resources.files("bot.channels.web") / "static"
        return cls({entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()})


class WebChat:
    """An aiohttp server for the web chat; `run()` serves until `request_stop()`."""

    def __init__(self, config: Config, assistant: Assistant, *, per_minute: int | None = None) -> None:
        self.config = config
        self.assistant = assistant
        if per_minute is None:
            try:
                per_minute = int(config.get("BOT_FLOOD_PER_MINUTE"))
            except ValueError:
                per_minute = 20
        self.per_session = FloodLimiter(per_minute)
        # Many families can share one address (a school, a café): allow far more per address.
        self.per_client = FloodLimiter(max(60, per_minute * 10))
        self.locks = UserLocks()
        self.proxies = TrustedProxies.from_setting(config.get("BOT_TRUSTED_PROXIES"))
        self.page = Page.load()
        self.ready = asyncio.Event()
        self.port: int | None = None
        self._stop = asyncio.Event()
        origins = config.get("BOT_WEB_EMBED_ORIGINS").split() or ["*"]
        self.csp = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors " + " ".join(origins)
        )

    # --- lifecycle ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024, middlewares=[self._headers])
        app.router.add_get("/", self._index)
        app.router.add_get("/widget.js", self._widget)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_post("/api/message", self._message)
        app.router.add_route("*", "/api/message", self._wrong_method)
        app.router.add_get("/healthz", self._health)
        return app

    @functools.cached_property
    def sessions(self) -> SessionIds:
        """The signing key, read (or made) on first use, not when the object is built."""
        return SessionIds.load(self.config.data_dir)

    async def run(self) -> None:
        self.sessions  # noqa: B018 - read the key before the first visitor, not during their request
        # logger: aiohttp's own errors, without the bytes of a request it could not parse (a cookie).
        runner = web.AppRunner(self.app(), access_log=log, access_log_format=ACCESS_LOG_FORMAT, logger=server_logger())
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.get("BOT_WEB_HOST"), int(self.config.get("BOT_WEB_PORT")))
            await site.start()
            self.port = runner.addresses[0][1]
            self.ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    @property
    def address(self) -> str:
        host = self.config.get("BOT_WEB_HOST")
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{self.port}/"

    def request_stop(self) -> None:
        self._stop.set()

    # --- pages --------------------------------------------------------------------------------

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    async def _index(self, request: web.Request) -> web.Response:
        ward = html.escape(self.config.get("BOT_WARD_NAME"))
        body = self.page.files["index.html"].decode("utf-8").replace("{{ward}}", ward)
        return web.Response(text=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"})

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        suffix = name[name.rfind(".") :] if "." in name else ""
        if name == "index.html" or name not in self.page.files or suffix not in STATIC_TYPES:
            raise web.HTTPNotFound()
        return web.Response(
            body=self.page.files[name],
            content_type=STATIC_TYPES[suffix],
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def _widget(self, request: web.Request) -> web.Response:
        # Runs on the ward's page, so no frame-ancestors: it is a script, not a document.
        return web.Response(
            body=self.page.files["widget.js"],
            content_type="text/javascript",
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
        )

    async def _health(self, request: web.Request) -> web.Response:
        kb = self.assistant.content.knowledge
        return _json({"ok": True, "faqs": len(kb.faqs), "quizzes": len(kb.quizzes)})

    # --- messages -----------------------------------------------------------------------------

    async def _message(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":  # also keeps other sites' plain forms out
            return _error(415, BAD_REQUEST)
        try:
            body = await _read_json(request)
        except web.HTTPRequestEntityTooLarge:
            return _error(413, TOO_LONG)
        except ValueError:
            return _error(400, BAD_REQUEST)
        text, payload = _fields(body)
        if text is None and payload is None:
            return _error(400, BAD_REQUEST)
        if text is not None and len(text) > TEXT_MAX:
            return _error(413, TOO_LONG)

        issued = self.sessions.verify(request.cookies.get(COOKIE, ""))
        cookie: str | None = None  # a value to set: only for an id this server has just made
        if issued is None:  # none yet, or one this server never signed: never take the client's word
            cookie, sid = self.sessions.issue()
        else:
            sid = issued
        address = self.proxies.client(request.remote, request.headers.getall("X-Forwarded-For", ()))
        limited = self.per_client.check(address) != "ok" or self.per_session.check(sid) != "ok"
        if limited and not (text and await asyncio.to_thread(self.assistant.is_urgent, text)):
            response = _error(429, FLOOD_NOTICE)
            response.headers["Retry-After"] = "60"
            return response

        outcome = await self._handle(f"web:{sid}", text, payload)
        if outcome is None:
            return _error(500, FAILED)
        phones = self._phones()
        response = _json({"replies": [reply_json(reply, phones) for reply in outcome.replies]})
        response.headers["Cache-Control"] = "no-store"
        if any(action.kind == "forget_user" for action in outcome.actions):
            cookie, _ = self.sessions.issue()  # data deleted: the old id means nothing now
        if cookie is not None:
            self._set_cookie(request, response, cookie)
        return response

    async def _wrong_method(self, request: web.Request) -> web.Response:
        response = _error(405, BAD_REQUEST)
        response.headers["Allow"] = "POST"
        return response

    def _phones(self) -> list[str]:
        """The numbers of the contacts in the content (111, 113, 115, the ward's once filled in)."""
        contacts = self.assistant.content.knowledge.contacts
        return [c.phone for c in contacts if c.phone and not c.placeholder]

    async def _handle(self, user_key: str, text: str | None, payload: str | None) -> Outcome | None:
        try:
            async with self.locks.hold(user_key):
                return await asyncio.to_thread(self.assistant.handle, Incoming(user_key, text=text, payload=payload))
        except Exception:
            log.exception("The assistant failed on a web message")  # no user key, no text
            return None

    def _set_cookie(self, request: web.Request, response: web.Response, value: str) -> None:
        max_age = max(3600, int(self.assistant.idle_seconds))
        https = request.secure or self.proxies.https(request.remote, request.headers.get("X-Forwarded-Proto", ""))
        if https:
            # Inside the ward website's frame the cookie is third-party: None + Secure + Partitioned.
            cookie = f"{COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned"
        else:
            # Browsers refuse SameSite=None without Secure, and Secure over plain HTTP: Lax it is.
            cookie = f"{COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax"
        response.headers.add("Set-Cookie", cookie)


async def _read_json(request: web.Request) -> Any:
    """The body as JSON; ValueError for anything a browser's page would not send (an unknown
    charset, bytes that are not text, broken or absurdly nested JSON), never a 500."""
    raw = await request.read()  # HTTPRequestEntityTooLarge past client_max_size
    try:
        return json.loads(raw.decode(request.charset or "utf-8"))
    except (LookupError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(type(error).__name__) from None


def _text(value: Any) -> str | None:
    """A string that can be stored and answered: lone surrogates ("\\ud800") cannot."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _fields(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    text, payload = _text(body.get("text")), _text(body.get("payload"))
    if payload and len(payload.encode("utf-8")) <= PAYLOAD_LIMIT:
        return None, payload
    if text and text.strip():
        return text, None
    return None, None


def _json(data: Any, status: int = 200) -> web.Response:
    # UTF-8 rather than \u escapes: Vietnamese text is a third the size on a slow connection.
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)
