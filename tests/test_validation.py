"""Published figures (data/validation) and their comparison with the kit's own numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from m100model import validation as v
from m100model.cities import load_cities
from m100model.errors import InputError
from m100model.inventory import bundled_inventories, read_activity

MISSION_CITIES = {"cluj_napoca", "suceava", "bucharest_sector_2"}


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return v.load_published()


def test_every_row_has_a_source_and_a_published_quality(published):
    assert len(published) > 0
    assert (published["source"].str.strip() != "").all()
    assert published["quality"].isin(["sourced", "derived"]).all()


def test_derived_rows_show_their_arithmetic(published):
    derived = published[published["quality"] == "derived"]
    assert (derived["notes"].str.contains(r"[=+/]")).all()


def test_units_are_known_and_fit_their_quantity(published):
    for q, u in zip(published["quantity"], published["unit"], strict=True):
        assert u in v.QUANTITY_UNITS[q], (q, u)


def test_the_three_mission_cities_are_covered(published):
    for city in MISSION_CITIES:
        rows = published[published["city"] == city]
        assert {"baseline_emissions", "target_reduction", "investment_need"} <= set(
            rows["quantity"]
        ), city


def test_sector_splits_add_up_to_the_published_totals(published):
    base = published[published["quantity"] == "baseline_emissions"]
    for (_city, _doc), rows in base.groupby(["city", "document"]):
        total = rows.loc[rows["sector"] == "", "value"]
        parts = rows.loc[rows["sector"] != "", "value"]
        if len(total) and len(parts):
            assert parts.sum() == pytest.approx(total.iloc[0], rel=1e-6)


def test_investment_fields_add_up_to_the_total(published):
    inv = published[published["quantity"] == "investment_need"]
    for (_city, _doc), rows in inv.groupby(["city", "document"]):
        total = rows.loc[rows["sector"] == "", "value"]
        parts = rows.loc[rows["sector"] != "", "value"]
        if len(total) and len(parts):
            assert parts.sum() == pytest.approx(total.iloc[0], abs=0.05)


def test_a_row_without_source_or_with_an_unknown_unit_is_refused(tmp_path, published):
    raw = pd.read_csv(v.published_path(), dtype=str, keep_default_na=False)
    bad = raw.copy()
    bad.loc[0, "source"] = ""
    bad.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(InputError, match="source"):
        v.load_published(tmp_path / "a.csv")
    bad = raw.copy()
    bad.loc[0, "unit"] = "kt CO2"
    bad.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(InputError, match="unit"):
        v.load_published(tmp_path / "b.csv")
    bad = raw.copy()
    bad.loc[0, "quality"] = "illustrative"
    bad.to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(InputError, match="quality"):
        v.load_published(tmp_path / "c.csv")


def _basic_by_hand(city: str) -> float:
    """BASIC total of a bundled inventory summed row by row, without Inventory's totals."""
    inv = v.kit_inventory(city)
    e = inv.emissions
    activity = read_activity(bundled_inventories()[city])
    # every data row of the activity file appears in the emissions table
    assert set(e["row"]) == set(activity.loc[activity["notation_key"].isna(), "row"])
    basic_rows = e["gpc_ref"].map(
        lambda ref: (
            (ref.split(".")[0] in ("I", "II") and ref.endswith((".1", ".2")))
            or (ref.startswith("III.") and ref.endswith((".1", ".2")))
        )
    )
    return float(
        sum(
            t * g
            for t, g in zip(e.loc[basic_rows, "emissions_t"], e.loc[basic_rows, "gwp"], strict=True)
        )
    )


def test_kit_figure_equals_an_independent_sum(published):
    table = v.compare_inventories(published)
    row = table[(table["city"] == "suceava") & (table["quantity"] == "baseline_emissions")].iloc[0]
    assert row["kit_measure"] == "basic"
    assert row["kit"] == pytest.approx(_basic_by_hand("suceava"), rel=1e-9)
    assert row["ratio"] == pytest.approx(row["published"] / row["kit"])
    per_cap = table[
        (table["city"] == "suceava") & (table["quantity"] == "per_capita_emissions")
    ].iloc[0]
    population = load_cities().at["suceava", "population_2021"]
    assert per_cap["kit"] == pytest.approx(row["kit"] / population)


