"""Charts drawn on the server with matplotlib: SVG for the cockpit, PNG for the digest.

Why matplotlib (not pygal): one well-kept library gives both formats we need without a
system library (pygal needs Cairo for PNG) and without JavaScript (pygal's interactive SVG
loads scripts from the internet unless switched off). Its SVG text names only local font
families (no font is fetched) and is escaped as XML, so a campaign name cannot break out of
the inline SVG; mathtext is off, so a ``$`` in a name is drawn as it is. We use the object
API (``Figure``), never ``pyplot``: no global state, safe in a server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.delivery.notices import DigestView
from bot.i18n import t
from bot.plaintext import strip_control
from bot.reports.digest import digest_lines
from bot.reports.format import money
from bot.reports.model import CampaignRow, Funnel, PartnerRow, WeekRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BLUE, GREEN, RED, GREY = "#2f6fb0", "#2e8b57", "#c0392b", "#9aa5b1"
MAX_LABEL = 28
# Series told apart by a pattern as well as by colour (WCAG 1.4.1): a reader who cannot
# tell green from red, or a grey-scale print of the page, still matches bar and legend.
HATCHES = ("", "//", "xx", "..", "\\\\", "++")


def short(label: str, limit: int = MAX_LABEL) -> str:
    """A name as a label that fits beside a bar (the table next to the chart has the full
    name), without control characters: the SVG goes into the page as it is, so the template
    cannot strip a stored direction override from it (:func:`bot.plaintext.strip_control`)."""
    label = strip_control(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


@cache
def _matplotlib() -> Any:
    """matplotlib, loaded on the first chart (about 0.3 s) instead of by every CLI command."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "leadbot",  # stable element ids: the same figures, the same SVG
            # Text as <text> in the system's sans-serif (nothing is fetched): several times
            # faster to draw and smaller than glyph paths; matplotlib escapes it as XML.
            "svg.fonttype": "none",
            # Every label literally: a "$" in a campaign or partner name ("Save $5 or $10")
            # is a dollar sign, not mathtext (which garbles it or fails on "$\frac{1}$").
            "text.parse_math": False,
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "hatch.color": "white",  # the pattern over the colour, readable on all of them
            "hatch.linewidth": 1.2,
        }
    )
    return Figure


def _figure(height: float, width: float = 6.4) -> Figure:
    figure_class = _matplotlib()
    return figure_class(figsize=(width, height), dpi=100, layout="constrained")


def svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element to put into HTML (no XML prolog, no doctype)."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    return text[text.index("<svg") :]


def png(fig: Figure, dpi: int = 120) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def _euro_axis(language: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: money(Decimal(int(value)), language))


def funnel_chart(funnel: Funnel, language: str) -> Figure:
    steps = funnel.steps()
    fig = _figure(2.6)
    ax = fig.add_subplot()
    labels = [t(language, f"report.stage.{stage}") for stage, _n, _s in steps]
    counts = [count for _stage, count, _s in steps]
    colors = [BLUE, BLUE, BLUE, BLUE, GREEN, RED]
    bars = ax.barh(labels[::-1], counts[::-1], color=colors[::-1])
    ax.bar_label(bars, padding=3)
    ax.set_title(t(language, "report.funnel"), loc="left")
    ax.set_xlim(0, max(ax.get_xlim()[1], 1))  # no leads: the zero bars' labels at the left
    ax.xaxis.set_visible(False)
    return fig


