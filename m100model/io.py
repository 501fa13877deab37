"""Writing results safely: a results folder appears whole or not at all; a cache file is
replaced whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class OutputExistsError(FileExistsError):
    """The results folder exists and overwriting was not asked for."""


class OutputNotWritableError(PermissionError):
    """The results folder cannot be created where it was asked for."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "output folder cannot be written"


class RendererUnavailableError(RuntimeError):
    """Charts cannot be drawn in this process (see :func:`check_renderer`)."""


# vl-convert draws charts with the V8 JavaScript engine, which reserves a 64 GiB "cage" of
# virtual address space when it starts (it uses little of it); under a lower address-space
# limit (ulimit -v) V8 aborts the whole process. Measured with vl-convert-python 1.x:
# 64 GiB aborts, 72 GiB works.
RENDERER_ADDRESS_SPACE = 72 * 2**30


def check_renderer() -> None:
    """Refuse, with a message that says why, to start vl-convert where it would abort the
    process: under an address-space limit below :data:`RENDERER_ADDRESS_SPACE`."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft < RENDERER_ADDRESS_SPACE:
        raise RendererUnavailableError(
            f"charts cannot be drawn here: vl-convert's V8 engine reserves about "
            f"{RENDERER_ADDRESS_SPACE / 2**30:.0f} GB of virtual address space when it starts, "
            f"and this process is limited to {soft / 2**30:.1f} GB (ulimit -v); raise the "
            "limit or run without it"
        )


def check_writable(target: str | Path) -> Path:
    """Make sure a results folder can be created at ``target`` before any work is done
    (a run that solves for minutes must not fail only when it writes): the nearest existing
    folder above it must be a folder in which this process can create one. Returns the
    normalised target (``missing/../v`` is ``v``)."""
    target = Path(os.path.normpath(target))
    parent = target.parent
    while not parent.exists():
        if parent == parent.parent:
            break
        parent = parent.parent
    where = parent if str(parent) else Path(".")
    if not where.is_dir():
        raise OutputNotWritableError(f"{target}: cannot be created ({where} is not a folder)")
    try:  # what counts is whether a folder can be made there (access() ignores read-only mounts)
        Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.probe.", dir=where)).rmdir()
    except OSError as exc:
        reason = "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else exc.strerror
        raise OutputNotWritableError(f"{target}: cannot be written in {where} ({reason})") from None
    return target


def write_results_dir(
    target: str | Path, fill: Callable[[Path], None], *, force: bool = False
) -> Path:
    """Create ``target`` atomically: ``fill`` writes into a temporary sibling folder, which is
    renamed into place only when ``fill`` has finished without error.

    An existing ``target`` is replaced only with ``force=True``; on any error the previous
    contents are left untouched and the temporary folder is removed.
    """
    # Normalised first: "missing/../v" is the folder "v", and must be refused like it.
    target = check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _swap_lock(target):
        _recover(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; results are meant to be shared
        fill(tmp)
        # Two writers of the same folder take turns at the swap; one that finds the folder
        # made meanwhile replaces it only with force (the last writer's results stay).
        with _swap_lock(target):
            if target.exists():
                if not force:
                    raise OutputExistsError(
                        f"{target} was written by another run meanwhile; use --force to replace it"
                    )
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def tidy(target: str | Path) -> None:
    """Put right what a killed writer of ``target`` left (see :func:`_recover`) before
    anyone looks at it: a command checks whether its output folder exists before it works,
    and must see the folder the write will see. Nothing is done where the folder that holds
    ``target`` is missing or cannot be changed (the write will say why)."""
    target = Path(os.path.normpath(target))
    if target.parent.is_dir():
        with contextlib.suppress(OSError), _swap_lock(target):
            _recover(target)


@contextlib.contextmanager
def _swap_lock(target: Path) -> Iterator[None]:
    """An exclusive lock on the folder that holds ``target`` (``flock`` on the folder
    itself: nothing is created, and the lock goes with the process)."""
    import fcntl

    fd = os.open(target.parent if str(target.parent) else ".", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _recover(target: Path) -> None:
    """Undo what a killed writer left: the previous results parked as ``.NAME.old`` by a
    run killed between the two renames come back as ``NAME``, and are removed when ``NAME``
    is there (a run killed after its swap, before it removed them: under the lock, nothing
    else leaves both); temporary folders ``.NAME.<pid>.*`` of writers that are no longer
    running are removed (those of a running writer are left alone)."""
    if not target.parent.is_dir():
        return
    old = target.with_name(f".{target.name}.old")
    if old.is_dir() and not target.exists():
        old.rename(target)
    elif old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    prefix = f".{target.name}."
    for tmp in target.parent.glob(f"{glob.escape(prefix)}*"):
        pid = tmp.name[len(prefix) :].split(".", 1)[0]
        if tmp.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json(path: Path, data: object) -> None:
    """JSON as the standard has it: a number that is not finite (NaN, infinity) is written
    as ``null``, never as the ``NaN``/``Infinity`` that other readers refuse."""
    text = json.dumps(finite(data), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def finite(data: object) -> object:
    """``data`` with every float that is not finite replaced by None (in dicts, lists and
    tuples, recursively)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """A table as CSV (UTF-8, LF), its text cells neutralised (see :func:`neutralised`)."""
    neutralised(df).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, with a leading apostrophe
    (shown as text, as OWASP advises against CSV injection); numbers written as text
    (``-12.5``) and anything else unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with :func:`safe_text` applied to its text cells, index and column labels
    (the frame itself when it has no text)."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    def fix(labels: pd.Index) -> pd.Index:
        if is_numeric_dtype(labels.dtype):
            return labels
        if isinstance(labels, pd.MultiIndex):
            return pd.MultiIndex.from_tuples(
                [tuple(safe_text(v) for v in t) for t in labels], names=labels.names
            )
        return pd.Index([safe_text(v) for v in labels], name=labels.name, dtype=object)

    text = [c for c in df.columns if not is_numeric_dtype(df[c].dtype)]
    if not text and is_numeric_dtype(df.index.dtype):
        return df
    out = df.copy()
    for c in text:
        out[c] = out[c].map(safe_text)
    out.index = fix(out.index)
    out.columns = fix(out.columns)
    return out


