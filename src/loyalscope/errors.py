"""The exception tree of Loyalscope.

Every error a user can meet says what went wrong, where (file, row, column, value) and how to
fix it. ``str(error)`` renders all of that in one message; the parts stay available as
attributes so the CLI and web pages can lay them out.
"""

from __future__ import annotations

from typing import Any


class LoyalscopeError(Exception):
    """Base class of every error raised on purpose by Loyalscope.

    Parameters
    ----------
    message : str
        What went wrong, in the user's language.
    fix : str, optional
        How to fix it (a command, a config line, a value to change).
    file, row, column, value : optional
        Where the problem is. ``row`` is the 1-based line number in the source file
        (the header is line 1 of a CSV).
    """

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        self.message = message
        self.fix = fix
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self.__str__())

    def location(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(f"file {self.file}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        where = self.location()
        if where:
            text += f" [{where}]"
        if self.fix:
            text += f"\nFix: {self.fix}"
        return text

    #: the type reported in ``--json``, the API and the job page; a subclass made for internal
    #: use (a section's own error carrying catalogue keys) sets it to its documented parent
    public_name: str | None = None

    def kind(self) -> str:
        """The error type users and scripts see (``public_name``, else the class name)."""
        return type(self).public_name or type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.kind(),
            "message": self.message,
            "fix": self.fix,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
        }


class SchemaError(LoyalscopeError):
    """A table or column is missing, ambiguous or of the wrong type."""


class DataQualityError(LoyalscopeError):
    """Values cannot be used as they are (unparseable, ambiguous dates, ...)."""


class ConfigError(LoyalscopeError):
    """The configuration (``loyalscope.toml`` or CLI flags) is invalid."""


class NotFittedError(LoyalscopeError):
    """A model was used before ``fit`` was called."""


class ConvergenceError(LoyalscopeError):
    """An optimiser did not converge; the message lists what to try."""


class InsufficientDataError(LoyalscopeError):
    """There is too little data for the computation asked for."""


class OutputError(LoyalscopeError):
    """An output folder cannot be written (read-only, full, no permission)."""


class EngineResourceError(LoyalscopeError):
    """The engine ran out of memory under its limit, or out of disk for its spill files."""
