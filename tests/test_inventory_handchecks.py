"""Inventory figures checked against hand calculations.

Every expected number below is computed by hand in the comment next to it, from the IPCC 2006
defaults and GWP tables quoted in ``shared/reference/data_anchors.md`` (§2, §3.3, §6), not by
calling the library.
"""

from __future__ import annotations

import pytest

from m100model.inventory import load_inventory

REL = 1e-9


def one_row(write_activity, **row):
    return write_activity([row])


def test_residential_natural_gas_worked_example(write_activity):
    # data_anchors §6.2: 10,000 MWh x 0.0036 TJ/MWh = 36 TJ
    # CO2 = 36 x 56,100 kg = 2,019.6 t; CH4 = 36 x 5 kg = 0.18 t; N2O = 36 x 0.1 kg = 0.0036 t
    path = one_row(write_activity, gpc_ref="I.1.1", fuel="natural_gas", amount=10000, unit="MWh")
    inv = load_inventory(path, gwp="AR5")
    gas = inv.emissions.set_index("gas")["emissions_t"]
    assert gas["CO2"] == pytest.approx(2019.6, rel=REL)
    assert gas["CH4"] == pytest.approx(0.18, rel=REL)
    assert gas["N2O"] == pytest.approx(0.0036, rel=REL)
    # AR5: 2,019.6 + 0.18 x 28 + 0.0036 x 265 = 2,025.594
    assert inv.basic_tco2e == pytest.approx(2025.594, rel=REL)
    # AR6 with fossil CH4: 2,019.6 + 0.18 x 29.8 + 0.0036 x 273 = 2,025.9468
    assert load_inventory(path, gwp="AR6").basic_tco2e == pytest.approx(2025.9468, rel=REL)
    # AR4: 2,019.6 + 0.18 x 25 + 0.0036 x 298 = 2,025.1728
    assert load_inventory(path, gwp="AR4").basic_tco2e == pytest.approx(2025.1728, rel=REL)


def test_same_gas_in_gj_and_in_tj_and_kwh(write_activity):
    # 36 TJ = 36,000 GJ = 10,000,000 kWh: the same emissions whatever the unit.
    results = []
    for amount, unit in [(36, "TJ"), (36000, "GJ"), (1e7, "kWh"), (10, "GWh")]:
        path = write_activity(
            [dict(gpc_ref="I.1.1", fuel="natural_gas", amount=amount, unit=unit)],
            name=f"{unit}.csv",
        )
        results.append(load_inventory(path).basic_tco2e)
    assert results == pytest.approx([2025.594] * 4, rel=REL)


def test_grid_electricity_production_mix_2022(write_activity):
    # data_anchors §6.2: 5,000 MWh x 0.27077 t/MWh (AIB production mix 2022) = 1,353.85 t CO2
    path = one_row(write_activity, gpc_ref="I.1.2", fuel="electricity", amount=5000, unit="MWh")
    inv = load_inventory(path, grid_method="production_mix")
    assert inv.basic_tco2e == pytest.approx(1353.85, rel=REL)
    assert inv.by_scope().to_dict() == pytest.approx({2: 1353.85}, rel=REL)


def test_grid_method_changes_the_result(write_activity):
    # The teaching point of data_anchors §3.3: the IFI operating margin (0.489 t/MWh, 2021)
    # gives 5,000 x 0.489 = 2,445 t where the production mix gives 1,353.85 t.
    path = one_row(write_activity, gpc_ref="I.1.2", fuel="electricity", amount=5000, unit="MWh")
    inv = load_inventory(path, grid_method="ifi_operating_margin")
    assert inv.basic_tco2e == pytest.approx(2445.0, rel=REL)


