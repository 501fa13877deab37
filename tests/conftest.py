"""Shared helpers for the tests."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from m100model.tables import data_dir

HEADER = [
    "city",
    "year",
    "gpc_ref",
    "fuel",
    "amount",
    "unit",
    "notation_key",
    "ef_id",
    "vehicle",
    "source",
    "quality",
    "comment",
]

DATA = data_dir()


@pytest.fixture
def write_activity(tmp_path: Path) -> Callable[..., Path]:
    """Write activity rows (dicts; missing columns left empty) to a CSV and return its path."""

    def write(
        rows: list[dict], name: str = "activity.csv", header: list[str] | None = None
    ) -> Path:
        path = tmp_path / name
        cols = header or HEADER
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({"city": "testville", "year": 2022, **r})
        return path

    return write
