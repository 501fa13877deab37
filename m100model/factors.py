"""Emission factors, fuel properties, grid-electricity series and GWP sets.

All values come from the tables in ``data/factors/`` (see ``data/factors/README.md`` for the
sources); every row keeps its ``source`` and ``quality`` so results can say where they came
from. Nothing here is hard-coded except the names of the tables.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from m100model.errors import InputError
from m100model.tables import check_values, data_dir, read_table, sheet_row
from m100model.units import parse_unit, split_rate_unit

if TYPE_CHECKING:
    import pint  # imported (at run time) by m100model.units, without scipy

GWP_SETS = ("AR4", "AR5", "AR6")
DEFAULT_GWP = "AR5"
DEFAULT_GRID_METHOD = "production_mix"
GASES = ("CO2", "CH4", "N2O", "CO2_biogenic")


@dataclass(frozen=True)
class GridFactor:
    """One grid-electricity emission factor as used in a calculation."""

    method: str
    year: int
    t_per_mwh: float
    gas_basis: str
    source: str
    quality: str


@dataclass(frozen=True)
class FactorLibrary:
    """The emission-factor tables, read and checked once.

    Attributes are tidy DataFrames as stored in ``data/factors/``.
    """

    fuels: pd.DataFrame
    fuel_properties: pd.DataFrame
    emission_factors: pd.DataFrame
    grid: pd.DataFrame
    com: pd.DataFrame
    gwp_values: pd.DataFrame
    vehicles: pd.DataFrame

    # -- fuels ---------------------------------------------------------------------------
    def has_fuel(self, fuel: str) -> bool:
        return fuel in self.fuels.index

    def fuel_kind(self, fuel: str) -> str:
        return str(self.fuels.at[fuel, "kind"])

    def _property(self, fuel: str, prop: str) -> pint.Quantity | None:
        rows = self.fuel_properties[
            (self.fuel_properties["fuel"] == fuel) & (self.fuel_properties["property"] == prop)
        ]
        if rows.empty:
            return None
        row = rows.iloc[0]
        return float(row["value"]) * parse_unit(row["unit"])

    def ncv(self, fuel: str) -> pint.Quantity | None:
        """Net calorific value (energy per mass), or ``None`` if the table has none."""
        return self._property(fuel, "ncv")

    def density(self, fuel: str) -> pint.Quantity | None:
        """Density (mass per volume), or ``None`` if the table has none."""
        return self._property(fuel, "density")

    # -- emission factors ----------------------------------------------------------------
    def has_factor_set(self, ef_id: str) -> bool:
        return bool((self.emission_factors["ef_id"] == ef_id).any())

    def factor_set(self, ef_id: str) -> pd.DataFrame:
        """The rows (one per gas) of factor set ``ef_id``."""
        return self.emission_factors[self.emission_factors["ef_id"] == ef_id]

    def default_ef_id(self, fuel: str, category: str) -> str | None:
        """The default factor set for a fuel burnt (or waste treated) in an IPCC category."""
        ef = self.emission_factors
        rows = ef[(ef["fuel"] == fuel) & (ef["category"] == category) & ef["default"]]
        return None if rows.empty else str(rows["ef_id"].iloc[0])

    def categories_for(self, fuel: str) -> list[str]:
        ef = self.emission_factors
        return sorted(set(ef.loc[ef["fuel"] == fuel, "category"]))

    # -- grid electricity ----------------------------------------------------------------
    @property
    def grid_methods(self) -> list[str]:
        return sorted(set(self.grid["method"]))

    def grid_factor(self, method: str, year: int) -> GridFactor:
        """Grid factor for ``method`` in ``year``; the latest earlier year if ``year`` is not
        in the series, or the earliest year if the series starts after ``year``."""
        rows = self.grid[self.grid["method"] == method]
        if rows.empty:
            raise KeyError(
                f"unknown grid-factor method '{method}' (expected one of: "
                f"{', '.join(self.grid_methods)})"
            )
        earlier = rows[rows["year"] <= year]
        row = (
            earlier.sort_values("year").iloc[-1]
            if not earlier.empty
            else rows.sort_values("year").iloc[0]
        )
        value = (float(row["value"]) * parse_unit(row["unit"])).to("t/MWh").magnitude
        return GridFactor(
            method,
            int(row["year"]),
            value,
            str(row["gas_basis"]),
            str(row["source"]),
            str(row["quality"]),
        )

    # -- GWP -----------------------------------------------------------------------------
    def gwp(self, gwp_set: str) -> dict[str, float]:
        """GWP-100 values of a set: keys ``CO2``, ``CH4_fossil``, ``CH4_non_fossil``, ``N2O``."""
        if gwp_set not in GWP_SETS:
            raise KeyError(f"unknown GWP set '{gwp_set}' (expected one of: {', '.join(GWP_SETS)})")
        rows = self.gwp_values[self.gwp_values["gwp_set"] == gwp_set]
        return dict(zip(rows["gas"], rows["value"].astype(float), strict=True))

    # -- Covenant of Mayors ----------------------------------------------------------------
    def com_factor(self, fuel: str, approach: str = "ipcc") -> float | None:
        """CoM default factor in t CO2/MWh, or ``None`` where the table has none."""
        rows = self.com[(self.com["fuel"] == fuel) & (self.com["approach"] == approach)]
        if rows.empty:
            return None
        row = rows.iloc[0]
        return (float(row["value"]) * parse_unit(row["unit"])).to("t/MWh").magnitude

    # -- vehicles ------------------------------------------------------------------------
    def vehicle_intensity(self, vehicle: str) -> tuple[str, pint.Quantity] | None:
        """(fuel, energy per vkm) of a vehicle type, or ``None`` if unknown."""
        if vehicle not in self.vehicles.index:
            return None
        row = self.vehicles.loc[vehicle]
        return str(row["fuel"]), float(row["value"]) * parse_unit(row["unit"])


def _check_units(df: pd.DataFrame, column: str = "unit", *, rate: bool = False) -> None:
    for i, text in enumerate(df[column]):
        try:
            split_rate_unit(text) if rate else parse_unit(text)
        except ValueError as exc:
            raise InputError(df.attrs["path"], str(exc), row=sheet_row(i), column=column) from None


def _read_library(folder: Path) -> FactorLibrary:
    fuels = read_table(
        folder / "fuels.csv",
        ["fuel", "name", "kind", "ch4_origin", "biogenic_co2"],
        provenance=False,
    )
    fuels_index = pd.Index(fuels["fuel"])
    props = read_table(
        folder / "fuel_properties.csv", ["fuel", "property", "value", "unit"], numeric=["value"]
    )
    check_values(props, "fuel", fuels_index, "fuel")
    _check_units(props)
    ef = read_table(
        folder / "emission_factors.csv",
        ["ef_id", "fuel", "category", "gas", "value", "unit", "default"],
        numeric=["value"],
    )
    check_values(ef, "fuel", fuels_index, "fuel")
    _check_units(ef, rate=True)
    check_values(ef, "gas", GASES)
    ef["default"] = ef["default"].str.lower().eq("true")
    grid = read_table(
        folder / "grid_electricity_ro.csv",
        ["method", "year", "value", "unit", "gas_basis"],
        numeric=["value", "year"],
    )
    grid["year"] = grid["year"].astype(int)
    _check_units(grid, rate=True)
    com = read_table(
        folder / "com_factors.csv", ["fuel", "approach", "value", "unit"], numeric=["value"]
    )
    check_values(com, "fuel", fuels_index, "fuel")
    _check_units(com, rate=True)
    gwp = read_table(folder / "gwp.csv", ["gwp_set", "gas", "value"], numeric=["value"])
    vehicles = read_table(
        folder / "vehicle_intensity.csv", ["vehicle", "fuel", "value", "unit"], numeric=["value"]
    )
    check_values(vehicles, "fuel", fuels_index, "fuel")
    _check_units(vehicles, rate=True)
    lib = FactorLibrary(
        fuels=fuels.set_index("fuel", drop=False),
        fuel_properties=props,
        emission_factors=ef,
        grid=grid,
        com=com,
        gwp_values=gwp,
        vehicles=vehicles.set_index("vehicle", drop=False),
    )
    _check_consistency(lib)
    return lib


def _check_consistency(lib: FactorLibrary) -> None:
    """Internal consistency of the factor tables (one default per fuel and category, ...)."""
    ef = lib.emission_factors
    path = ef.attrs["path"]
    for ef_id, rows in ef.groupby("ef_id", sort=False):
        first = int(rows.index[0])
        if rows["fuel"].nunique() != 1 or rows["category"].nunique() != 1:
            raise InputError(
                path,
                f"factor set '{ef_id}' mixes fuels or categories",
                row=sheet_row(first),
                column="ef_id",
            )
        if rows["default"].nunique() != 1:
            raise InputError(
                path,
                f"factor set '{ef_id}' is default for some gases only",
                row=sheet_row(first),
                column="default",
            )
        if rows["gas"].duplicated().any():
            raise InputError(
                path, f"factor set '{ef_id}' lists a gas twice", row=sheet_row(first), column="gas"
            )
    defaults = ef[ef["default"]].drop_duplicates("ef_id")
    dup = defaults.duplicated(["fuel", "category"], keep=False)
    if dup.any():
        row = defaults[dup].iloc[0]
        raise InputError(
            path,
            f"more than one default factor set for fuel '{row['fuel']}' in "
            f"category '{row['category']}'",
            column="default",
        )
    for gwp_set in GWP_SETS:
        values = lib.gwp(gwp_set)
        missing = {"CO2", "CH4_fossil", "CH4_non_fossil", "N2O"} - set(values)
        if missing:
            raise InputError(
                lib.gwp_values.attrs["path"],
                f"GWP set {gwp_set} lacks {', '.join(sorted(missing))}",
            )


@functools.lru_cache(maxsize=4)
def _cached(folder: str) -> FactorLibrary:
    return _read_library(Path(folder))


def load_factors(folder: str | Path | None = None) -> FactorLibrary:
    """Load (once) and check the factor tables from ``folder`` (default ``data/factors``)."""
    path = Path(folder) if folder is not None else data_dir() / "factors"
    return _cached(str(path.resolve()))
