"""The web chat channel (aiohttp): the same core and conversations as Telegram, in a browser."""

from bot.channels.web.server import WebChat

__all__ = ["WebChat"]
