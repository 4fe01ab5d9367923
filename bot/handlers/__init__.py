"""Inbound and outbound adapters per platform. They translate; the core decides."""
