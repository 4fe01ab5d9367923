"""Signing in to the cockpit: a one-time link works once; reused, expired and forged links
and cookies are refused with a page that says how to get a link; only staff get links."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from bot.actors import Actor
from bot.clock import ManualClock
from bot.cockpit.links import NotStaff, create_login_link
from bot.models import Channel
from tests.support.botserver import running_bot
from tests.support.cli import leadbot
from tests.support.factories import lead_payload

SECRET = "a-test-secret-of-some-length"


@pytest.fixture
def cockpit_settings(make_settings: Any) -> Any:
    return make_settings(
        cockpit={"secret": SECRET, "session_hours": 2},
        server={"public_url": "http://leads.example.com"},
        staff={"language": "en"},
    )


def _token(link: str) -> str:
    match = re.fullmatch(r"https?://leads\.example\.com/cockpit/login\?token=([\w-]+)", link)
    assert match, link
    return match.group(1)


async def _sign_in(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/cockpit/login", data={"token": token})


async def test_link_works_once_and_the_session_ends(cockpit_settings: Any) -> None:
    clock = ManualClock()
    async with running_bot(cockpit_settings, clock=clock) as bot:
        async with bot.runtime.uow() as uow:
            link = await create_login_link(uow, Actor.staff(Channel.CLI, name="anna"))
        token = _token(link)
        async with httpx.AsyncClient(base_url=bot.url) as http:
            first = await http.get("/cockpit")
            assert first.status_code == 401
            assert "leadbot cockpit link" in first.text and "/leads cockpit" in first.text
            # Opening the link shows a button; a link preview that fetches it uses nothing up.
            shown = await http.get(f"/cockpit/login?token={token}")
            assert shown.status_code == 200 and 'name="token"' in shown.text
            assert "<title>leadbot cockpit</title>" in shown.text  # its name once
            signed = await _sign_in(http, token)
            assert signed.status_code == 303 and signed.headers["location"] == "/cockpit"
            cookie = signed.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=7200" in cookie
            assert "Path=/cockpit" in cookie
            page = await http.get("/cockpit")
            assert page.status_code == 200 and "Signed in as anna ·" in page.text
            assert 'title="cli (anna)"' in page.text  # the session's whole label, on hover
            assert page.headers["content-security-policy"].startswith("default-src 'none'")

        async with httpx.AsyncClient(base_url=bot.url) as other:
            reused = await _sign_in(other, token)
            assert reused.status_code == 401 and "not valid any more" in reused.text
            assert "leadbot_cockpit" not in reused.headers.get("set-cookie", "")
            # Opened again, the spent link says so at once: no button that can only fail.
            again = await other.get(f"/cockpit/login?token={token}")
            assert again.status_code == 401 and "not valid any more" in again.text
            assert 'name="token"' not in again.text

        async with httpx.AsyncClient(base_url=bot.url) as http:
            await _sign_in(http, _token(await _link(bot)))
            clock.advance(hours=2, seconds=1)  # the session lasts [cockpit] session_hours
            assert (await http.get("/cockpit")).status_code == 401


async def _link(bot: Any) -> str:
    async with bot.runtime.uow() as uow:
        return await create_login_link(uow, Actor.staff(Channel.CLI, name="anna"))


async def test_expired_and_forged_links_and_cookies_are_refused(cockpit_settings: Any) -> None:
    clock = ManualClock()
    async with running_bot(cockpit_settings, clock=clock) as bot:
        stale = _token(await _link(bot))
        clock.advance(minutes=15, seconds=1)
        async with httpx.AsyncClient(base_url=bot.url) as http:
            for spent in (stale, "made-up-token", "x" * 300):
                opened = await http.get("/cockpit/login", params={"token": spent})
                assert opened.status_code == 401 and "not valid any more" in opened.text
            assert (await _sign_in(http, stale)).status_code == 401
            assert (await _sign_in(http, "made-up-token")).status_code == 401
            assert (await _sign_in(http, "")).status_code == 401

            await _sign_in(http, _token(await _link(bot)))
            good = http.cookies["leadbot_cockpit"]
            body, mac = good.split(".")
            forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
            for value in (forged, body + "." + "x" * len(mac), "garbage", ""):
                http.cookies.set("leadbot_cockpit", value, path="/cockpit")
                refused = await http.get("/cockpit/partners")
                assert refused.status_code == 401, value
                assert "one-time link" in refused.text


def test_only_staff_get_links_and_the_secret_is_required(
    database_url: str, cockpit_settings: Any
) -> None:
    import asyncio

    from bot.runtime import Runtime

    async def as_rep() -> None:
        runtime = Runtime.create(cockpit_settings)
        try:
            async with runtime.uow() as uow:
                with pytest.raises(NotStaff):
                    await create_login_link(uow, Actor.rep(Channel.SLACK, 1, "P1", "rep"))
        finally:
            await runtime.close()

    asyncio.run(as_rep())

    refused = leadbot(database_url, "cockpit", "link")
    assert refused.exit_code == 2 and "LEADBOT_COCKPIT__SECRET" in refused.output
    made = leadbot(
        database_url,
        "cockpit",
        "link",
        LEADBOT_COCKPIT__SECRET=SECRET,
        LEADBOT_SERVER__PUBLIC_URL="https://leads.example.com",
    )
    assert made.exit_code == 0
    _token(made.output.strip())
    for name, problem in (
        ("x\x1b[31m", "contains a control character (U+001B)"),
        ("a" * 101, "at most 100 characters"),
        (" \u200b", "must not be blank"),
    ):
        bad = leadbot(
            database_url, "cockpit", "link", "--name", name, LEADBOT_COCKPIT__SECRET=SECRET
        )
        assert bad.exit_code == 2 and f"--name: {problem}" in bad.output, bad.output


def test_a_link_on_an_ipv6_host_is_a_url_a_browser_opens(database_url: str) -> None:
    """``[server] host = "::1"`` (or ``serve --host ::1``) without a public_url: the links
    read ``http://::1:8080/…``, which no browser or mail client takes for an address; an
    IPv6 host is written in brackets, as in every URL."""
    made = leadbot(
        database_url, "cockpit", "link", LEADBOT_COCKPIT__SECRET=SECRET, LEADBOT_SERVER__HOST="::1"
    )
    assert made.exit_code == 0, made.output
    assert made.output.startswith("http://[::1]:8080/cockpit/login?token="), made.output


async def test_without_a_secret_the_cockpit_says_what_to_set(make_settings: Any) -> None:
    """In the reader's language (the details were English on German pages)."""
    settings = make_settings(staff={"language": "en"})
    async with running_bot(settings) as bot, httpx.AsyncClient(base_url=bot.url) as http:
        page = await http.get("/cockpit")
        german = await http.get("/cockpit?lang=de")
    assert page.status_code == 503 and "LEADBOT_COCKPIT__SECRET" in page.text
    assert "needs a signing secret of at least 16 characters" in page.text
    # python3: Debian and Ubuntu have no `python` outside a venv (the secret came out empty)
    assert "python3 -c" in page.text and "python3 -c" in german.text
    assert german.status_code == 503
    assert (
        "Das Cockpit braucht ein Signier-Geheimnis von mindestens 16 Zeichen in der Umgebung: "
        "LEADBOT_COCKPIT__SECRET setzen" in german.text
    )


