"""Any command's answer as Slack messages (ephemeral): pure, from the result data.

Most answers are one message. The staff pipeline and an explanation with hundreds of
partners run over several (Slack takes 50 blocks a message): the later ones continue the
first (:func:`~bot.handlers.slack.kit.split_messages`), up to the five messages one
``response_url`` takes, and what even those cannot hold is counted, never cut unsaid.
"""

from __future__ import annotations

from bot.chat.grammar import VERBS
from bot.chat.results import (
    Explanation,
    HelpView,
    LeadList,
    Profile,
    Reply,
    Result,
    TeaserList,
    rep_list_heading,
)
from bot.delivery.notices import LeadCardView
from bot.handlers.slack import blocks
from bot.handlers.slack.kit import (
    MAX_ANSWER_BLOCKS,
    MAX_BLOCKS,
    Block,
    Message,
    context,
    esc,
    section,
    split_messages,
)
from bot.handlers.slack.lead_cards import lead_card
from bot.handlers.slack.lists import explanation_blocks, leads_blocks, pipeline_blocks
from bot.i18n import t
from bot.reports.format import report_summary
from bot.reports.model import Report as PipelineReport

_VERBS = {verb.name: verb for verb in VERBS}


def help_blocks(view: HelpView, language: str, prefix: str) -> list[Block]:
    """Every command this person may use, as ``/leads <usage>`` lines, from the grammar."""
    lines = [
        f"*{esc(prefix + _VERBS[name].usage_in(language))}* — {esc(t(language, f'verb.{name}'))}"
        for name in view.verbs
    ]
    found = [section("\n".join(lines))]
    if view.rep or not view.staff:
        found.append(section(esc(t(language, "slack.help_claim"))))
    return found


def overview(result: LeadList, language: str) -> list[Message]:
    """``/leads``: a rep's open leads; for staff the pipeline (both for a rep on staff)."""
    found: list[Block] = []
    text = t(language, rep_list_heading(result.mine))
    if result.everyone is None or result.mine:
        found.extend(leads_blocks(result.mine, language))
    if result.pipeline is not None:
        room = MAX_ANSWER_BLOCKS - len(found)
        found.extend(pipeline_blocks(result.pipeline, language, max_blocks=room))
        text = report_summary(result.pipeline, language)[0]
    return split_messages(esc(text), found)


def teaser_list(result: TeaserList, language: str) -> Message:
    """``/leads teasers``: whole teasers, each with its buttons, as many as one message
    holds; the rest are counted (they are in the company's channel), never cut mid-teaser."""
    found: list[Block] = []
    for n, view in enumerate(result.teasers):
        teaser = blocks.teaser(view).blocks
        if len(found) + len(teaser) > MAX_BLOCKS - 1:
            more = t(language, "slack.teasers_more", count=len(result.teasers) - n)
            found.append(context(esc(more)))
            break
        found.extend(teaser)
    return Message(esc(t(language, "teaser.title")), found)


def result_messages(result: Result, language: str, *, prefix: str) -> list[Message]:
    """The answer to a command: one message, or several that continue the first."""
    if isinstance(result, LeadList):
        return overview(result, language)
    if isinstance(result, PipelineReport):
        title = esc(report_summary(result, language)[0])
        return split_messages(title, pipeline_blocks(result, language))
    if isinstance(result, Explanation):
        lines = result.lines
        title = esc(lines[0] if lines else f"#{result.lead_id}")
        return split_messages(title, explanation_blocks(lines, result.lead_id, language))
    return [result_message(result, language, prefix=prefix)]


def result_message(result: Result, language: str, *, prefix: str) -> Message:
    """An answer that is always one message."""
    if isinstance(result, Reply):
        return blocks.reply(result, language)
    if isinstance(result, LeadCardView):
        return lead_card(result)
    if isinstance(result, TeaserList):
        if not result.teasers:
            words = esc(t(language, "reply.no_teasers"))
            return Message(words, [section(words)])
        return teaser_list(result, language)
    if isinstance(result, HelpView):
        return Message(esc(prefix.strip()), help_blocks(result, language, prefix))
    assert isinstance(result, Profile)
    who = result.words(language)
    return Message(esc(who), [section(esc(who))])
