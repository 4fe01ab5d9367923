"""Benchmark: N reps of N partners press Claim on Slack at the same moment.

Run by hand (never part of the test suite)::

    .venv/bin/python bench/slack_claims.py                  # 30 partners, SQLite, 5 rounds
    .venv/bin/python bench/slack_claims.py --partners 100 --rounds 3
    .venv/bin/python bench/slack_claims.py --database postgresql://postgres@127.0.0.1/leadbot_bench

The whole bot is served over HTTP against the Slack emulator (tests/emulators), with the
emulator's rate limits off. Per round a new lead is posted, teasers appear in every
channel, then every rep presses Claim at once. Reported per round:

* ``ack p50/max``  seconds until Slack got its answer (must stay below 3 s)
* ``answered``     seconds until every presser had their ephemeral answer
* ``all taken``    seconds until every teaser was edited to "taken" (outbox + chat.update)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings
from bot.migrate import upgrade
from tests.emulators.slack import SlackEmulator
from tests.support.slack_world import PartnerSpec, another_company, slack_settings, slack_world


def settings_for(url: str):  # type: ignore[no-untyped-def]
    def make(**sections: dict) -> Settings:  # type: ignore[type-arg]
        data = Settings().model_dump()
        data["database"]["url"] = url
        for section, values in sections.items():
            if isinstance(values, dict) and isinstance(data.get(section), dict):
                data[section].update(values)
            else:
                data[section] = values
        return Settings.model_validate(data)

    return make


async def run(url: str, partners: int, rounds: int) -> None:
    specs = [
        PartnerSpec(f"P{i:03d}", f"C{i:05d}", f"U{i:05d}", language="en") for i in range(partners)
    ]
    with SlackEmulator(token="xoxb-test-token") as slack:
        settings = slack_settings(settings_for(url), slack)
        async with slack_world(settings, slack, specs) as world:
            print(f"{partners} partners, {rounds} rounds, {url.split(':')[0]}")
            print("round  ack p50  ack max  answered  all taken")
            for n in range(rounds):
                lead = await world.post_lead(**another_company(n))
                for spec in specs:
                    await world.teaser(spec.channel, timeout=60)
                before = len(slack.ephemerals())
                started = time.perf_counter()
                presses = await asyncio.gather(
                    *(
                        world.driver.press_button("lead_claim", user=s.rep, channel=s.channel)
                        for s in specs
                    )
                )
                await slack.wait_for_async(
                    lambda before=before: len(slack.ephemerals()) - before >= partners, 60
                )
                answered = time.perf_counter() - started
                await slack.wait_for_async(
                    lambda: all(not slack.bot_messages(s.channel)[-1].buttons() for s in specs),
                    60,
                )
                taken = time.perf_counter() - started
                acks = [p.elapsed for p in presses]
                print(
                    f"{n + 1:>5}  {statistics.median(acks):7.3f}  {max(acks):7.3f}"
                    f"  {answered:8.3f}  {taken:9.3f}   (lead {lead})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        asyncio.run(run(url, args.partners, args.rounds))


if __name__ == "__main__":
    main()
