"""The loader's own error: one clear message naming the file and the fix."""

from __future__ import annotations


class DataError(Exception):
    """A data folder or file cannot be used; the message names the file and the fix.

    ``problems`` holds one line per problem when several files failed at once.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]
