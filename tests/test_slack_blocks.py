"""Slack's Block Kit builders: what a user sees, within Slack's limits, with nothing injected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.chat.results import LeadSummary, Reply
from bot.delivery.notices import (
    LeadCardView,
    LeadDetails,
    MessageView,
    NoticeKind,
    TeaserFacts,
    TeaserView,
)
from bot.handlers.slack import blocks, lead_cards, lists, sales_kit
from bot.handlers.slack.kit import MAX_BLOCKS, MAX_SECTION, chunks, clip, esc
from bot.models import LeadStatus
from bot.reports.model import CampaignRow, Funnel, PartnerRow, Report
from bot.reports.period import Period
from tests.emulators.slack.blocks import buttons, text_of

FACTS = TeaserFacts(
    industry="food",
    employee_band="50-249",
    revenue_band="10-50 Mio",
    country="DE",
    region="DE-BY",
    products=("X200",),
    value_band="50-100k",
    timeline="3_months",
    temperature="hot",
    score=85,
    created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
)


def teaser_view(**changes: object) -> TeaserView:
    values: dict[str, object] = {
        "offer_id": 17,
        "lead_id": 4,
        "facts": FACTS,
        "wave": 2,
        "expires_at": None,
        "language": "en",
    }
    values.update(changes)
    return TeaserView(**values)  # type: ignore[arg-type]


def details(**changes: object) -> LeadDetails:
    values: dict[str, object] = {
        "id": 4,
        "status": LeadStatus.CLAIMED,
        "company_name": "Brauerei Huber GmbH",
        "industry": "food",
        "employees": 120,
        "annual_revenue_eur": 18_000_000,
        "domain": "brauerei-huber.de",
        "ticker": None,
        "street": "Hopfenweg 7",
        "postal_code": "80331",
        "city": "München",
        "country": "DE",
        "contact_name": "Maria Huber",
        "contact_email": "maria@brauerei-huber.de",
        "contact_phone": "+49 89 1234567",
        "contact_role": "Head of IT",
        "products": ("X200",),
        "estimated_value_eur": 60_000,
        "timeline": "3_months",
        "message": "Please call after 10am.",
        "campaign": "Hannover Messe",
        "score": 85,
        "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "claimed_at": None,
        "follow_up_on": None,
        "revenue_eur": None,
        "lost_reason": None,
    }
    values.update(changes)
    return LeadDetails(**values)  # type: ignore[arg-type]


def card(
    actions: tuple[str, ...] = ("contacted", "won", "lost"), **changes: object
) -> LeadCardView:
    return LeadCardView(
        lead_id=4,
        status=LeadStatus.CLAIMED,
        event="claimed",
        lead=details(**changes),
        actions=actions,
        language="en",
    )


def test_teaser_shows_the_facts_and_a_claim_button_carrying_the_offer_id() -> None:
    message = blocks.teaser(teaser_view())
    text = text_of(message.blocks)
    assert "New lead" in message.text and "Wave 2" in text
    for shown in ("Food", "50-249", "DE-BY", "X200", "50-100k €", "within 3 months", "hot (85)"):
        assert shown in text
    claim, decline = buttons(message.blocks)
    assert claim["action_id"] == "lead_claim" and claim["value"] == "17"
    assert claim["text"]["text"] == "Claim"
    assert decline["action_id"] == "lead_decline" and decline["value"] == "17"
    assert decline["text"]["text"] == "Not for us"


def test_closed_teaser_has_no_button_and_names_no_winner() -> None:
    for reason, words in (
        ("taken", "Taken"),
        ("expired", "Expired"),
        ("withdrawn", "Withdrawn"),
    ):
        message = blocks.teaser(teaser_view(closed=reason))
        assert buttons(message.blocks) == []
        assert words in message.text and words in text_of(message.blocks)


def test_german_teaser() -> None:
    message = blocks.teaser(teaser_view(language="de"))
    assert buttons(message.blocks)[0]["text"]["text"] == "Übernehmen"
    assert "Welle 2" in text_of(message.blocks)


def test_lead_card_shows_the_lead_and_exactly_the_allowed_actions() -> None:
    message = lead_cards.lead_card(card())
    text = text_of(message.blocks)
    for shown in ("Brauerei Huber GmbH", "Maria Huber (Head of IT)", "+49 89 1234567", "80331"):
        assert shown in text
    assert "This lead is yours now" in text
    assert [(b["action_id"], b["value"]) for b in buttons(message.blocks)] == [
        ("lead_contacted", "4"),
        ("lead_won", "4"),
        ("lead_lost", "4"),
    ]


def test_closed_lead_card_has_no_buttons_and_shows_revenue() -> None:
    view = LeadCardView(
        lead_id=4,
        status=LeadStatus.WON,
        event="won",
        lead=details(status=LeadStatus.WON, revenue_eur=Decimal("12500.50")),
        actions=(),
        language="de",
    )
    message = lead_cards.lead_card(view)
    assert buttons(message.blocks) == []
    assert "12.500,50 €" in text_of(message.blocks) and "gewonnen" in text_of(message.blocks)


def test_lead_card_without_details_says_what_happened() -> None:
    view = LeadCardView(4, LeadStatus.RECALLED, "recalled", None, (), "en")
    message = lead_cards.lead_card(view)
    assert "Lead #4 was recalled" in message.text and buttons(message.blocks) == []
    assert "Brauerei" not in json.dumps(message.blocks)


def test_user_text_cannot_mention_or_link_anyone() -> None:
    evil = card(
        company_name="<!channel> Evil & Co",
        message="<https://evil.example|click> <@U123> <!here>",
        contact_name="<!everyone>",
    )
    message = lead_cards.lead_card(evil)
    everything = json.dumps([message.text, message.blocks], ensure_ascii=False)
    for raw in ("<!channel>", "<https://evil", "<@U123>", "<!here>", "<!everyone>"):
        assert raw not in everything
    assert "&lt;!channel&gt; Evil &amp; Co" in everything
    assert "&lt;https://evil.example|click&gt;" in everything


def test_escaping_survives_clipping() -> None:
    text = esc("a" * 10 + "&" * 10)
    cut = clip(text, 15)
    assert cut.endswith("…") and not cut[:-1].endswith(("&", "&a", "&am", "&amp"))
    assert len(cut) <= 15


def test_long_text_is_split_into_sections_that_fit() -> None:
    text = esc(("Zeile mit <Text> & mehr. " * 30 + "\n") * 20)
    pieces = chunks(text)
    assert all(len(p) <= MAX_SECTION for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def content_view(items: int, body_chars: int, ref: int | None = None) -> MessageView:
    extra = {} if ref is None else {"ref": ref}
    return MessageView(
        kind=NoticeKind.CONTENT,
        event="pack",
        language="en",
        lead_id=4,
        params={
            "items": [
                {
                    "kind": "offer",
                    "title": f"Offer {i} <b>",
                    "body": ("Long body line. " * 40 + "\n") * (body_chars // 640 + 1),
                    "url": "https://example.com/x?a=1&b=2",
                    "valid_until": "2027-01-31",
                    "change": None,
                }
                for i in range(items)
            ],
            **extra,
        },
    )


def test_a_long_content_pack_is_split_within_slack_limits() -> None:
    messages = sales_kit.details(content_view(items=16, body_chars=3000))
    assert len(messages) > 1
    for message in messages:
        assert 0 < len(message.blocks) <= MAX_BLOCKS
        for block in message.blocks:
            text = block.get("text", {}).get("text", "")
            assert len(text) <= MAX_SECTION
    everything = "".join(text_of(m.blocks) for m in messages)
    assert everything.count("Offer 11 &lt;b&gt;") == 1 and "<b>" not in everything
    assert "valid until 2027-01-31" in everything and "a=1&amp;b=2" in everything


def test_a_small_content_pack_is_one_message() -> None:
    [message] = blocks.render(content_view(items=2, body_chars=200))
    assert "Sales kit for lead #4" in message.text


def test_a_kit_arrives_as_one_line_per_item_with_show_details() -> None:
    [message] = blocks.render(content_view(items=12, body_chars=3000, ref=77))
    text = text_of(message.blocks)
    assert "Long body line" not in text  # no wall: the bodies come with "Show details"
    for i in range(12):
        assert f"• *Offer*: Offer {i} &lt;b&gt; — _valid until 2027-01-31_" in text
    assert "12 items" in text and len(message.blocks) <= 5
    [details] = buttons(message.blocks)
    assert (details["action_id"], details["value"]) == ("kit_details", "77")
    assert details["text"]["text"] == "Show details"
    [expanded] = sales_kit.details(content_view(items=2, body_chars=200, ref=77))
    assert "Long body line" in text_of(expanded.blocks)
    assert [b["action_id"] for b in buttons(expanded.blocks)] == ["kit_less"]


def test_staff_notice_with_buttons_for_what_staff_can_do() -> None:
    view = MessageView(NoticeKind.STAFF, "unclaimed", "en", lead_id=9, params={"round": 1})
    [message] = blocks.render(view)
    assert "Lead #9: nobody claimed it" in message.text
    assert [b["action_id"] for b in buttons(message.blocks)] == ["staff_reoffer", "staff_explain"]
    held = blocks.staff_notice(MessageView(NoticeKind.STAFF, "held", "en", lead_id=9))
    [release] = buttons(held.blocks)
    assert release["action_id"] == "staff_release_consent" and "confirm" in release


def test_staff_status_notice_shows_revenue() -> None:
    view = MessageView(
        NoticeKind.STAFF,
        "status",
        "en",
        lead_id=9,
        params={"status": "won", "partner": "A & B <GmbH>", "revenue_eur": "12500.50"},
    )
    message = blocks.staff_notice(view)
    text = text_of(message.blocks)
    assert "A &amp; B &lt;GmbH&gt; reports “won”" in text
    assert "Revenue: 12,500.50 €" in text


def test_reminder_and_news() -> None:
    reminder = MessageView(
        NoticeKind.REMINDER, "follow_up", "de", lead_id=3, params={"region": "DE-BY"}
    )
    assert "Wiedervorlage heute: Lead #3" in blocks.render(reminder)[0].text
    news = MessageView(
        NoticeKind.NEWS,
        "item",
        "en",
        lead_id=3,
        params={"company": "Huber <AG>", "title": "Big order", "link": "https://n.example/1"},
    )
    text = text_of(blocks.render(news)[0].blocks)
    assert "News about Huber &lt;AG&gt; (lead #3)" in text and "https://n.example/1" in text


def test_reply_marks_success_and_refusal() -> None:
    ok = blocks.reply(Reply("claim.won", params={"lead_id": 5}), "en")
    refused = blocks.reply(Reply("claim.taken", ok=False), "de")
    assert ok.text.startswith(":white_check_mark:") and "Lead #5 is yours" in ok.text
    assert refused.text.startswith(":warning:") and "bereits übernommen" in refused.text


def summary(lead_id: int, status: LeadStatus = LeadStatus.CLAIMED) -> LeadSummary:
    return LeadSummary(
        id=lead_id,
        status=status,
        company="Huber & Söhne",
        region="DE-BY",
        products=("X200",),
        follow_up_on=date(2026, 3, 9),
        partner_id="P1",
    )


def test_home_lists_leads_with_their_buttons() -> None:
    view = lists.home_view(
        "en",
        leads=[summary(1), summary(2, LeadStatus.PROPOSAL)],
        actions_for={1: ("contacted", "follow_up"), 2: ("won", "lost")},
        pipeline=None,
    )
    assert view["type"] == "home"
    text = text_of(view["blocks"])
    assert "Your open leads" in text and "Huber &amp; Söhne" in text and "2026-03-09" in text
    assert [(b["action_id"], b["value"]) for b in buttons(view["blocks"])] == [
        ("lead_contacted", "1"),
        ("lead_follow_up", "1"),
        ("lead_won", "2"),
        ("lead_lost", "2"),
        ("home_refresh", "home"),
    ]


def test_home_with_many_leads_stays_within_slack_limits() -> None:
    leads = [summary(i) for i in range(60)]
    view = lists.home_view(
        "en", leads=leads, actions_for={i: ("contacted",) for i in range(60)}, pipeline=None
    )
    assert len(view["blocks"]) <= 100
    assert "and 35 more" in text_of(view["blocks"])
    assert buttons(view["blocks"])[-1]["action_id"] == "home_refresh"


def test_pipeline_for_staff() -> None:
    report = Report(
        period=Period(date(2026, 3, 1), date(2026, 3, 31)),
        generated_at=datetime(2026, 4, 1, tzinfo=UTC),
        funnel=Funnel(leads=4, offered=4, claimed=3, contacted=2, won=1),
        by_status={"won": 1, "claimed": 2, "offered": 1},
        pipeline_eur=Decimal(100_000),
        revenue_eur=Decimal(5000),
        partners=[
            PartnerRow("P1", "Huber <IT>", offers=3, claims=3, won=1, revenue_eur=Decimal(5000))
        ],
        campaigns=[
            CampaignRow(
                "Messe",
                leads=3,
                claimed=3,
                won=1,
                revenue_eur=Decimal(5000),
                cost_eur=Decimal(1000),
            )
        ],
    )
    text = text_of(lists.pipeline_blocks(report, "en"))
    # Open counts every lead not closed: 2 with partners + 1 on offer.
    assert "2026-03-01 – 2026-03-31: 4 leads received, 3 open" in text
    assert "1 on offer · 2 with partners · 0 waiting for staff" in text
    assert "Huber &lt;IT&gt;" in text and "5,000 €" in text and "ROI +400%" in text


def test_a_full_card_fits_a_phone_rare_steps_in_the_overflow_menu() -> None:
    every = ("contacted", "meeting", "proposal", "won", "lost", "follow_up", "hand_back")
    message = lead_cards.lead_card(card(actions=every))
    [row] = [b for b in message.blocks if b["type"] == "actions"]
    kinds = [(e["type"], e["action_id"]) for e in row["elements"]]
    assert kinds == [
        ("button", "lead_contacted"),
        ("button", "lead_meeting"),
        ("button", "lead_proposal"),
        ("button", "lead_won"),
        ("overflow", "lead_more"),
    ]
    menu = row["elements"][-1]
    assert [(o["text"]["text"], o["value"]) for o in menu["options"]] == [
        ("Lost", "lost:4"),
        ("Follow-up", "follow_up:4"),
        ("Hand back", "hand_back:4"),
    ]
