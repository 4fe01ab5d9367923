"""Log hygiene: what reaches a log line is escaped, capped and free of configured secrets.

Values that end up in log lines often come from outside — a request path, a header, a
Slack ``type`` field. A newline in one of them could forge a whole log record
(``/x%0a2026-01-01 00:00:00,000 INFO leadbot.http: FORGED``), an ANSI escape could
rewrite the operator's terminal, and a 900 kB value makes one unreadable line. So:

* :func:`printable` escapes every control character (``\\n`` -> ``\\\\n``,
  ``\\x1b`` -> ``\\\\x1b``) and caps the length — for values a caller logs on purpose;
* :class:`SafeFormatter` escapes control characters in every rendered message and
  indents the continuation lines of a multi-line message, so no record can look like a
  second one; the traceback text of ``exc_info`` keeps its own layout;
* :class:`RedactSecrets` replaces the configured secrets (API token, bot tokens, signing
  secrets — every ``SecretStr`` in the settings) wherever they appear, whatever logger
  or level wrote them: a library that prints a URL with the Telegram bot token in it
  writes ``bot***`` instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
CONTINUATION = "\n    "
REDACTED = "***"
MIN_SECRET_LENGTH = 6  # shorter values would blank out ordinary words


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def printable(value: object, limit: int = 200) -> str:
    """``value`` as one safe log token: control characters escaped, at most ``limit`` chars."""
    text = _CONTROL.sub(_escape, str(value))
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit} chars)"


class SafeFormatter(logging.Formatter):
    """A formatter whose message part cannot forge a record or carry terminal escapes.

    It also computes the time stamp's date and time once per second: ``time.localtime``
    (glibc looks at ``/etc/localtime`` on every call when ``TZ`` is not set) and
    ``strftime`` were a seventh of a busy server's CPU in a burst of 200 Slack presses,
    one access line each.
    """

    _cached: tuple[int, str] = (-1, "")  # one tuple: threads never see half an update

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second, stamp = self._cached
        if int(record.created) != second:
            stamp = time.strftime(self.default_time_format, self.converter(record.created))
            self._cached = (int(record.created), stamp)
        return self.default_msec_format % (stamp, record.msecs)

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = _CONTROL_BUT_NEWLINE.sub(_escape, record.message)
        record.message = message.replace("\r", "\\r").replace("\n", CONTINUATION)
        return super().formatMessage(record)


_ADDRESS = re.compile(r"[^\s<>@\"',;:()\[\]]+@(?=[^\s<>@]+)")


def without_addresses(text: str) -> str:
    """``text`` with the person part of each e-mail address hidden (``***@alpen-it.de``):
    a mail server's refusal quotes the recipient, and the log holds no personal data. The
    domain stays — it names a company and tells the operator which server to look at. (The
    outbox row keeps the whole text: staff see whose address failed.)"""
    return _ADDRESS.sub(REDACTED + "@", text)


def without_password(url: str, text: str) -> str:
    """``text`` without the password of database ``url``, should a driver's message ever
    quote it (a command's one-line database error)."""
    password = make_url(url).password
    return text.replace(password, "***") if password else text


def secret_values(settings: BaseModel) -> list[str]:
    """Every ``SecretStr`` value configured anywhere in ``settings`` (nested too)."""
    return sorted({s for s in _walk(settings) if len(s) >= MIN_SECRET_LENGTH}, key=len)[::-1]


def log_secrets(settings: Any) -> list[str]:
    """What no log line may show: every configured secret and the passwords in the
    database and Redis URLs (a :class:`bot.config.Settings`)."""
    passwords = [_url_password(url) for url in (settings.database.url, settings.redis.url)]
    return [*secret_values(settings), *(p for p in passwords if p)]


def _url_password(url: str) -> str | None:
    """The password in a database or Redis URL (``postgresql://user:pw@host/db``)."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value().strip()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


class RedactSecrets(logging.Filter):
    """A handler filter that replaces each known secret in the rendered record.

    Works on the final text (message with its arguments, and the exception text), so it
    catches secrets however a library formats them. Install it on the *handlers*: a
    logger's own filters do not see records propagated from child loggers.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text
