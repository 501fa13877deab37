"""Importing a library without some of the optional packages it would pull in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def hidden_modules(names: list[str]) -> Iterator[None]:
    """While the block runs, ``import name`` raises ImportError for each of ``names`` (a
    ``None`` entry in ``sys.modules``); afterwards they import normally again. Names already
    imported are left alone: hiding them would change nothing."""
    hidden = [n for n in names if n not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import -> ImportError
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ()) is None:
                del sys.modules[name]
