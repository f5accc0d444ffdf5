"""A local fake Telegram Bot API server for end-to-end channel tests, over real HTTP.

Serves `/bot<token>/<method>` (GET or POST; JSON, form-urlencoded or multipart bodies) with
Telegram's envelope `{"ok": true, "result": ...}`. Tests push user updates (messages, button
presses, private or group), read what the bot sent per chat and in order, and can make the next
call(s) of a method fail with 429 (retry_after), 403 or 400.

    fake = FakeBotApi(token)
    await fake.start()                  # fake.base → TELEGRAM_API_BASE
    update_id = fake.push_text(user_id=7, text="/start")
    ...
    fake.outbox(7)                      # [{"method": "sendMessage", "text": ..., "buttons": [...]}, ...]
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "An Toàn Số", "username": "antoanso_test_bot"}
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options"}


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
        self._closing = False

    # --- server -------------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._route)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._arrived.set()
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
                raise ApiError(failure.code, failure.description, failure.retry_after)

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
        sent = Sent(chat_id, next(self._message_ids), text, markup)
        self._messages[(chat_id, sent.message_id)] = sent
        self._events.setdefault(chat_id, []).append(
            {"method": "sendMessage", "message_id": sent.message_id, "text": text, "buttons": sent.buttons}
        )
        return self._as_message(sent)

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        """A file upload (multipart): kept whole, so tests can open what the bot sent."""
        chat_id = int(params["chat_id"])
        data = params.get("document")
        if isinstance(data, str) and data.startswith("attach://"):  # the file sits in its own form field
            field_name = data.removeprefix("attach://")
            data, params["document_filename"] = params.get(field_name), params.get(f"{field_name}_filename")
        if not isinstance(data, bytes) or not data:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = params.get("caption") or ""
        if _utf16_len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        sent = Sent(chat_id, next(self._message_ids), caption, markup)
        self._messages[(chat_id, sent.message_id)] = sent
        self._events.setdefault(chat_id, []).append(
            {
                "method": "sendDocument",
                "message_id": sent.message_id,
                "text": caption,
                "buttons": sent.buttons,
                "filename": params.get("document_filename"),
                "data": data,
            }
        )
        message = self._as_message(sent)
        message.pop("text", None)
        message["caption"] = caption
        message["document"] = {
            "file_id": f"doc{sent.message_id}",
            "file_unique_id": f"u{sent.message_id}",
            "file_name": params.get("document_filename"),
            "file_size": len(data),
        }
        return message

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
