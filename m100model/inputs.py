"""Reading the files users bring, within bounds.

Inventories, scenarios and submissions come from city halls and consultancies; a file may be
damaged, enormous, a folder, a pipe, a symbolic link that loops, or crafted. Every reader of
user files goes through this module, which refuses such a file with one line (an
:class:`~m100model.errors.InputError`) before it can hang a command or exhaust memory:

* a path must name a regular file (not a folder, pipe, device or socket; symbolic links are
  followed, a loop is refused), of at most :data:`MAX_FILE_BYTES`;
* text must be UTF-8 (a byte-order mark is allowed);
* YAML is parsed with the safe loader, at most :data:`MAX_DEPTH` levels deep, with at most
  :data:`MAX_NODES` values once aliases are expanded (an "alias bomb" is refused before it is
  built) and no repeated key in a mapping;
* JSON at most :data:`MAX_DEPTH` levels deep, with at most :data:`MAX_NODES` lists and
  objects;
* tables (CSV, Excel) at most :data:`MAX_ROWS` rows, :data:`MAX_COLUMNS` columns and
  :data:`MAX_CELLS` cells; a workbook at most :data:`MAX_UNZIPPED_BYTES` once unpacked and
  :data:`MAX_WORKBOOK_TAGS` XML tags in the parts that are read, read in openpyxl's streaming
  mode (stored values only: formulas are never evaluated).

These bounds are also bounds on time: at its limits each reader answers in a few seconds
(tests/test_hardening_bounds.py measures them).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from m100model.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import yaml

MAX_FILE_BYTES = 32 * 2**20
"""Largest input file read (32 MiB: a city's inventory or a scenario is a few kB)."""
MAX_UNZIPPED_BYTES = 128 * 2**20
"""Largest total size of the parts of an Excel workbook once unpacked."""
MAX_ROWS = 100_000
"""Most rows in a table (header excluded)."""
MAX_COLUMNS = 200
"""Most columns in a table."""
MAX_CELLS = 2_000_000
"""Most cells in a table, empty ones included (rows times columns): 100,000 rows of 20
columns. A table of 200 columns by 100,000 rows is 20 million cells, which takes the readers
downstream a quarter of a minute and gigabytes; a stray cell far out in a workbook makes one
of a few kB."""
MAX_WORKBOOK_TAGS = 300_000
"""Most XML tags in the parts of a workbook that are read (the sheet, shared strings,
styles, ...). openpyxl takes 10 to 20 microseconds for each, so this keeps a workbook (which
a zip packs a hundredfold: 12 kB held 700,000 tags) to a few seconds; some 7,000 rows of a
12-column inventory as Excel writes it."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings in a YAML or JSON file."""
MAX_NODES = 100_000
"""Most values in a YAML document once its aliases are expanded."""

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def shown(path: str | Path) -> str:
    """A path as a user should see it in messages (relative to the working folder if
    possible; a path that cannot be resolved, such as a symbolic-link loop, as given)."""
    from m100model.tables import display_path

    return display_path(Path(path))


def read_bytes(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a pipe does not wait for a writer) and checked on
    the open descriptor, so what is checked is what is read.
    """
    name = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except OSError as exc:
        raise InputError(name, _open_error(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(name, "is a folder; expected a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(
                name, "is not a regular file (a pipe, device or socket); expected a file"
            )
        if st.st_size > limit:
            raise InputError(
                name, f"is {_size(st.st_size)}; the kit reads files up to {_size(limit)}"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(name, _open_error(exc)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputError(name, f"is larger than {_size(limit)}, the most the kit reads")
    return data


def check_file(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> None:
    """Raise the :class:`InputError` that :func:`read_bytes` would, without reading."""
    name = shown(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except OSError as exc:
        raise InputError(name, _open_error(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(name, "is a folder; expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(name, "is not a regular file (a pipe, device or socket); expected a file")
    if st.st_size > limit:
        raise InputError(name, f"is {_size(st.st_size)}; the kit reads files up to {_size(limit)}")


def _open_error(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that leads round in a loop; expected a file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    if exc.errno == errno.EISDIR:
        return "is a folder; expected a file"
    if exc.errno == errno.ENAMETOOLONG:
        return "is not a usable path (name too long)"
    return f"cannot be read ({exc.strerror or exc})"


def _size(n: int) -> str:
    """A file size as a person reads it; in bytes where MB would round two sizes alike
    (a file one byte over the 32 MB cap is not "32.0 MB")."""
    if n < 2**20 or (n % 2**20 and round(n / 2**20, 1) == round(n / 2**20)):
        return f"{n:,} bytes"
    return f"{n / 2**20:,.1f} MB"


def read_text(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 text file (a byte-order mark is dropped), line endings as written."""
    data = read_bytes(path, limit=limit)
    return decode_utf8(data, shown(path))


def decode_utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            name,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it with the UTF-8 encoding",
        ) from None


