"""The whole-life carbon calculator (m100model.wholelife) against numbers worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from m100model import wholelife as wl
from m100model.errors import InputError
from m100model.factors import load_factors
from m100model.pathways import grid_trajectory
from m100model.tables import QUALITY_FLAGS


def test_two_material_wall_by_hand():
    """10 m² of wall: 0.2 m of C25/30 concrete and 0.1 m of EPS.
    Concrete 2 m³ x 308.6 = 617.2; EPS 1 m³ x 57.2 = 57.2; A1-A3 = 674.4 kg CO2e.
    The EPS is replaced once in the study period: B4 = 57.2."""
    r = wl.assess(
        {
            "name": "wall",
            "floor_area_m2": 10.0,
            "study_period_years": 50,
            "materials": [
                {"factor_id": "concrete_c25_30_cem1", "quantity": 2.0},
                {"factor_id": "eps_20", "quantity": 1.0, "replacements": 1},
            ],
        }
    )
    s = r.stages.set_index("stage")["kg_co2e"]
    assert s["A1-A3"] == pytest.approx(674.4)
    assert s["B4"] == pytest.approx(57.2)
    assert s["B6"] == 0 and s["D"] == 0
    assert r.total_kg == pytest.approx(731.6)
    assert r.stages.set_index("stage").at["A1-A3", "kg_co2e_per_m2"] == pytest.approx(67.44)


def test_operational_stage_uses_a_grid_factor_that_changes_by_year():
    """B6 = sum over years of kWh x t/MWh (= kg): gas at the CoM factor, electricity at the
    grid trajectory of each year."""
    years = list(range(2030, 2040))
    r = wl.assess(
        {
            "name": "b6",
            "floor_area_m2": 100.0,
            "study_period_years": 10,
            "first_year": 2030,
            "energy": [
                {"carrier": "natural_gas", "kwh_per_year": 10_000.0},
                {"carrier": "electricity", "kwh_per_year": 2_000.0},
            ],
        }
    )
    gas = 10_000 * load_factors().com_factor("natural_gas") * 10
    grid = grid_trajectory("necp", years)
    assert r.operational["kg_co2e"].tolist() == pytest.approx(
        list(10_000 * load_factors().com_factor("natural_gas") + 2_000 * grid)
    )
    assert r.stages.set_index("stage").at["B6", "kg_co2e"] == pytest.approx(
        gas + 2_000 * grid.sum()
    )
    assert grid[0] != grid[-1]  # the factor does change over the period


def test_payback_formula_against_the_calculator():
    """With constant q: T* = (e_demo + e_new - e_reno) / (q_reno - q_new)
    = (30 + 450 - 100) / (9.9 - 1.0) = 42.7 years, so the rebuild catches up in the 43rd year
    of use."""
    t = wl.payback_constant(30, 450, 100, 9.9, 1.0)
    assert t == pytest.approx(380 / 8.9)
    c = wl.compare_options(
        [
            {"name": "renovate", "upfront_kg_per_m2": 100.0, "extra_kg_per_m2_year": 9.9},
            {"name": "rebuild", "upfront_kg_per_m2": 480.0, "extra_kg_per_m2_year": 1.0},
        ],
        first_year=2025,
        last_year=2100,
    )
    assert wl.payback_year(c, "renovate", "rebuild") == 2025 + math.ceil(t)
    # Cumulative at the end: upfront + 75 years of use.
    assert c.cumulative("renovate").iloc[-1] == pytest.approx(100 + 75 * 9.9)
    assert c.yearly("rebuild", 2025) == 0  # the intervention year carries the upfront only


def test_payback_never_and_zero():
    assert wl.payback_constant(30, 450, 100, 2.0, 2.0) == math.inf
    assert wl.payback_constant(0, 50, 100, 2.0, 1.0) == 0
    c = wl.compare_options(
        [
            {"name": "keep", "upfront_kg_per_m2": 110.0, "extra_kg_per_m2_year": 2.0},
            {"name": "new", "upfront_kg_per_m2": 480.0, "extra_kg_per_m2_year": 1.0},
        ],
        last_year=2085,
    )
    assert wl.payback_year(c, "keep", "new") is None  # 370 years > 60


def test_module_d_never_reduces_the_a_to_c_total():
    base = {
        "name": "d",
        "floor_area_m2": 50.0,
        "study_period_years": 50,
        "materials": [{"factor_id": "rebar_world", "quantity": 1000.0}],
        "per_m2": {"C1-C4": 10.0},
    }
    without = wl.assess(base)
    with_d = wl.assess({**base, "module_d_kg_per_m2": -40.0})
    assert with_d.total_kg == without.total_kg == pytest.approx(1990 + 500)
    assert with_d.module_d_kg == pytest.approx(-2000)
    assert with_d.total_with_d_kg == pytest.approx(with_d.total_kg - 2000)
    assert list(with_d.stages["stage"]) == [*wl.STAGES, "D"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"floor_area_m2": -5.0}, "floor_area_m2"),
        ({"study_period_years": 0}, "study_period_years"),
        ({"materials": [{"factor_id": "unobtainium", "quantity": 1.0}]}, "materials.0.factor_id"),
        ({"materials": [{"factor_id": "eps_20", "quantity": -1.0}]}, "materials.0.quantity"),
        (
            {"materials": [{"factor_id": "benchmark_new_building_upfront_eu", "quantity": 1.0}]},
            "materials.0.factor_id",
        ),
        ({"per_m2": {"B6": 3.0}}, "per_m2"),
        ({"energy": [{"carrier": "moonlight", "kwh_per_year": 1.0}]}, "energy.0.carrier"),
        ({"colour": "red"}, "colour"),
        ({"grid": "nowhere", "energy": [{"carrier": "electricity", "kwh_per_year": 1.0}]}, "grid"),
    ],
)
def test_bad_input_names_the_field(change, field):
    building = {"name": "bad", "floor_area_m2": 10.0, "study_period_years": 50, **change}
    with pytest.raises(InputError) as info:
        wl.assess(building)
    assert info.value.field == field
    assert "\n" not in str(info.value)


def test_bad_comparison_inputs():
    with pytest.raises(InputError, match="same name"):
        wl.compare_options([{"name": "a"}, {"name": "a"}])
    with pytest.raises(InputError) as info:
        wl.compare_options([{"name": "a", "upfront_kg_per_m2": float("nan")}])
    assert info.value.field == "upfront_kg_per_m2"


def test_every_factor_row_has_a_source_and_a_flag():
    f = wl.load_embodied_factors()
    assert (f["source"].str.strip() != "").all()
    assert f["quality"].isin(QUALITY_FLAGS).all()
    assert f["value"].gt(0).all()
    # Illustrative rows say so in their source, where a learner reads it.
    ill = f[f["quality"] == "illustrative"]
    assert ill["source"].str.contains("ILLUSTRATIVE").all()
    assert {"concrete_c25_30_cem1", "rebar_world", "eps_20", "mineral_wool_stone"} <= set(f.index)
    assert isinstance(f, pd.DataFrame)
