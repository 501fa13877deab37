"""The 13 M100 cities: names, county, region, group (EU Mission or mirror), target year and
2021 census population, from ``data/cities/cities.csv``."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from m100model.tables import data_dir, read_table

if TYPE_CHECKING:
    import pandas as pd

GROUPS = {"eu_mission": 2030, "m100_mirror": 2035}


@functools.lru_cache(maxsize=1)
def load_cities() -> pd.DataFrame:
    """The cities table indexed by ``city_id``."""
    df = read_table(
        data_dir() / "cities" / "cities.csv",
        [
            "city_id",
            "city",
            "city_ro",
            "county",
            "region",
            "group",
            "target_year",
            "population_2021",
            "population_source",
            "population_quality",
        ],
        numeric=["target_year", "population_2021"],
        provenance=False,
    )
    df["target_year"] = df["target_year"].astype(int)
    df["population_2021"] = df["population_2021"].astype(int)
    return df.set_index("city_id", drop=False)


def city_name(city_id: str) -> str:
    """Display name of a city id (the id itself when it is not one of the 13)."""
    cities = load_cities()
    return str(cities.at[city_id, "city"]) if city_id in cities.index else city_id
