"""The staff cockpit at ``/cockpit``: overview, campaigns, partners, leads, one lead.

Every page takes ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` and every table has a CSV download
(``/cockpit/csv/<table>`` with the same range). Pages need the signed session cookie a
one-time link sets (:mod:`bot.cockpit.links`); without it they answer 401 with a page
that says how to get a link. Figures come from :func:`bot.reports.pipeline.pipeline` —
the same as ``leadbot report`` — and charts are SVG drawn on the server. Errors (a bad
date or filter, an unknown lead, table or address) are pages too, in the reader's
language, titled with what went wrong.

This module puts the cockpit together for :func:`bot.web.api.create_app`; each part has
its own module:

* :mod:`bot.web.cockpit_access` — who may see a page; the refusal and error pages;
* :mod:`bot.web.cockpit_signin` — the one-time link's sign-in, and sign-out;
* :mod:`bot.web.cockpit_reports` — overview, campaigns, partners;
* :mod:`bot.web.cockpit_leads` — the lead list and one lead;
* :mod:`bot.web.cockpit_csv` — the CSV downloads;
* :mod:`bot.web.cockpit_pages` — rendering: templates, headers, the page language.
"""

from __future__ import annotations

from fastapi import APIRouter

from bot.web import cockpit_csv, cockpit_leads, cockpit_reports, cockpit_signin
from bot.web.cockpit_access import PREFIX, install, outage_page

__all__ = ["PREFIX", "install", "outage_page", "router"]

router = APIRouter(include_in_schema=False)
for _part in (cockpit_signin, cockpit_reports, cockpit_leads, cockpit_csv):
    router.include_router(_part.router)
