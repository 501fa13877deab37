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


def from_validation(file: str | Path, exc, *, top_level: str | None = None) -> InputError:
    """The first problem a pydantic ``ValidationError`` found, as an :class:`InputError`
    naming its field (``a.b.0``). A model-level check names its field first
    (``"target.year: must be ..."``); ``top_level`` is the field shown when there is none."""
    err = exc.errors()[0]
    msg = str(err["msg"]).removeprefix("Value error, ")
    field = ".".join(str(p) for p in err["loc"]) or top_level
    if not err["loc"] and ": " in msg:
        field, msg = msg.split(": ", 1)
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    elif err["type"] == "missing":
        msg = "missing (required)"
    return InputError(file, msg, field=field)
