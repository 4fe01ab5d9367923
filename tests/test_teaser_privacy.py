"""Property: no rendering of a teaser, on any platform, carries identifying data.

Hypothesis generates leads whose identifying fields (company, domain, ticker, contact,
street, exact postal code, city, free text — and identifying text smuggled into the
industry field) hold distinctive values; the teaser, rendered for every platform, must not
contain any of them. The lead goes through the real intake mapping and anonymizer.
"""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.anonymize import teaser_facts
from bot.delivery.notices import TeaserView
from bot.intake.schema import LeadIn
from bot.intake.service import build_lead
from tests.support.factories import lead_payload
from tests.support.teaser_renderers import TEASER_RENDERERS

WORD = st.text(alphabet=string.ascii_letters, min_size=3, max_size=8)


def distinctive(prefix: str) -> st.SearchStrategy[str]:
    """A value that cannot occur in a teaser by accident (it carries a marker)."""
    return WORD.map(lambda w: f"{prefix}{w}Qz")


@st.composite
def identifying_leads(draw: st.DrawFn) -> tuple[LeadIn, list[str]]:
    company = draw(distinctive("Firma"))
    domain = draw(WORD.map(lambda w: f"zq{w.lower()}qz.example"))
    ticker = draw(
        st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=5).map(lambda t: f"Q{t}Z")
    )
    person = draw(distinctive("Herr"))
    street = draw(distinctive("Gasse"))
    city = draw(distinctive("Stadt"))
    role = draw(distinctive("Rolle"))
    message = draw(distinctive("Notiz"))
    postal = draw(st.integers(min_value=10000, max_value=99999).map(str))
    phone = "+49 " + draw(st.text(alphabet=string.digits, min_size=9, max_size=11))
    industry = draw(st.one_of(st.sampled_from(["food", "it", "retail"]), distinctive("Branche")))
    # Loose timelines are kept as given (a CRM's own words); teasers must never show them.
    timeline = draw(st.one_of(st.sampled_from(["3_months", "Q1 2027"]), distinctive("Zeit")))
    payload = lead_payload(
        **{
            "company.name": company,
            "company.domain": domain,
            "company.ticker": ticker,
            "company.industry": industry,
            "company.address.street": street,
            "company.address.city": city,
            "company.address.postal_code": postal,
            "company.address.lat": draw(st.floats(min_value=47.0, max_value=55.0)),
            "company.address.lon": draw(st.floats(min_value=6.0, max_value=15.0)),
            "contact.name": person,
            "contact.email": f"{person.lower()}@{domain}",
            "contact.phone": phone,
            "contact.role": role,
            "interest.message": message,
            "interest.timeline": timeline,
            "consent.text": draw(distinctive("Einwilligung")),
        }
    )
    lead = LeadIn.model_validate(payload)
    secrets = [company, domain, ticker, person, street, city, role, message, postal, phone]
    secrets += [person.lower(), domain.split(".")[0], lead.consent.text or ""]
    if industry.startswith("Branche"):
        secrets.append(industry)
    if timeline.startswith("Zeit"):
        secrets.append(timeline)
    return lead, secrets


SLACK_EPOCH = re.compile(r"<!date\^[0-9]+\^")


@settings(max_examples=150, deadline=None)
@given(identifying_leads())
def test_no_teaser_rendering_contains_identifying_values(case: tuple[LeadIn, list[str]]) -> None:
    data, secrets = case
    lead, _personal = build_lead(data, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    lead.id = 4711
    facts = teaser_facts(lead, frozenset({"X200"}))
    for closed in (None, "taken"):
        view = TeaserView(
            offer_id=42,
            lead_id=4711,
            facts=facts,
            wave=1,
            expires_at=None,
            language="de",
            closed=closed,
        )
        for platform, render in TEASER_RENDERERS.items():
            rendered = render(view)
            text = (
                rendered if isinstance(rendered, str) else json.dumps(rendered, ensure_ascii=False)
            )
            # Slack's date token carries the time as epoch seconds (<!date^1772442000^…>): its
            # digits are no lead's, and a drawn postal code such as 24420 is found in them.
            text = SLACK_EPOCH.sub("<!date^^", text)
            for secret in secrets:
                assert secret.lower() not in text.lower(), f"{platform}: teaser shows {secret!r}"
