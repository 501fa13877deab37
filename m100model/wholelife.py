"""Whole-life carbon of a building, by the life-cycle stages of EN 15978.

The calculator adds up, for one building over a study period:

- **A1-A3** (product stage): material quantities times embodied-carbon factors from
  ``data/factors/embodied_carbon.csv``, plus any per-m² upfront figure you give;
- **A4** (transport to site) and **A5** (construction) as per-m² figures;
- **B4** (replacement): each material's product-stage carbon again for every replacement
  within the study period;
- **B6** (operational energy): delivered energy by carrier and year times its emission
  factor. Electricity follows a grid trajectory that changes by year
  (:func:`m100model.pathways.grid_trajectory`); fuels use the Covenant of Mayors factors
  (:meth:`m100model.factors.FactorLibrary.com_factor`); district heat uses the kit's derived
  factor;
- **C1-C4** (end of life) as a per-m² figure;
- **D** (benefits and loads beyond the system boundary) is reported on its own line and is
  never netted off the A-C total.

:func:`compare_options` puts options such as "renovate" and "demolish and rebuild" side by
side per m² of floor area, as cumulative emissions by year, and
:func:`payback_year` / :func:`payback_constant` give the year in which a higher-upfront
option has caught up.

Inputs are validated with pydantic; a bad input raises :class:`m100model.errors.InputError`
naming the field, in one line.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from m100model.errors import InputError, from_validation
from m100model.tables import data_dir, read_table

#: The EN 15978 stages the calculator reports, in order (module D is reported separately).
STAGES = ("A1-A3", "A4", "A5", "B4", "B6", "C1-C4")
#: Stage names as a learner reads them.
STAGE_NAMES = {
    "A1-A3": "Product (materials)",
    "A4": "Transport to site",
    "A5": "Construction",
    "B4": "Replacement",
    "B6": "Operational energy",
    "C1-C4": "End of life",
    "D": "Beyond the system boundary (D)",
}
#: Per-m² inputs that a building may give directly, by stage.
PER_M2_STAGES = ("A1-A3", "A4", "A5", "C1-C4")
_DISTRICT_HEAT_EF = "derived.heat_supply.district_heat"


# -- inputs -------------------------------------------------------------------------------
class _Strict(BaseModel):
    """No unknown keys; strict types; numbers finite (``inf`` and ``nan`` are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=False, strict=True, allow_inf_nan=False)


class MaterialQuantity(_Strict):
    """A quantity of one material of the factor table.

    ``quantity`` is in the factor's declared unit (m³ for concrete, kg for steel, ...);
    ``replacements`` is how many times the material is replaced within the study period
    (stage B4).
    """

    factor_id: str = Field(min_length=1)
    quantity: float = Field(ge=0)
    replacements: int = Field(default=0, ge=0, le=100)


class EnergyUse(_Strict):
    """Delivered energy of one carrier, kWh a year (per building, or per m² in an option).

    ``carrier`` is ``electricity``, ``district_heat`` or a fuel of the Covenant of Mayors
    table (``natural_gas``, ``lpg``, ``wood`` ...). ``factor_t_per_mwh`` overrides the
    kit's factor (for example a city's own district-heat factor).
    """

    carrier: str = Field(min_length=1)
    kwh_per_year: float = Field(ge=0)
    factor_t_per_mwh: float | None = Field(default=None, ge=0, le=10)


class Building(_Strict):
    """A building to assess over a study period.

    Parameters
    ----------
    name
        A label for tables.
    floor_area_m2
        Floor area the results are divided by (m²).
    study_period_years
        Years of use counted in B4 and B6 (Level(s) uses 50).
    first_year
        The first year of use: the grid factor of that year applies to B6 first.
    materials
        Material quantities (product stage A1-A3, and B4 through their replacements).
    per_m2
        Per-m² figures by stage (``A1-A3``, ``A4``, ``A5``, ``C1-C4``), kg CO2e per m²,
        added to what the materials give.
    module_d_kg_per_m2
        Module D, kg CO2e per m² (usually negative): reported, never netted.
    energy
        Delivered energy a year by carrier, for the whole building.
    grid
        Name of the grid-factor trajectory (``data/drivers/grid_factor_trajectory.csv``).
    """

    name: str = Field(min_length=1)
    floor_area_m2: float = Field(gt=0, le=1e7)
    study_period_years: int = Field(ge=1, le=200)
    first_year: int = Field(default=2025, ge=2000, le=2100)
    materials: list[MaterialQuantity] = Field(default_factory=list)
    per_m2: dict[str, float] = Field(default_factory=dict)
    module_d_kg_per_m2: float = 0.0
    energy: list[EnergyUse] = Field(default_factory=list)
    grid: str = "necp"

    @model_validator(mode="after")
    def _stages(self) -> Building:
        for stage, value in self.per_m2.items():
            if stage not in PER_M2_STAGES:
                raise ValueError(
                    f"per_m2: unknown stage '{stage}' (expected one of: "
                    f"{', '.join(PER_M2_STAGES)}; B4 and B6 are computed)"
                )
            if value < 0:
                raise ValueError(f"per_m2.{stage}: must be >= 0 (module D goes on its own line)")
        return self


