"""Reading and erasing leads over HTTP: what a CRM needs to follow its leads in leadbot.

* ``GET /api/leads/{id}`` and ``GET /api/leads?external_id=…``: the lead's state, owner,
  outcome and audit trail (:mod:`bot.crm.view`; no personal data — the CRM has it).
* ``GET /api/leads?updated_since=…&limit=…&cursor=…``: a page of leads changed since
  then, in commit order, with ``next_cursor`` (:mod:`bot.crm.paging`).
* ``DELETE /api/leads/{id}`` and ``DELETE /api/leads?external_id=…``: erasure, exactly as
  ``leadbot erase`` does it.

Same bearer token as ``POST /api/leads``. Parameters are read and checked by
:mod:`bot.web.crm_params` (not by FastAPI) so a bad one gets the API's one 422 shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from bot.actors import Actor
from bot.crm.erased_leads import EXTERNAL_ID, erased_lead
from bot.crm.paging import CursorAhead, changed_leads
from bot.crm.view import leads_json
from bot.errors import Gone, NotFound
from bot.leads.staff import erase
from bot.models import Channel, Lead
from bot.plaintext import quoted
from bot.runtime import Runtime
from bot.web import openapi
from bot.web.common import Detail, ValidationFailed, invalid, problem, require_token
from bot.web.crm_models import LeadOut
from bot.web.crm_params import (
    DELETE_PARAMETERS,
    GET_PARAMETERS,
    BadParameter,
    cursor_of,
    external_id_of,
    lead_id_of,
    only,
    page_limit,
    updated_since,
)

router = APIRouter(tags=["leads"], dependencies=[Depends(require_token)])

COMMON = {
    401: {"model": Detail, "description": "Missing or wrong token, or none configured"},
    422: {"model": ValidationFailed, "description": "A bad parameter, named"},
}


async def _one_lead(runtime: Runtime, lead_id: int) -> dict[str, Any] | None:
    async with runtime.uow() as uow:
        await uow.read_only()
        lead = await uow.session.get(Lead, lead_id)
        return None if lead is None else (await leads_json(uow.session, [lead]))[0]


def _erased_external_id(external_id: str, lead_id: int) -> str:
    return (
        f"external_id {quoted(external_id)} belonged to lead {lead_id}, whose personal data was "
        "erased on request"
    )


@router.get(
    "/api/leads/{lead_id}",
    summary="One lead's state and audit trail",
    responses={
        200: {"model": LeadOut, "description": "The lead (no personal data)"},
        404: {"model": Detail, "description": "No lead with this id"},
        **COMMON,
    },
    openapi_extra={"parameters": [openapi.LEAD_ID_PARAMETER]},
)
async def get_lead(request: Request) -> JSONResponse:
    """The lead: status, owner partner and rep, claimed/contacted/closed times, revenue,
    lost reason, follow-up date and the audit events (who, from where, when, what).
    An erased lead keeps its statistics and shows status ``erased``."""
    runtime: Runtime = request.app.state.runtime
    try:
        only(request, frozenset())
        lead_id = lead_id_of(request)
    except BadParameter as exc:
        return invalid(request, [exc.problem], exc.where, "crm_invalid")
    found = await _one_lead(runtime, lead_id)
    if found is None:
        return problem(request, 404, f"lead {lead_id} does not exist", "crm_not_found")
    request.app.state.api_results["crm_read"] += 1
    return JSONResponse(found)


@router.get(
    "/api/leads",
    summary="A lead by external_id, or a page of leads changed since a time",
    responses={
        200: {
            "description": "With external_id: the lead. Otherwise: a page of leads in the "
            "order they changed; keep next_cursor to ask for later changes",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/LeadOut"},
                            {"$ref": "#/components/schemas/LeadPage"},
                        ]
                    }
                }
            },
        },
        404: {"model": Detail, "description": "No lead with this external_id"},
        409: {
            "model": Detail,
            "description": "The cursor is ahead of every change of this database: it was "
            "given out by another one (staging, a database restored from a backup)",
        },
        410: {"model": Detail, "description": "The external_id belonged to an erased lead"},
        **COMMON,
    },
    openapi_extra={"parameters": openapi.LIST_PARAMETERS},
)
async def list_leads(request: Request) -> JSONResponse:
    """``?external_id=…``: that lead (``404`` unknown, ``410`` erased).

    Otherwise a page: ``{"items": [...], "next_cursor": "...", "has_more": bool}`` of the
    leads changed at or after ``updated_since`` (all leads without it), oldest change
    first, at most ``limit`` (default 100, at most 1000). Pass ``next_cursor`` as
    ``cursor`` for the next page. Paging is stable under concurrent changes: no lead is
    skipped; a lead that changes again while you page comes once more, with its new state.
    """
    runtime: Runtime = request.app.state.runtime
    try:
        values = only(request, GET_PARAMETERS)
        external_id = external_id_of(values)
        since, limit, cursor = updated_since(values), page_limit(values), cursor_of(values)
    except BadParameter as exc:
        return invalid(request, [exc.problem], exc.where, "crm_invalid")
    if external_id is not None:
        return await _by_external_id(request, runtime, external_id)
    async with runtime.uow() as uow:
        await uow.read_only()
        try:
            page = await changed_leads(uow.session, since, cursor, limit)
        except CursorAhead as exc:
            return problem(request, 409, str(exc), "crm_invalid")
        items = await leads_json(uow.session, page.leads)
    request.app.state.api_results["crm_read"] += 1
    body = {"items": items, "next_cursor": str(page.next_cursor), "has_more": page.has_more}
    return JSONResponse(body)


async def _find_external_id(
    runtime: Runtime, external_id: str
) -> tuple[dict[str, Any] | None, int | None]:
    """(the lead's view, None) if stored; (None, erased lead id) if erased; else (None, None)."""
    async with runtime.uow() as uow:
        await uow.read_only()
        lead = await uow.session.scalar(select(Lead).where(Lead.external_id == external_id))
        if lead is not None:
            return (await leads_json(uow.session, [lead]))[0], None
        return None, await erased_lead(uow.session, runtime.settings, EXTERNAL_ID, external_id)


async def _by_external_id(request: Request, runtime: Runtime, external_id: str) -> JSONResponse:
    found, erased = await _find_external_id(runtime, external_id)
    if found is not None:
        request.app.state.api_results["crm_read"] += 1
        return JSONResponse(found)
    if erased is not None:
        return problem(request, 410, _erased_external_id(external_id, erased), "crm_gone")
    return problem(request, 404, f"no lead has external_id {quoted(external_id)}", "crm_not_found")


async def _erase(runtime: Runtime, lead_id: int) -> dict[str, Any]:
    """Erase like ``leadbot erase`` (an erased lead stays as it is); the lead's view after.

    Two DELETEs at once erase once: :func:`erase` decides under the lead's lock, so the
    second sees the erased lead and changes nothing. NotFound for an unknown id."""
    actor = Actor.tool(Channel.API, "api")
    async with runtime.uow() as uow:
        await erase(uow, lead_id, actor)
    async with runtime.uow() as uow:
        await uow.read_only()
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None
        return (await leads_json(uow.session, [lead]))[0]


ERASED = {
    200: {
        "model": LeadOut,
        "description": "Erased (or already erased): the lead's statistics, status erased",
    },
}


@router.delete(
    "/api/leads/{lead_id}",
    summary="Erase a lead's personal data (as leadbot erase)",
    responses={
        **ERASED,
        404: {"model": Detail, "description": "No lead with this id"},
        **COMMON,
    },
    openapi_extra={"parameters": [openapi.LEAD_ID_PARAMETER]},
)
async def delete_lead(request: Request) -> JSONResponse:
    """Remove the lead's personal data everywhere and withdraw its teasers; anonymous
    statistics stay. Its external_id and contact e-mail are kept only as keyed hashes, so
    the same lead is refused (410) and the same e-mail is held if they come back.
    Erasing an erased lead again changes nothing and answers 200."""
    runtime: Runtime = request.app.state.runtime
    try:
        only(request, frozenset())
        lead_id = lead_id_of(request)
    except BadParameter as exc:
        return invalid(request, [exc.problem], exc.where, "crm_invalid")
    try:
        erased = await _erase(runtime, lead_id)
    except NotFound as exc:
        return problem(request, 404, str(exc), "crm_not_found")
    request.app.state.api_results["crm_erased"] += 1
    return JSONResponse(erased)


@router.delete(
    "/api/leads",
    summary="Erase the lead with this external_id",
    responses={
        **ERASED,
        404: {"model": Detail, "description": "No lead with this external_id"},
        410: {"model": Detail, "description": "The external_id's lead was erased already"},
        **COMMON,
    },
    openapi_extra={"parameters": [openapi.EXTERNAL_ID_PARAMETER_REQUIRED]},
)
async def delete_by_external_id(request: Request) -> JSONResponse:
    """``DELETE /api/leads?external_id=…``: the same erasure, found by the CRM's id."""
    runtime: Runtime = request.app.state.runtime
    try:
        external_id = external_id_of(only(request, DELETE_PARAMETERS))
        if external_id is None:
            raise BadParameter("query", "external_id", "required", "missing")
    except BadParameter as exc:
        return invalid(request, [exc.problem], exc.where, "crm_invalid")
    found, erased = await _find_external_id(runtime, external_id)
    if found is None and erased is not None:
        return problem(request, 410, _erased_external_id(external_id, erased), "crm_gone")
    if found is None:
        return problem(
            request, 404, f"no lead has external_id {quoted(external_id)}", "crm_not_found"
        )
    try:
        view = await _erase(runtime, int(found["id"]))
    except (NotFound, Gone) as exc:
        return problem(request, 404, str(exc), "crm_not_found")
    request.app.state.api_results["crm_erased"] += 1
    return JSONResponse(view)
