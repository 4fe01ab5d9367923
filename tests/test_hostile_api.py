"""Hostile bodies for ``POST /api/leads``, on SQLite and PostgreSQL.

Every case is refused with a 4xx in the documented shape (``{"detail": [{"loc", "field",
"msg", "type"}]}`` for 422, ``{"detail": "..."}`` for 413), the database is unchanged,
and the log carries nothing of the body. Strict types where the meaning depends on them:
consent is a JSON ``true``, numbers are numbers within their bounds, text is printable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.models import Lead, LeadPersonalData, OutboxMessage
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.factories import lead_payload
from tests.support.logs import assert_clean_log, capture_like_serve

TOKEN = "hostile-token-5e1b"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
MARKER = "Zebrafink"  # in every hostile body; must never be logged


@pytest.fixture
async def api(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Any]:
    runtime = Runtime.create(
        make_settings(server={"api_token": TOKEN}, products=PRODUCTS), clock=clock
    )
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        yield http, runtime
    await runtime.close()


async def _stored(runtime: Runtime) -> tuple[int, int, int]:
    async with runtime.uow() as uow:
        count = [
            await uow.session.scalar(select(func.count()).select_from(table))
            for table in (Lead, LeadPersonalData, OutboxMessage)
        ]
    return (int(count[0]), int(count[1]), int(count[2]))


async def refused(api: Any, caplog: pytest.LogCaptureFixture, content: bytes) -> httpx.Response:
    """POST ``content``; assert a 4xx, nothing stored and a clean log; return the answer."""
    http, runtime = api
    capture_like_serve(caplog)
    response = await http.post("/api/leads", content=content, headers=AUTH)
    assert 400 <= response.status_code < 500, response.text
    assert await _stored(runtime) == (0, 0, 0)
    assert_clean_log(caplog, MARKER, "\\u0000")
    return response


def problems(response: httpx.Response) -> dict[str, dict[str, Any]]:
    """The documented 422 shape, checked, as ``{field: problem}``."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for problem in detail:
        assert set(problem) == {"loc", "field", "msg", "type"}
        assert problem["loc"][0] == "body"
    return {p["field"]: p for p in detail}


def body(**overrides: Any) -> bytes:
    import json

    return json.dumps(lead_payload(**{"company.name": f"{MARKER} GmbH", **overrides})).encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested too deeply"),
        (b"[" * 100_000, "nested too deeply"),
        (
            b'{"company": {"name": "'
            + MARKER.encode()
            + b'", "x": '
            + b"[" * 40
            + b"]" * 40
            + b"}}",
            "nested too deeply",
        ),
        (b'{"score": ' + b"9" * 5000 + b', "n": "' + MARKER.encode() + b'"}', "too many digits"),
        (
            b'{"company": {"address": {"lat": NaN}}, "n": "' + MARKER.encode() + b'"}',
            "NaN is not a JSON value",
        ),
        (b'{"score": Infinity, "n": "' + MARKER.encode() + b'"}', "Infinity is not a JSON value"),
        (b'{"company": {"name": "\\ud800' + MARKER.encode() + b'"}}', "lone surrogate"),
        (b'{"\\udfff": "' + MARKER.encode() + b'"}', "lone surrogate"),
        (
            b'{"consent": {"partner_contact": false, "partner_contact": true}, "n": "'
            + MARKER.encode()
            + b'"}',
            'the key "partner_contact" appears twice in one object',
        ),
        (
            b'{"'
            + b"k" * 300
            + b'": 1, "'
            + b"k" * 300
            + b'": 2, "n": "'
            + MARKER.encode()
            + b'"}',
            f'the key "{"k" * 60}"… (300 characters) appears twice in one object',
        ),
    ],
    ids=[
        "deep-object",
        "deep-array",
        "deep-inside-lead",
        "5000-digits",
        "NaN",
        "Infinity",
        "surrogate-value",
        "surrogate-key",
        "duplicate-key",
        "long-duplicate-key",
    ],
)
async def test_unparseable_json_is_422_naming_the_body(
    api: Any, caplog: pytest.LogCaptureFixture, content: bytes, message: str
) -> None:
    [(field, problem)] = problems(await refused(api, caplog, content)).items()
    assert field == "body" and problem["type"] == "json_invalid"
    assert message in problem["msg"]


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16"),  # with a byte order mark, as Windows tools write it
        ("utf-16-le", "UTF-16 (little-endian)"),
        ("utf-16-be", "UTF-16 (big-endian)"),
        ("utf-32", "UTF-32"),
        ("utf-32-le", "UTF-32 (little-endian)"),
        ("utf-32-be", "UTF-32 (big-endian)"),
    ],
)
async def test_a_body_in_utf16_or_utf32_is_422_naming_the_encoding(
    api: Any, caplog: pytest.LogCaptureFixture, encoding: str, named: str
) -> None:
    """RFC 8259: JSON between systems MUST be UTF-8; Python's decoder would take these."""
    text = body().decode()
    [(field, problem)] = problems(await refused(api, caplog, text.encode(encoding))).items()
    assert field == "body" and problem["type"] == "json_invalid"
    assert problem["msg"] == (
        f"the body is encoded as {named}; JSON must be sent as UTF-8 (RFC 8259)"
    )