class Option(_Strict):
    """One option of a renovate-or-rebuild comparison, per m² of floor area.

    ``upfront_kg_per_m2`` is emitted in the intervention year (for a rebuild: demolition plus
    the new building's upfront carbon); ``energy`` is the delivered energy per m² a year after
    it; ``extra_kg_per_m2_year`` adds a constant yearly amount (for example, a constant
    operational figure you already have).
    """

    name: str = Field(min_length=1)
    upfront_kg_per_m2: float = Field(default=0.0, ge=0)
    energy: list[EnergyUse] = Field(default_factory=list)
    extra_kg_per_m2_year: float = Field(default=0.0, ge=0)


def _validated(model: type[BaseModel], data: Any, what: str) -> Any:
    """``data`` as a ``model``; an InputError naming the field if it is not valid."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(what, exc) from None


# -- factors ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _read_factors(path: str) -> pd.DataFrame:
    df = read_table(
        Path(path),
        ["factor_id", "material", "value", "unit", "declared_unit", "stage"],
        numeric=["value"],
    )
    dup = df["factor_id"].duplicated()
    if dup.any():
        raise InputError(path, f"factor '{df.loc[dup, 'factor_id'].iloc[0]}' listed twice")
    return df.set_index("factor_id", drop=False)


def load_embodied_factors(path: str | Path | None = None) -> pd.DataFrame:
    """The embodied-carbon factor table, indexed by ``factor_id``.

    Parameters
    ----------
    path
        CSV file; default ``data/factors/embodied_carbon.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor_id, material, value, unit, declared_unit, stage, density_kg_m3,
        source, quality, notes``; ``value`` is kg CO2e per declared unit.
    """
    p = Path(path) if path is not None else data_dir() / "factors" / "embodied_carbon.csv"
    return _read_factors(str(p.resolve())).copy()


def _carrier_factors(energy: list[EnergyUse], years: list[int], grid: str, what: str):
    """t CO2 per MWh by carrier and year: one array per energy use."""
    from m100model.factors import load_factors
    from m100model.pathways import grid_scenarios, grid_trajectory

    lib = load_factors()
    out = []
    for i, use in enumerate(energy):
        if use.factor_t_per_mwh is not None:
            out.append(np.full(len(years), use.factor_t_per_mwh))
        elif use.carrier == "electricity":
            if grid not in grid_scenarios():
                raise InputError(
                    what,
                    f"unknown grid trajectory '{grid}' (expected one of: "
                    f"{', '.join(grid_scenarios())})",
                    field="grid",
                )
            out.append(np.asarray(grid_trajectory(grid, years), dtype=float))
        elif use.carrier == "district_heat":
            rows = lib.factor_set(_DISTRICT_HEAT_EF).set_index("gas")
            out.append(np.full(len(years), float(rows.at["CO2", "value"])))
        else:
            ef = lib.com_factor(use.carrier)
            if ef is None:
                raise InputError(
                    what,
                    f"no emission factor for carrier '{use.carrier}' (use electricity, "
                    "district_heat, a fuel of data/factors/com_factors.csv, or give "
                    "factor_t_per_mwh)",
                    field=f"energy.{i}.carrier",
                )
            out.append(np.full(len(years), ef))
    return out


def operational_kg(energy: list, years: list[int], grid: str = "necp") -> np.ndarray:
    """Operational emissions (kg CO2e) of a list of energy uses in each of ``years``.

    Parameters
    ----------
    energy
        :class:`EnergyUse` items (or dicts); kWh a year.
    years
        Calendar years.
    grid
        Grid-factor trajectory for electricity.

    Returns
    -------
    numpy.ndarray
        kg CO2e per year: kWh / 1000 x t/MWh x 1000 = kWh x t/MWh.
    """
    uses = [_validated(EnergyUse, e, "energy use") for e in energy]
    return _operational(uses, years, grid, "energy use")


# -- assessment ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WholeLifeResult:
    """Result of :func:`assess`.

    Attributes
    ----------
    stages
        One row per EN 15978 stage (``STAGES``) and a last row for module D: ``stage``,
        ``name``, ``kg_co2e``, ``kg_co2e_per_m2``.
    materials
        One row per material: ``factor_id``, ``material``, ``quantity``, ``declared_unit``,
        ``factor`` (kg CO2e per unit), ``quality``, ``a1_a3_kg``, ``b4_kg``.
    operational
        ``year`` and ``kg_co2e`` of B6 in each year of use.
    floor_area_m2
        The floor area used for per-m² figures.
    """

    stages: pd.DataFrame
    materials: pd.DataFrame
    operational: pd.DataFrame
    floor_area_m2: float

    @property
    def total_kg(self) -> float:
        """Stages A-C (module D not included), kg CO2e."""
        return float(self.stages.loc[self.stages["stage"] != "D", "kg_co2e"].sum())

    @property
    def module_d_kg(self) -> float:
        """Module D, kg CO2e (reported separately)."""
        return float(self.stages.loc[self.stages["stage"] == "D", "kg_co2e"].sum())

    @property
    def total_with_d_kg(self) -> float:
        """Stages A-C plus module D, kg CO2e: shown for information, never as the result."""
        return self.total_kg + self.module_d_kg

    @property
    def total_kg_per_m2(self) -> float:
        """Stages A-C per m² of floor area."""
        return self.total_kg / self.floor_area_m2

    @property
    def upfront_kg(self) -> float:
        """Upfront carbon: stages A1-A5, kg CO2e."""
        s = self.stages.set_index("stage")["kg_co2e"]
        return float(s["A1-A3"] + s["A4"] + s["A5"])


def assess(building: Building | dict, factors: pd.DataFrame | None = None) -> WholeLifeResult:
    """Whole-life carbon of a building by EN 15978 stage.

    Parameters
    ----------
    building
        A :class:`Building` or a dict with its fields.
    factors
        The embodied-carbon factor table (default: :func:`load_embodied_factors`).

    Returns
    -------
    WholeLifeResult

    Raises
    ------
    InputError
        A field is missing or out of range, a material is not in the factor table or is a
        per-m² benchmark, or an energy carrier has no factor.
    """
    b = _validated(Building, building, "building")
    table = load_embodied_factors() if factors is None else factors
    rows = []
    for i, item in enumerate(b.materials):
        if item.factor_id not in table.index:
            raise InputError(
                "building",
                f"unknown material '{item.factor_id}' (see data/factors/embodied_carbon.csv)",
                field=f"materials.{i}.factor_id",
            )
        f = table.loc[item.factor_id]
        if f["stage"] != "A1-A3" or f["declared_unit"].startswith("m2 floor"):
            raise InputError(
                "building",
                f"'{item.factor_id}' is a per-m² figure for stages {f['stage']}, not a "
                "material: give it in per_m2",
                field=f"materials.{i}.factor_id",
            )
        a13 = item.quantity * float(f["value"])
        rows.append(
            dict(
                factor_id=item.factor_id,
                material=f["material"],
                quantity=item.quantity,
                declared_unit=f["declared_unit"],
                factor=float(f["value"]),
                quality=f["quality"],
                a1_a3_kg=a13,
                b4_kg=a13 * item.replacements,
            )
        )
    materials = pd.DataFrame(
        rows,
        columns=[
            "factor_id",
            "material",
            "quantity",
            "declared_unit",
            "factor",
            "quality",
            "a1_a3_kg",
            "b4_kg",
        ],
    )
    years = list(range(b.first_year, b.first_year + b.study_period_years))
    b6 = _operational(b.energy, years, b.grid, "building")
    area = b.floor_area_m2
    per_m2 = {s: b.per_m2.get(s, 0.0) * area for s in PER_M2_STAGES}
    kg = {
        "A1-A3": float(materials["a1_a3_kg"].sum()) + per_m2["A1-A3"],
        "A4": per_m2["A4"],
        "A5": per_m2["A5"],
        "B4": float(materials["b4_kg"].sum()),
        "B6": float(b6.sum()),
        "C1-C4": per_m2["C1-C4"],
        "D": b.module_d_kg_per_m2 * area,
    }
    stages = pd.DataFrame(
        {
            "stage": list(kg),
            "name": [STAGE_NAMES[s] for s in kg],
            "kg_co2e": list(kg.values()),
        }
    )
    stages["kg_co2e_per_m2"] = stages["kg_co2e"] / area
    return WholeLifeResult(
        stages=stages,
        materials=materials,
        operational=pd.DataFrame({"year": years, "kg_co2e": b6}),
        floor_area_m2=area,
    )


def _operational(energy, years, grid, what) -> np.ndarray:
    """kg CO2e a year: kWh x t/MWh = kg."""
    total = np.zeros(len(years))
    for use, ef in zip(energy, _carrier_factors(energy, years, grid, what), strict=True):
        total += use.kwh_per_year * ef
    return total


# -- renovate or rebuild ------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_options`.

    Attributes
    ----------
    paths
        ``option``, ``year``, ``yearly_kg_per_m2`` and ``cumulative_kg_per_m2``: the
        intervention year carries the upfront carbon; operational emissions start the year
        after.
    options
        The options compared, in order.
    """

    paths: pd.DataFrame
    options: tuple[Option, ...]

    def cumulative(self, option: str) -> pd.Series:
        """Cumulative kg CO2e per m² of one option, by year."""
        rows = self.paths[self.paths["option"] == option]
        if rows.empty:
            names = ", ".join(o.name for o in self.options)
            raise InputError("comparison", f"unknown option '{option}' (expected one of: {names})")
        return rows.set_index("year")["cumulative_kg_per_m2"]

    def yearly(self, option: str, year: int) -> float:
        """kg CO2e per m² of one option in one year."""
        rows = self.paths[(self.paths["option"] == option) & (self.paths["year"] == year)]
        return float(rows["yearly_kg_per_m2"].iloc[0])

    def summary(self) -> pd.DataFrame:
        """Per option: upfront, operational in the first year of use and cumulative at the
        end, kg CO2e per m²."""
        first = int(self.paths["year"].min()) + 1
        return pd.DataFrame(
            {
                "option": [o.name for o in self.options],
                "upfront_kg_per_m2": [o.upfront_kg_per_m2 for o in self.options],
                "first_year_kg_per_m2": [self.yearly(o.name, first) for o in self.options],
                "cumulative_kg_per_m2": [
                    float(self.cumulative(o.name).iloc[-1]) for o in self.options
                ],
            }
        )


