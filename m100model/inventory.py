"""A city's greenhouse-gas inventory from activity data, as the GPC and the Covenant of Mayors ask.

The calculation for one activity row is

.. math::

    E_{g} = A \\times EF_{g}, \\qquad
    \\mathrm{CO_2e} = \\sum_{g} E_{g} \\times GWP_{g}

where :math:`A` is the activity (energy, mass of waste, tonnes of BOD, ...) converted to the
unit the factor is given per, :math:`EF_g` the emission factor of gas :math:`g` and
:math:`GWP_g` its 100-year global warming potential. Fuel given as a mass or volume is turned
into energy with its net calorific value (and density); activity given in vehicle-km is
turned into energy with the vehicle's energy intensity. Biogenic CO2 is computed and reported
as a memo item, never added to the totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from m100model import inputs
from m100model.errors import InputError, pydantic_message
from m100model.factors import DEFAULT_GRID_METHOD, DEFAULT_GWP, FactorLibrary, load_factors
from m100model.tables import QUALITY_FLAGS, data_dir, display_path, read_table, sheet_row

# Defined beside the other bundled-data helpers (validating a scenario uses it without
# importing this module); kept importable from here.
from m100model.tables import bundled_inventories as bundled_inventories
from m100model.units import ENERGY, MASS, VKM, VOLUME, parse_unit, same_dimension, split_rate_unit

if TYPE_CHECKING:
    import pint  # imported (at run time) by m100model.units, without scipy

REQUIRED_COLUMNS = ("city", "year", "gpc_ref", "fuel", "amount", "unit")
OPTIONAL_COLUMNS = ("notation_key", "ef_id", "vehicle", "source", "quality", "comment")
NOTATION_KEY_CODES = ("NO", "IE", "NE", "C")
TD_LOSSES_METHOD = "transmission_distribution_losses"

# Which factor categories may serve a sub-sector when the user names an ef_id.
_STATIONARY = frozenset({"energy_industries", "manufacturing", "commercial", "residential"})
_MOBILE = frozenset({"road", "rail", "navigation", "aviation", "off_road"})
_COMPATIBLE = {"I": _STATIONARY, "II": _MOBILE}
_WASTE_COMPATIBLE = {"III.2": frozenset({"composting", "anaerobic_digestion"})}


# ---------------------------------------------------------------------------------------
# Reference tables
# ---------------------------------------------------------------------------------------
def gpc_reference() -> pd.DataFrame:
    """The GPC v1.1 reference numbers with scope, BASIC/BASIC+ flags and factor category."""
    df = read_table(
        data_dir() / "gpc" / "gpc_reference.csv",
        [
            "gpc_ref",
            "sector",
            "subsector",
            "subsector_name",
            "scope",
            "basic",
            "basic_plus",
            "territorial_only",
            "ipcc_category",
            "com_sector",
        ],
        numeric=["scope"],
        provenance=False,
    )
    df["scope"] = df["scope"].astype(int)
    for col in ("basic", "basic_plus", "territorial_only"):
        df[col] = df[col].str.lower().eq("true")
    return df.set_index("gpc_ref", drop=False)


def notation_keys() -> pd.DataFrame:
    """The GPC notation keys (NO, IE, NE, C) with their meaning and source."""
    return read_table(
        data_dir() / "gpc" / "notation_keys.csv", ["key", "name", "meaning"]
    ).set_index("key", drop=False)


# ---------------------------------------------------------------------------------------
# Reading activity data
# ---------------------------------------------------------------------------------------
class ActivityRow(BaseModel):
    """One row of activity data, as read from a CSV or Excel file."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    city: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    gpc_ref: str = Field(min_length=1)
    fuel: str | None = None
    amount: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    unit: str | None = None
    notation_key: Literal["NO", "IE", "NE", "C"] | None = None
    ef_id: str | None = None
    vehicle: str | None = None
    source: str | None = None
    quality: Literal["sourced", "derived", "illustrative"] | None = None
    comment: str | None = None

    @field_validator("year", "amount", mode="before")
    @classmethod
    def _not_a_yes_no(cls, value: object) -> object:
        if isinstance(value, bool):  # an Excel TRUE/FALSE cell
            raise ValueError(f"{str(value).upper()} is a yes/no value, not a number")
        return value

    @field_validator("year", mode="before")
    @classmethod
    def _whole_year(cls, value: object) -> object:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


