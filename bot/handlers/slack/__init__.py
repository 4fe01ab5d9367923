"""The Slack app: teasers with a Claim button, the DM lead card, status buttons and modals,
App Home, ``/leads`` and the staff feed. ``docs/slack.md`` explains setup and behaviour.

``platform.py`` is what the core sees (addressing, identity, escaping); ``app.py`` is what
``leadbot serve`` adds (the Bolt app, its route or Socket Mode, the outbox transport)."""
