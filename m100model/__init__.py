"""m100model: GHG inventories, emissions pathways and cost-optimal project portfolios
for the cities of Romania's M100 Mirror Mission Cities Hub.

Every number a learner sees in the course kit (notebooks, book, exercises, CLI reports)
comes from this library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from m100model.errors import InputError

if TYPE_CHECKING:
    from m100model.api import Result, run
    from m100model.factors import FactorLibrary, load_factors
    from m100model.inventory import Inventory, compute_inventory, load_inventory, read_activity

# The names below are imported on first use, not with the package: importing any module of
# the kit (e.g. the command line, which should answer ``--help`` at once) would otherwise pay
# for pandas and pint.
_LAZY = {
    "run": "m100model.api",
    "Result": "m100model.api",
    "FactorLibrary": "m100model.factors",
    "load_factors": "m100model.factors",
    "Inventory": "m100model.inventory",
    "compute_inventory": "m100model.inventory",
    "load_inventory": "m100model.inventory",
    "read_activity": "m100model.inventory",
}

__all__ = [
    "FactorLibrary",
    "InputError",
    "Inventory",
    "Result",
    "compute_inventory",
    "load_factors",
    "load_inventory",
    "read_activity",
    "run",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'm100model' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
