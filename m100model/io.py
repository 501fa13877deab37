"""Writing results safely: a results folder appears whole or not at all."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

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
    target = Path(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
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


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(path: Path, df: pd.DataFrame) -> None:
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