def test_diesel_bus_per_vehicle_km(write_activity):
    # data_anchors §6.3: 52,192 vkm x 3.26 kWh/vkm = 170,145.92 kWh = 0.612525312 TJ
    # CO2 = 0.612525312 x 74,100 kg = 45.388 t
    # CH4 = N2O = 0.612525312 x 3.9 kg = 2.3888 kg
    # AR5: 45.38813 + 0.0023888 x 28 + 0.0023888 x 265 = 46.0880 t
    path = one_row(
        write_activity,
        gpc_ref="II.1.1",
        fuel="diesel",
        amount=52192,
        unit="vkm",
        vehicle="bus_diesel",
    )
    inv = load_inventory(path)
    tj = 52192 * 3.26 * 3.6e-6
    co2 = tj * 74100 / 1000
    other = tj * 3.9 / 1000
    assert inv.emissions.set_index("gas").loc["CO2", "emissions_t"] == pytest.approx(co2, rel=REL)
    assert co2 == pytest.approx(45.388, abs=1e-3)
    assert inv.basic_tco2e == pytest.approx(co2 + other * 28 + other * 265, rel=REL)
    assert inv.basic_tco2e == pytest.approx(46.088, abs=1e-3)


def test_electric_bus_with_operating_margin_emits_more_than_diesel(write_activity):
    # data_anchors §6.3: 52,192 vkm x 2 kWh/vkm = 104.384 MWh; x 0.489 = 51.04 t > 46.09 t.
    path = one_row(
        write_activity,
        gpc_ref="II.1.2",
        fuel="electricity",
        amount=52192,
        unit="vkm",
        vehicle="bus_electric",
    )
    inv = load_inventory(path, grid_method="ifi_operating_margin")
    assert inv.basic_tco2e == pytest.approx(104.384 * 0.489, rel=REL)


def test_diesel_by_mass_uses_ncv(write_activity):
    # 100 t diesel x 43.0 TJ/Gg = 4.3 TJ; CO2 = 4.3 x 74,100 kg = 318.63 t (IPCC Table 1.2/1.4)
    path = one_row(write_activity, gpc_ref="II.1.1", fuel="diesel", amount=100, unit="t")
    inv = load_inventory(path)
    co2 = inv.emissions.set_index("gas").loc["CO2", "emissions_t"]
    assert co2 == pytest.approx(318.63, rel=REL)


def test_wood_co2_is_a_memo_item(write_activity):
    # Residential wood, 1,000 MWh = 3.6 TJ: CO2 3.6 x 112,000 kg = 403.2 t biogenic (memo),
    # CH4 3.6 x 300 kg = 1.08 t, N2O 3.6 x 4 kg = 0.0144 t.
    # AR5 totals count CH4 (non-fossil, 28) and N2O: 1.08 x 28 + 0.0144 x 265 = 34.056 t
    path = one_row(write_activity, gpc_ref="I.1.1", fuel="wood", amount=1000, unit="MWh")
    inv = load_inventory(path)
    assert inv.biogenic_co2_t == pytest.approx(403.2, rel=REL)
    assert inv.basic_tco2e == pytest.approx(34.056, rel=REL)
    # AR6 uses the non-fossil CH4 value 27.0: 1.08 x 27 + 0.0144 x 273 = 33.0912
    assert load_inventory(path, gwp="AR6").basic_tco2e == pytest.approx(33.0912, rel=REL)


def test_landfill_methane_commitment(write_activity):
    # IPCC 2006 Vol 5 mass balance for 1,000 wet t of MSW, Eastern-European composition:
    # DOC = 0.17588 (Table 2.3 x 2.4), DOCf 0.5, MCF 1.0 (managed anaerobic), F 0.5, OX 0.1
    # CH4 = 1,000 x 0.17588 x 0.5 x 1.0 x 0.5 x 16/12 x 0.9 = 52.764 t
    path = one_row(write_activity, gpc_ref="III.1.2", fuel="msw", amount=1000, unit="t")
    inv = load_inventory(path)
    ch4 = 1000 * 0.17588 * 0.5 * 1.0 * 0.5 * 16 / 12 * 0.9
    assert inv.emissions["emissions_t"].sum() == pytest.approx(ch4, rel=1e-4)
    assert inv.by_scope().to_dict() == pytest.approx({3: ch4 * 28}, rel=1e-4)  # scope 3, BASIC
    assert inv.basic_tco2e == pytest.approx(ch4 * 28, rel=1e-4)
    # Waste methane is non-fossil: AR6 uses 27.0.
    assert load_inventory(path, gwp="AR6").basic_tco2e == pytest.approx(ch4 * 27.0, rel=1e-4)


