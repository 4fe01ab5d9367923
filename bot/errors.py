"""Errors a service raises when a request cannot be carried out. Nothing has changed then."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that was refused; the message is fit to show to the person who asked."""


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