_MESSAGES = {  # a row's cells, where errors.PYDANTIC_MESSAGES words it otherwise
    "float_parsing": "expected a number such as 1234.5, got {input}",
    "missing": "must not be empty",
}


def _read_raw(path: Path) -> pd.DataFrame:
    return inputs.read_table(path)


def _cell(value: object) -> object:
    """Empty cells (blank strings, NaN from Excel) become None; strings are stripped."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_activity(path: str | Path, factors: FactorLibrary | None = None) -> pd.DataFrame:
    """Read and validate an activity-data file (CSV or Excel).

    Columns: ``city, year, gpc_ref, fuel, amount, unit`` (required) and ``notation_key,
    ef_id, vehicle, source, quality, comment`` (optional). One file holds one city and year.

    Returns
    -------
    DataFrame
        One row per input row with the columns above plus ``row`` (the spreadsheet row number).
        ``attrs["path"]`` holds the file name used in messages.

    Raises
    ------
    InputError
        On the first problem found, naming file, row and column.
    """
    path = Path(path)
    lib = factors or load_factors()
    shown = display_path(path)
    raw = _read_raw(path)
    for col in REQUIRED_COLUMNS:
        if col not in raw.columns:
            raise InputError(
                shown,
                f"missing column (expected at least: {', '.join(REQUIRED_COLUMNS)})",
                column=col,
            )
    if raw.empty:
        raise InputError(shown, "no data rows")
    gpc = gpc_reference()
    records: list[dict] = []
    seen: dict[tuple, int] = {}
    for i, values in enumerate(raw.to_dict("records")):
        row_no = sheet_row(i)
        values = {
            k: _cell(v) for k, v in values.items() if k in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
        }
        if all(v is None for v in values.values()):
            continue  # blank line
        try:
            rec = ActivityRow.model_validate(values)
        except ValidationError as exc:
            err = exc.errors()[0]
            column = str(err["loc"][0]) if err["loc"] else None
            raise InputError(
                shown, pydantic_message(err, _MESSAGES), row=row_no, column=column
            ) from None
        _check_row(rec, gpc, lib, shown, row_no)
        key = (rec.gpc_ref, rec.fuel, rec.ef_id, rec.vehicle)
        if key in seen:
            raise InputError(
                shown,
                f"duplicate of row {seen[key]} (same gpc_ref, fuel, ef_id and "
                "vehicle); add the amounts into one row",
                row=row_no,
                column="gpc_ref",
            )
        seen[key] = row_no
        records.append({**rec.model_dump(), "row": row_no})
    if not records:
        raise InputError(shown, "no data rows")
    df = pd.DataFrame.from_records(records)
    for col in ("city", "year"):
        if df[col].nunique() > 1:
            other = df[df[col] != df[col].iloc[0]].iloc[0]
            raise InputError(
                shown,
                f"expected one {col} per file ('{df[col].iloc[0]}'), got '{other[col]}'",
                row=int(other["row"]),
                column=col,
            )
    df.attrs["path"] = shown
    return df


def _check_row(
    rec: ActivityRow, gpc: pd.DataFrame, lib: FactorLibrary, shown: str, row_no: int
) -> None:
    def fail(column: str, message: str) -> None:
        raise InputError(shown, message, row=row_no, column=column)

    if rec.gpc_ref not in gpc.index:
        fail(
            "gpc_ref",
            f"unknown GPC reference '{rec.gpc_ref}' (expected a GPC v1.1 number such "
            "as I.1.1, II.1.2 or III.4.1)",
        )
    if rec.notation_key is not None:
        if rec.amount is not None:
            fail("amount", f"a row with notation key {rec.notation_key} must leave amount empty")
        if not rec.comment:
            fail(
                "comment",
                f"notation key {rec.notation_key} needs an explanation in 'comment' "
                "(the GPC requires one)",
            )
        if rec.fuel is not None and not lib.has_fuel(rec.fuel):
            fail("fuel", f"unknown fuel '{rec.fuel}'")
        return
    if rec.fuel is None:
        fail("fuel", "must not be empty (or give a notation_key)")
    if not lib.has_fuel(rec.fuel):
        fail("fuel", f"unknown fuel '{rec.fuel}' (expected one of: {', '.join(lib.fuels.index)})")
    if rec.amount is None:
        fail("amount", "must not be empty (or give a notation_key such as NO, IE, NE or C)")
    if rec.unit is None:
        fail("unit", "must not be empty (e.g. MWh, GJ, t, m3, L, vkm)")
    try:
        parse_unit(rec.unit)
    except ValueError as exc:
        fail("unit", str(exc))
    if rec.ef_id is not None and not lib.has_factor_set(rec.ef_id):
        fail("ef_id", f"unknown emission-factor set '{rec.ef_id}'")
    if rec.vehicle is not None and lib.vehicle_intensity(rec.vehicle) is None:
        fail(
            "vehicle",
            f"unknown vehicle type '{rec.vehicle}' (expected one of: "
            f"{', '.join(lib.vehicles.index)})",
        )


# ---------------------------------------------------------------------------------------
# Calculation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    lib: FactorLibrary
    gpc: pd.DataFrame
    gwp: dict[str, float]
    grid_method: str
    shown: str


def _fail(ctx: _Context, row: dict, column: str, message: str) -> None:
    raise InputError(ctx.shown, message, row=int(row["row"]), column=column)


# More than these is no city's activity (a thousand times the energy Romania uses in a
# year, and alike): a unit mistaken, or a number that would overflow the totals.
_MOST = {"MWh": 1e12, "t": 1e12, "m3": 1e12, "vkm": 1e14}


def _activity_quantity(ctx: _Context, row: dict) -> pint.Quantity:
    """The row's amount as a pint quantity, with vehicle-km turned into energy; an amount
    beyond what any city has (:data:`_MOST`) is refused."""
    unit = parse_unit(row["unit"])
    qty = row["amount"] * unit
    for shown, most in _MOST.items():
        if same_dimension(unit, parse_unit(shown)) and not qty.to(shown).magnitude <= most:
            _fail(
                ctx,
                row,
                "amount",
                f"{row['amount']:g} {row['unit']} is more than any city's activity (over "
                f"{most:.0e} {shown}); check the amount and the unit",
            )
    vehicle = row.get("vehicle")
    if same_dimension(unit, VKM):
        if not vehicle:
            _fail(
                ctx,
                row,
                "vehicle",
                "activity in vehicle-km needs a vehicle type (one of: "
                f"{', '.join(ctx.lib.vehicles.index)})",
            )
        fuel, intensity = ctx.lib.vehicle_intensity(vehicle)
        if fuel != row["fuel"]:
            _fail(ctx, row, "vehicle", f"vehicle '{vehicle}' runs on {fuel}, not {row['fuel']}")
        return (qty * intensity).to("MWh")
    if vehicle:
        _fail(ctx, row, "vehicle", "a vehicle type applies only to activity given in vkm")
    return qty


def _to_basis(ctx: _Context, row: dict, qty: pint.Quantity, basis: pint.Unit) -> float:
    """Convert an activity quantity to the unit a factor is given per (energy, mass or volume)
    using the fuel's net calorific value and density where needed."""
    fuel = row["fuel"]
    if same_dimension(qty.units, basis):
        return qty.to(basis).magnitude
    ncv, density = ctx.lib.ncv(fuel), ctx.lib.density(fuel)
    if same_dimension(basis, ENERGY):
        if same_dimension(qty.units, MASS) and ncv is not None:
            return (qty * ncv).to(basis).magnitude
        if same_dimension(qty.units, VOLUME) and ncv is not None and density is not None:
            return (qty * density * ncv).to(basis).magnitude
        expected = "an energy unit such as MWh, GJ or TJ"
        if ncv is not None:
            expected += ", or a mass (t)" + (" or volume (m3, L)" if density is not None else "")
    elif same_dimension(basis, MASS):
        if same_dimension(qty.units, VOLUME) and density is not None:
            return (qty * density).to(basis).magnitude
        expected = "a mass such as t or kg"
    else:
        expected = f"a quantity in {basis:~}"
    _fail(
        ctx, row, "unit", f"unit '{row['unit']}' does not fit fuel '{fuel}' (expected {expected})"
    )
    raise AssertionError("unreachable")