async def test_a_utf8_byte_order_mark_is_ignored(api: Any) -> None:
    """RFC 8259 lets a parser ignore it; Windows tools write it."""
    http, _ = api
    response = await http.post(
        "/api/leads", content=body().decode().encode("utf-8-sig"), headers=AUTH
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"interest.estimated_value_eur": 2**63}, "interest.estimated_value_eur"),
        ({"interest.estimated_value_eur": 10**30}, "interest.estimated_value_eur"),
        ({"interest.estimated_value_eur": 10**12}, "interest.estimated_value_eur"),
        ({"interest.estimated_value_eur": -1}, "interest.estimated_value_eur"),
        ({"company.annual_revenue_eur": 2**63}, "company.annual_revenue_eur"),
        ({"company.annual_revenue_eur": 10**30}, "company.annual_revenue_eur"),
        ({"company.employees": 10**7}, "company.employees"),
        ({"company.employees": 2**31}, "company.employees"),
        ({"score": 101}, "score"),
        ({"company.address.lat": 1e300, "company.address.lon": 1.0}, "company.address.lat"),
    ],
)
async def test_numbers_out_of_bounds_are_422(
    api: Any, caplog: pytest.LogCaptureFixture, overrides: dict[str, Any], field: str
) -> None:
    found = problems(await refused(api, caplog, body(**overrides)))
    assert field in found, found


@pytest.mark.parametrize(
    "field",
    [
        "company.name",
        "interest.message",
        "external_id",
        "campaign",
        "source",
        "contact.name",
        "contact.role",
        "company.industry",
        "company.address.street",
        "company.address.city",
        "consent.text",
    ],
)
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85"])
async def test_control_characters_in_text_are_422_naming_the_field(
    api: Any, caplog: pytest.LogCaptureFixture, field: str, character: str
) -> None:
    found = problems(await refused(api, caplog, body(**{field: f"A{character}{MARKER}"})))
    assert list(found) == [field]
    assert f"control character (U+{ord(character):04X})" in found[field]["msg"]


