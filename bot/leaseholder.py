"""Names that say who holds a leased row: the chat outbox's sender and the webhook sender
write theirs on the rows they take and record outcomes only where it is still theirs."""

from __future__ import annotations

import os
import socket
import uuid


def holder_name() -> str:
    """This process's name on the rows it holds: host, pid and a random part (a restarted
    process with the same pid is a different holder). At most 49 characters."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
