"""A wide fanout, as an operator would run one: ``leadbot serve`` in its own process against
the Slack and Telegram emulators (served from this process), N partners with a channel on
each platform, and leads posted over HTTP.

Used by the crash tests (tests/test_delivery_crash.py) and the benchmark (bench/fanout.py).
The bot is a real subprocess, so it can be killed with SIGKILL and started again on the
same database; the emulators keep their state across the restart, like the real platforms.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.models import OutboxMessage, OutboxStatus
from tests.emulators.fixtures import (
    SLACK_SIGNING_SECRET,
    SLACK_TOKEN,
    TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
)
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.cli import db_session, leadbot
from tests.support.factories import lead_payload
from tests.support.serveproc import Server, serve

API_TOKEN = "fanout-api-token"
STAFF_CHANNEL = "CSTAFF00001"
STAFF_GROUP = -1009999999999
PRODUCTS = (
    ("X200", "X-series", "basic"),
    ("X500", "X-series", "advanced"),
    ("C10", "Cloud", "basic"),
    ("S3", "Security", "advanced"),
)
PARTNER_COLUMNS = (
    "id,name,tier,certifications,employees,annual_revenue_eur,country,postal_code,lat,lon,"
    "service_radius_km,regions,segments,products,max_open_leads,languages,slack_channel,"
    "telegram_chat_id"
)


def channel(n: int) -> str:
    """The Slack channel of partner ``n``."""
    return f"C{n:08d}"


def group(n: int) -> int:
    """The Telegram group of partner ``n``."""
    return -1001000000000 - n


def rep_user(n: int) -> str:
    """The Slack user id of partner ``n``'s rep."""
    return f"U{n:08d}"


def telegram_user(n: int) -> int:
    """The Telegram user id of partner ``n``'s rep (with ``telegram_reps``)."""
    return 700_000_000 + n


def partner_id(n: int) -> str:
    return f"P{n:04d}"


def write_directory(
    directory: Path, partners: int, *, slack: bool, telegram: bool, telegram_reps: bool = False
) -> None:
    """partners.csv and reps.csv: every partner serves all of Germany with the X200.
    ``telegram_reps``: each rep has a Telegram account too (:func:`telegram_user`)."""
    rows = [PARTNER_COLUMNS]
    reps = ["partner_id,name,email,slack_user_id,telegram_user_id,role,language"]
    for n in range(partners):
        rows.append(
            f"{partner_id(n)},Partner {n},gold,X-series:advanced,50,5000000,DE,80331,,,,DE,"
            f"enterprise;sme;public,X200,1000,de,{channel(n) if slack else ''},"
            f"{group(n) if telegram else ''}"
        )
        reps.append(
            f"{partner_id(n)},Rep {n},rep{n}@partner{n}.example,"
            f"{rep_user(n) if slack else ''},{telegram_user(n) if telegram_reps else ''},sales,en"
        )
    (directory / "partners.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (directory / "reps.csv").write_text("\n".join(reps) + "\n", encoding="utf-8")


def config_toml(
    database_url: str,
    slack: SlackEmulator | None,
    telegram: TelegramEmulator | None,
    sections: dict[str, dict[str, Any]],
) -> str:
    """bot.toml for the fanout: both platforms against the emulators, one wave to everyone."""
    base: dict[str, dict[str, Any]] = {
        "database": {"url": database_url},
        "console": {"enabled": False},
        "staff": {"language": "en"},
        "distribution": {"waves": "[{size = 0, minutes = 600}]"},
        "outbox": {"poll_seconds": 1.0},
    }
    if slack is not None:
        base["slack"] = {"enabled": True, "api_url": slack.api_url, "staff_channel": STAFF_CHANNEL}
    if telegram is not None:
        base["telegram"] = {
            "enabled": True,
            "api_url": telegram.bot_api_url,
            "staff_chat_id": STAFF_GROUP,
            "mode": "webhook",
        }
    for section, values in sections.items():
        base.setdefault(section, {}).update(values)
    lines: list[str] = []
    for section, values in base.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                rendered = "true" if value else "false"
            elif isinstance(value, str) and not value.startswith("["):
                rendered = f'"{value}"'
            else:
                rendered = str(value)
            lines.append(f"{key} = {rendered}")
    for product, line, level in PRODUCTS:  # as in bot.toml, so the sales library loads
        lines += ["[[products]]", f'id = "{product}"', f'line = "{line}"']
        lines.append(f'min_certification = "{level}"')
    return "\n".join(lines) + "\n"


def company(n: int) -> dict[str, Any]:
    """Lead fields of prospect ``n`` (the same prospect twice would be held as a duplicate)."""
    return {
        "external_id": f"fanout-{n}",
        "company.name": f"Prospect {n} GmbH",
        "company.domain": f"prospect-{n}.example",
        "contact.name": f"Contact {n}",
        "contact.email": f"contact@prospect-{n}.example",
        "contact.phone": f"+49 89 555{n:05d}",
    }


@dataclass
class FanoutWorld:
    database_url: str
    directory: Path
    partners: int
    slack: SlackEmulator | None
    telegram: TelegramEmulator | None
    config: Path
    servers: list[Server] = field(default_factory=list)

    @contextmanager
    def serving(self, **more: str) -> Iterator[Server]:
        """``leadbot serve`` against the emulators; killed if still running at the end.
        ``more``: further environment variables (an endpoint's webhook secret)."""
        env = {
            "LEADBOT_SERVER__API_TOKEN": API_TOKEN,
            "LEADBOT_SLACK__BOT_TOKEN": SLACK_TOKEN,
            "LEADBOT_SLACK__SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "LEADBOT_TELEGRAM__TOKEN": TELEGRAM_TOKEN,
            "LEADBOT_TELEGRAM__WEBHOOK_SECRET": TELEGRAM_WEBHOOK_SECRET,
            **more,
        }
        with serve(self.database_url, config=self.config, **env) as server:
            self.servers.append(server)
            yield server

    def post_lead(self, server: Server, n: int, **overrides: Any) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            response = http.post(
                "/api/leads",
                json=lead_payload(**company(n), **overrides),
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    @staticmethod
    def kill(server: Server) -> None:
        """A crash: SIGKILL, no chance to finish anything."""
        server.stop(signal.SIGKILL)

    # --- what the platforms show ----------------------------------------------------------

    def slack_teasers(self, n: int) -> int:
        assert self.slack is not None
        return sum(1 for m in self.slack.bot_messages(channel(n)) if m.button("lead_claim"))

    def telegram_teasers(self, n: int) -> int:
        assert self.telegram is not None
        return len(self.telegram.bot_messages(group(n)))

    def slack_reached(self) -> int:
        return sum(1 for n in range(self.partners) if self.slack_teasers(n))

    def telegram_reached(self) -> int:
        return sum(1 for n in range(self.partners) if self.telegram_teasers(n))

    # --- what the outbox holds ------------------------------------------------------------

    def outbox_count(self, *conditions: Any) -> int:
        with db_session(self.database_url) as session:
            return int(
                session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions))
                or 0
            )

    def pending(self, platform: str, kind: str | None = None) -> int:
        conditions = [
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.platform == platform,
        ]
        if kind is not None:
            conditions.append(OutboxMessage.kind == kind)
        return self.outbox_count(*conditions)


