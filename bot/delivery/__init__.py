"""Delivery: a notice's whole life — written with the state change (outbox), resolved into
a view when its turn comes, sent through a platform's ``Transport``, retried, recorded."""
