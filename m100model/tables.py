"""Reading the kit's bundled data tables (``data/``) with their provenance checked.

Every numeric row in ``data/`` carries a ``source`` and a ``quality`` flag; this module is the
one place that reads such a table and refuses it, with file/row/column, when a row lacks them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from m100model.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

QUALITY_FLAGS = ("sourced", "derived", "illustrative")


def data_dir() -> Path:
    """The folder holding the bundled data (``$M100_DATA`` overrides it)."""
    env = os.environ.get("M100_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data"


def bundled_inventories() -> dict[str, Path]:
    """The bundled baseline activity files, by city id."""
    folder = data_dir() / "inventories"
    return {p.name.rsplit("_", 1)[0]: p for p in sorted(folder.glob("*_[12][09][0-9][0-9].csv"))}


def display_path(path: Path) -> str:
    """A path as a user should see it in messages: relative to the working folder if possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic-link loop
        return str(path)


def sheet_row(index: int) -> int:
    """Row number as a spreadsheet shows it for the ``index``-th data row (header is row 1)."""
    return index + 2


def read_table(
    path: Path,
    required: Iterable[str],
    *,
    numeric: Iterable[str] = (),
    provenance: bool = True,
) -> pd.DataFrame:
    """Read a bundled CSV table, check its columns, parse its numeric columns and provenance.

    Parameters
    ----------
    path
        CSV file.
    required
        Columns that must be present.
    numeric
        Columns that must parse as numbers on every row.
    provenance
        If true, every row must have a non-empty ``source`` and a ``quality`` flag in
        :data:`QUALITY_FLAGS`.
    """
    import pandas as pd  # here, not at the top: validating a scenario needs no pandas

    shown = display_path(path)
    if not path.exists():
        raise InputError(shown, "file not found")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    df.columns = [c.strip() for c in df.columns]
    needed = list(required) + (["source", "quality"] if provenance else [])
    for col in needed:
        if col not in df.columns:
            raise InputError(
                shown, f"missing column (expected columns: {', '.join(needed)})", column=col
            )
    for col in df.columns:
        df[col] = df[col].str.strip()
    for col in numeric:
        parsed = pd.to_numeric(df[col], errors="coerce")
        bad = parsed.isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                shown, f"expected a number, got '{df[col].iloc[i]}'", row=sheet_row(i), column=col
            )
        df[col] = parsed.astype(float)
    if provenance:
        for i, (src, q) in enumerate(zip(df["source"], df["quality"], strict=True)):
            if not src:
                raise InputError(
                    shown, "every row needs a source", row=sheet_row(i), column="source"
                )
            if q not in QUALITY_FLAGS:
                raise InputError(
                    shown,
                    f"expected one of {', '.join(QUALITY_FLAGS)}, got '{q}'",
                    row=sheet_row(i),
                    column="quality",
                )
    df.attrs["path"] = shown
    return df


def check_values(df: pd.DataFrame, column: str, allowed, what: str | None = None) -> None:
    """Refuse, with file/row/column, the first value of ``column`` not in ``allowed``.

    The message is ``unknown <what> '<value>'`` when ``what`` is given (references to other
    tables), else ``expected one of ..., got '<value>'`` (small fixed vocabularies).
    """
    allowed_set = set(allowed)
    for i, value in enumerate(df[column]):
        if value not in allowed_set:
            message = (
                f"unknown {what} '{value}'"
                if what
                else f"expected one of {', '.join(map(str, allowed))}, got '{value}'"
            )
            raise InputError(df.attrs["path"], message, row=sheet_row(i), column=column)