def compare_options(
    options: list[Option | dict],
    first_year: int = 2025,
    last_year: int = 2085,
    grid: str = "necp",
) -> Comparison:
    """Cumulative whole-life emissions per m² of several options, year by year.

    Parameters
    ----------
    options
        :class:`Option` items (or dicts), with distinct names.
    first_year
        The intervention year: it carries the upfront carbon and no operation.
    last_year
        Last year counted (inclusive).
    grid
        Grid-factor trajectory for electricity (it changes by year).

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        A bad option, two options with one name, or ``last_year`` not after ``first_year``.
    """
    opts = tuple(_validated(Option, o, f"option {i + 1}") for i, o in enumerate(options))
    if not opts:
        raise InputError("comparison", "no options to compare", field="options")
    names = [o.name for o in opts]
    if len(set(names)) != len(names):
        raise InputError("comparison", "two options have the same name", field="options")
    if not 1900 < first_year < last_year <= 2300:
        raise InputError("comparison", "last_year must come after first_year", field="last_year")
    years = list(range(first_year, last_year + 1))
    use_years = years[1:]
    frames = []
    for o in opts:
        yearly = np.concatenate(
            [[0.0], _operational(o.energy, use_years, grid, o.name) + o.extra_kg_per_m2_year]
        )
        cumulative = o.upfront_kg_per_m2 + np.cumsum(yearly)
        frames.append(
            pd.DataFrame(
                {
                    "option": o.name,
                    "year": years,
                    "yearly_kg_per_m2": yearly,
                    "cumulative_kg_per_m2": cumulative,
                }
            )
        )
    return Comparison(paths=pd.concat(frames, ignore_index=True), options=opts)


