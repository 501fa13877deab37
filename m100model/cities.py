"""The cities: the 13 M100 cities from ``data/cities/cities.csv`` (names, county, region,
group, target year and 2021 census population), and any city an analyst adds from a file of
city details (:func:`read_city_details`, named by a scenario's ``city_details:``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from m100model.errors import InputError, pydantic_message
from m100model.tables import data_dir, read_table

if TYPE_CHECKING:
    import pandas as pd

GROUPS = {"eu_mission": 2030, "m100_mirror": 2035}
CITY_COLUMNS = [
    "city_id",
    "city",
    "city_ro",
    "county",
    "region",
    "nuts2",
    "nuts3",
    "group",
    "target_year",
    "population_2021",
    "population_source",
    "population_quality",
]
CITY_SHEET = "city"  # the sheet of a workbook that holds the city details
_THOUSANDS = re.compile(r"\d{1,3}([ .,\u00a0\u202f]\d{3})+")


@functools.lru_cache(maxsize=1)
def bundled_cities() -> pd.DataFrame:
    """The 13 M100 cities, indexed by ``city_id``."""
    df = read_table(
        data_dir() / "cities" / "cities.csv",
        [c for c in CITY_COLUMNS if c not in ("nuts2", "nuts3")],
        numeric=["target_year", "population_2021"],
        provenance=False,
    )
    df["target_year"] = df["target_year"].astype(int)
    df["population_2021"] = df["population_2021"].astype(int)
    return df.set_index("city_id", drop=False)


# Cities added from analysts' files in this process, by id (see register_cities).
_ADDED: dict[str, dict] = {}


def load_cities() -> pd.DataFrame:
    """The cities table indexed by ``city_id``: the 13 M100 cities, then any added with
    :func:`register_cities`."""
    return _with_added(tuple(sorted((k, tuple(v.items())) for k, v in _ADDED.items())))


@functools.lru_cache(maxsize=8)
def _with_added(added: tuple) -> pd.DataFrame:
    import pandas as pd

    base = bundled_cities()
    if not added:
        return base
    extra = pd.DataFrame([dict(items) for _, items in added])
    return pd.concat([base, extra.set_index("city_id", drop=False)])


def city_name(city_id: str) -> str:
    """Display name of a city id (the id itself when it is not a known city)."""
    cities = load_cities()
    return str(cities.at[city_id, "city"]) if city_id in cities.index else city_id


class CityDetails(BaseModel):
    """One city an analyst adds: the facts the model needs about it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    city_id: str = Field(min_length=1, max_length=40)
    city: str = Field(min_length=1, max_length=80)
    city_ro: str | None = Field(default=None, max_length=80)
    county: str = Field(default="", max_length=80)
    region: str = Field(default="", max_length=80)
    nuts3: str = Field(default="", max_length=8)
    group: str = Field(default="other", min_length=1, max_length=40)
    target_year: int = Field(ge=2025, le=2100)
    population: int = Field(gt=0, le=20_000_000)
    population_year: int = Field(default=2021, ge=1990, le=2100)
    population_source: str = Field(min_length=1, max_length=500)
    population_quality: str = "sourced"

    @field_validator("city_id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(
                f"expected an id of lower-case letters, digits and '_' (e.g. my_town), "
                f"got '{value}'"
            )
        if value in bundled_cities().index:
            raise ValueError(f"'{value}' is one of the 13 M100 cities; give your city its own id")
        return value

    @field_validator("target_year", "population", "population_year", mode="before")
    @classmethod
    def _whole(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"{str(value).upper()} is a yes/no value, not a number")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(
            r"\d{1,3}([ .,\u00a0\u202f]\d{3})+", value.strip()
        ):
            return re.sub(r"\D", "", value)  # 150.000, 150,000 or 150 000: thousands
        return value

    @field_validator("nuts3")
    @classmethod
    def _nuts3(cls, value: str) -> str:
        if value and not re.fullmatch(r"RO[0-9]{3}", value):
            raise ValueError(f"expected a Romanian NUTS 3 code such as RO113, got '{value}'")
        return value

    @field_validator("population_quality")
    @classmethod
    def _quality(cls, value: str) -> str:
        if value not in ("sourced", "derived", "illustrative"):
            raise ValueError(f"expected sourced, derived or illustrative, got '{value}'")
        return value

    def row(self) -> dict:
        """The city as a row of :func:`load_cities`."""
        return dict(
            city_id=self.city_id,
            city=self.city,
            city_ro=self.city_ro or self.city,
            county=self.county,
            region=self.region,
            nuts2=self.nuts3[:4] if self.nuts3 else "",
            nuts3=self.nuts3,
            group=self.group,
            target_year=self.target_year,
            population_2021=self.population,  # the population the model scales by
            population_source=f"{self.population_source} ({self.population_year})",
            population_quality=self.population_quality,
        )


def read_city_details(path: str | Path) -> list[CityDetails]:
    """The cities of a file of city details: a CSV, or the sheet ``city`` of a workbook
    (the activity template of ``m100 new-city`` has one). One row per city, columns as
    :class:`CityDetails`."""
    from m100model import inputs

    path = Path(path)
    workbook = path.suffix.lower() != ".csv"
    df = inputs.read_table(path, sheet=CITY_SHEET if workbook else None)
    name = inputs.shown(path) + (f", sheet '{CITY_SHEET}'" if workbook else "")
    cities: list[CityDetails] = []
    for i, values in enumerate(df.to_dict("records")):
        values = {k: v for k, v in values.items() if v is not None and v == v and v != ""}
        if not values:
            continue
        try:
            cities.append(CityDetails.model_validate(values))
        except ValidationError as exc:
            err = exc.errors()[0]
            column = str(err["loc"][0]) if err["loc"] else None
            message = pydantic_message(err, {"missing": "missing: every city needs it"})
            raise InputError(name, message, row=i + 2, column=column) from None
    if not cities:
        raise InputError(name, "holds no city (expected a row of city details)")
    ids = [c.city_id for c in cities]
    if len(set(ids)) != len(ids):
        raise InputError(name, "gives the same city_id twice", column="city_id")
    return cities


def register_cities(cities: list[CityDetails]) -> None:
    """Make cities known to this process (scenarios, pathways, reports)."""
    for c in cities:
        _ADDED[c.city_id] = c.row()
