"""Usage errors: every bad argument and option of a command line at once.

click stops at the first bad value it meets. Someone who typed two wrong values
(``partners pause P1 --reason "a<newline>b" --until soon``) then fixes one, runs the command
again, and only then learns about the other. :class:`LeadbotCommand` — the class of every
``leadbot`` command (:func:`bot.cli.common.command`) — names each of them in one usage
error instead (exit status 2, nothing read or changed), one ``Error:`` line per value:

    Error: Invalid value for '--reason': contains a control character (U+000A); …
    Error: Invalid value for '--until': not a date: 'soon'

Values that are checked against each other (``report --from`` after ``--to``) can only be
checked once each is good; the command body does that, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
from click.core import iter_params_for_processing


class BadParameters(click.UsageError):
    """Several bad parameters of one command line, each said as click says one."""

    def __init__(self, errors: Sequence[click.UsageError], ctx: click.Context) -> None:
        super().__init__(errors[0].format_message(), ctx)
        self.errors = list(errors)

    def format_message(self) -> str:
        # click puts "Error: " before the message; each further problem gets its own.
        return "\nError: ".join(error.format_message() for error in self.errors)


class LeadbotCommand(click.Command):
    """A command that refuses a command line with every bad parameter it has, not only the
    first one click meets.

    A command line without a bad value is parsed by click exactly as always. Only when
    click refuses one is the command line read again, every parameter on its own (in the
    order click processes them: eager ones first, then as typed), to collect the others'
    problems too; the values of that second reading are thrown away with the error."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        typed = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.BadParameter as first:
            try:
                errors = self._every_problem(ctx, typed)
            except Exception:  # click internals changed: its first error is still right
                errors = []
            if len(errors) < 2:
                raise first from None
            raise BadParameters(errors, ctx) from None

    def _every_problem(self, ctx: click.Context, typed: list[str]) -> list[click.UsageError]:
        """The problems of each parameter of ``typed``, and extra arguments if any."""
        try:
            opts, rest, order = self.make_parser(ctx).parse_args(args=list(typed))
        except click.UsageError:
            return []  # not even split into parameters: the first error is all there is
        ctx.params.clear()
        errors: list[click.UsageError] = []
        for param in iter_params_for_processing(order, self.get_params(ctx)):
            try:
                _, rest = param.handle_parse_result(ctx, opts, rest)
            except click.BadParameter as exc:
                errors.append(exc)
        if rest and not ctx.allow_extra_args:
            noun = "argument" if len(rest) == 1 else "arguments"  # click's own words
            extra = " ".join(map(str, rest))
            errors.append(click.UsageError(f"Got unexpected extra {noun} ({extra})", ctx))
        return errors
