"""Errors of the commands, which the entry points translate (an HTTP status, or a dead letter for events)."""

from __future__ import annotations


class CommandError(Exception):
    """A command that cannot be done; ``text`` is Dutch for people, ``code`` stable for machines."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class NotFound(CommandError):
    pass


class Conflict(CommandError):
    pass


class InvalidField(CommandError):
    """Input that names something unknown (e.g. an organisation): a 422 naming ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid_field", message)
        self.field = field
