"""Inbound and outbound adapters per chat platform (console, Slack, Telegram).

They translate platform input into core calls and notices into platform messages; the
core decides.
"""
