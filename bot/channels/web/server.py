"""The web chat: a tiny page and a JSON endpoint that translate to and from the core's types.

    GET  /             the chat page (static/index.html, Vietnamese, no framework, no CDN)
    GET  /static/...   its script and style sheet
    GET  /widget.js    the loader a ward website embeds (a button that opens the chat in a frame)
    POST /api/message  {"text": "..."} or {"payload": "..."} → {"replies": [{"text", "buttons"}]}
                       (a reply with a file adds "document": {"filename", "size", "data" (base64)},
                       which the page offers as a download)
    GET  /healthz      for Docker's healthcheck and monitoring

The anonymous session is a random id in a cookie (no name, nothing else); requests are limited
per session and per client address; logs carry the request line and status, never message text.
"""

from __future__ import annotations

import asyncio
import base64
import html
import ipaddress
import json
import logging
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web

from bot.app import Assistant
from bot.channels.telegram_common import FLOOD_NOTICE, FloodLimiter, UserLocks
from bot.config import Config
from bot.core.types import PAYLOAD_LIMIT, Incoming, Outcome, Reply

log = logging.getLogger("bot.web")

COOKIE = "ats_sid"
SID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
TEXT_MAX = 1000
ACCESS_LOG_FORMAT = '"%r" %s %b %Tfs'  # no client address, no referrer, no body: never message text

TOO_LONG = f"Tin nhắn dài quá ({TEXT_MAX} ký tự trở xuống). Anh/chị viết ngắn lại giúp mình nhé."
BAD_REQUEST = "Mình chưa đọc được tin nhắn này. Anh/chị gõ lại hoặc tải lại trang nhé."
FAILED = "Xin lỗi, mình đang gặp trục trặc. Anh/chị thử lại sau ít phút. Nếu trẻ đang gặp nguy hiểm, hãy gọi ngay 111."

STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def reply_json(reply: Reply) -> dict[str, Any]:
    rows = [[{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons if row]
    data: dict[str, Any] = {"text": reply.text, "buttons": rows}
    if reply.document is not None:
        # Inline, not a second URL: nothing is kept on the server after the answer has gone.
        document = reply.document
        data["document"] = {
            "filename": document.filename,
            "size": len(document.data),
            "data": base64.b64encode(document.data).decode("ascii"),
        }
    return data


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this machine, the one it forwarded."""
    peer = request.remote
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _loopback(peer):
        return forwarded.split(",")[-1].strip() or str(peer)
    return str(peer)


def _behind_https(request: web.Request) -> bool:
    if request.secure:
        return True
    return _loopback(request.remote) and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


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
        app.router.add_get("/healthz", self._health)
        return app

    async def run(self) -> None:
        runner = web.AppRunner(self.app(), access_log=log, access_log_format=ACCESS_LOG_FORMAT)
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
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, BAD_REQUEST)
        except web.HTTPRequestEntityTooLarge:
            return _error(413, TOO_LONG)
        text, payload = _fields(body)
        if text is None and payload is None:
            return _error(400, BAD_REQUEST)
        if text is not None and len(text) > TEXT_MAX:
            return _error(413, TOO_LONG)

        sid = request.cookies.get(COOKIE, "")
        fresh = not SID_PATTERN.match(sid)
        if fresh:
            sid = secrets.token_urlsafe(18)
        limited = self.per_client.check(client_address(request)) != "ok" or self.per_session.check(sid) != "ok"
        if limited and not (text and await asyncio.to_thread(self.assistant.is_urgent, text)):
            response = _error(429, FLOOD_NOTICE)
            response.headers["Retry-After"] = "60"
            return response

        outcome = await self._handle(f"web:{sid}", text, payload)
        if outcome is None:
            return _error(500, FAILED)
        response = _json({"replies": [reply_json(reply) for reply in outcome.replies]})
        response.headers["Cache-Control"] = "no-store"
        if any(action.kind == "forget_user" for action in outcome.actions):
            sid, fresh = secrets.token_urlsafe(18), True  # data deleted: the old id means nothing now
        if fresh:
            self._set_cookie(request, response, sid)
        return response

    async def _handle(self, user_key: str, text: str | None, payload: str | None) -> Outcome | None:
        try:
            async with self.locks.hold(user_key):
                return await asyncio.to_thread(self.assistant.handle, Incoming(user_key, text=text, payload=payload))
        except Exception:
            log.exception("The assistant failed on a web message")  # no user key, no text
            return None

    def _set_cookie(self, request: web.Request, response: web.Response, sid: str) -> None:
        max_age = max(3600, int(self.assistant.idle_seconds))
        if _behind_https(request):
            # Inside the ward website's frame the cookie is third-party: None + Secure + Partitioned.
            cookie = f"{COOKIE}={sid}; Max-Age={max_age}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned"
        else:
            cookie = f"{COOKIE}={sid}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax"
        response.headers.add("Set-Cookie", cookie)


def _fields(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    text, payload = body.get("text"), body.get("payload")
    if isinstance(payload, str) and payload and len(payload.encode("utf-8")) <= PAYLOAD_LIMIT:
        return None, payload
    if isinstance(text, str) and text.strip():
        return text, None
    return None, None


def _json(data: Any, status: int = 200) -> web.Response:
    # UTF-8 rather than \u escapes: Vietnamese text is a third the size on a slow connection.
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)
