"""Signing in to the cockpit in a test, the way staff do: a one-time link, then its form."""

from __future__ import annotations

from typing import Any

import httpx

from bot.actors import Actor
from bot.clock import Clock
from bot.cockpit.links import create_login_link
from bot.models import Channel
from bot.runtime import Runtime
from tests.support.factories import add_partner

COCKPIT_SECRET = "a-test-secret-of-some-length"


async def cockpit_runtime(
    make_settings: Any,
    clock: Clock,
    *,
    api_token: str,
    products: list[dict[str, Any]],
    partner: str,
    **sections: Any,
) -> Runtime:
    """A runtime with the cockpit set up (in English), the lead API open to ``api_token``
    and one partner, ``P1``, called ``partner``; ``sections`` as for ``make_settings``."""
    settings = make_settings(
        cockpit={"secret": COCKPIT_SECRET},
        server={"api_token": api_token},
        staff={"language": "en"},
        products=products,
        **sections,
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", name=partner)
        await uow.commit()
    return runtime


async def sign_in(http: httpx.AsyncClient, runtime: Runtime, name: str = "anna") -> None:
    """Sign ``http`` in as staff member ``name`` (``leadbot cockpit link``, then the link's
    form posted): its cookie jar holds the session afterwards."""
    async with runtime.uow() as uow:
        link = await create_login_link(uow, Actor.staff(Channel.CLI, name=name))
    signed = await http.post("/cockpit/login", data={"token": link.rpartition("token=")[2]})
    assert signed.status_code == 303, signed.text
