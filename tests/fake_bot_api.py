"""A local fake Telegram Bot API server for end-to-end channel tests, over real HTTP.

Serves `/bot<token>/<method>` (GET or POST; JSON, form-urlencoded or multipart bodies) with
Telegram's envelope `{"ok": true, "result": ...}`. Tests push user updates (messages, photos,
documents, button presses, private or group), read what the bot sent per chat and in order, and can
make the next call(s) of a method fail with 429 (retry_after), 403 or 400.

Flood control as Telegram does it, when asked (`rate_limit=30`): more than `rate_limit` sends in
any sliding second gets a 429 with `flood_wait` seconds, and every send is refused until then;
`per_chat_interval` refuses a second message to one chat sooner than that (counted apart).
`blocked_chats` answer 403, `missing_chats` 400 "chat not found".

Standalone, for benchmarks: `python -m tests.fake_bot_api --rate 30` prints `PORT <n>` and serves
`GET /_stats` (sends, 429s, duplicates, first/last send time).

    fake = FakeBotApi(token)
    await fake.start()                  # fake.base → TELEGRAM_API_BASE
    update_id = fake.push_text(user_id=7, text="/start")
    ...
    fake.outbox(7)                      # [{"method": "sendMessage", "text": ..., "buttons": [...]}, ...]
    await fake.stop()
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "An Toàn Số", "username": "antoanso_test_bot"}
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options"}

# The token every end-to-end test uses; tests assert it never reaches a log.
TEST_TOKEN = "123456789:AAH-sEcReT_tOkEn-for-tests_0123456789"


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class Failure:
    method: str
    code: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class Sent:
    """One bot message as it stands now (edits change it in place)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FakeBotApi:
    token: str
    host: str = "127.0.0.1"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    callbacks: set[str] = field(default_factory=set)
    commands: list[dict[str, str]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    rate_limit: int | None = None
    flood_wait: int = 3
    per_chat_interval: float | None = None
    blocked_chats: set[int] = field(default_factory=set)
    missing_chats: set[int] = field(default_factory=set)
    latency: float = 0.0

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._forced: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._failures: list[Failure] = []
        self._messages: dict[tuple[int, int], Sent] = {}
        self._events: dict[int, list[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.get_updates_calls = 0
        self.waiting_polls = 0  # getUpdates requests still open (a stopped bot's may linger a second)
        self._closing = False
        self._window: deque[float] = deque()
        self._blocked_until = 0.0
        self._chat_last: dict[int, float] = {}
        self._file_ids = itertools.count(1)
        self.too_many = 0  # 429s answered because of the rate limit or during a flood wait
        self.chat_too_fast = 0  # sends refused by `per_chat_interval`
        self.send_times: list[float] = []  # accepted sends, monotonic clock
        self.delivered: Counter[int] = Counter()  # accepted sends per chat
        self.uploads = 0
        self.call_times: list[float] = []  # monotonic arrival time of each entry of `calls`
        self._unstalled = asyncio.Event()
        self._unstalled.set()

    # --- server -------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeBotApi:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._route)
        app.router.add_get("/_stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._arrived.set()
        self._unstalled.set()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- test controls ------------------------------------------------------------------------

    def fail_next(
        self, method: str, code: int, description: str = "", *, retry_after: int | None = None, times: int = 1
    ) -> None:
        default = {429: "Too Many Requests: retry after", 403: "Forbidden: bot was blocked by the user"}
        text = description or default.get(code, "Bad Request: injected failure")
        self._failures.append(Failure(method, code, text, retry_after, times))

    def stall(self) -> None:
        """From now on take every request and never answer it (until `stop`): a Bot API that is
        unreachable behind a black-holing network, the hardest case for a clean shutdown."""
        self._unstalled.clear()

    def push(self, update: dict[str, Any], *, force: bool = False) -> int:
        """Queue a raw update. `force` delivers it even if its id is below the bot's offset
        (what a replay after a crash looks like)."""
        (self._forced if force else self._updates).append(update)
        self._arrived.set()
        return update["update_id"]

    def text_update(
        self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private"
    ) -> dict[str, Any]:
        """A user's text message as an update (not queued: post it to a webhook, or `push` it)."""
        message = self._user_message(user_id, text, chat_id, chat_type)
        return {"update_id": next(self._update_ids), "message": message}

    def push_text(self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private") -> int:
        return self.push(self.text_update(user_id, text, chat_id=chat_id, chat_type=chat_type))

    def push_edit(self, user_id: int, text: str) -> int:
        """The user edits an earlier message of theirs to `text` (Telegram's `edited_message`)."""
        message = self._user_message(user_id, text, None, "private")
        message["edit_date"] = message["date"] + 30
        return self.push({"update_id": next(self._update_ids), "edited_message": message})

    def push_media(self, user_id: int, kind: str, caption: str = "", *, name: str = "thong-bao.pdf") -> int:
        """A private photo or document from a user (`kind`: "photo" | "document"), with a caption."""
        message = self._user_message(user_id, "", None, "private")
        del message["text"]
        number = next(self._file_ids)
        if kind == "photo":
            message["photo"] = [
                {"file_id": f"user-photo-{number}-s", "file_unique_id": f"u{number}s", "width": 90, "height": 90},
                {"file_id": f"user-photo-{number}", "file_unique_id": f"u{number}", "width": 800, "height": 600},
            ]
        else:
            message["document"] = {"file_id": f"user-doc-{number}", "file_unique_id": f"d{number}", "file_name": name}
        if caption:
            message["caption"] = caption
        return self.push({"update_id": next(self._update_ids), "message": message})

    def push_callback(self, user_id: int, data: str, message_id: int, *, chat_id: int | None = None) -> int:
        chat = chat_id if chat_id is not None else user_id
        sent = self._messages[(chat, message_id)]
        query_id = f"cb{next(self._callback_ids)}"
        self.callbacks.add(query_id)
        message = self._as_message(sent)
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": query_id,
                "from": self._user(user_id),
                "message": message,
                "chat_instance": f"ci{chat}",
                "data": data,
            },
        }
        return self.push(update)

    def last_update(self) -> dict[str, Any]:
        return (self._updates or self._forced)[-1]

    def outbox(self, chat_id: int) -> list[dict[str, Any]]:
        """Everything the bot did in a chat, in order: sendMessage / editMessageText entries."""
        return list(self._events.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> Sent:
        return self._messages[(chat_id, message_id)]

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def stats(self) -> dict[str, Any]:
        """Flood-control figures: what a benchmark or a pacing test checks."""
        times = self.send_times
        return {
            "sent": len(times),
            "chats": len(self.delivered),
            "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
            "too_many": self.too_many,
            "chat_too_fast": self.chat_too_fast,
            "first": times[0] if times else None,
            "last": times[-1] if times else None,
            "max_per_second": max_in_window(times, 1.0),
            "uploads": self.uploads,
        }

    async def _stats(self, request: web.Request) -> web.Response:
        stats = self.stats()
        if request.query.get("times"):
            stats["times"] = self.send_times
        return web.json_response(stats)

    # --- objects ------------------------------------------------------------------------------

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"Người dùng {user_id}", "language_code": "vi"}

    @staticmethod
    def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"Người dùng {chat_id}"
        else:
            chat["title"] = "Nhóm phụ huynh"
        return chat

    def _user_message(self, user_id: int, text: str, chat_id: int | None, chat_type: str) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else user_id
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat, chat_type),
            "from": self._user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return message

    def _as_message(self, sent: Sent) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": self._chat(sent.chat_id, "private" if sent.chat_id > 0 else "group"),
            "from": BOT_USER,
            "text": sent.text,
        }
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    # --- HTTP ---------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:  # application/x-www-form-urlencoded and multipart/form-data
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, str):
                        params[key] = value
                    else:
                        params[key] = value.file.read()
                        params[f"{key}_filename"] = value.filename
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str | bytes):
                params[key] = json.loads(params[key])
        return params

    async def _route(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        try:
            params = await self._params(request)
        except (ValueError, json.JSONDecodeError):
            return self._error(ApiError(400, "Bad Request: can't parse request body"))
        self.calls.append((method, params))
        self.call_times.append(time.monotonic())
        if not self._unstalled.is_set():
            await self._unstalled.wait()
            return self._error(ApiError(502, "Bad Gateway: the server was stopped"))
        try:
            self._injected(method)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except ApiError as exc:
            return self._error(exc)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(exc: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return web.json_response(body, status=exc.code)

    def _injected(self, method: str) -> None:
        for failure in self._failures:
            if failure.method == method and failure.times > 0:
                failure.times -= 1
                if failure.code == 429 and failure.retry_after and method.startswith("send"):
                    # As Telegram: after a 429, every send is refused until retry_after has passed.
                    self._blocked_until = time.monotonic() + failure.retry_after
                raise ApiError(failure.code, failure.description, failure.retry_after)

    def _flood_control(self, chat_id: int) -> None:
        """Telegram's limits, checked when a send arrives; raises 429 when one is broken."""
        now = time.monotonic()
        if now < self._blocked_until:
            self.too_many += 1
            raise ApiError(429, "Too Many Requests: retry after", max(1, math.ceil(self._blocked_until - now)))
        if self.rate_limit is not None:
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate_limit:
                self.too_many += 1
                self._blocked_until = now + self.flood_wait
                raise ApiError(429, f"Too Many Requests: retry after {self.flood_wait}", self.flood_wait)
        if self.per_chat_interval is not None and now - self._chat_last.get(chat_id, -1e9) < self.per_chat_interval:
            self.chat_too_fast += 1
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            raise ApiError(400, "Bad Request: chat not found")
        self._window.append(now)
        self._chat_last[chat_id] = now
        self.send_times.append(now)
        self.delivered[chat_id] += 1

    # --- methods ------------------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        self.get_updates_calls += 1
        self.waiting_polls += 1
        try:
            return await self._long_poll(params)
        finally:
            self.waiting_polls -= 1

    async def _long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if self._updates or self._forced:
                batch = self._forced[:limit]
                del self._forced[: len(batch)]
                batch += self._updates[: limit - len(batch)]
                return batch
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self._closing:
                return []
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return []

    @staticmethod
    def _check_text(params: dict[str, Any]) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        if params.get("parse_mode"):
            raise ApiError(400, "Bad Request: this fake expects plain text (no parse_mode)")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        text = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        if self.latency:
            await asyncio.sleep(self.latency)
        self._flood_control(chat_id)
        sent = Sent(chat_id, next(self._message_ids), text, markup)
        self._messages[(chat_id, sent.message_id)] = sent
        self._events.setdefault(chat_id, []).append(
            {"method": "sendMessage", "message_id": sent.message_id, "text": text, "buttons": sent.buttons}
        )
        return self._as_message(sent)

    async def _media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """sendPhoto / sendDocument: a multipart upload (kept whole, so tests can open what the bot
        sent) or the file_id of a file Telegram already holds (reused, no upload)."""
        chat_id = int(params["chat_id"])
        caption = params.get("caption") or ""
        if _utf16_len(caption) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        if params.get("parse_mode"):
            raise ApiError(400, "Bad Request: this fake expects plain text (no parse_mode)")
        media, filename = params.get(kind), params.get(f"{kind}_filename")
        if isinstance(media, str) and media.startswith("attach://"):  # the file sits in its own form field
            field_name = media.removeprefix("attach://")
            media, filename = params.get(field_name), params.get(f"{field_name}_filename")
        data: bytes | None = None
        if isinstance(media, bytes):
            if not media:
                raise ApiError(400, "Bad Request: file must be non-empty")
            self.uploads += 1
            data, file_id = media, f"{kind}-{next(self._file_ids)}"
        elif isinstance(media, str) and media:
            file_id = media
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        markup = self._check_markup(params.get("reply_markup"))
        if self.latency:
            await asyncio.sleep(self.latency)
        self._flood_control(chat_id)
        sent = Sent(chat_id, next(self._message_ids), caption, markup)
        self._messages[(chat_id, sent.message_id)] = sent
        self._events.setdefault(chat_id, []).append(
            {
                "method": f"send{kind.capitalize()}",
                "message_id": sent.message_id,
                "text": caption,
                "buttons": sent.buttons,
                "file_id": file_id,
                "filename": filename,
                "data": data,
            }
        )
        message = self._as_message(sent)
        message.pop("text", None)
        message["caption"] = caption
        if kind == "photo":
            message["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}]
        else:
            message["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": filename}
            if data is not None:
                message["document"]["file_size"] = len(data)
        return message

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._media(params, "photo")

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._media(params, "document")

    def _find(self, params: dict[str, Any]) -> Sent:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self._messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self._messages[key]

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._find(params)
        text = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        if text == sent.text and markup == sent.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same",
            )
        sent.text, sent.reply_markup = text, markup
        self._events.setdefault(sent.chat_id, []).append(
            {"method": "editMessageText", "message_id": sent.message_id, "text": text, "buttons": sent.buttons}
        )
        return self._as_message(sent)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._find(params)
        sent.reply_markup = self._check_markup(params.get("reply_markup"))
        return self._as_message(sent)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self.callbacks or query_id in self.answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answered.add(query_id)
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not 1 <= len(command["command"]) <= 32 or not 1 <= len(command["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True


def max_in_window(times: list[float], window: float) -> int:
    """The most sends that fell within any `window` seconds (times sorted)."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _serve(args: argparse.Namespace) -> None:
    fake = await FakeBotApi(args.token, rate_limit=args.rate, flood_wait=args.flood_wait).start(args.port)
    print(f"PORT {fake.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API on 127.0.0.1, for benchmarks")
    parser.add_argument("--token", default="123456:BENCH")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=int, default=30, help="sends allowed in any sliding second")
    parser.add_argument("--flood-wait", type=int, default=3, help="retry_after of a 429")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))
