"""m100model: GHG inventories, emissions pathways and cost-optimal project portfolios
for the cities of Romania's M100 Mirror Mission Cities Hub.

Every number a learner sees in the course kit (notebooks, book, exercises, CLI reports)
comes from this library.
"""

from m100model.errors import InputError
from m100model.factors import FactorLibrary, load_factors
from m100model.inventory import Inventory, compute_inventory, load_inventory, read_activity

__all__ = [
    "FactorLibrary",
    "InputError",
    "Inventory",
    "compute_inventory",
    "load_factors",
    "load_inventory",
    "read_activity",
]
__version__ = "0.1.0"
