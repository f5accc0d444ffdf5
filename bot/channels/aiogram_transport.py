"""The broadcast sender's transport on aiogram: one Bot API call per message, aiogram's
exceptions translated into the sender's typed errors (bot/broadcast/transport.py)."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import FSInputFile, Message

from bot.broadcast.transport import Down, OutMessage, Rejected, RetryAfter, Temporary, Unreachable
from bot.config import Config

GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated", "bot was blocked")


class AiogramTransport:
    prefix = "tg:"

    def __init__(self, bot: Bot, *, own_session: bool = False) -> None:
        self.bot = bot
        self.own_session = own_session

    @classmethod
    def from_config(cls, config: Config) -> AiogramTransport:
        """A Bot of its own (its own HTTP connections), so broadcasts never queue behind chats."""
        session = AiohttpSession(api=TelegramAPIServer.from_base(config.get("TELEGRAM_API_BASE")))
        return cls(Bot(config.token, session=session), own_session=True)

    async def send(self, chat: str, message: OutMessage) -> str | None:
        chat_id = int(chat)
        if message.upload and not (message.media and Path(message.media).is_file()):
            raise Rejected(f"media file missing: {message.media_name or 'unnamed'}")
        try:
            if message.media_kind == "photo":
                photo = FSInputFile(message.media, filename=message.media_name) if message.upload else message.media
                sent = await self.bot.send_photo(chat_id, photo=photo, caption=message.text)
            elif message.media_kind == "document":
                document = FSInputFile(message.media, filename=message.media_name) if message.upload else message.media
                sent = await self.bot.send_document(chat_id, document=document, caption=message.text)
            else:
                await self.bot.send_message(chat_id, message.text)
                return None
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after)) from None
        except TelegramForbiddenError as exc:
            raise Unreachable("blocked") from exc
        except (TelegramBadRequest, TelegramNotFound) as exc:
            if any(sign in exc.message.lower() for sign in GONE):
                raise Unreachable("chat_not_found") from exc
            raise Rejected(exc.message) from exc
        except TelegramEntityTooLarge as exc:
            raise Rejected(exc.message) from exc
        except TelegramServerError as exc:
            raise Temporary(exc.message) from exc
        except TelegramUnauthorizedError as exc:  # a wrong token fails every chat: wait, do not burn attempts
            raise Down("unauthorized: check TELEGRAM_BOT_TOKEN") from exc
        except TelegramNetworkError as exc:
            raise Down(exc.message) from exc
        except (OSError, TimeoutError) as exc:
            raise Down(str(exc) or type(exc).__name__) from exc
        return _file_id(sent, message.media_kind)

    async def close(self) -> None:
        if self.own_session:
            await self.bot.session.close()


def _file_id(sent: Message, kind: str | None) -> str | None:
    if kind == "photo" and sent.photo:
        return sent.photo[-1].file_id
    if kind == "document" and sent.document:
        return sent.document.file_id
    return None
