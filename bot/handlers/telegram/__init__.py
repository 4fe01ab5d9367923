"""Telegram: teasers with an inline Claim button in partner groups, the lead card and status
buttons in the rep's private chat, deep-link onboarding. See docs/telegram.md.

``platform.py`` is what the core sees (addressing, identity, escaping); ``app.py`` is what
``leadbot serve`` adds (PTB inside our app, webhook or polling, the outbox transport)."""