@contextmanager
def fanout_world(
    database_url: str,
    directory: Path,
    partners: int,
    *,
    slack: bool = True,
    telegram: bool = True,
    slack_options: dict[str, Any] | None = None,
    telegram_options: dict[str, Any] | None = None,
    settings: dict[str, dict[str, Any]] | None = None,
    telegram_reps: bool = False,
) -> Iterator[FanoutWorld]:
    """Emulators with ``partners`` channels/groups (and a staff channel), the directory
    imported into ``database_url`` (already migrated), and a config for ``serve``.

    ``slack_options``/``telegram_options`` go to the emulators (their rate limits),
    ``settings`` (section -> keys) into the bot's config file; ``telegram_reps`` gives
    every rep a Telegram account (:func:`telegram_user`) besides their Slack one."""
    with ExitStack() as stack:
        slack_emulator = (
            stack.enter_context(SlackEmulator(token=SLACK_TOKEN, **(slack_options or {})))
            if slack
            else None
        )
        telegram_emulator = (
            stack.enter_context(TelegramEmulator(token=TELEGRAM_TOKEN, **(telegram_options or {})))
            if telegram
            else None
        )
        if slack_emulator is not None:
            slack_emulator.add_channel(STAFF_CHANNEL, "staff")
            for n in range(partners):
                slack_emulator.add_channel(channel(n), f"partner-{n}")
                slack_emulator.add_user(rep_user(n))
        if telegram_emulator is not None:
            telegram_emulator.add_group(STAFF_GROUP, "Staff")
            for n in range(partners):
                telegram_emulator.add_group(group(n), f"Partner {n}")
        write_directory(
            directory, partners, slack=slack, telegram=telegram, telegram_reps=telegram_reps
        )
        for what in ("partners", "reps"):
            result = leadbot(database_url, what, "import", str(directory / f"{what}.csv"))
            assert result.exit_code == 0, result.output
        config = directory / "fanout.toml"
        config.write_text(
            config_toml(database_url, slack_emulator, telegram_emulator, settings or {}),
            encoding="utf-8",
        )
        yield FanoutWorld(
            database_url, directory, partners, slack_emulator, telegram_emulator, config
        )
