"""E-mail as a chat platform: teasers to partners' lead inboxes, cards and notices to reps.

Out: the outbox's :class:`~bot.handlers.email.transport.EmailTransport` sends each notice as
one multipart text + HTML message over SMTP. Back in: signed one-click links to
``/email/act`` (:mod:`bot.handlers.email.act`) claim a lead or report its progress. The
light part the core loads through the registry is :mod:`bot.handlers.email.platform`; the
server part (``app.contribute``) is loaded by ``leadbot serve`` only when enabled.
"""
