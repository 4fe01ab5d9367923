"""Which content fits which lead, and which updates are due (pure selection, no database)."""

from __future__ import annotations

from datetime import date

from bot.config import Product
from bot.content.library import ItemKind, ItemText, LibraryItem
from bot.content.packs import OpenLead, lead_context, plan_updates, select_pack

CATALOGUE = [
    Product(id="X200", line="X-series"),
    Product(id="X500", line="X-series"),
    Product(id="C10", line="Cloud"),
]
TODAY = date(2026, 3, 2)


def item(key: str, kind: ItemKind = ItemKind.ARGUMENT, line: str = "X-series", **kw) -> LibraryItem:
    return LibraryItem(key=key, kind=kind, line=line, texts={"de": ItemText(key, "...")}, **kw)


LIBRARY = [
    item("svc", ItemKind.SERVICE),
    item("offer-now", ItemKind.OFFER, valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31)),
    item("offer-expired", ItemKind.OFFER, valid_until=date(2026, 3, 1)),
    item("offer-later", ItemKind.OFFER, valid_from=date(2026, 3, 3), valid_until=date(2026, 4, 1)),
    item("arg-all"),
    item("arg-food", industries=("food",)),
    item("arg-x500", products=("X500",)),
    item("cloud-arg", line="Cloud"),
]


def keys(items: list[LibraryItem]) -> list[str]:
    return [i.key for i in items]


def test_pack_holds_current_items_of_the_leads_line_in_reading_order() -> None:
    lead = lead_context(["X200"], "Food", CATALOGUE)
    assert keys(select_pack(LIBRARY, lead, TODAY)) == ["arg-food", "arg-all", "offer-now", "svc"]


def test_validity_dates_are_inclusive_and_in_local_days() -> None:
    lead = lead_context(["X200"], "retail", CATALOGUE)
    assert "offer-expired" in keys(select_pack(LIBRARY, lead, date(2026, 3, 1)))
    assert "offer-expired" not in keys(select_pack(LIBRARY, lead, date(2026, 3, 2)))
    assert "offer-later" in keys(select_pack(LIBRARY, lead, date(2026, 3, 3)))


def test_industry_and_product_restrictions() -> None:
    retail_x500 = lead_context(["X500"], "retail", CATALOGUE)
    assert keys(select_pack(LIBRARY, retail_x500, TODAY)) == [
        "arg-all",
        "arg-x500",
        "offer-now",
        "svc",
    ]
    unknown_industry = lead_context(["X200"], "Brewing & Malting", CATALOGUE)  # -> "other"
    assert "arg-food" not in keys(select_pack(LIBRARY, unknown_industry, TODAY))


def test_lead_with_several_lines_gets_each_lines_content_and_unknown_products_nothing() -> None:
    both = lead_context(["X200", "C10"], None, CATALOGUE)
    assert {"cloud-arg", "arg-all"} <= set(keys(select_pack(LIBRARY, both, TODAY)))
    assert select_pack(LIBRARY, lead_context(["Z9"], None, CATALOGUE), TODAY) == []


def test_updates_only_what_the_owner_has_not_had_grouped_per_rep() -> None:
    x = lead_context(["X200"], "food", CATALOGUE)
    cloud = lead_context(["C10"], None, CATALOGUE)
    leads = [
        OpenLead(1, rep_id=10, platform="slack", context=x),
        OpenLead(2, rep_id=10, platform="slack", context=x),
        OpenLead(3, rep_id=20, platform="telegram", context=cloud),
    ]
    current = {i.key: i for i in LIBRARY}
    delivered = {
        (lead, 10, key): current[key].version
        for lead in (1, 2)
        for key in ("arg-food", "arg-all", "offer-now", "svc")
    }
    delivered[(3, 20, "cloud-arg")] = current["cloud-arg"].version
    assert plan_updates(LIBRARY, leads, delivered, TODAY) == []

    edited = item(
        "offer-now", ItemKind.OFFER, valid_from=date(2026, 3, 1), valid_until=date(2026, 4, 30)
    )
    new = item("arg-new")
    library = [i for i in LIBRARY if i.key != "offer-now"] + [edited, new]
    pushes = plan_updates(library, leads, delivered, TODAY)
    assert len(pushes) == 1, "the Cloud owner gets nothing: nothing changed for Cloud"
    push = pushes[0]
    assert (push.rep_id, push.platform, push.lead_ids) == (10, "slack", (1, 2))
    assert [(p.item.key, p.change, p.lead_ids) for p in push.items] == [
        ("arg-new", "new", (1, 2)),
        ("offer-now", "changed", (1, 2)),
    ]


def test_an_offer_becoming_valid_is_due_then_and_not_before() -> None:
    leads = [OpenLead(1, 10, None, lead_context(["X200"], None, CATALOGUE))]
    delivered = {(1, 10, i.key): i.version for i in select_pack(LIBRARY, leads[0].context, TODAY)}
    assert plan_updates(LIBRARY, leads, delivered, TODAY) == []
    later = plan_updates(LIBRARY, leads, delivered, date(2026, 3, 3))
    assert [p.item.key for p in later[0].items] == ["offer-later"]


def test_widening_the_audience_reaches_only_newly_fitting_leads() -> None:
    food = OpenLead(1, 10, None, lead_context(["X200"], "food", CATALOGUE))
    retail = OpenLead(2, 20, None, lead_context(["X200"], "retail", CATALOGUE))
    arg_food = next(i for i in LIBRARY if i.key == "arg-food")
    delivered = {(1, 10, "arg-food"): arg_food.version}
    widened = item("arg-food", industries=("food", "retail"))
    assert widened.version == arg_food.version  # same text: same version
    [push] = plan_updates([widened], [food, retail], delivered, TODAY)
    assert (push.rep_id, [(p.item.key, p.change) for p in push.items]) == (
        20,
        [("arg-food", "new")],
    )