# ---------------------------------------------------------------------------------------
# YAML and JSON
# ---------------------------------------------------------------------------------------
def read_yaml(path: str | Path, *, limit: int = 2**20) -> object:
    """The one document of a YAML file, with PyYAML's safe loader (no Python objects), no
    repeated keys, at most :data:`MAX_DEPTH` levels and :data:`MAX_NODES` values after
    alias expansion."""
    name = shown(path)
    return parse_yaml(read_text(path, limit=limit), name)


def parse_yaml(text: str, name: str) -> object:
    """:func:`read_yaml` for text already read (``name`` is used in messages)."""
    import yaml

    loader = _loader_class()(text)
    loader.kit_file = name
    try:
        _check_events(yaml.parse(text, Loader=_loader_class()), name)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, name)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError(name, f"is not valid YAML: {_yaml_problem(exc)}") from None
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


_LOADER: type | None = None


def _loader_class() -> type:
    """PyYAML's safe loader (the C one when available) that refuses repeated keys."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class KitLoader(base):  # type: ignore[misc, valid-type]
        kit_file = "<yaml>"

        def construct_mapping(self, node, deep=False):
            seen: dict[object, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key_node, yaml.ScalarNode
                ):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise InputError(
                        self.kit_file,
                        f"repeats the key '{key}' (lines {seen[key]} and {line}); "
                        "give each key once",
                    )
                seen[key] = line
            return super().construct_mapping(node, deep=deep)

    KitLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    _LOADER = KitLoader
    return KitLoader


def _mapping(loader, node):
    # SafeConstructor registers construct_yaml_map, which yields an empty dict first and
    # fills it later; the repeated-key check must run for every mapping, so fill at once.
    return loader.construct_mapping(node)


def _check_events(events, name: str) -> None:
    """Depth of nesting, from the parser's events (which need no recursion), and the number
    of values written (before any alias is expanded: a flat list of a million values is
    refused before its nodes are built, which takes longer than reading it)."""
    import yaml

    depth = values = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise InputError(name, f"is nested more than {MAX_DEPTH} levels deep (line {line})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            continue
        elif not isinstance(event, yaml.ScalarEvent):
            continue
        values += 1
        if values > MAX_NODES:
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise InputError(
                name, f"holds more than {MAX_NODES:,} values (line {line}); the kit reads fewer"
            )


def _check_expansion(root, name: str) -> None:
    """Count the values the document holds once every alias is expanded (a node reached by
    several aliases counts each time), without expanding it; refuse recursive aliases."""
    import yaml

    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > MAX_NODES:
                raise InputError(
                    name,
                    f"expands to more than {MAX_NODES:,} values (aliases repeat a large "
                    "part of it); write the values out",
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise InputError(name, "has an alias that refers to itself; write the values out")
        if isinstance(node, yaml.ScalarNode):
            size[key] = 1
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def _children(node) -> list:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def read_json(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> object:
    """A JSON file (UTF-8), at most :data:`MAX_DEPTH` levels deep, with at most
    :data:`MAX_NODES` lists and objects (32 MB of ``[[[...]]]`` are 16 million lists: 13 s
    and 1.6 GB to build)."""
    name = shown(path)
    text = read_text(path, limit=limit)
    depth, containers = _json_depth(text)
    if depth > MAX_DEPTH:
        raise InputError(name, f"is nested more than {MAX_DEPTH} levels deep")
    if containers > MAX_NODES:
        raise InputError(
            name,
            f"holds more than {MAX_NODES:,} lists and objects ({containers:,}); the kit "
            "reads fewer",
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(name, f"is not valid JSON: {exc}") from None


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def _json_depth(text: str) -> tuple[int, int]:
    """The deepest nesting of brackets outside strings (an upper bound for invalid JSON),
    and the number of opening brackets (lists and objects).

    In C, not character by character in Python (which took 40 s for 32 MB): strings are cut
    out with a regular expression, every byte but the brackets dropped, and the depth is the
    highest running sum of +1 (opening) and -1 (closing)."""
    import numpy as np

    brackets = _JSON_STRING.sub("", text).encode("utf-8").translate(None, _NOT_A_BRACKET)
    if not brackets:
        return 0, 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    opening = (codes == ord("[")) | (codes == ord("{"))
    steps = np.where(opening, 1, -1).astype(np.int64)
    return max(int(np.cumsum(steps).max()), 0), int(opening.sum())


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------
def read_table(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """A CSV or Excel table as read. Column names are stripped and lower-cased.

    CSV, as Excel writes it in Romania or elsewhere: UTF-8 (with or without a byte-order
    mark) or Windows-1250 (Central European "ANSI", which also reads ISO 8859-2 Romanian;
    its s and t with a cedilla become the correct ș ț); separated by commas, or by semicolons
    with decimal commas (``1234,5`` and ``1.234,5`` are read as 1234.5; a lone ``1.234`` is
    refused as ambiguous). Cells as text.

    Excel (.xlsx): the first sheet, or the one named ``sheet``; cells as stored (numbers,
    text, dates, booleans; never the result of a formula).

    ``attrs["encoding"]`` and ``attrs["separator"]`` say how a CSV was read.
    """
    name = shown(path)
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(name, f"expected a .csv or .xlsx file, got '{Path(path).suffix}'")
    if suffix == ".csv":
        text, encoding = _decode_table(read_bytes(path), name)
        # Lines end as Windows (CR LF), Unix (LF) or classic Mac (CR: Excel's "CSV
        # (Macintosh)") write them; one convention from here on, so that lines are counted
        # and the header is found whichever it was.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        separator = _separator(text.split("\n", 1)[0])
        df = _csv_frame(text, name, separator)
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=separator), [])
        if separator == ";":
            df = _decimal_commas(df, name)
        df.attrs.update(encoding=encoding, separator=separator)
    else:
        df = _xlsx_frame(read_bytes(path), name, sheet)
        header = list(df.columns)
    df.columns = [str(c).strip().lower() for c in df.columns]
    seen: dict[str, int] = {}
    for i, label in enumerate(str(c).strip().lower() for c in header):
        if label and label in seen:  # pandas would rename the second CSV one "label.1"
            raise InputError(
                name,
                f"has two columns named '{label}' ({_letters(seen[label])} and "
                f"{_letters(i)}); keep one",
                row=1,
                column=label,
            )
        seen[label] = i
    return df


def _letters(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"column {get_column_letter(index + 1)}"


_CEDILLA = str.maketrans("\u015f\u0163\u015e\u0162", "șțȘȚ")  # cedilla forms to comma-below


def _decode_table(data: bytes, name: str) -> tuple[str, str]:
    """UTF-8 if it is (a byte-order mark dropped), else Windows-1250."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250").translate(_CEDILLA), "windows-1250"
    except UnicodeDecodeError as exc:
        raise InputError(
            name,
            f"is neither UTF-8 nor Windows-1250 text (byte 0x{data[exc.start]:02x}); save it "
            "as CSV UTF-8",
        ) from None


