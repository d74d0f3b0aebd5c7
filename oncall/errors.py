"""Errors that map to the command line's exit statuses (DESIGN.md: 2 bad input, 3 internal)."""
from __future__ import annotations


class BadInput(Exception):
    """Bad input: the command prints one line and exits 2.

    The message names the file (or the command-line option) and the field, and says what was expected.
    """

    def __init__(self, where: str, field: str | None, expected: str):
        self.where = where
        self.field = field
        self.expected = expected
        super().__init__(self.line())

    def line(self) -> str:
        at = f"{self.where}: {self.field}" if self.field else self.where
        return f"{at}: {self.expected}"
