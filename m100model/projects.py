"""Project archetypes, city project lists, bundles and funding instruments.

An *archetype* is a kind of measure (an electric bus replacing a diesel bus, deep renovation
of 1000 m2 of apartment blocks, ...) with costs, lifetime and its effect on the city's
activity per deployed unit (``data/projects/``). A *project* is an archetype in one city, with
a maximum deployment scaled by the city's population. A *bundle* groups projects across
cities that are prepared, procured and financed together. *Instruments* are the sources of
money (``data/funding/``), with envelopes, eligibility by theme, co-financing shares, interest
rates and minimum ticket sizes.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from m100model.errors import InputError
from m100model.tables import check_values, data_dir, read_table, sheet_row

if TYPE_CHECKING:
    import pandas as pd

THEMES = ("mobility", "buildings", "energy", "nbs", "circular", "governance")
THEME_NAMES = {
    "mobility": "Sustainable mobility",
    "buildings": "Built environment",
    "energy": "Energy systems",
    "nbs": "Nature-based solutions",
    "circular": "Circular economy and waste",
    "governance": "Governance and enablers",
}
# Who owns (and so may finance) what an archetype builds: the city and its companies, or
# households, owners' associations and firms.
OWNERS = ("public", "private")
INSTRUMENT_KINDS = ("budget", "grant", "loan", "bond", "esco", "private")
REQUIRED_PARAMETERS = (
    "capex",
    "opex",
    "lifetime",
    "lead_time",
    "learning_rate",
    "max_units_per_1000_inhabitants",
    "max_share_per_year",
    "jobs",
    "prep_cost_share",
)
OPTIONAL_PARAMETERS = ("pm25_avoided", "energy_poor_households", "sequestration")
INSTRUMENT_PARAMETERS = (
    "annual_envelope",
    "envelope_per_capita",
    "interest_rate",
    "tenor",
    "min_ticket",
    "max_ticket",
    "available_from",
    "available_to",
    "prep_cost_coverage",
)


def _wide(
    params: pd.DataFrame, key: str, names: tuple[str, ...], required: tuple[str, ...]
) -> pd.DataFrame:
    """Pivot a long ``key, parameter, value`` table to one row per key, checking names."""
    path = params.attrs["path"]
    for i, (k, p) in enumerate(zip(params[key], params["parameter"], strict=True)):
        if p not in names:
            raise InputError(
                path,
                f"unknown parameter '{p}' for {k} (expected one of: {', '.join(names)})",
                row=sheet_row(i),
                column="parameter",
            )
    dup = params.duplicated([key, "parameter"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(path, "parameter given twice", row=sheet_row(i), column="parameter")
    wide = params.pivot(index=key, columns="parameter", values="value")
    for p in required:
        if p not in wide.columns or wide[p].isna().any():
            missing = wide.index[wide[p].isna()] if p in wide.columns else wide.index
            raise InputError(path, f"{missing[0]} lacks required parameter '{p}'")
    return wide.reindex(columns=list(names))


@functools.lru_cache(maxsize=1)
def load_archetypes() -> pd.DataFrame:
    """Archetypes with their parameters, one row per archetype (index ``archetype_id``)."""
    folder = data_dir() / "projects"
    meta = read_table(
        folder / "archetypes.csv",
        ["archetype_id", "theme", "name", "unit", "indivisible", "owner"],
        provenance=False,
    )
    check_values(meta, "theme", THEMES)
    check_values(meta, "owner", OWNERS)
    meta["indivisible"] = meta["indivisible"].str.lower().eq("true")
    params = read_table(
        folder / "archetype_parameters.csv",
        ["archetype_id", "parameter", "value", "unit"],
        numeric=["value"],
    )
    wide = _wide(
        params, "archetype_id", REQUIRED_PARAMETERS + OPTIONAL_PARAMETERS, REQUIRED_PARAMETERS
    )
    unknown = set(wide.index) - set(meta["archetype_id"])
    if unknown:
        raise InputError(
            params.attrs["path"], f"unknown archetype '{sorted(unknown)[0]}'", column="archetype_id"
        )
    out = meta.set_index("archetype_id").join(wide, how="left")
    missing = out[out["capex"].isna()]
    if not missing.empty:
        raise InputError(params.attrs["path"], f"archetype '{missing.index[0]}' has no parameters")
    for col in OPTIONAL_PARAMETERS:
        out[col] = out[col].fillna(0.0)
    out["archetype_id"] = out.index
    return out


@functools.lru_cache(maxsize=1)
def load_city_potentials() -> dict[tuple[str, str], float]:
    """City-specific ceilings (``data/projects/city_potentials.csv``) by (city, archetype), in
    the archetype's units: they replace the per-capita ceiling where a potential depends on
    the place (a geothermal aquifer, an existing tram network)."""
    from m100model.cities import load_cities

    df = read_table(
        data_dir() / "projects" / "city_potentials.csv",
        ["archetype_id", "city_id", "max_units", "unit"],
        numeric=["max_units"],
    )
    check_values(df, "archetype_id", load_archetypes().index, "archetype")
    check_values(df, "city_id", load_cities().index, "city")
    for i, v in enumerate(df["max_units"]):
        if not v >= 0:
            raise InputError(
                df.attrs["path"],
                "expected a ceiling of 0 or more units",
                row=sheet_row(i),
                column="max_units",
            )
    dup = df.duplicated(["archetype_id", "city_id"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(df.attrs["path"], "city and archetype given twice", row=sheet_row(i))
    return {
        (c, a): float(v)
        for a, c, v in zip(df["archetype_id"], df["city_id"], df["max_units"], strict=True)
    }


def ceiling(archetype: pd.Series, city_id: str, population: float) -> float:
    """The most units of an archetype a city can have active at once: its entry in
    ``city_potentials.csv``, else ``max_units_per_1000_inhabitants x population / 1000``."""
    special = load_city_potentials().get((city_id, str(archetype.name)))
    if special is not None:
        return special
    return float(archetype["max_units_per_1000_inhabitants"]) * population / 1000


@functools.lru_cache(maxsize=1)
def load_effects() -> pd.DataFrame:
    """Activity changes per deployed unit and year (``archetype_id, gpc_ref, fuel, delta``)."""
    df = read_table(
        data_dir() / "projects" / "archetype_effects.csv",
        ["archetype_id", "gpc_ref", "fuel", "delta", "unit"],
        numeric=["delta"],
    )
    check_values(df, "archetype_id", load_archetypes().index, "archetype")
    df["subsector"] = df["gpc_ref"].str.rsplit(".", n=1).str[0]
    return df


@functools.lru_cache(maxsize=1)
def load_relations() -> pd.DataFrame:
    """``requires`` / ``excludes`` relations between archetypes (applied within a city)."""
    df = read_table(
        data_dir() / "projects" / "archetype_relations.csv",
        ["archetype_id", "relation", "other_archetype_id"],
        provenance=False,
    )
    check_values(df, "relation", ("requires", "excludes"))
    for col in ("archetype_id", "other_archetype_id"):
        check_values(df, col, load_archetypes().index, "archetype")
    return df


@functools.lru_cache(maxsize=1)
def load_instruments() -> pd.DataFrame:
    """Funding instruments with their parameters, one row per instrument."""
    folder = data_dir() / "funding"
    meta = read_table(
        folder / "instruments.csv", ["instrument_id", "name", "kind", "scope"], provenance=False
    )
    check_values(meta, "kind", INSTRUMENT_KINDS)
    check_values(meta, "scope", ("city", "national"))
    params = read_table(
        folder / "instrument_parameters.csv",
        ["instrument_id", "parameter", "value", "unit"],
        numeric=["value"],
    )
    wide = _wide(
        params,
        "instrument_id",
        INSTRUMENT_PARAMETERS,
        ("interest_rate", "available_from", "available_to"),
    )
    out = meta.set_index("instrument_id").join(wide, how="left")
    out["instrument_id"] = out.index
    return out


@functools.lru_cache(maxsize=1)
def load_eligibility() -> pd.DataFrame:
    """Maximum co-financing share of capex by instrument and theme."""
    df = read_table(
        data_dir() / "funding" / "instrument_eligibility.csv",
        ["instrument_id", "theme", "max_share"],
        numeric=["max_share"],
    )
    check_values(df, "instrument_id", load_instruments().index, "instrument")
    check_values(df, "theme", THEMES, "theme")
    return df


def city_projects(
    cities: pd.DataFrame, archetypes: pd.DataFrame | None = None, *, scale: float = 1.0
) -> pd.DataFrame:
    """One project per city and archetype, its maximum deployment scaled by population.

    ``max_units`` = :func:`ceiling` ``x scale``.
    """
    import pandas as pd

    arch = load_archetypes() if archetypes is None else archetypes
    rows = []
    for city_id, city in cities.iterrows():
        pop = float(city["population_2021"])
        for a_id, a in arch.iterrows():
            units = ceiling(a, city_id, pop) * scale
            if units <= 0:
                continue
            rows.append(
                dict(
                    project_id=f"{city_id}:{a_id}",
                    city=city_id,
                    archetype_id=a_id,
                    theme=a["theme"],
                    max_units=units,
                )
            )
    return pd.DataFrame(rows).set_index("project_id", drop=False)
