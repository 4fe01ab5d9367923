"""Inbound and outbound adapters per chat platform (console, Slack, Telegram)."""