def payback_year(comparison: Comparison, keep: str, replace: str) -> int | None:
    """The first year in which option ``replace`` (usually the higher-upfront one, e.g.
    demolish and rebuild) has emitted no more in total than option ``keep``; ``None`` if that
    does not happen within the comparison."""
    a = comparison.cumulative(keep)
    b = comparison.cumulative(replace)
    caught_up = b.index[(b <= a + 1e-9).to_numpy()]
    return int(caught_up[0]) if len(caught_up) else None


def payback_constant(
    e_demo: float, e_new: float, e_reno: float, q_reno: float, q_new: float
) -> float:
    """Carbon payback time in years with constant operational emissions.

    .. math:: T^* = \\frac{e_{demo} + e_{new} - e_{reno}}{q_{reno} - q_{new}}

    Parameters
    ----------
    e_demo, e_new, e_reno
        Embodied carbon of demolition, the new building and the renovation, kg CO2e/m².
    q_reno, q_new
        Operational emissions of the renovated and the new building, kg CO2e/m² a year.

    Returns
    -------
    float
        Years; ``0`` if rebuilding has no extra upfront carbon, ``math.inf`` if the new
        building never catches up (it emits at least as much a year as the renovation).
    """
    extra = e_demo + e_new - e_reno
    if extra <= 0:
        return 0.0
    gain = q_reno - q_new
    return extra / gain if gain > 0 else math.inf
