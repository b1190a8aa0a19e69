"""Why an operation refuses its input: every refusal names the field at fault with a
Chinese message, whichever entry point (web, API, CLI, job) called.

Each feature's operations raise their own subclass of :class:`Refusal` (``OrgError``,
``LearnerError`` …) so that callers can tell them apart; a form puts ``errors`` under its
fields (:class:`trainhub.forms.FieldErrors`), the API answers a problem document naming
them (:func:`trainhub.api.refused`), a command says it with :class:`CommandError`.
"""

from __future__ import annotations

import click


class Refusal(ValueError):
    """A refused input or change. ``errors`` maps every input at fault to its Chinese
    message (usually one); ``field`` and ``message`` are the first of them.

    Raise ``Refusal(field, message)`` for one input, ``Refusal(errors={...})`` for several
    at once (every mistake shown together)."""

    #: The HTTP status the API answers with (409 for a clash with registered data).
    status = 422

    def __init__(self, field: str | None = None, message: str | None = None, *,
                 errors: dict[str, str] | None = None):
        self.errors = dict(errors) if errors else {field: message}
        self.field, self.message = next(iter(self.errors.items()))
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class CommandError(click.ClickException):
    """A refused ``trainhub`` command: the Chinese message on stderr, exit status 1 (the
    command's unit of work rolls back: nothing is written)."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)