def _energy_mwh(ctx: _Context, qty: pint.Quantity, fuel: str) -> float:
    """Activity as final energy in MWh, or NaN when it is not an energy carrier (waste)."""
    if same_dimension(qty.units, ENERGY):
        return qty.to("MWh").magnitude
    ncv, density = ctx.lib.ncv(fuel), ctx.lib.density(fuel)
    if ncv is None:
        return math.nan
    if same_dimension(qty.units, MASS):
        return (qty * ncv).to("MWh").magnitude
    if same_dimension(qty.units, VOLUME) and density is not None:
        return (qty * density * ncv).to("MWh").magnitude
    return math.nan


def _factor_set_for(ctx: _Context, row: dict, ref: pd.Series) -> pd.DataFrame:
    lib, fuel = ctx.lib, row["fuel"]
    sector = str(ref["sector"])
    if row.get("ef_id"):
        rows = lib.factor_set(row["ef_id"])
        if rows["fuel"].iloc[0] != fuel:
            _fail(
                ctx,
                row,
                "ef_id",
                f"factor set '{row['ef_id']}' is for {rows['fuel'].iloc[0]}, not {fuel}",
            )
        allowed = _WASTE_COMPATIBLE.get(
            str(ref["subsector"]), _COMPATIBLE.get(sector, frozenset({ref["ipcc_category"]}))
        )
        if rows["category"].iloc[0] not in allowed:
            _fail(
                ctx,
                row,
                "ef_id",
                f"factor set '{row['ef_id']}' ({rows['category'].iloc[0]}) "
                f"does not apply to {ref['gpc_ref']} {ref['subsector_name']}",
            )
        return rows
    category = "heat_supply" if lib.fuel_kind(fuel) == "heat" else str(ref["ipcc_category"])
    ef_id = lib.default_ef_id(fuel, category) if category else None
    if ef_id is None:
        known = lib.categories_for(fuel)
        _fail(
            ctx,
            row,
            "fuel",
            f"no emission factor for {fuel} in {ref['gpc_ref']} "
            f"{ref['subsector_name']} (factors exist for: {', '.join(known) or 'none'}); "
            "use a notation key or another fuel",
        )
    return lib.factor_set(ef_id)


