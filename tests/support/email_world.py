"""E-mail end-to-end helpers: settings for the bot and a tiny browser for the link pages.

The bot sends through the test's SMTP server (``tests/emulators/smtp.py``); its links name
``PUBLIC_URL``, which :class:`Browser` maps onto the running bot's real address. Forms are
filled the way a person does it: open the link (GET), read the form on the page — hidden
token, the rep radio buttons by name, the fields — and press its button (POST).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx

from tests.emulators.smtp import SmtpServer

PUBLIC_URL = "https://leadbot.example"
LINK_SECRET = "test-link-secret-0123456789abcdef0123456789"
FROM = "leads@maker.example"


def email_section(smtp: SmtpServer, **overrides: Any) -> dict[str, Any]:
    """The ``[email]`` settings for the test's SMTP server."""
    return {
        "enabled": True,
        "host": smtp.host,
        "port": smtp.port,
        "from_address": FROM,
        "link_secret": LINK_SECRET,
        "per_second": 100.0,
        "burst": 100,
        **overrides,
    }


class _FormReader(HTMLParser):
    """The first form on a page: its fields, the rep choices by label, select options."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.radios: list[tuple[str, str]] = []  # (value, label)
        self.options: dict[str, list[str]] = {}
        self._radio: str | None = None
        self._select: str | None = None
        self._style = False
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._style = tag == "style"
        if tag == "input" and a.get("type") == "radio":
            self._radio = a.get("value", "")
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name", "")
            self.options[self._select] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            return
        if data.strip():
            self.texts.append(data.strip())
        if self._radio is not None and data.strip():
            self.radios.append((self._radio, data.strip()))
            self._radio = None


@dataclass
class Page:
    status: int
    html: str
    form: _FormReader = field(default_factory=_FormReader)

    @property
    def text(self) -> str:
        return " ".join(self.form.texts)

    @property
    def has_form(self) -> bool:
        return "t" in self.form.fields


class Browser:
    """Opens one-click links against the running bot and submits their forms."""

    def __init__(self, bot_url: str, accept_language: str = "de") -> None:
        self.http = httpx.AsyncClient(
            base_url=bot_url, headers={"Accept-Language": accept_language}, timeout=30
        )

    async def close(self) -> None:
        await self.http.aclose()

    def _path(self, url: str) -> str:
        assert url.startswith(PUBLIC_URL + "/email/act?t="), url
        return url.removeprefix(PUBLIC_URL)

    async def open(self, url: str, accept_language: str | None = None) -> Page:
        """GET ``url`` (as a browser whose language is ``accept_language``, if given)."""
        headers = {} if accept_language is None else {"Accept-Language": accept_language}
        response = await self.http.get(self._path(url), headers=headers)
        return self._page(response)

    async def submit(self, page: Page, *, rep: str | None = None, **fields: str) -> Page:
        """Press the page's button; ``rep`` picks the rep radio button by its label."""
        data = dict(page.form.fields)
        if rep is not None:
            data["rep"] = next(value for value, name in page.form.radios if name == rep)
        data.update(fields)
        response = await self.http.post("/email/act", data=data)
        return self._page(response)

    async def post(self, data: dict[str, str]) -> Page:
        """A raw POST, as a script (not the page) would send it."""
        response = await self.http.post("/email/act", data=data)
        return self._page(response)

    @staticmethod
    def _page(response: httpx.Response) -> Page:
        reader = _FormReader()
        reader.feed(response.text)
        return Page(response.status_code, response.text, reader)
