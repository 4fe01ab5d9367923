"""The console chat: a terminal platform that goes through the same core and outbox."""