def trend_chart(weeks: Sequence[WeekRow], language: str, *, height: float = 2.8) -> Figure:
    """Leads received per week (bars) and revenue won per week (line, right axis)."""
    fig = _figure(height)
    ax = fig.add_subplot()
    labels = [w.start.strftime("%d.%m." if language == "de" else "%m-%d") for w in weeks]
    ax.bar(labels, [w.leads for w in weeks], color=BLUE, label=t(language, "report.column.leads"))
    ax.set_ylabel(t(language, "report.column.leads"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    # Counts from 0 in whole leads, also without any (matplotlib would centre 0 in −0.04…0.04).
    ax.set_ylim(0, max(ax.get_ylim()[1], 1))
    right = ax.twinx()
    right.plot(
        labels,
        [float(w.revenue_eur) for w in weeks],
        color=GREEN,
        marker="o",
        label=t(language, "report.column.revenue"),
    )
    right.yaxis.set_major_formatter(_euro_axis(language))
    # From 0 €; with no revenue a scale up to 1.000 € (else every tick reads "0 €").
    right.set_ylim(0, max(right.get_ylim()[1], 1000))
    right.spines["right"].set_visible(True)
    ax.set_title(t(language, "report.weeks"), loc="left")
    if len(labels) > 8:
        ax.tick_params(axis="x", labelrotation=60)
    fig.legend(loc="outside upper right", ncols=2, frameon=False)
    return fig


def campaign_chart(rows: Sequence[CampaignRow], language: str, limit: int = 12) -> Figure:
    """Revenue won and cost per campaign (the ROI table's two money columns)."""
    shown = list(rows[:limit])
    fig = _figure(max(1.6, 0.45 * len(shown) + 1.0))
    ax = fig.add_subplot()
    names = [short(r.campaign or t(language, "report.no_campaign")) for r in shown][::-1]
    positions = range(len(names))
    ax.barh(
        [p + 0.2 for p in positions],
        [float(r.revenue_eur) for r in shown][::-1],
        height=0.4,
        color=GREEN,
        label=t(language, "report.column.revenue"),
    )
    ax.barh(
        [p - 0.2 for p in positions],
        [float(r.cost_eur or 0) for r in shown][::-1],
        height=0.4,
        color=GREY,
        hatch=HATCHES[1],
        label=t(language, "report.column.cost"),
    )
    ax.set_yticks(list(positions), names)
    ax.xaxis.set_major_formatter(_euro_axis(language))
    ax.set_title(t(language, "report.campaigns"), loc="left")
    fig.legend(loc="outside upper right", ncols=2, frameon=False)
    return fig


def partner_chart(rows: Sequence[PartnerRow], language: str, limit: int = 15) -> Figure:
    """Per partner: claims against everything that went wrong (expired, recalled, handed back,
    declined), stacked."""
    shown = list(rows[:limit])
    fig = _figure(max(1.6, 0.4 * len(shown) + 1.0))
    ax = fig.add_subplot()
    # One bar per row by position, labelled afterwards: bars placed by name would put two
    # partners of the same (shortened) name on one bar, adding up their figures.
    positions = list(range(len(shown)))
    claims = [r.claims for r in shown][::-1]
    ax.barh(positions, claims, color=GREEN, label=t(language, "report.column.claims"))
    left = list(claims)
    for (key, color), hatch in zip(
        (("expired", GREY), ("recalls", RED), ("handbacks", "#e67e22"), ("declines", "#8e44ad")),
        HATCHES[1:],
        strict=False,
    ):
        values = [getattr(r, key) for r in shown][::-1]
        ax.barh(
            positions,
            values,
            left=left,
            color=color,
            hatch=hatch,
            label=t(language, f"report.column.{key}"),
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, [short(r.name) for r in shown][::-1])
    ax.set_xlim(0, max(ax.get_xlim()[1], 1))  # counts: no negative or fractional axis at 0
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(t(language, "report.partners"), loc="left")
    fig.legend(loc="outside upper right", ncols=3, frameon=False)
    return fig


def digest_png(view: DigestView) -> bytes:
    """The digest image: the last weeks' leads and revenue, titled with the week's figures."""
    weeks = [WeekRow(start, leads, 0, revenue) for start, leads, revenue in view.weeks]
    fig = trend_chart(weeks, view.language, height=3.6)
    title, figures = digest_lines(view)[:2]
    fig.suptitle(f"{title}\n{figures}", x=0.02, ha="left", fontweight="bold")
    return png(fig)