def test_composting_wet_weight(write_activity):
    # IPCC 2006 Vol 5 Table 4.1, wet basis: CH4 4 g/kg, N2O 0.24 g/kg. 2,500 t composted:
    # CH4 10 t, N2O 0.6 t; AR5: 10 x 28 + 0.6 x 265 = 439 t CO2e (about 0.18 t/t, cf. §2.5)
    path = one_row(write_activity, gpc_ref="III.2.1", fuel="organic_waste", amount=2500, unit="t")
    assert load_inventory(path).basic_tco2e == pytest.approx(439.0, rel=REL)


def test_anaerobic_digestion_variant_by_ef_id(write_activity):
    # Same waste digested: CH4 0.8 g/kg wet -> 2 t -> 56 t CO2e (AR5)
    path = one_row(
        write_activity,
        gpc_ref="III.2.1",
        fuel="organic_waste",
        amount=2500,
        unit="t",
        ef_id="ipcc2006.anaerobic_digestion.organic_waste",
    )
    assert load_inventory(path).basic_tco2e == pytest.approx(56.0, rel=REL)


def test_wastewater_bod_and_nitrogen(write_activity):
    # 500 t BOD to a not-well-managed aerobic plant: Bo 0.6 x MCF 0.3 = 0.18 kg CH4/kg BOD
    # -> 90 t CH4 -> 2,520 t CO2e; 100 t N in effluent x 0.005 x 44/28 = 0.7857 t N2O
    # -> 208.21 t CO2e (AR5)
    path = write_activity(
        [
            dict(
                gpc_ref="III.4.1",
                fuel="wastewater_bod",
                amount=500,
                unit="t",
                ef_id="ipcc2006.wastewater.wastewater_bod.aerobic_not_well_managed",
            ),
            dict(gpc_ref="III.4.1", fuel="wastewater_nitrogen", amount=100, unit="t"),
        ]
    )
    inv = load_inventory(path)
    n2o = 100 * 0.005 * 44 / 28
    assert inv.basic_tco2e == pytest.approx(500 * 0.18 * 28 + n2o * 265, rel=1e-4)


def test_territorial_only_rows_stay_out_of_basic(write_activity):
    # Waste from outside landfilled inside (III.1.3) counts in the territorial total only.
    path = write_activity(
        [
            dict(gpc_ref="III.1.3", fuel="msw", amount=1000, unit="t"),
            dict(gpc_ref="I.1.1", fuel="natural_gas", amount=10000, unit="MWh"),
        ]
    )
    inv = load_inventory(path)
    assert inv.basic_tco2e == pytest.approx(2025.594, rel=REL)
    assert inv.total_tco2e == pytest.approx(2025.594, rel=REL)
    assert inv.territorial_tco2e == pytest.approx(2025.594 + 52.764 * 28, rel=1e-4)


def test_td_losses_are_basic_plus(write_activity):
    # I.1.3: T&D losses of 5,000 MWh consumed at 0.04071 t CO2e/MWh = 203.55 t, BASIC+ only.
    path = write_activity(
        [
            dict(gpc_ref="I.1.2", fuel="electricity", amount=5000, unit="MWh"),
            dict(gpc_ref="I.1.3", fuel="electricity", amount=5000, unit="MWh"),
        ]
    )
    inv = load_inventory(path)
    assert inv.basic_tco2e == pytest.approx(1353.85, rel=REL)
    assert inv.basic_plus_tco2e == pytest.approx(1353.85 + 203.55, rel=REL)


def test_com_view_uses_com_factors(write_activity):
    # CoM IPCC approach: 10,000 MWh natural gas x 0.202 t/MWh (rounded; 0.20196 exact) = 2,020 t
    path = write_activity([dict(gpc_ref="I.1.1", fuel="natural_gas", amount=10000, unit="MWh")])
    com = load_inventory(path).com_view().set_index("carrier")
    assert com.at["natural_gas", "com_tco2"] == pytest.approx(2020, abs=1.0)
    assert com.at["natural_gas", "energy_mwh"] == pytest.approx(10000)
    assert bool(com.at["natural_gas", "key_sector"])
