"""The staff cockpit's core: one-time sign-in links, signed sessions, charts.

The web pages live in :mod:`bot.web.cockpit`; the figures come from :mod:`bot.reports`.
"""
