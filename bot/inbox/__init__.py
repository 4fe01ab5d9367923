"""The press inbox: a press is stored before it is acknowledged, then decided from there.

Slack wants every click acknowledged within three seconds, and 200 reps pressing Claim at
the same moment should each see that ack at once. Deciding every press before its ack
(the claim's transaction, the presser's answer) made the last presser of such a burst wait
for all the others. So a Claim press is *persisted first and processed from there*
(issue 14's "no press is lost"):

1. **accept** (:meth:`PressInbox.accept`): the press's seen mark and a ``pending_presses``
   row are written in one transaction — group-committed with the presses arriving at the
   same moment — and only then does the platform get its 200;
2. **process** (:meth:`PressInbox.run_forever`): the process that stored it hands it to its
   handler (decide the claim, answer the presser) and deletes the row;
3. **recover**: a row whose process died is taken up by any process once the row's lease
   has run out (:data:`~bot.inbox.store.LEASE`); a process that is stopped hands its
   unfinished rows back at once. The core services are idempotent for a repeated press
   (a second Claim by the winner is "already yours").

A repeated delivery (Slack's retry, the same click twice) finds its seen mark and is
acknowledged without a second row. Storing that takes longer than
:data:`~bot.inbox.worker.ACCEPT_SECONDS` (a stalled database) is acknowledged at that
deadline and processed once stored — see docs/slack.md for that trade-off.
"""

from __future__ import annotations

from bot.inbox.press import Accepted, Press, PressHandler
from bot.inbox.worker import PressInbox

__all__ = ["Accepted", "Press", "PressHandler", "PressInbox"]
