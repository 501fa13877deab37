"""Plausibility warnings for an inventory: figures far outside what is physically likely,
said as warnings (a city may be unusual), never as errors.

* BASIC emissions per person outside :data:`PER_PERSON_T` (1 to 30 t CO2e): European cities
  report about 2 to 15 t; outside the wider band a sector is missing or a unit is wrong.
* A fuel's final energy per person in a sub-sector more than :data:`FAR` times above the
  largest, or below the smallest, of the 13 M100 inventories (which are derived from the
  national energy balance, so they span the national range). A row about 1,000 times off
  is named with the unit that was probably meant (kWh written as MWh, kg as t).
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from m100model.inventory import Inventory

PER_PERSON_T = (1.0, 30.0)
FAR = 10.0


@functools.lru_cache(maxsize=1)
def national_range() -> pd.DataFrame:
    """Final energy per person (MWh) by sub-sector and fuel over the 13 bundled inventories:
    ``low`` and ``high`` (where the fuel is used at all).

    Computing it reads the 13 inventories (over a second), so it is kept in the kit's cache
    folder under a digest of the files it depends on (and recomputed when one changes)."""
    import hashlib
    import json

    import pandas as pd

    from m100model.io import cache_dir, write_atomic
    from m100model.tables import data_dir

    h = hashlib.sha256()
    for folder in ("inventories", "factors", "cities", "gpc"):
        for path in sorted((data_dir() / folder).glob("*.csv")):
            h.update(path.name.encode() + path.read_bytes())
    path = cache_dir() / f"national-range-{h.hexdigest()[:16]}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        table = pd.DataFrame(rows, columns=["gpc_ref", "fuel", "low", "high"])
        return table.set_index(["gpc_ref", "fuel"])
    except (OSError, ValueError):
        pass
    table = _compute_national_range()
    rows = [[g, f, float(r.low), float(r.high)] for (g, f), r in table.iterrows()]
    with contextlib.suppress(OSError):  # no writable cache: correct, only slower
        write_atomic(path, json.dumps(rows))
    return table


def _compute_national_range() -> pd.DataFrame:
    import pandas as pd

    from m100model.cities import bundled_cities
    from m100model.inventory import load_inventory
    from m100model.tables import bundled_inventories

    cities = bundled_cities()
    rows = []
    for city, path in bundled_inventories().items():
        inv = load_inventory(path)
        per = _energy_per_person(inv, float(cities.at[city, "population_2021"]))
        rows.append(per.rename(city))
    table = pd.concat(rows, axis=1)
    out = pd.DataFrame({"low": table.min(axis=1), "high": table.max(axis=1)})
    out.index.names = ["gpc_ref", "fuel"]
    return out


def _energy_per_person(inv: Inventory, population: float) -> pd.Series:
    e = inv.emissions.drop_duplicates("row")  # one line per activity row, not per gas
    e = e[e["energy_mwh"].notna() & (e["energy_mwh"] > 0)]
    return e.groupby(["gpc_ref", "fuel"])["energy_mwh"].sum() / population


def warnings(inv: Inventory, population: float | None) -> list[str]:
    """The plausibility warnings of an inventory (none without a population)."""
    if population is None or not population > 0:
        return []
    out = []
    per_person = inv.basic_tco2e / population
    lo, hi = PER_PERSON_T
    if not lo <= per_person <= hi and not inv.emissions.empty:
        out.append(
            f"{inv.source}: BASIC emissions of {per_person:.2f} t CO2e per person "
            f"(population {population:,.0f}) lie outside the {lo:g}-{hi:g} t a city is likely "
            "to have: check for missing sectors and for units"
        )
    elif inv.emissions.empty:
        out.append(f"{inv.source}: no activity data yet (every row is a notation key)")
    ref = national_range()
    rows = inv.emissions.drop_duplicates("row").set_index(["gpc_ref", "fuel"])
    for key, mwh in _energy_per_person(inv, population).items():
        if key not in ref.index:
            continue
        low, high = ref.at[key, "low"], ref.at[key, "high"]
        if mwh > FAR * high:
            ratio = mwh / high
        elif low > 0 and mwh < low / FAR:
            ratio = mwh / low
        else:
            continue
        row = rows.loc[[key]].iloc[0]
        hint = ""
        if 300 <= ratio <= 3000:
            hint = f"; is the unit {_smaller(str(row['unit']))} rather than {row['unit']}?"
        elif 1 / 3000 <= ratio <= 1 / 300:
            hint = f"; is the unit {_larger(str(row['unit']))} rather than {row['unit']}?"
        out.append(
            f"{inv.source}, row {int(row['row'])}: {key[1]} in {key[0]} is {_num(mwh)} MWh per "
            f"person, {_times(ratio)} the {'largest' if ratio > 1 else 'smallest'} of the 13 "
            f"M100 inventories ({_num(high if ratio > 1 else low)}){hint}"
        )
    return out


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _times(ratio: float) -> str:
    return f"{ratio:,.0f} times" if ratio >= 1 else f"1/{1 / ratio:,.0f} of"


_STEPS = [
    ("Wh", "kWh"),
    ("kWh", "MWh"),
    ("MWh", "GWh"),
    ("GWh", "TWh"),
    ("MJ", "GJ"),
    ("GJ", "TJ"),
    ("kg", "t"),
    ("t", "kt"),
    ("L", "m3"),
    ("m3", "1000 m3"),
]


def _smaller(unit: str) -> str:
    return next((a for a, b in _STEPS if b == unit), f"a unit 1,000 times smaller than {unit}")


def _larger(unit: str) -> str:
    return next((b for a, b in _STEPS if a == unit), f"a unit 1,000 times larger than {unit}")


def population_of(city: str) -> float | None:
    """The population the kit knows for a city id (bundled or added), else None."""
    from m100model.cities import load_cities

    cities = load_cities()
    if city not in cities.index:
        return None
    value = float(cities.at[city, "population_2021"])
    return value if math.isfinite(value) and value > 0 else None