def cache_dir() -> Path:
    """The kit's cache folder, for files it can rebuild at any time: ``$M100_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/m100``, else ``~/.cache/m100`` (not created here)."""
    env = os.environ.get("M100_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "m100"


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old file or the new one, never a part:
    a temporary file in the same folder, renamed over ``path`` (``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ScipyResults:
    """Results computed with scipy, remembered in the kit's cache folder per scipy version
    (importing scipy takes about a second; a command line run should not pay it to get the
    same numbers again). One JSON file per ``stem``; read once per process, a missing or
    unreadable file counts as empty, and it is rewritten whole, atomically, on each
    :meth:`store` (a cache folder that cannot be written only costs the recomputation)."""

    def __init__(self, stem: str) -> None:
        self.stem = stem
        self._data: dict[Path | None, dict] = {}  # by file: the cache folder may change

    @property
    def path(self) -> Path | None:
        """The cache file for the installed scipy (None without scipy)."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            scipy_version = version("scipy")
        except PackageNotFoundError:
            return None
        safe = re.sub(r"[^0-9A-Za-z.+-]", "_", scipy_version)
        return cache_dir() / f"{self.stem}-scipy-{safe}.json"

    def known(self) -> dict:
        path = self.path
        if path not in self._data:
            data: object = {}
            if path is not None:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    data = {}
            self._data[path] = data if isinstance(data, dict) else {}
        return self._data[path]

    def store(self, key: str, value: object) -> None:
        known = self.known()
        known[key] = value
        path = self.path
        if path is not None:
            with contextlib.suppress(OSError):
                write_atomic(path, json.dumps(known, sort_keys=True))