def test_ratio_and_flag_on_hand_made_cases():
    assert v.ratio_and_flag(300.0, 100.0) == (3.0, True)
    assert v.ratio_and_flag(150.0, 100.0) == (1.5, False)
    assert v.ratio_and_flag(200.0, 100.0) == (2.0, False)  # exactly a factor 2: not flagged
    ratio, flag = v.ratio_and_flag(40.0, 100.0)
    assert ratio == pytest.approx(0.4) and flag
    ratio, flag = v.ratio_and_flag(100.0, 0.0)
    assert math.isnan(ratio) and flag


def _fake_published(value: float, kit_measure: str = "basic") -> pd.DataFrame:
    row = dict(
        city="suceava",
        document="Hand-made plan",
        document_year=pd.NA,
        quantity="baseline_emissions",
        sector="",
        year=2021,
        base_year=pd.NA,
        value=value,
        unit="t CO2e",
        scope_note="",
        kit_measure=kit_measure,
        source="test",
        quality="sourced",
        notes="",
    )
    return pd.DataFrame([row])


def test_compare_inventories_flags_a_factor_of_more_than_two():
    kit = v.kit_figure(v.kit_inventory("suceava"), "basic")
    far = v.compare_inventories(_fake_published(2.5 * kit))
    near = v.compare_inventories(_fake_published(1.2 * kit))
    low = v.compare_inventories(_fake_published(0.3 * kit))
    assert far["flag"].iloc[0] and far["ratio"].iloc[0] == pytest.approx(2.5)
    assert far["why"].iloc[0] != ""
    assert not near["flag"].iloc[0] and near["why"].iloc[0] == ""
    assert low["flag"].iloc[0] and low["ratio"].iloc[0] == pytest.approx(0.3)


def test_every_flagged_published_comparison_is_explained(published):
    for table in (v.compare_inventories(published), v.compare_sectors(published)):
        flagged = table[table["flag"]]
        assert (flagged["why"] != "not yet explained").all(), flagged[["city", "document"]]


def test_grid_factor_recalculation(published):
    table = v.compare_inventories(published)
    cluj = table[(table["city"] == "cluj_napoca") & (table["quantity"] == "baseline_emissions")]
    row = cluj.iloc[0]
    factor = v._doc_value(published, "cluj_napoca", row["document"], "grid_emission_factor")
    mwh = v._doc_value(published, "cluj_napoca", row["document"], "electricity_use")
    kit_factor = v.kit_inventory("cluj_napoca").factors.grid_factor("production_mix", 2021)
    expected = row["published"] - mwh * (factor - kit_factor.t_per_mwh)
    assert row["published_at_kit_grid"] == pytest.approx(expected)
    assert row["published_at_kit_grid"] < row["published"]  # 0.701 is above the kit's factor


def test_sector_comparison_uses_the_matching_gpc_sectors(published):
    table = v.compare_sectors(published)
    inv = v.kit_inventory("cluj_napoca")
    e = inv.emissions[inv.emissions["basic"]]
    buildings = table[(table["city"] == "cluj_napoca") & (table["sector"] == "Buildings")]
    expected = e.loc[e["subsector"].isin(["I.1", "I.2"]), "tco2e"].sum()
    assert buildings["kit"].iloc[0] == pytest.approx(expected)


def test_compare_targets_against_the_scenario(published):
    table = v.compare_targets(published=published)
    assert set(MISSION_CITIES) <= set(table["city"])
    cities = load_cities()
    for r in table.itertuples():
        assert r.kit_reduction_pct == pytest.approx(80.0)  # m100_2035.yaml: reduction 0.8
        assert r.kit_target_year == cities.at[r.city, "target_year"]
        basic = v.kit_inventory(r.city).basic_tco2e
        assert r.kit_target_t == pytest.approx(basic * 0.2)
        assert r.reduction_gap_pp == pytest.approx(r.published_reduction_pct - 80.0)