def _gas_rows(ctx: _Context, row: dict) -> tuple[list[dict], float]:
    """Emissions of one activity row, one dict per gas; and its final energy in MWh."""
    lib = ctx.lib
    ref = ctx.gpc.loc[row["gpc_ref"]]
    fuel = row["fuel"]
    kind = lib.fuel_kind(fuel)
    scope = int(ref["scope"])
    qty = _activity_quantity(ctx, row)
    energy = _energy_mwh(ctx, qty, fuel)

    if kind == "electricity":
        if scope == 1:
            _fail(
                ctx,
                row,
                "gpc_ref",
                f"electricity is grid-supplied energy: report it under the "
                f"scope-2 reference of {ref['subsector']} (e.g. {ref['subsector']}.2), not "
                f"{ref['gpc_ref']}",
            )
        if row.get("ef_id"):
            _fail(
                ctx,
                row,
                "ef_id",
                "electricity uses the grid factor; choose its method with "
                "grid_method (CLI: --grid-method) instead of ef_id",
            )
        method = ctx.grid_method if scope == 2 else TD_LOSSES_METHOD
        mwh = _to_basis(ctx, row, qty, ENERGY)
        grid = lib.grid_factor(method, int(row["year"]))
        gas = "CO2" if grid.gas_basis == "CO2" else "CO2e"
        return [
            dict(
                gas=gas,
                emissions_t=mwh * grid.t_per_mwh,
                ef_id=f"grid:{grid.method}:{grid.year}",
                ef_source=grid.source,
                ef_quality=grid.quality,
            )
        ], energy

    if kind == "heat" and scope != 2:
        _fail(
            ctx,
            row,
            "gpc_ref",
            f"district heat is grid-supplied energy: report it under "
            f"{ref['subsector']}.2 (scope 2)",
        )
    if kind in ("fossil", "biomass") and scope == 2:
        _fail(
            ctx,
            row,
            "gpc_ref",
            f"fuel burnt in the city is scope 1: report {fuel} under "
            f"{ref['subsector']}.1, not {ref['gpc_ref']}",
        )

    out = []
    for f in _factor_set_for(ctx, row, ref).to_dict("records"):
        num, den = split_rate_unit(f["unit"])
        basis = _to_basis(ctx, row, qty, den)
        tonnes = (basis * f["value"] * num).to("t").magnitude
        out.append(
            dict(
                gas=f["gas"],
                emissions_t=tonnes,
                ef_id=f["ef_id"],
                ef_source=f["source"],
                ef_quality=f["quality"],
            )
        )
    return out, energy