async def test_line_breaks_are_text_only_where_text_may_have_lines(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    found = problems(await refused(api, caplog, body(**{"contact.name": f"A\n{MARKER}"})))
    assert list(found) == ["contact.name"]
    http, _ = api
    ok = lead_payload(**{"interest.message": "Line one\n\tLine two\r\n"})
    assert (await http.post("/api/leads", json=ok, headers=AUTH)).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent.partner_contact": "yes"}, "consent.partner_contact", "valid boolean"),
        ({"consent.partner_contact": 1}, "consent.partner_contact", "valid boolean"),
        ({"consent.partner_contact": "true"}, "consent.partner_contact", "valid boolean"),
        ({"score": True}, "score", "whole number"),
        ({"score": 50.5}, "score", "whole number"),
        ({"score": "50"}, "score", "whole number"),
        ({"company.employees": False}, "company.employees", "whole number"),
        ({"company.annual_revenue_eur": True}, "company.annual_revenue_eur", "whole number"),
        ({"interest.estimated_value_eur": False}, "interest.estimated_value_eur", "whole number"),
        (
            {"interest.estimated_value_eur": "60000"},
            "interest.estimated_value_eur",
            "a JSON number, not text",
        ),
        (
            {"company.address.lat": True, "company.address.lon": 1.0},
            "company.address.lat",
            "valid number",
        ),
        ({"consent.given_at": 0}, "consent.given_at", "ISO 8601 timestamp"),
        ({"consent.given_at": "0"}, "consent.given_at", "ISO 8601 timestamp"),
        ({"consent.given_at": False}, "consent.given_at", "ISO 8601 timestamp"),
        ({"consent.given_at": "2026-02-30T10:00:00+01:00"}, "consent.given_at", "day 30"),
        ({"consent.given_at": "2026-03-01T10:00:00"}, "consent.given_at", "time zone"),
        # No UTC time (before year 1, after 9999): was a 500 from the database layer.
        ({"consent.given_at": "0001-01-01T00:00:00+01:00"}, "consent.given_at", "in UTC"),
        ({"consent.given_at": "9999-12-31T23:59:59-01:00"}, "consent.given_at", "in UTC"),
        ({"company.name": "   "}, "company.name", "must not be blank"),
        # Nothing visible: zero-width space, word joiner, byte order mark, soft hyphen.
        ({"company.name": "\u200b\u2060 \ufeff\u00ad"}, "company.name", "must not be blank"),
        ({"company.name": ""}, "company.name", "at least 1 character"),
        ({"external_id": " \u3000 "}, "external_id", "must not be blank"),
        ({"interest.products": [" "]}, "interest.products[0]", "must not be blank"),
        ({"company.address.country": "XX"}, "company.address.country", "ISO country code"),
        ({"contact.email": None, "contact.phone": "   "}, "contact", "email or a phone"),
        # RFC 5321: 64 characters before the @ (email_validator alone lets 65 through).
        (
            {"contact.email": "m" * 65 + "@brauerei-huber.de"},
            "contact.email",
            "the part before the @ has 65 characters; at most 64 are allowed (RFC 5321)",
        ),
        # Shown as "GoodEvil": a direction override turns what follows around.
        ({"company.name": "Good\u202eliveE"}, "company.name", "direction override (U+202E)"),
        ({"interest.message": "Hi\n\u202dx"}, "interest.message", "direction override (U+202D)"),
        ({"company.address.street": "Markt 1\u2028"}, "company.address.street", "(U+2028)"),
    ],
)
async def test_loose_values_are_refused_where_meaning_depends_on_them(
    api: Any, caplog: pytest.LogCaptureFixture, overrides: dict[str, Any], field: str, message: str
) -> None:
    found = problems(await refused(api, caplog, body(**overrides)))
    assert field in found, found
    assert message in found[field]["msg"], found[field]


RULE = "must be an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T10:00:00+01:00"


@pytest.mark.parametrize(
    ("given_at", "message"),
    [
        (
            "2026-12-01T24:00:00+24:00",
            "not a valid time: hour 24 (allowed 00–23; midnight is 00:00), "
            f"time zone offset +24:00 (allowed -23:59 to +23:59); {RULE}",
        ),
        ("2026-02-29T10:00:00Z", f"not a valid time: day 29 (2026-02 has 28 days); {RULE}"),
        ("2026-04-31T10:00:00Z", f"not a valid time: day 31 (2026-04 has 30 days); {RULE}"),
        ("2026-13-01T10:00:00Z", f"not a valid time: month 13 (allowed 01–12); {RULE}"),
        ("2026-12-01T10:60:00Z", f"not a valid time: minute 60 (allowed 00–59); {RULE}"),
        (
            "2026-12-31T23:59:60Z",
            f"not a valid time: second 60 (allowed 00–59; no leap seconds); {RULE}",
        ),
        (
            "2026-12-01T10:00:00-01:60",
            f"not a valid time: time zone offset -01:60 (allowed -23:59 to +23:59); {RULE}",
        ),
        ("0000-01-01T10:00:00Z", f"not a valid time: year 0000 (allowed 0001–9999); {RULE}"),
        # Shapes the check does not take apart get the rule, not the parser's words.
        ("2026-12-01T10:00:00+01", RULE),
        ("2026-12-01T10:00:00 +01:00", RULE),
    ],
)
async def test_a_time_out_of_range_names_the_part_and_what_is_allowed(
    api: Any, caplog: pytest.LogCaptureFixture, given_at: str, message: str
) -> None:
    """pydantic said "unexpected extra characters at the end of the input" for hour 24."""
    found = problems(await refused(api, caplog, body(**{"consent.given_at": given_at})))
    assert found["consent.given_at"]["msg"] == message
    assert found["consent.given_at"]["loc"] == ["body", "consent", "given_at"]


