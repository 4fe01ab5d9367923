"""Starting the e-mail channel: what it needs, what it refuses, what it adds to the server."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.models import Platform
from bot.runtime import Runtime
from bot.web.parts import platform_parts
from tests.support.cli import leadbot
from tests.support.email_world import FROM, LINK_SECRET
from tests.support.serveproc import serve


async def parts_with(make_settings, **email: object):
    settings = make_settings(email={"enabled": True, **email}, console={"enabled": False})
    runtime = Runtime.create(settings)
    try:
        return platform_parts(runtime)
    finally:
        await runtime.close()


@pytest.mark.parametrize(
    ("email", "named"),
    [
        ({"link_secret": LINK_SECRET}, "[email] from_address"),
        ({"from_address": FROM}, "LEADBOT_EMAIL__LINK_SECRET"),
        ({"from_address": FROM, "link_secret": "short"}, "at least 32 characters"),
        (
            {"from_address": FROM, "link_secret": LINK_SECRET, "username": "bot"},
            "LEADBOT_EMAIL__PASSWORD",
        ),
    ],
)
async def test_enabled_email_needs_a_sender_and_a_link_secret(make_settings, email, named) -> None:
    with pytest.raises(ConfigError) as caught:
        await parts_with(make_settings, **email)
    assert named in str(caught.value)
    assert LINK_SECRET not in str(caught.value) and "short" not in str(caught.value)


async def test_enabled_email_adds_its_transport_links_and_purge(make_settings) -> None:
    parts = await parts_with(make_settings, from_address=FROM, link_secret=LINK_SECRET)
    assert Platform.EMAIL in parts.transports
    routes = {(r.path, m) for router in parts.routers for r in router.routes for m in r.methods}
    assert routes == {
        (path, method)
        for path in ("/email/act", "/email/unsubscribe")
        for method in ("GET", "HEAD", "POST")
    }
    assert [job.__name__ for job in parts.background] == ["email-link-purge"]  # task:<name>


def test_secrets_are_refused_in_the_file(tmp_path: Path) -> None:
    for key in ("password", "link_secret"):
        config = tmp_path / f"{key}.toml"
        config.write_text(f'[email]\nenabled = true\n{key} = "hunter2-in-the-file"\n')
        with pytest.raises(ConfigError) as caught:
            load_settings(config, {})
        assert f"LEADBOT_EMAIL__{key.upper()}" in str(caught.value)
        assert "hunter2" not in str(caught.value)


def test_bad_email_settings_are_named(tmp_path: Path) -> None:
    cases = {
        'from_address = "not-an-address"': "from_address: not an e-mail address",
        f'from_address = "{"l" * 65}@mail.example"': (
            "email.from_address: the part before the @ has 65 characters; at most 64"
        ),
        "starttls = true\ntls = true": "email.tls: choose starttls or tls, not both",
        "port = 0": "email.port",
        "link_days = 0": "email.link_days",
    }
    for line, message in cases.items():
        config = tmp_path / "bot.toml"
        config.write_text(f"[email]\n{line}\n")
        with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
            load_settings(config, {})


def test_serve_stops_with_a_clear_message_without_the_link_secret(database_url: str) -> None:
    result = leadbot(
        database_url,
        "serve",
        "--port",
        "0",
        LEADBOT_EMAIL__ENABLED="true",
        LEADBOT_EMAIL__FROM_ADDRESS=FROM,
        LEADBOT_EMAIL__PASSWORD="pa55word-secret",
    )
    assert result.exit_code == 2
    assert "LEADBOT_EMAIL__LINK_SECRET" in result.stderr
    assert "pa55word" not in result.stderr and "Traceback" not in result.stderr


def test_without_a_public_url_links_name_the_port_serve_listens_on(database_url: str) -> None:
    """No ``[server] public_url``: the links in mails are ``http://host:port`` — the port
    ``serve --port`` listens on (a free one here), not the file's 8080 where nothing
    answers."""
    with serve(
        database_url,
        LEADBOT_CONSOLE__ENABLED="false",
        LEADBOT_EMAIL__ENABLED="true",
        LEADBOT_EMAIL__FROM_ADDRESS=FROM,
        LEADBOT_EMAIL__LINK_SECRET=LINK_SECRET,
    ) as server:
        assert server.stop(signal.SIGTERM) == 0, server.output
    assert f"links in e-mails point to {server.url}" in server.output, server.output
