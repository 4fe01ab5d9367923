"""``python -m bot`` is the same as the ``leadbot`` command."""

from bot.cli import run

run()
