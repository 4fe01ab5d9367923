"""The HTTP side: the lead API, operations endpoints and the one ASGI app every platform's
routes are mounted into."""