def _gwp_of(ctx: _Context, gas: str, fuel: str) -> float:
    if gas in ("CO2", "CO2e"):
        return 1.0
    if gas == "CO2_biogenic":
        return 0.0  # memo item: reported, never added to totals
    if gas == "CH4":
        origin = str(ctx.lib.fuels.at[fuel, "ch4_origin"])
        return ctx.gwp["CH4_fossil" if origin == "fossil" else "CH4_non_fossil"]
    return ctx.gwp[gas]


@dataclass
class Inventory:
    """A computed city inventory.

    Attributes
    ----------
    emissions
        Tidy table, one row per activity row and gas, with ``emissions_t`` (mass of the gas)
        and ``tco2e`` (with the chosen GWP set; 0 for the biogenic CO2 memo item).
    notation_keys
        Sub-sectors reported with a notation key, with the explanation given.
    gaps
        BASIC sub-sectors with neither data nor a notation key (a gap, not a zero).
    """

    city: str
    year: int
    gwp_set: str
    grid_method: str
    source: str
    emissions: pd.DataFrame
    notation_keys: pd.DataFrame
    gaps: pd.DataFrame
    factors: FactorLibrary = field(repr=False)
    data_quality: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # see m100model.plausibility

    # -- totals --------------------------------------------------------------------------
    def _sum(self, mask: pd.Series) -> float:
        return float(self.emissions.loc[mask, "tco2e"].sum())

    @property
    def basic_tco2e(self) -> float:
        """BASIC total: scope 1+2 of stationary energy and transport, scope 1+3 of waste."""
        return self._sum(self.emissions["basic"])

    @property
    def basic_plus_tco2e(self) -> float:
        """BASIC+ total: BASIC plus IPPU, AFOLU, T&D losses and transboundary transport."""
        return self._sum(self.emissions["basic_plus"])

    @property
    def territorial_tco2e(self) -> float:
        """Territorial total: all scope 1 emissions inside the boundary (incl. I.4.4, III.x.3)."""
        return self._sum(self.emissions["scope"] == 1)

    @property
    def total_tco2e(self) -> float:
        """Everything reported in the scopes framework (BASIC+ plus any other scope 3),
        excluding the territorial-only rows, which would double count."""
        return self._sum(~self.emissions["territorial_only"])

    @property
    def biogenic_co2_t(self) -> float:
        """Biogenic CO2 (memo item, not in any total)."""
        e = self.emissions
        return float(e.loc[e["gas"] == "CO2_biogenic", "emissions_t"].sum())

    @property
    def illustrative(self) -> bool:
        """True when any activity row is labelled illustrative."""
        return "illustrative" in self.data_quality

    # -- breakdowns ----------------------------------------------------------------------
    def _scopes_framework(self) -> pd.DataFrame:
        return self.emissions[~self.emissions["territorial_only"]]

    def by_scope(self) -> pd.Series:
        """tCO2e by scope (scopes framework)."""
        return self._scopes_framework().groupby("scope")["tco2e"].sum().rename("tco2e")

    def by_sector(self) -> pd.DataFrame:
        """tCO2e by GPC sector (scopes framework)."""
        return (
            self._scopes_framework()
            .groupby(["sector", "sector_name"], sort=False)["tco2e"]
            .sum()
            .reset_index()
        )

    def by_subsector(self) -> pd.DataFrame:
        """tCO2e by GPC sub-sector and scope (scopes framework)."""
        return (
            self._scopes_framework()
            .groupby(["subsector", "subsector_name", "scope"], sort=False)["tco2e"]
            .sum()
            .reset_index()
        )

    def by_gas(self) -> pd.DataFrame:
        """Mass of each gas (t) and its CO2e (scopes framework; biogenic CO2 as memo)."""
        return (
            self._scopes_framework()
            .groupby("gas", sort=False)[["emissions_t", "tco2e"]]
            .sum()
            .reset_index()
        )

    def gpc_table(self) -> pd.DataFrame:
        """The GPC reporting table: one row per sub-sector, tCO2e by scope, notation keys
        where a scope was reported with one (``scope_1_key`` ...)."""
        ref = gpc_reference().reset_index(drop=True)
        subs = ref.drop_duplicates("subsector")[
            ["sector", "sector_name", "subsector", "subsector_name"]
        ]
        e = self.emissions
        table = subs.reset_index(drop=True)
        for scope in (1, 2, 3):
            mask = (e["scope"] == scope) & ~e["territorial_only"]
            sums = e[mask].groupby("subsector")["tco2e"].sum()
            table[f"scope_{scope}_tco2e"] = table["subsector"].map(sums)
            keyed = self.notation_keys.merge(
                ref[["gpc_ref", "scope", "subsector", "territorial_only"]], on="gpc_ref"
            )
            keyed = keyed[(keyed["scope"] == scope) & ~keyed["territorial_only"]]
            keys = keyed.groupby("subsector")["notation_key"].agg(
                lambda s: "/".join(sorted(set(s)))
            )
            table[f"scope_{scope}_key"] = table["subsector"].map(keys)
        terr = e[e["territorial_only"]].groupby("subsector")["tco2e"].sum()
        table["territorial_only_tco2e"] = table["subsector"].map(terr)
        return table

    def com_view(self) -> pd.DataFrame:
        """Covenant of Mayors baseline-inventory view: final energy (MWh) and emissions by
        CoM sector and energy carrier.

        ``com_tco2`` applies the CoM "IPCC approach" default factors (CO2 only, t/MWh) to
        fuels, and the same grid and heat factors as the GPC view to electricity and heat;
        waste keeps its GPC CO2e. ``gpc_tco2e`` is the GPC figure for comparison.
        """
        ref = gpc_reference()
        e = self._scopes_framework()
        e = e[e["scope"].isin([1, 2])].copy()
        e["com_sector"] = e["gpc_ref"].map(ref["com_sector"])
        rows = []
        for (sector, fuel), part in e.groupby(["com_sector", "fuel"], sort=False):
            first = part.drop_duplicates("row")
            energy = float(first["energy_mwh"].sum(min_count=1))
            kind = self.factors.fuel_kind(fuel)
            com_factor = self.factors.com_factor(fuel) if kind in ("fossil", "biomass") else None
            if com_factor is not None and not math.isnan(energy):
                com_t = energy * com_factor
            else:
                com_t = (
                    float(part.loc[part["gas"].isin(["CO2", "CO2e"]), "emissions_t"].sum())
                    if kind in ("electricity", "heat")
                    else float(part["tco2e"].sum())
                )
            rows.append(
                dict(
                    com_sector=sector,
                    key_sector=sector in _COM_KEY_SECTORS,
                    carrier=fuel,
                    energy_mwh=energy,
                    com_tco2=com_t,
                    gpc_tco2e=float(part["tco2e"].sum()),
                )
            )
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        """The inventory's key figures as plain Python types (the CLI's JSON)."""
        gpc = gpc_reference()
        return {
            "city": self.city,
            "year": self.year,
            "source": self.source,
            "gwp_set": self.gwp_set,
            "grid_method": self.grid_method,
            "data_quality": self.data_quality,
            "illustrative": self.illustrative,
            "warnings": list(self.warnings),
            "total_tco2e": round(self.total_tco2e, 3),
            "basic_tco2e": round(self.basic_tco2e, 3),
            "basic_plus_tco2e": round(self.basic_plus_tco2e, 3),
            "territorial_tco2e": round(self.territorial_tco2e, 3),
            "biogenic_co2_t_memo": round(self.biogenic_co2_t, 3),
            "by_scope": {f"scope_{k}": round(float(v), 3) for k, v in self.by_scope().items()},
            "by_sector": {
                r.sector_name: round(float(r.tco2e), 3) for r in self.by_sector().itertuples()
            },
            "by_gas": {
                r.gas: {"t": round(float(r.emissions_t), 3), "tco2e": round(float(r.tco2e), 3)}
                for r in self.by_gas().itertuples()
            },
            "notation_keys": [
                dict(gpc_ref=r.gpc_ref, key=r.notation_key, comment=r.comment)
                for r in self.notation_keys.itertuples()
            ],
            "gaps": [
                dict(
                    gpc_ref=g,
                    subsector=str(gpc.at[g, "subsector_name"]),
                    scope=int(gpc.at[g, "scope"]),
                )
                for g in self.gaps["gpc_ref"]
            ],
        }


