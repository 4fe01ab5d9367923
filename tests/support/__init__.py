"""Test helpers: databases on both backends, factories, a recording transport."""