async def test_behind_https_the_cookie_is_secure(make_settings: Any) -> None:
    settings = make_settings(
        cockpit={"secret": SECRET}, server={"public_url": "https://leads.example.com"}
    )
    async with running_bot(settings) as bot, httpx.AsyncClient(base_url=bot.url) as http:
        signed = await _sign_in(http, _token(await _link(bot)))
        # httpx keeps Secure cookies for https only: carry the session over by hand.
        session = {"Cookie": f"leadbot_cockpit={signed.cookies['leadbot_cockpit']}"}
        switched = await http.get("/cockpit?lang=de", headers=session)
    assert "Secure" in signed.headers["set-cookie"]
    # The language cookie too (it was sent over plain http as well, and readable by
    # scripts, unlike the session's): the same flags as the session cookie.
    lang_cookie = switched.headers["set-cookie"]
    assert lang_cookie.startswith("leadbot_lang=de;"), lang_cookie
    assert "Secure" in lang_cookie and "HttpOnly" in lang_cookie and "SameSite=lax" in lang_cookie


def test_session_hours_is_validated() -> None:
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"cockpit\.session_hours"):
        load_settings(
            "/nonexistent.toml", {"LEADBOT_COCKPIT__SESSION_HOURS": "0"}, must_exist=False
        )


