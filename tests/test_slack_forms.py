"""Slack modals, payload parsing, ``/leads`` syntax and the error mapping: pure functions."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.handlers.slack import modals, payloads
from bot.handlers.slack.errors import delivery_error
from bot.leads.status_reports import Report, StatusAction
from tests.emulators.slack.blocks import state_values

TODAY = date(2026, 3, 2)


def submit(action: StatusAction, values: dict[str, object]) -> Report | dict[str, str]:
    modal = modals.report_modal(action, 12, "en", TODAY, {"channel": "D1"})
    state = state_values(modal["blocks"], values)
    body = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": {
            "id": "V1",
            "callback_id": modal["callback_id"],
            "private_metadata": modal["private_metadata"],
            "state": {"values": state},
        },
    }
    sub = payloads.view_submission(body)
    assert sub.metadata == {"lead_id": 12, "channel": "D1"}
    found = modals.action_of(sub.callback_id)
    assert found is action
    return modals.read_report(action, sub.values, "en", TODAY)


def test_won_modal_takes_a_german_or_english_amount() -> None:
    assert submit(StatusAction.WON, {"revenue_input": "12.500,50 €"}) == Report(
        StatusAction.WON, revenue_eur=Decimal("12500.50")
    )
    assert submit(StatusAction.WON, {"revenue_input": "12500.5"}).revenue_eur == Decimal(  # type: ignore[union-attr]
        "12500.50"
    )


@pytest.mark.parametrize("typed", ["", "lots", "-5", "1e40"])
def test_won_modal_refuses_what_is_no_amount(typed: str) -> None:
    assert submit(StatusAction.WON, {"revenue_input": typed}) == {
        "revenue": "Please give an amount in euros, e.g. 12500 or 12,500.50."
    }


def test_lost_and_hand_back_need_a_reason_from_the_list() -> None:
    assert submit(StatusAction.LOST, {"reason_select": "price", "note_input": "too dear"}) == (
        Report(StatusAction.LOST, reason="price", note="too dear")
    )
    assert submit(StatusAction.LOST, {}) == {"reason": "Please choose a reason."}
    assert submit(StatusAction.HAND_BACK, {"reason_select": "no_capacity"}) == Report(
        StatusAction.HAND_BACK, reason="no_capacity"
    )
    with pytest.raises(LookupError):  # the list offers only the core's reasons
        submit(StatusAction.LOST, {"reason_select": "no_capacity"})


def test_follow_up_date_is_checked() -> None:
    assert submit(StatusAction.FOLLOW_UP, {"date_picker": "2026-03-09"}) == Report(
        StatusAction.FOLLOW_UP, follow_up_on=date(2026, 3, 9)
    )
    assert submit(StatusAction.FOLLOW_UP, {"date_picker": "2026-03-01"}) == {
        "date": "The date is in the past."
    }
    assert submit(StatusAction.FOLLOW_UP, {"date_picker": "2027-06-01"}) == {
        "date": "The date is more than a year ahead."
    }
    assert submit(StatusAction.FOLLOW_UP, {"date_picker": None}) == {"date": "Please pick a date."}
    modal = modals.report_modal(StatusAction.FOLLOW_UP, 12, "de", TODAY, {})
    picker = modal["blocks"][-1]["element"]
    assert picker["initial_date"] == "2026-03-03" and modal["title"]["text"] == "Wiedervorlage"


def test_modal_titles_fit_slack() -> None:
    for language in ("de", "en"):
        for action in modals.WITH_MODAL:
            modal = modals.report_modal(action, 1, language, TODAY, {})
            assert len(modal["title"]["text"]) <= 24
            assert json.loads(modal["private_metadata"])["lead_id"] == 1


def test_button_press_payloads() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U7"},
        "trigger_id": "1.abc",
        "container": {"type": "message", "channel_id": "C1", "message_ts": "1.2"},
        "actions": [{"action_id": "lead_claim", "value": "17"}],
    }
    press = payloads.button_press(body)
    assert (press.user_id, press.action_id, press.value, press.channel_id) == (
        "U7",
        "lead_claim",
        "17",
        "C1",
    )
    assert not press.in_home
    home = {**body, "container": {"type": "view"}, "view": {"id": "V1", "type": "home"}}
    assert payloads.button_press(home).in_home
    with pytest.raises(payloads.PayloadError, match="no actions"):
        payloads.button_press({"user": {"id": "U7"}})
    with pytest.raises(payloads.PayloadError, match="user id"):
        payloads.button_press({"actions": [{"action_id": "x"}]})


def test_numbers_and_delivery_keys() -> None:
    assert payloads.number("17") == 17 and payloads.number("#17") == 17
    assert payloads.number("17; drop") is None and payloads.number("") is None
    assert payloads.number("0") is None and payloads.number("#0") is None  # no row has id 0
    assert payloads.delivery_key({"event_id": "Ev1", "trigger_id": "t"}, "x") == "event:Ev1"
    assert payloads.delivery_key({"trigger_id": "t"}, "x") == "trigger:t"
    assert payloads.delivery_key({}, "x") == payloads.delivery_key({}, "x")
    assert payloads.delivery_key({}, "x") != payloads.delivery_key({}, "y")


def test_private_metadata_that_is_no_sane_json_is_a_payload_error() -> None:
    """Deep nesting made ``json.loads`` raise ``RecursionError``, which no guard expected."""
    view = {"id": "V1", "callback_id": "report_lost", "private_metadata": "[" * 5000}
    with pytest.raises(payloads.PayloadError, match="private_metadata is not JSON"):
        payloads.view_submission({"user": {"id": "U7"}, "view": view})


def api_error(status: int, body: dict[str, object], headers: dict[str, str] | None = None):
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data=body,
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


def test_rate_limit_waits_as_slack_says() -> None:
    error = delivery_error(
        "chat.postMessage",
        api_error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}),
    )
    assert error.retry_after == 7 and not error.permanent


@pytest.mark.parametrize(
    "code", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive", "odd_new"]
)
def test_errors_a_retry_cannot_fix_are_permanent(code: str) -> None:
    error = delivery_error("chat.postMessage", api_error(200, {"ok": False, "error": code}))
    assert error.permanent and code in str(error)


@pytest.mark.parametrize(
    ("status", "code"), [(503, "fatal_error"), (500, "x"), (200, "internal_error")]
)
def test_outages_are_retried(status: int, code: str) -> None:
    error = delivery_error("chat.update", api_error(status, {"ok": False, "error": code}))
    assert not error.permanent and error.retry_after is None
