"""Writing results safely: a results folder appears whole or not at all; a cache file is
replaced whole or not at all."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class OutputExistsError(FileExistsError):
    """The results folder exists and overwriting was not asked for."""


def write_results_dir(
    target: str | Path, fill: Callable[[Path], None], *, force: bool = False
) -> Path:
    """Create ``target`` atomically: ``fill`` writes into a temporary sibling folder, which is
    renamed into place only when ``fill`` has finished without error.

    An existing ``target`` is replaced only with ``force=True``; on any error the previous
    contents are left untouched and the temporary folder is removed.
    """
    # Normalised first: "missing/../v" is the folder "v", and must be refused like it.
    target = Path(os.path.normpath(target))
    _recover(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; results are meant to be shared
        fill(tmp)
        if target.exists():
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


def _recover(target: Path) -> None:
    """Undo what a killed writer left: the previous results parked as ``.NAME.old`` by a
    run killed between the two renames come back as ``NAME``; temporary folders
    ``.NAME.<pid>.*`` of writers that are no longer running are removed (those of a running
    writer are left alone)."""
    if not target.parent.is_dir():
        return
    old = target.with_name(f".{target.name}.old")
    if old.is_dir() and not target.exists():
        old.rename(target)
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
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(path: Path, df: pd.DataFrame) -> None:
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


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