async def test_names_from_leads_are_escaped_on_pages_and_in_charts(make_settings: Any) -> None:
    settings = make_settings(
        cockpit={"secret": SECRET},
        server={"api_token": "t0ken", "public_url": "http://leads.example.com"},
        staff={"language": "en"},
    )
    evil = "<script>alert(1)</script> --> <img src=x onerror=alert(2)>"
    async with running_bot(settings) as bot, httpx.AsyncClient(base_url=bot.url) as http:
        answer = await http.post(
            "/api/leads",
            json=lead_payload(campaign=evil),
            headers={"Authorization": "Bearer t0ken"},
        )
        assert answer.status_code == 201
        await _sign_in(http, _token(await _link(bot)))
        pages = [await http.get(path) for path in ("/cockpit/campaigns", "/cockpit/leads")]
    for page in pages:
        assert page.status_code == 200
        assert "<script>" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text


async def test_signing_out_is_a_form_another_site_cannot_send(cockpit_settings: Any) -> None:
    """*Sign out* was a link, ``GET /cockpit/logout``: any page (an image, a link, a
    redirect) signed staff out. Now it is a button that posts, and only a request that
    carries the session (which the browser leaves out of other sites' posts: SameSite=Lax)
    ends it; the cookie is deleted with the flags it was set with."""
    async with running_bot(cockpit_settings) as bot, httpx.AsyncClient(base_url=bot.url) as http:
        await _sign_in(http, _token(await _link(bot)))
        page = await http.get("/cockpit")
        assert '<form method="post" action="/cockpit/logout"' in page.text
        assert 'href="/cockpit/logout"' not in page.text

        assert (await http.get("/cockpit/logout")).status_code == 405
        assert (await http.get("/cockpit")).status_code == 200  # still signed in

        async with httpx.AsyncClient(base_url=bot.url) as other_site:
            forged = await other_site.post("/cockpit/logout")
        assert forged.status_code == 303 and "set-cookie" not in forged.headers

        out = await http.post("/cockpit/logout")
        assert out.status_code == 303 and out.headers["location"] == "/cockpit"
        cookie = out.headers["set-cookie"]
        assert cookie.startswith('leadbot_cockpit=""') and "Max-Age=0" in cookie
        assert "HttpOnly" in cookie and "Path=/cockpit" in cookie
        assert (await http.get("/cockpit")).status_code == 401


async def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(
    cockpit_settings: Any,
) -> None:
    """The session lived only in the cookie: *Sign out* deleted it in one browser, and a
    copy (another browser, a shared computer's profile) stayed valid for session_hours."""
    async with (
        running_bot(cockpit_settings) as bot,
        httpx.AsyncClient(base_url=bot.url) as http,
        httpx.AsyncClient(base_url=bot.url) as copy,
    ):
        await _sign_in(http, _token(await _link(bot)))
        copy.cookies.set("leadbot_cockpit", http.cookies["leadbot_cockpit"], path="/cockpit")
        assert (await copy.get("/cockpit")).status_code == 200
        assert (await http.post("/cockpit/logout")).status_code == 303
        refused = await copy.get("/cockpit/partners")
        assert refused.status_code == 401 and "one-time link" in refused.text
        await _sign_in(http, _token(await _link(bot)))  # a new link starts a new session
        assert (await http.get("/cockpit")).status_code == 200


