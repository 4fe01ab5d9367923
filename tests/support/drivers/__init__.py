"""One driver per chat platform for the dialogue harness (tests/support/chat_world.py)."""
