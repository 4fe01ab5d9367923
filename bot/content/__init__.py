"""What the bot says: anonymized teaser facts, templates, sales content, news."""
