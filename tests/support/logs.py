"""Capturing the log as ``leadbot serve --log-level debug`` writes it, and checking it.

``capture_like_serve`` sets the levels ``serve`` sets (everything at DEBUG, the chatty
libraries of :data:`bot.cli.loglines.QUIET_LOGGERS` at WARNING), so a test sees every line
an operator would — and ``assert_clean_log`` fails on a forbidden word (a body, personal
data, a secret), a traceback, an ERROR record or a line long enough to be a body.
"""

from __future__ import annotations

import logging

import pytest

from bot.cli.loglines import QUIET_LOGGERS

MAX_LINE = 1000


def capture_like_serve(caplog: pytest.LogCaptureFixture) -> None:
    for name in QUIET_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    caplog.set_level(logging.DEBUG)  # last: each call also sets the capturing handler's level


def assert_clean_log(caplog: pytest.LogCaptureFixture, *forbidden: str) -> None:
    text = caplog.text
    for word in forbidden:
        assert word not in text, f"{word!r} was logged"
    assert "Traceback" not in text
    errors = [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
    long = [(r.name, len(r.getMessage())) for r in caplog.records if len(r.getMessage()) > MAX_LINE]
    assert not long, long
