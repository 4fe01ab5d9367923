"""Use cases. Each takes a unit of work, changes state, queues the notices it causes, and
leaves committing to the caller's unit of work (or commits itself where documented)."""
