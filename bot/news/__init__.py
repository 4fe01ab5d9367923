"""Prospect news: RSS/Atom feeds, matching items to open leads, pushing them to owners."""
