"""The bundled data: provenance on every row, the 13 cities, and inventories that compute."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from m100model.cities import load_cities
from m100model.factors import load_factors
from m100model.inventory import bundled_inventories, load_inventory
from m100model.tables import QUALITY_FLAGS, data_dir

ROOT = Path(__file__).resolve().parents[1]
DATA = data_dir()
# Every table that holds numbers: a `value` column, or an archetype's effect (`delta`), or a
# city's own ceiling (`max_units`).
NUMBER_COLUMNS = {"value", "delta", "max_units"}
NUMERIC_TABLES = sorted(
    p for p in DATA.rglob("*.csv") if NUMBER_COLUMNS & set(pd.read_csv(p, nrows=0).columns)
)


@pytest.mark.parametrize("path", NUMERIC_TABLES, ids=lambda p: str(p.relative_to(DATA)))
def test_every_number_has_a_source_and_quality(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert {"source", "quality"} <= set(df.columns)
    assert (df["source"].str.strip() != "").all()
    assert df["quality"].isin(QUALITY_FLAGS).all(), set(df["quality"]) - set(QUALITY_FLAGS)


def test_factor_tables_load_and_are_consistent():
    lib = load_factors()
    assert lib.default_ef_id("natural_gas", "residential") is not None
    # Published values: IPCC 2006 Vol 2 Table 1.4 / 2.5; AR5 and AR6 GWPs (data_anchors §2).
    ef = lib.factor_set(lib.default_ef_id("natural_gas", "residential")).set_index("gas")
    assert ef.loc["CO2", "value"] == 56100
    assert (ef.loc["CH4", "value"], ef.loc["N2O", "value"]) == (5, 0.1)
    ar5 = lib.gwp("AR5")
    assert (ar5["CO2"], ar5["CH4_fossil"], ar5["CH4_non_fossil"], ar5["N2O"]) == (1, 28, 28, 265)
    ar6 = lib.gwp("AR6")
    assert (ar6["CH4_fossil"], ar6["CH4_non_fossil"], ar6["N2O"]) == (29.8, 27.0, 273)
    assert lib.grid_factor("production_mix", 2022).t_per_mwh == pytest.approx(0.27077)
    assert lib.com_factor("natural_gas") == pytest.approx(0.202, abs=5e-4)


def test_the_thirteen_cities():
    cities = load_cities()
    assert len(cities) == 13
    mission = set(cities.index[cities["group"] == "eu_mission"])
    assert mission == {"cluj_napoca", "bucharest_sector_2", "suceava"}
    assert (cities.loc[list(mission), "target_year"] == 2030).all()
    mirror = cities[cities["group"] == "m100_mirror"]
    # The 10 selected in the 2024 national call (data_anchors §3.1), not the older list.
    assert set(mirror.index) == {
        "alba_iulia",
        "bistrita",
        "brasov",
        "bucharest",
        "buzau",
        "constanta",
        "iasi",
        "oradea",
        "resita",
        "timisoara",
    }
    assert (mirror["target_year"] == 2035).all()
    # 2021 census figures recorded in data_anchors §3.2.
    assert cities.at["cluj_napoca", "population_2021"] == 286598
    assert cities.at["bucharest_sector_2", "population_2021"] == 290507


def test_both_city_lists_are_recorded():
    lists = pd.read_csv(DATA / "cities" / "candidate_lists.csv")
    older = set(lists.loc[lists["list"] == "capacities_presentation_candidates", "city"])
    selected = set(
        lists.loc[(lists["list"] == "m100_call_2024") & (lists["status"] == "selected"), "city"]
    )
    assert len(older) == 10 and len(selected) == 10
    assert {"Tulcea", "Piatra Neamț", "Roman", "Râmnicu Vâlcea"} <= older - selected
    assert (lists["source"].str.strip() != "").all()


@pytest.mark.parametrize("city", sorted(bundled_inventories()))
def test_bundled_inventory_computes_without_gaps(city):
    inv = load_inventory(bundled_inventories()[city])
    assert inv.city == city
    assert inv.gaps.empty, list(inv.gaps["gpc_ref"])
    assert inv.illustrative  # derived data is labelled as such
    pop = load_cities().at[city, "population_2021"]
    per_capita = inv.basic_tco2e / pop
    assert 1.0 < per_capita < 12.0  # a plausible range for a European city (t CO2e/person)


def test_every_emitting_source_has_a_measure():
    """Catalogue coverage: in every bundled inventory, each BASIC sub-sector (GPC I.1, II.1,
    III.4 ...) and fuel with emissions has at least one archetype that lowers its activity,
    read from archetype_effects.csv directly (a negative delta on that sub-sector and fuel)."""
    effects = pd.read_csv(DATA / "projects" / "archetype_effects.csv")
    lowered = effects[effects["delta"] < 0]
    covered = {
        (".".join(ref.split(".")[:2]), fuel)
        for ref, fuel in zip(lowered["gpc_ref"], lowered["fuel"], strict=True)
    }
    missing = set()
    for city, path in bundled_inventories().items():
        e = load_inventory(path).emissions
        by_source = e[e["basic"]].groupby(["subsector", "fuel"])["tco2e"].sum()
        missing |= {(city, *k) for k, v in by_source.items() if v > 0 and k not in covered}
    assert not missing, sorted(missing)


def test_city_potentials_override_the_per_capita_ceiling():
    """Geothermal heat only where an aquifer is under the network (Oradea: 27.6 MWth from
    city_potentials.csv), no new trams where there is no tram network; elsewhere the
    per-capita ceiling x population."""
    from m100model.projects import city_projects, load_archetypes

    arch = load_archetypes().loc[["en_dh_geothermal", "mob_tram"]]
    pr = city_projects(load_cities(), arch).set_index(["city", "archetype_id"])["max_units"]
    assert pr[("oradea", "en_dh_geothermal")] == pytest.approx(27.6)
    assert ("cluj_napoca", "en_dh_geothermal") not in pr.index  # 0 units: no project
    assert ("suceava", "mob_tram") not in pr.index
    per_1000 = float(arch.at["mob_tram", "max_units_per_1000_inhabitants"])
    pop = load_cities().at["iasi", "population_2021"]
    assert pr[("iasi", "mob_tram")] == pytest.approx(per_1000 * pop / 1000)


def test_all_thirteen_cities_have_an_inventory():
    assert set(bundled_inventories()) == set(load_cities().index)


def test_derive_script_reproduces_bundled_inventories(tmp_path):
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "derive_city_inventories.py"),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    for city, path in bundled_inventories().items():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), city


def test_bad_factor_table_is_refused_with_row_and_column(tmp_path):
    import shutil

    from m100model.errors import InputError

    folder = tmp_path / "factors"
    shutil.copytree(DATA / "factors", folder)
    path = folder / "fuel_properties.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = "unobtainium" + lines[1][lines[1].index(",") :]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_factors(folder)
    assert (info.value.row, info.value.column) == (2, "fuel")
    assert "unknown fuel 'unobtainium'" in info.value.message


def test_monitoring_inventory_is_the_baseline_with_the_stated_changes():
    """data/inventories/monitoring/README.md: suceava_2027.csv is suceava_2021.csv with the
    year set to 2027 and the listed amounts scaled; every other row unchanged (the same rows,
    the same amounts), so that notebook 7's decomposition shows only the stated changes."""
    scaled = {
        ("I.1.1", "natural_gas"): 0.90,
        ("I.1.2", "electricity"): 1.03,
        ("I.1.2", "district_heat"): 0.95,
        ("I.2.1", "natural_gas"): 0.94,
        ("I.2.2", "electricity"): 1.02,
        ("II.1.1", "diesel"): 1.06,
        ("II.1.1", "gasoline"): 0.97,
        ("III.1.2", "msw"): 0.96,
        ("III.2.2", "organic_waste"): 1.60,
    }
    folder = DATA / "inventories"
    read = lambda p: pd.read_csv(p, dtype={"amount": float})  # noqa: E731
    before, after = read(folder / "suceava_2021.csv"), read(folder / "monitoring/suceava_2027.csv")
    assert set(after["year"]) == {2027}
    key = ["gpc_ref", "fuel", "notation_key"]
    assert sorted(map(tuple, before[key].fillna("").to_numpy())) == sorted(
        map(tuple, after[key].fillna("").to_numpy())
    )
    merged = before.merge(after, on=["gpc_ref", "fuel"], suffixes=("_21", "_27"))
    for r in merged.dropna(subset=["amount_21"]).itertuples():
        factor = scaled.get((r.gpc_ref, r.fuel), 1.0)
        assert r.amount_27 == pytest.approx(r.amount_21 * factor, abs=0.5), (r.gpc_ref, r.fuel)