def _separator(header: str) -> str:
    """The separator of a CSV file: the commonest of ',', ';' and tab in its header."""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


_DECIMAL_COMMA = re.compile(r"[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+|[-+]?\d{1,3}(\.\d{3}){2,}")
_AMBIGUOUS = re.compile(r"[-+]?\d{1,3}\.\d{3}")


def _decimal_commas(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """In a semicolon-separated file the comma is the decimal mark and the point groups
    thousands: cells that are such numbers are rewritten with a decimal point."""
    out = df.copy()
    for col in out.columns:
        values = out[col].tolist()
        for i, v in enumerate(values):
            text = v.strip() if isinstance(v, str) else v
            if not isinstance(text, str) or not text:
                continue
            if _DECIMAL_COMMA.fullmatch(text):
                values[i] = text.replace(".", "").replace(",", ".")
            elif _AMBIGUOUS.fullmatch(text):
                raise InputError(
                    name,
                    f"'{text}' is ambiguous in a semicolon-separated file: one thousand and "
                    f"more with a point for thousands, or a decimal number; write "
                    f"{text.replace('.', '')} or {text.replace('.', ',')}",
                    row=i + 2,
                    column=str(col),
                )
        out[col] = values
    return out


def _csv_frame(text: str, name: str, separator: str = ",") -> pd.DataFrame:
    import pandas as pd

    lines = text.count("\n") + 1
    if lines > MAX_ROWS + 2:
        raise InputError(
            name, f"has {lines:,} lines; the kit reads tables of up to {MAX_ROWS:,} rows"
        )
    header = text.split("\n", 1)[0]
    if header.count(separator) + 1 > MAX_COLUMNS:
        raise InputError(
            name,
            f"has {header.count(separator) + 1:,} columns in its header; the kit reads up to "
            f"{MAX_COLUMNS}",
            row=1,
        )
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=separator)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(name, f"cannot be read as CSV: {_first_line(exc)}") from None
    if df.shape[1] > MAX_COLUMNS:
        raise InputError(name, f"has {df.shape[1]:,} columns; the kit reads up to {MAX_COLUMNS}")
    if len(df) > MAX_ROWS:
        raise InputError(name, f"has {len(df):,} rows; the kit reads tables of up to {MAX_ROWS:,}")
    _check_cells(len(df), df.shape[1], name)
    return df