# -- the kit's modelled results --------------------------------------------------------------
def test_kit_results_were_computed_from_the_current_inputs():
    """data/validation/kit_results.csv is the output of the M100 scenario on today's data,
    scenario and model formulation. When any of them changes, compute it again:
    `m100 run data/scenarios/m100_2035.yaml --out results/m100_2035` then
    `python scripts/kit_results_for_validation.py results/m100_2035`."""
    kit = v.load_kit_results()
    assert set(kit["inputs"]) == {v.inputs_fingerprint()}
    assert set(kit["scenario"]) == {v.KIT_SCENARIO}
    assert set(kit["city"]) == set(load_cities().index)


def test_kit_investment_fields_add_up_to_the_total():
    kit = v.load_kit_results()
    inv = kit[kit["quantity"] == "investment"]
    for city, part in inv.groupby("city"):
        total = part.loc[part["field"] == "", "value"].sum()
        fields = part.loc[part["field"] != "", "value"]
        assert len(fields) == len(v.THEME_FIELDS)
        assert fields.sum() == pytest.approx(total, abs=1e-2), city


def test_kit_results_table_by_hand():
    """Spending up to the target year only, by the field of action of each theme: Suceava
    (target 2030) spends 2 + 3 M EUR on buses by 2030 and 7 after; 4 on renovation in 2029."""
    summary = {
        "scenario": "m100_2035",
        "emissions_kt": {"2025": 1.0, "2050": 1.0},
        "by_city_in_target_year": {
            "suceava": dict(
                target_year=2030, baseline_kt=10.0, emissions_kt=4.0, target_kt=2.0, met=False
            )
        },
    }
    dep = pd.DataFrame(
        dict(
            city=["suceava"] * 4,
            theme=["mobility", "mobility", "mobility", "buildings"],
            year=[2027, 2030, 2031, 2029],
            spend_meur=[2.0, 3.0, 7.0, 4.0],
        )
    )
    t = v.kit_results_table(summary, dep).set_index(["quantity", "field"])["value"]
    assert t[("investment", "")] == pytest.approx(9.0)
    assert t[("investment", "Mobility & Transport")] == pytest.approx(5.0)
    assert t[("investment", "Built environment")] == pytest.approx(4.0)
    assert t[("investment", "Energy systems")] == 0.0
    assert t[("target_met", "")] == 0 and t[("modelled_emissions", "")] == 4.0


def test_compare_investment_sets_each_field_beside_the_plan(published):
    """Suceava's published total (448.14 M EUR, table C-3.1) against a hand-made kit total of
    100: ratio 4.48, flagged; a field with the same figure on both sides: ratio 1."""
    kit = pd.DataFrame(
        dict(
            city=["suceava", "suceava"],
            quantity=["investment", "investment"],
            field=["", "Energy systems"],
            year_from=[2025, 2025],
            year_to=[2030, 2030],
            value=[100.0, 173.65],
        )
    )
    out = v.compare_investment(published, kit).set_index("field")
    assert out.at["Total", "published_meur"] == pytest.approx(448.14)
    assert out.at["Total", "ratio"] == pytest.approx(4.4814) and out.at["Total", "flag"]
    assert out.at["Energy systems", "ratio"] == pytest.approx(1.0)
    assert not out.at["Energy systems", "flag"]
    assert set(out.index) == {"Total", "Energy systems"}  # only fields on both sides


def test_every_flagged_investment_comparison_is_explained(published):
    out = v.compare_investment(published)
    assert len(out) >= 3 * 7  # the three Mission cities, total and six fields each
    assert (out.loc[out["flag"], "why"] != "").all()
    assert "not yet explained" not in set(out["why"])
    assert (out.loc[~out["flag"], "why"] == "").all()