async def test_end_sessions_signs_everyone_out(cockpit_settings: Any, database_url: str) -> None:
    """A lost laptop, someone who left: ``leadbot cockpit end-sessions`` ends them all."""
    async with (
        running_bot(cockpit_settings) as bot,
        httpx.AsyncClient(base_url=bot.url) as anna,
        httpx.AsyncClient(base_url=bot.url) as ben,
    ):
        for http in (anna, ben):
            await _sign_in(http, _token(await _link(bot)))
            assert (await http.get("/cockpit")).status_code == 200
        result = await asyncio.to_thread(leadbot, database_url, "cockpit", "end-sessions")
        assert result.exit_code == 0, result.output
        assert "2 cockpit sessions ended; signing in again takes a new link" in result.stdout
        for http in (anna, ben):
            assert (await http.get("/cockpit")).status_code == 401
        again = await asyncio.to_thread(leadbot, database_url, "cockpit", "end-sessions")
        assert "0 cockpit sessions ended" in again.stdout


async def _answer_to(url: str, head: bytes, body: bytes) -> bytes:
    """The first bytes the server answers to ``head`` and ``body`` on a fresh connection,
    with the connection held open afterwards (a body announced as larger stays unsent)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(200), timeout=10)
    finally:
        writer.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_sign_in_larger_than_a_form_is_refused_before_it_is_read(
    cockpit_settings: Any, chunked: bool
) -> None:
    """The sign-in form sends one token (43 characters). ``POST /cockpit/login`` read
    whatever body came — to anyone, before any check — and only then looked at its first
    4 KB: a few requests of a few hundred MB each filled the server's memory. Now a body
    over 4 KB is a 413 page as soon as it says so (or grows past it), unread."""
    async with running_bot(cockpit_settings) as bot:
        start = b"POST /cockpit/login HTTP/1.1\r\nHost: x\r\n"
        start += b"Content-Type: application/x-www-form-urlencoded\r\n"
        if chunked:  # no length given: 64 KB sent, the end never comes
            head = start + b"Transfer-Encoding: chunked\r\n\r\n"
            body = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
        else:  # 200 MB announced, 64 KB sent
            head = start + b"Content-Length: %d\r\n\r\n" % (200 * 1024 * 1024)
            body = b"token=" + b"a" * 65530
        answer = await _answer_to(bot.url, head, body)
    assert answer.startswith(b"HTTP/1.1 413 "), answer


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_another_site_cannot_sign_a_browser_in_or_out(
    cockpit_settings: Any, site: str
) -> None:
    """Login CSRF: a page elsewhere that posts someone's link token to ``/cockpit/login``
    signed the visitor's browser into that session (and a sibling subdomain, whose posts
    carry the ``SameSite=Lax`` cookie, could sign it out). A browser says where a request
    comes from (``Sec-Fetch-Site``): from another site the cockpit answers 403 and changes
    nothing — the link stays unused; from the cockpit's own button (``same-origin``) and
    from clients that send no such header it works as before."""
    async with running_bot(cockpit_settings) as bot, httpx.AsyncClient(base_url=bot.url) as http:
        token = _token(await _link(bot))
        forged = await http.post(
            "/cockpit/login", data={"token": token}, headers={"Sec-Fetch-Site": site}
        )
        assert forged.status_code == 403 and "set-cookie" not in forged.headers
        assert "<title>Request from another website" in forged.text, forged.text
        german = await http.post(
            "/cockpit/login",
            data={"token": token},
            headers={"Sec-Fetch-Site": site, "Accept-Language": "de"},
        )
        assert "<title>Anfrage von einer anderen Website" in german.text, german.text
        own = await http.post(
            "/cockpit/login", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"}
        )
        assert own.status_code == 303, own.text  # the link was not used up by the forgery
        out = await http.post("/cockpit/logout", headers={"Sec-Fetch-Site": site})
        assert out.status_code == 403 and "set-cookie" not in out.headers
        assert (await http.get("/cockpit")).status_code == 200