_COM_KEY_SECTORS = frozenset({"Residential", "Tertiary and municipal", "Transport"})


_EMISSION_COLUMNS = [
    "row",
    "city",
    "year",
    "gpc_ref",
    "sector",
    "sector_name",
    "subsector",
    "subsector_name",
    "scope",
    "basic",
    "basic_plus",
    "territorial_only",
    "fuel",
    "amount",
    "unit",
    "energy_mwh",
    "gas",
    "emissions_t",
    "gwp",
    "tco2e",
    "ef_id",
    "ef_source",
    "ef_quality",
    "data_quality",
]


def compute_inventory(
    activity: pd.DataFrame,
    *,
    gwp: str = DEFAULT_GWP,
    grid_method: str = DEFAULT_GRID_METHOD,
    factors: FactorLibrary | None = None,
) -> Inventory:
    """Compute a city's inventory from validated activity data (see :func:`read_activity`).

    Parameters
    ----------
    activity
        Activity table as returned by :func:`read_activity`.
    gwp
        GWP-100 set: ``"AR5"`` (default, as most GPC tools), ``"AR4"`` or ``"AR6"`` (with
        separate fossil and non-fossil CH4 values).
    grid_method
        Grid-electricity factor series (``"production_mix"`` by default; see
        ``data/factors/grid_electricity_ro.csv`` for the others).
    """
    lib = factors or load_factors()
    gpc = gpc_reference()
    shown = activity.attrs.get("path", "<activity data>")
    if grid_method not in lib.grid_methods or grid_method == TD_LOSSES_METHOD:
        methods = [m for m in lib.grid_methods if m != TD_LOSSES_METHOD]
        raise InputError(
            shown,
            f"unknown grid-factor method '{grid_method}' (expected one of: {', '.join(methods)})",
        )
    ctx = _Context(lib=lib, gpc=gpc, gwp=lib.gwp(gwp), grid_method=grid_method, shown=shown)
    records = []
    data_rows = activity[activity["notation_key"].isna()]
    for raw_row in data_rows.to_dict("records"):
        row = {k: _cell(v) for k, v in raw_row.items()}
        ref = gpc.loc[row["gpc_ref"]]
        gases, energy = _gas_rows(ctx, row)
        for g in gases:
            factor = _gwp_of(ctx, g["gas"], row["fuel"])
            records.append(
                {
                    "row": row["row"],
                    "city": row["city"],
                    "year": row["year"],
                    "gpc_ref": row["gpc_ref"],
                    "sector": ref["sector"],
                    "sector_name": ref["sector_name"],
                    "subsector": ref["subsector"],
                    "subsector_name": ref["subsector_name"],
                    "scope": int(ref["scope"]),
                    "basic": bool(ref["basic"]),
                    "basic_plus": bool(ref["basic_plus"]),
                    "territorial_only": bool(ref["territorial_only"]),
                    "fuel": row["fuel"],
                    "amount": row["amount"],
                    "unit": row["unit"],
                    "energy_mwh": energy,
                    "gas": g["gas"],
                    "emissions_t": g["emissions_t"],
                    "gwp": factor,
                    "tco2e": g["emissions_t"] * factor,
                    "ef_id": g["ef_id"],
                    "ef_source": g["ef_source"],
                    "ef_quality": g["ef_quality"],
                    "data_quality": row.get("quality"),
                }
            )
    emissions = pd.DataFrame(records, columns=_EMISSION_COLUMNS).astype(
        # typed even when empty (an inventory of notation keys only): masks stay masks
        {"scope": int, "basic": bool, "basic_plus": bool, "territorial_only": bool}
        | {c: float for c in ("energy_mwh", "emissions_t", "gwp", "tco2e")}
    )
    keyed = activity[activity["notation_key"].notna()][
        ["row", "gpc_ref", "fuel", "notation_key", "comment"]
    ].reset_index(drop=True)
    covered = set(activity["gpc_ref"])
    required = gpc[gpc["basic"]]["gpc_ref"]
    gaps = pd.DataFrame({"gpc_ref": [g for g in required if g not in covered]})
    gaps["subsector_name"] = gaps["gpc_ref"].map(gpc["subsector_name"])
    gaps["scope"] = gaps["gpc_ref"].map(gpc["scope"])
    qualities = sorted(
        {q for q in activity.get("quality", pd.Series(dtype=object)).dropna()},
        key=QUALITY_FLAGS.index,
    )
    return Inventory(
        city=str(activity["city"].iloc[0]),
        year=int(activity["year"].iloc[0]),
        gwp_set=gwp,
        grid_method=grid_method,
        source=shown,
        emissions=emissions,
        notation_keys=keyed,
        gaps=gaps,
        factors=lib,
        data_quality=qualities,
    )


def load_inventory(
    path: str | Path,
    *,
    gwp: str = DEFAULT_GWP,
    grid_method: str = DEFAULT_GRID_METHOD,
    factors: FactorLibrary | None = None,
) -> Inventory:
    """Read an activity file and compute its inventory (one call for notebooks)."""
    lib = factors or load_factors()
    return compute_inventory(
        read_activity(path, lib), gwp=gwp, grid_method=grid_method, factors=lib
    )