def _check_cells(rows: int, columns: int, name: str, where: str = "") -> None:
    if rows * columns > MAX_CELLS:
        raise InputError(
            name,
            f"{where}has {rows:,} rows of {columns:,} columns ({rows * columns:,} cells); the kit "
            f"reads tables of up to {MAX_CELLS:,} cells (delete the empty rows and columns, or "
            "what lies beyond the table)",
        )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _xlsx_frame(data: bytes, name: str, sheet: str | None = None) -> pd.DataFrame:
    import pandas as pd

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise InputError(name, "is not an Excel workbook (.xlsx)") from None
    if unpacked > MAX_UNZIPPED_BYTES:
        raise InputError(
            name,
            f"unpacks to {_size(unpacked)}; the kit reads workbooks of up to "
            f"{_size(MAX_UNZIPPED_BYTES)} unpacked",
        )
    tags = _workbook_tags(data, name)  # of the parts openpyxl parses when it opens a workbook
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise InputError(name, f"cannot be read as a workbook: {_first_line(exc)}") from None
    try:
        if not wb.worksheets:
            raise InputError(name, "has no worksheet")
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputError(
                name, f"has no sheet '{sheet}' (its sheets: {', '.join(wb.sheetnames)})"
            )
        part = getattr(ws, "_worksheet_path", None)
        if part is not None:
            _workbook_tags(data, name, part, before=tags)
        cells = {}  # (row, column) -> value, only the cells that hold one
        for r, row in _sheet_rows(ws):
            for c, value in row:
                if value is None:
                    continue
                if r > MAX_ROWS + 1 or c > MAX_COLUMNS:
                    raise InputError(
                        name,
                        f"sheet '{ws.title}' has a value in cell {get_column_letter(c)}{r}; the "
                        f"kit reads tables of up to {MAX_ROWS:,} rows and {MAX_COLUMNS} columns "
                        "(delete what lies beyond the table)",
                        row=r,
                    )
                cells[r, c] = value
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise InputError(name, f"cannot be read as a workbook: {_first_line(exc)}") from None
    finally:
        wb.close()
    header = {c: v for (r, c), v in cells.items() if r == 1}
    if not header:
        raise InputError(name, f"sheet '{ws.title}' has no header row (row 1 is empty)")
    width = max(c for _, c in cells)
    height = max(r for r, _ in cells)
    if width * (height - 1) > MAX_CELLS:  # the frame is dense: every cell up to the last one
        right = min((c, r) for r, c in cells if c == width)[::-1]
        below = min((r, c) for r, c in cells if r == height)
        far = sorted({f"{get_column_letter(c)}{r}" for r, c in (right, below)})
        _check_cells(
            height - 1,
            width,
            name,
            where=f"sheet '{ws.title}', with values as far out as {' and '.join(far)}, ",
        )
    columns = [str(header[c]) if c in header else f"unnamed: {c - 1}" for c in range(1, width + 1)]
    rows = [[cells.get((r, c)) for c in range(1, width + 1)] for r in range(2, height + 1)]
    return pd.DataFrame(rows, columns=columns, dtype=object)


