"""One error type for bad input, so every front end (CLI, notebook, checker) can report it
as a single line naming the file, the row, the column and what was expected."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input data.

    Parameters
    ----------
    file
        The file the data came from (or a short description such as ``"<DataFrame>"``).
    message
        What was wrong and what was expected.
    row
        Row number as a spreadsheet shows it (the header is row 1, the first data row is
        row 2), or ``None`` when the problem concerns the whole file.
    column
        Column name, or ``None``.
    field
        For structured files (YAML scenarios): the dotted path of the field, or ``None``.
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return one_line(f"{', '.join(where)}: {self.message}")


# Characters that end a line for str.splitlines (and so for anyone reading the message),
# and other control characters, shown escaped: a message is always one line.
_LINE_BREAKS = {
    c: repr(chr(c))[1:-1] for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
}


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters escaped (``\\n``, ``\\x85``)."""
    return text.translate(_LINE_BREAKS)


PYDANTIC_MESSAGES = {
    "greater_than_equal": "expected a number >= {ge}, got {input}",
    "greater_than": "expected a number > {gt}, got {input}",
    "less_than_equal": "expected a number <= {le}, got {input}",
    "less_than": "expected a number < {lt}, got {input}",
    "float_parsing": "expected a number, got {input}",
    "float_type": "expected a number, got {input}",
    "int_parsing": "expected a whole number, got {input}",
    "int_type": "expected a whole number, got {input}",
    "int_from_float": "expected a whole number, got {input}",
    "finite_number": "expected a finite number, got {input}",
    "bool_parsing": "expected true or false, got {input}",
    "bool_type": "expected true or false, got {input}",
    "string_type": "expected text, got {input}",
    "string_too_short": "must not be empty",
    "string_too_long": "expected at most {max_length} characters",
    "too_short": "expected at least {min_length} item(s)",
    "too_long": "expected at most {max_length} items",
    "list_type": "expected a list, got {input}",
    "dict_type": "expected a mapping of fields, got {input}",
    "literal_error": "expected one of {expected}, got {input}",
    "enum": "expected one of {expected}, got {input}",
    "missing": "missing (required)",
    "extra_forbidden": "unknown field",
}
"""pydantic's error types in the kit's words ("expected a number <= 64, got 100000"), so
that no message says "Input should be ..." or "Value error, ..."."""


def pydantic_message(err: dict, overrides: dict[str, str] | None = None) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in the kit's words; the
    kit's own checks (``ValueError`` in a validator) keep their message."""
    template = (overrides or {}).get(err["type"]) or PYDANTIC_MESSAGES.get(err["type"])
    if template is not None:
        shown = repr(err.get("input"))
        if len(shown) > 60:
            shown = shown[:57] + "..."
        try:
            return template.format(input=shown, **dict(err.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            pass
    return one_line(str(err["msg"]).removeprefix("Value error, "))


def from_validation(file: str | Path, exc, *, top_level: str | None = None) -> InputError:
    """The first problem a pydantic ``ValidationError`` found, as an :class:`InputError`
    naming its field (``a.b.0``). A model-level check names its field first
    (``"target.year: must be ..."``); ``top_level`` is the field shown when there is none."""
    err = exc.errors()[0]
    msg = pydantic_message(err)
    field = ".".join(str(p) for p in err["loc"]) or top_level
    if not err["loc"] and ": " in msg:
        field, msg = msg.split(": ", 1)
    return InputError(file, msg, field=field)
