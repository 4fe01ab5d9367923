"""Linking reps to their Slack accounts by e-mail (``users.lookupByEmail``).

A rep row with an e-mail but no ``slack_user_id`` is looked up in the workspace: at
``leadbot reps import`` (when Slack is on) and when ``leadbot serve`` starts. Each rep's
result is reported — linked, not found, or no permission (the app lacks the
``users:read.email`` scope) — and nothing is guessed: only Slack's exact answer for that
address links an account, and an account already linked to another rep is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.handlers.slack.errors import NETWORK_ERRORS, error_code
from bot.models import Rep
from bot.runtime import Runtime

log = logging.getLogger(__name__)

NO_PERMISSION = frozenset(
    {"missing_scope", "not_allowed_token_type", "no_permission", "invalid_auth", "not_authed"}
)


class LinkOutcome(StrEnum):
    LINKED = "linked"
    NOT_FOUND = "not found"
    NO_PERMISSION = "no permission"
    TAKEN = "account already linked to another rep"
    FAILED = "failed"


@dataclass(frozen=True)
class AccountLink:
    """One rep's result, for the CLI's report and the log."""

    platform: str
    rep_id: int
    email: str
    outcome: LinkOutcome
    account: str | None = None
    detail: str = ""

    @property
    def line(self) -> str:
        account = f" → {self.account}" if self.account else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.platform}: {self.email}: {self.outcome.value}{account}{detail}"


def summary(results: list[AccountLink]) -> str:
    """The results for the log, by rep id and never by e-mail address (the log holds no
    personal data): ``2 linked; not found: reps 3, 4`` — ``leadbot reps import`` names them."""
    by_outcome: dict[LinkOutcome, list[int]] = {}
    for result in results:
        by_outcome.setdefault(result.outcome, []).append(result.rep_id)
    parts = [f"{len(by_outcome.pop(LinkOutcome.LINKED, []))} linked"]
    for outcome, reps in by_outcome.items():
        parts.append(
            f"{outcome.value}: rep{'s' if len(reps) > 1 else ''} {', '.join(map(str, reps))}"
        )
    details = sorted(
        {r.detail for r in results if r.detail and r.outcome is not LinkOutcome.LINKED}
    )
    said = "; ".join(parts)
    return f"{said} ({'; '.join(details)})" if details else said


async def _unlinked(runtime: Runtime) -> list[tuple[int, str]]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(Rep.id, Rep.email)
            .where(Rep.slack_user_id.is_(None), Rep.active.is_(True))
            .order_by(Rep.email)
        )
        return [(rep_id, email) for rep_id, email in rows.all()]


async def _store(runtime: Runtime, rep_id: int, user_id: str) -> bool:
    """Link ``user_id`` to the rep unless another rep has it already."""
    async with runtime.uow() as uow:
        holder = await uow.session.scalar(select(Rep.id).where(Rep.slack_user_id == user_id))
        if holder is not None and holder != rep_id:
            return False
        rep = await uow.session.get(Rep, rep_id)
        if rep is None or rep.slack_user_id is not None:
            return rep is not None and rep.slack_user_id == user_id
        rep.slack_user_id = user_id
        await uow.commit()
    return True


async def link_by_email(runtime: Runtime, client: AsyncWebClient) -> list[AccountLink]:
    """Look up every unlinked active rep by e-mail and link those Slack knows."""
    results: list[AccountLink] = []
    denied: str | None = None
    for rep_id, email in await _unlinked(runtime):
        if denied is not None:  # Slack said no for all: no point asking again per rep
            results.append(
                AccountLink("slack", rep_id, email, LinkOutcome.NO_PERMISSION, detail=denied)
            )
            continue
        try:
            answer = await client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            code = error_code(exc)
            if code == "users_not_found":
                results.append(AccountLink("slack", rep_id, email, LinkOutcome.NOT_FOUND))
            elif code in NO_PERMISSION:
                denied = f"{code}: the app needs the users:read.email scope"
                results.append(
                    AccountLink("slack", rep_id, email, LinkOutcome.NO_PERMISSION, detail=denied)
                )
            else:
                results.append(AccountLink("slack", rep_id, email, LinkOutcome.FAILED, detail=code))
            continue
        except NETWORK_ERRORS as exc:
            results.append(
                AccountLink("slack", rep_id, email, LinkOutcome.FAILED, detail=type(exc).__name__)
            )
            continue
        user_id = str(((answer.get("user") or {}).get("id")) or "")
        if not user_id:
            results.append(
                AccountLink("slack", rep_id, email, LinkOutcome.FAILED, detail="no user id")
            )
        elif await _store(runtime, rep_id, user_id):
            results.append(AccountLink("slack", rep_id, email, LinkOutcome.LINKED, user_id))
        else:
            results.append(AccountLink("slack", rep_id, email, LinkOutcome.TAKEN, user_id))
    return results