# Parts of a workbook that openpyxl does not parse when it reads one sheet's values (in
# read-only mode, without external links): pivot caches and tables, comments, the
# calculation chain and the theme (kept as bytes). Of every sheet it parses the beginning,
# up to the sheet's <dimension> element (all of it when there is none).
_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension[\s/>]")
_UNREAD_PARTS = frozenset(
    "application/vnd.openxmlformats-officedocument." + t
    for t in (
        "spreadsheetml.pivotCacheRecords+xml",
        "spreadsheetml.pivotCacheDefinition+xml",
        "spreadsheetml.pivotTable+xml",
        "spreadsheetml.table+xml",
        "spreadsheetml.comments+xml",
        "spreadsheetml.calcChain+xml",
        "spreadsheetml.externalLink+xml",
        "theme+xml",
    )
)
_CONTENT_TYPES = "[Content_Types].xml"


def _workbook_tags(data: bytes, name: str, part: str | None = None, *, before: int = 0) -> int:
    """The XML tags (``<``) of the parts of a workbook that are parsed: with ``part``, that
    one (a sheet); without, all that openpyxl parses when it opens the workbook. Refused
    when they and ``before`` (the tags counted already) are more than
    :data:`MAX_WORKBOOK_TAGS`: that is what bounds the time a workbook takes."""
    import xml.etree.ElementTree as ET

    def tags(zf: zipfile.ZipFile, member: str, *, until: re.Pattern | None = None) -> int:
        n = 0
        with zf.open(member) as fh:
            tail = b""
            while chunk := fh.read(2**20):
                if until is not None and (found := until.search(tail + chunk)):
                    return n + chunk[: max(found.start() - len(tail), 0)].count(b"<")
                n += chunk.count(b"<")
                tail = chunk[-64:]
        return n

    def refuse(n: int) -> InputError:
        return InputError(
            name,
            f"holds {n:,} XML tags in the parts that are read (cells, strings, styles); the kit "
            f"reads workbooks of up to {MAX_WORKBOOK_TAGS:,} (a few tens of thousands of "
            "cells): keep the table in a workbook of its own",
        )

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if part is not None:
                n = before + (tags(zf, part) if part in zf.namelist() else 0)
                if n > MAX_WORKBOOK_TAGS:
                    raise refuse(n)
                return n
            names = zf.namelist()
            types: dict[str, str] = {}
            total = 0
            if _CONTENT_TYPES in names:
                total = tags(zf, _CONTENT_TYPES)
                if total > MAX_WORKBOOK_TAGS:
                    raise refuse(total)
                ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
                root = ET.fromstring(zf.read(_CONTENT_TYPES))
                defaults = {
                    e.get("Extension", "").lower(): e.get("ContentType", "")
                    for e in root.iter(f"{ns}Default")
                }
                types = {
                    m: defaults.get(m.rsplit(".", 1)[-1].lower(), "") if "." in m else ""
                    for m in names
                }
                for e in root.iter(f"{ns}Override"):
                    types[e.get("PartName", "").lstrip("/")] = e.get("ContentType", "")
            for member in names:
                if member == _CONTENT_TYPES:
                    continue
                kind = types.get(member, "")
                xml = kind.endswith("xml") or (not kind and member.endswith((".xml", ".rels")))
                if xml and kind not in _UNREAD_PARTS:
                    total += tags(zf, member, until=_DIMENSION if kind == _WORKSHEET else None)
                    if total > MAX_WORKBOOK_TAGS:
                        raise refuse(total)
            return total
    except InputError:
        raise
    except Exception as exc:  # a damaged package: zipfile, zlib and XML errors
        raise InputError(name, f"cannot be read as a workbook: {_first_line(exc)}") from None


def _sheet_rows(ws):
    """The cells a worksheet stores, row by row, as ``(row, [(column, value), ...])``, in
    one streaming pass: openpyxl's own sheet parser (what its read-only worksheets use),
    without the empty cells they fill in up to the sheet's stated dimension."""
    from openpyxl.worksheet._reader import WorkSheetParser

    wb = ws.parent
    with ws._get_source() as src:
        parser = WorkSheetParser(
            src,
            ws._shared_strings,
            data_only=wb.data_only,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for idx, row in parser.parse():
            yield idx, [(cell["column"], cell["value"]) for cell in row]
