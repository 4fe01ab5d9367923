"""Signing in to the cockpit in a test, the way staff do: a one-time link, then its form."""

from __future__ import annotations

import httpx

from bot.actors import Actor
from bot.cockpit.links import create_login_link
from bot.models import Channel
from bot.runtime import Runtime


async def sign_in(http: httpx.AsyncClient, runtime: Runtime, name: str = "anna") -> None:
    """Sign ``http`` in as staff member ``name`` (``leadbot cockpit link``, then the link's
    form posted): its cookie jar holds the session afterwards."""
    async with runtime.uow() as uow:
        link = await create_login_link(uow, Actor.staff(Channel.CLI, name=name))
    signed = await http.post("/cockpit/login", data={"token": link.rpartition("token=")[2]})
    assert signed.status_code == 303, signed.text