async def test_a_leap_day_and_the_last_second_of_a_day_are_times(api: Any) -> None:
    http, _ = api
    for n, given_at in enumerate(("2028-02-29T10:00:00+01:00", "2026-12-31T23:59:59+23:59")):
        payload = lead_payload(external_id=f"ok-{n}", **{"consent.given_at": given_at})
        response = await http.post("/api/leads", json=payload, headers=AUTH)
        assert response.status_code == 201, response.text


async def test_text_is_trimmed_and_json_true_is_consent(api: Any) -> None:
    http, runtime = api
    payload = lead_payload(
        **{
            "company.name": "\ufeff Brauerei Huber GmbH \u00a0\u200b",
            "contact.phone": "+49 89 1234567",
            "campaign": "   ",
            "company.address.country": "de",
        }
    )
    response = await http.post("/api/leads", json=payload, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "unmatched"  # consent (JSON true): not held
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, response.json()["id"])
        personal = await uow.session.get(LeadPersonalData, response.json()["id"])
    assert lead is not None and personal is not None
    assert personal.company_name == "Brauerei Huber GmbH"
    assert lead.campaign is None and lead.country == "DE"


async def test_direction_marks_around_a_copied_value_are_trimmed(api: Any) -> None:
    """Phones wrap a copied number in direction marks; right-to-left text uses isolates."""
    http, runtime = api
    payload = lead_payload(
        **{
            "contact.phone": "\u202d+49 30 1234567\u202c",
            "contact.name": "Dr. \u2067שלום\u2069 Cohen",
        }
    )
    response = await http.post("/api/leads", json=payload, headers=AUTH)
    assert response.status_code == 201, response.text
    async with runtime.uow() as uow:
        personal = await uow.session.get(LeadPersonalData, response.json()["id"])
    assert personal is not None and personal.contact_phone == "+49 30 1234567"
    assert personal.contact_name == "Dr. \u2067שלום\u2069 Cohen"


async def test_an_email_of_the_longest_lengths_rfc_5321_allows_is_stored(api: Any) -> None:
    """64 characters before the @, 254 in all: the limits themselves are fine."""
    http, runtime = api
    longest = "m" * 64 + "@" + ".".join(["d" * 62] * 3) + ".brauerei-huber.de"
    longest = longest[: 254 - len(".de")] + ".de"
    assert len(longest) == 254 and longest.index("@") == 64
    for email in ("m" * 64 + "@brauerei-huber.de", longest):
        response = await http.post(
            "/api/leads",
            json=lead_payload(external_id=email[-20:], **{"contact.email": email}),
            headers=AUTH,
        )
        assert response.status_code == 201, response.text
        async with runtime.uow() as uow:
            personal = await uow.session.get(LeadPersonalData, response.json()["id"])
        assert personal is not None and personal.contact_email == email


async def test_a_blank_email_is_absent_and_a_short_phone_is_a_phone(api: Any) -> None:
    """The documented rules: a blank optional field counts as absent; a phone number is
    5-40 characters, starting with ``+``, a digit or ``(``, ending with a digit."""
    http, runtime = api
    payload = lead_payload(**{"contact.email": " \u200b", "contact.phone": "+49 1"})
    response = await http.post("/api/leads", json=payload, headers=AUTH)
    assert response.status_code == 201, response.text
    async with runtime.uow() as uow:
        personal = await uow.session.get(LeadPersonalData, response.json()["id"])
    assert personal is not None
    assert personal.contact_email is None and personal.contact_phone == "+49 1"
    for phone in ("+491", "1" * 41, "+49 1-"):
        payload = lead_payload(**{"contact.email": None, "contact.phone": phone})
        found = problems(await http.post("/api/leads", json=payload, headers=AUTH))
        assert "contact.phone" in found, (phone, found)


async def test_oversized_body_is_413_in_the_documented_shape(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    response = await refused(api, caplog, body(**{"interest.message": MARKER * 200_000}))
    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 1000000 bytes"}
