"""The web server's own error log, without what the request carried.

aiohttp logs a request it cannot parse (a header over 8 KB, too many headers, a bad header
name) as "Error handling request from <address>" with the parser's exception, and that exception
quotes the offending line: a visitor's session cookie, or any other header value, would land in
the log. The record keeps what went wrong (status and kind of error), never the address or the
bytes of the request.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

LOGGER_NAME = "bot.web.http"


class RequestRedactor(logging.Filter):
    """Rewrites the server's error records: no client address, no quoted request bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "Refused a malformed HTTP request (%s %s); its content is not logged"
            record.args = (exc.code, type(exc).__name__)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"  # the client's fault, not ours
        elif isinstance(record.msg, str) and record.msg.startswith("Error handling request"):
            record.msg, record.args = "Error handling a request (client address not logged)", ()
        return True


def server_logger() -> logging.Logger:
    """The logger to hand aiohttp's request handler (`AppRunner(..., logger=…)`)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(f, RequestRedactor) for f in logger.filters):
        logger.addFilter(RequestRedactor())
    return logger
