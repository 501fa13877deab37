"""The guided and structured exercises of the six CPD modules (the open ones are in
:mod:`m100model.exercises.open_ended`).

Each exercise's numbers (the learner's data) are defined here once, next to the function
that computes its answer from them and from the kit's data.
"""

from __future__ import annotations

import functools

import pandas as pd

from m100model.exercises.registry import Exercise, register
from m100model.i18n import N_, _, use_language


@functools.lru_cache(maxsize=1)
def _lib():
    from m100model.factors import load_factors

    return load_factors()


def _effect(archetype: str, fuel: str) -> float:
    """Activity change per unit and year of an archetype (MWh, or t for waste)."""
    from m100model.projects import load_effects

    e = load_effects()
    return float(e[(e["archetype_id"] == archetype) & (e["fuel"] == fuel)]["delta"].iloc[0])


def _grid(method: str, year: int) -> float:
    return float(_lib().grid_factor(method, year).t_per_mwh)


def _necp(year: int) -> float:
    from m100model.pathways import grid_trajectory

    return float(grid_trajectory("necp", [year])[0])


# =======================================================================================
# Module 1: mobility
# =======================================================================================
MOB1 = dict(buses=50, grid_method="production_mix", grid_year=2022)


def _mob1_inputs() -> dict:
    return {
        "buses": MOB1["buses"],
        "diesel_mwh_per_bus": -_effect("mob_ebus", "diesel"),
        "electricity_mwh_per_bus": _effect("mob_ebus", "electricity"),
        "diesel_t_per_mwh": float(_lib().com_factor("diesel")),
        "grid_t_per_mwh": _grid(MOB1["grid_method"], MOB1["grid_year"]),
    }


def _mob1_expected(buses: int | None = None, with_electricity: bool = True) -> float:
    x = _mob1_inputs()
    per_bus = x["diesel_mwh_per_bus"] * x["diesel_t_per_mwh"]
    if with_electricity:
        per_bus -= x["electricity_mwh_per_bus"] * x["grid_t_per_mwh"]
    return (x["buses"] if buses is None else buses) * per_bus


register(
    Exercise(
        id="mob-1",
        title=N_("Fifty electric buses"),
        level="guided",
        minutes=10,
        book="cpd/01_mobility",
        objective=N_(
            "Calculate the yearly emissions saved by electric buses, counting the grid "
            "electricity they use."
        ),
        data=N_(
            "The kit's electric-bus archetype (data/projects/archetype_effects.csv), the IPCC "
            "CO2 factor of diesel and the 2022 production-mix grid factor (data/factors/)."
        ),
        question=N_(
            "Cluj-Napoca replaces **50 diesel buses** by electric buses. With the kit's "
            "values per bus (diesel no longer burnt, grid electricity added), the CO2 factor "
            "of diesel and Romania's **2022 production-mix** grid factor, how many **tonnes "
            "of CO2 a year** do the 50 buses save?"
        ),
        hint=N_(
            "saving per bus = diesel MWh × diesel factor − electricity MWh × grid factor; "
            "then multiply by the number of buses."
        ),
        unit="t",
        unit_label="t CO2 per year",
        rtol=0.01,
        expected=_mob1_expected,
        inputs=_mob1_inputs,
        slips=lambda: [
            (_mob1_expected(buses=1), N_("that is the saving of one bus: the city buys fifty.")),
            (
                _mob1_expected(with_electricity=False),
                N_(
                    "that counts the diesel saved but not the electricity used: an electric bus "
                    "draws grid electricity, which emits CO2 (GPC II.1.2, scope 2)."
                ),
            ),
        ],
    )
)


# ---------------------------------------------------------------------------------------
MOB2 = dict(city="cluj_napoca", archetype="mob_cycle", discount_rate=0.04, shift_factor=0.5)


@functools.lru_cache(maxsize=1)
def _mob2_parts() -> dict:
    """The MACC of Cluj-Napoca's cycle lanes, split into its parts (M EUR, kt)."""
    from m100model.analysis.macc import capital_recovery_factor, levelised_price, macc
    from m100model.portfolio.data import assemble
    from m100model.scenario import Scenario

    scn = Scenario(
        name="mob2",
        cities=[MOB2["city"]],
        archetypes=[MOB2["archetype"]],
        first_year=2025,
        horizon=2040,
        target={"kind": "reduction", "year": 2030, "reduction": 0.1},
        indivisible=False,
        tickets=False,
        perspective="society",
        discount_rate=MOB2["discount_rate"],
    )
    d = assemble(scn)
    curve = macc(d, scn.discount_rate).set_index("archetype_id")
    p = f"{MOB2['city']}:{MOB2['archetype']}"
    row = d.projects.loc[p]
    t = int(curve.at[MOB2["archetype"], "year"])
    effects = d.effects[d.effects["project_id"] == p].merge(
        d.pools.reset_index(drop=True)[["pool_id", "fuel"]], on="pool_id"
    )
    life = int(row["lifetime"])
    effects["price"] = [
        levelised_price(d, k, t, life, scn.discount_rate) for k in effects["pool_id"]
    ]
    effects["intensity"] = [float(d.pool_intensity.at[k, t]) for k in effects["pool_id"]]
    crf = capital_recovery_factor(scn.discount_rate, row["lifetime"])
    return {
        "year": t,
        "capex_meur": float(d.capex.at[p, t]),
        "lifetime": float(row["lifetime"]),
        "crf": crf,
        "opex_meur": float(row["opex"]),
        "fuel": str(effects["fuel"].iloc[0]),
        "fuel_saved_gwh": float(-effects["delta"].sum()),
        "energy_meur": float((effects["price"] * effects["delta"]).sum()),
        "abated_kt": float(-(effects["delta"] * effects["intensity"]).sum()),
        "price_meur_per_gwh": float(effects["price"].iloc[0]),
        "intensity": float(effects["intensity"].iloc[0]),
        "macc_eur_per_t": float(curve.at[MOB2["archetype"], "cost_eur_per_t"]),
    }


def _mob2_cost(shift: float) -> float:
    """EUR per t avoided with ``shift`` times the kit's modal shift."""
    x = _mob2_parts()
    cost = x["capex_meur"] * x["crf"] + x["opex_meur"] + x["energy_meur"] * shift
    return cost / (x["abated_kt"] * shift) * 1000


def _mob2_inputs() -> dict:
    x = _mob2_parts()
    return {
        "city": MOB2["city"],
        "first_year_in_service": x["year"],
        "capex_eur_per_km": x["capex_meur"] * 1e6,
        "lifetime_years": x["lifetime"],
        "opex_eur_per_km_year": x["opex_meur"] * 1e6,
        "discount_rate": MOB2["discount_rate"],
        "fuel": x["fuel"],
        "fuel_saved_mwh_per_km_year": x["fuel_saved_gwh"] * 1000,
        "fuel_price_eur_per_mwh": x["price_meur_per_gwh"] * 1000,
        "fuel_t_co2e_per_mwh": x["intensity"],
        "macc_eur_per_t_at_full_shift": x["macc_eur_per_t"],
    }


register(
    Exercise(
        id="mob-2",
        title=N_("How fragile is a cycle lane's cost per tonne?"),
        level="structured",
        minutes=20,
        book="cpd/01_mobility",
        objective=N_(
            "Compute a measure's cost per tonne (the height of its MACC bar) and see "
            "how it depends on the modal-shift assumption."
        ),
        data=N_(
            "Cluj-Napoca's cycle-lane project as the portfolio model assembles it "
            "(data/projects/, data/drivers/energy_prices.csv), the 4% discount rate."
        ),
        question=N_(
            "The kit's MACC gives the cost per tonne of Cluj-Napoca's protected cycle lanes "
            "with its modal-shift assumption (20% of new bicycle trips come from cars). What "
            "is the cost per tonne if **only half as many trips come from cars** (10%)? "
            "Answer in **EUR per t CO2e**."
        ),
        hint=N_(
            "cost per tonne = (capex × CRF + opex − fuel saved × fuel price) / (fuel saved "
            "× emission factor); a smaller modal shift scales the fuel saved, not the investment."
        ),
        unit="EUR/t",
        unit_label="EUR per t CO2e",
        rtol=0.02,
        expected=lambda: _mob2_cost(MOB2["shift_factor"]),
        inputs=_mob2_inputs,
        slips=lambda: [
            (_mob2_cost(1.0), N_("that is the cost per tonne at the kit's full modal shift.")),
            (
                2 * _mob2_cost(1.0),
                N_(
                    "halving the shift halves the tonnes, but also the fuel (and money) saved: "
                    "recompute the numerator too."
                ),
            ),
        ],
    )
)


# =======================================================================================
# Module 2: buildings
# =======================================================================================
BLD1 = dict(
    wall_m2=800.0, u_before=1.1, u_after=0.22, heating_degree_days=3_200, boiler_efficiency=0.975
)


def _bld1_inputs() -> dict:
    return {**BLD1, "gas_t_co2_per_mwh": float(_lib().com_factor("natural_gas"))}


def _bld1_expected(hours: float = 24.0, efficiency: bool = True) -> float:
    x = _bld1_inputs()
    delta_h = (x["u_before"] - x["u_after"]) * x["wall_m2"]  # W/K
    heat_kwh = hours * delta_h * x["heating_degree_days"] / 1000
    gas_kwh = heat_kwh / x["boiler_efficiency"] if efficiency else heat_kwh
    return gas_kwh / 1000 * x["gas_t_co2_per_mwh"]


register(
    Exercise(
        id="bld-1",
        title=N_("What an insulated wall saves"),
        level="guided",
        minutes=15,
        book="cpd/02_built_environment",
        objective=N_(
            "Estimate a heat-demand saving from the envelope and the climate and turn it "
            "into operational emissions."
        ),
        data=N_(
            "An illustrative block wall (area, U-values, heating degree days, boiler "
            "efficiency); the Covenant of Mayors CO2 factor of natural gas (data/factors/)."
        ),
        question=N_(
            "A block of flats has **800 m²** of external wall with **U = 1.1 W/m²K**; "
            "insulation brings it to **U = 0.22 W/m²K**. With **3,200 heating degree days**, "
            "a gas boiler of efficiency **0.975** and the kit's CO2 factor of natural gas, how "
            "many **tonnes of CO2 a year** does the insulation save (ignore gains)?"
        ),
        hint=N_(
            "ΔH = ΔU × A (W/K); heat saved = 24 h × ΔH × HDD / 1000 (kWh); gas saved = heat / "
            "boiler efficiency; CO2 = gas (MWh) × factor."
        ),
        unit="t",
        unit_label="t CO2 per year",
        rtol=0.01,
        expected=_bld1_expected,
        inputs=_bld1_inputs,
        slips=lambda: [
            (
                _bld1_expected(hours=1.0),
                N_("degree days count kelvin × days: multiply by 24 hours to get watt-hours."),
            ),
            (
                _bld1_expected(efficiency=False),
                N_(
                    "the boiler burns more gas than the heat it delivers: divide the heat by its "
                    "efficiency."
                ),
            ),
        ],
    )
)


# ---------------------------------------------------------------------------------------
BLD2 = dict(
    embodied_renovation=100.0,
    embodied_demolition=30.0,
    embodied_new=450.0,
    new_heat_kwh_m2=30.0,
    deep_renovation_saving=0.60,
    grid_year=2030,
)
"""Embodied carbon (kg CO2e/m²) and the new block's heat demand are illustrative, as in
Module 2's worked example."""


def _bld2_inputs() -> dict:
    saved = -_effect("bld_reno_gas", "natural_gas")  # MWh per 1000 m2 = kWh per m2
    before = saved / BLD2["deep_renovation_saving"]
    cop = 1.8 / _effect("bld_heat_pump", "electricity")
    return {
        **BLD2,
        "gas_after_renovation_kwh_m2": before - saved,
        "gas_t_co2_per_mwh": float(_lib().com_factor("natural_gas")),
        "heat_pump_cop": cop,
        "grid_t_per_mwh": _necp(BLD2["grid_year"]),
    }


def _bld2_expected(*, with_renovation: bool = True, with_demolition: bool = True) -> float:
    x = _bld2_inputs()
    q_reno = x["gas_after_renovation_kwh_m2"] * x["gas_t_co2_per_mwh"]  # kg/m2 a year
    q_new = x["new_heat_kwh_m2"] / x["heat_pump_cop"] * x["grid_t_per_mwh"]
    extra = x["embodied_new"]
    extra += x["embodied_demolition"] if with_demolition else 0.0
    extra -= x["embodied_renovation"] if with_renovation else 0.0
    return extra / (q_reno - q_new)


register(
    Exercise(
        id="bld-2",
        title=N_("The carbon payback of rebuilding"),
        level="structured",
        minutes=20,
        book="cpd/02_built_environment",
        objective=N_(
            "Compare renovation with demolition and new build with the whole-life carbon "
            "formula and find the carbon payback time."
        ),
        data=N_(
            "The kit's deep-renovation and heat-pump archetypes, the CO2 factor of gas and the "
            "NECP grid projection; illustrative embodied carbon values."
        ),
        question=N_(
            "A gas-heated block is either **deeply renovated** (gas boilers kept) or "
            "**demolished and rebuilt** as an nZEB heated by a heat pump. Take the operational "
            "emissions of both as constant at their **2030** values (gas factor for the "
            "renovated block, the kit's 2030 NECP grid factor for the new one). After how many "
            "**years** does the new building pay back its extra embodied carbon?"
        ),
        hint=N_(
            "T* = (e_demolition + e_new − e_renovation) / (q_renovated − q_new), with q in kg "
            "CO2e per m² a year: kWh per m² × t per MWh gives kg per m²."
        ),
        unit="year",
        unit_label="years",
        rtol=0.02,
        expected=_bld2_expected,
        inputs=_bld2_inputs,
        slips=lambda: [
            (
                _bld2_expected(with_renovation=False),
                N_(
                    "renovation has embodied carbon too: the new building only has to pay back "
                    "the difference."
                ),
            ),
            (
                _bld2_expected(with_demolition=False),
                N_("demolition emits as well: count it with the new building's upfront carbon."),
            ),
        ],
    )
)


# =======================================================================================
# Module 3: energy
# =======================================================================================
EN1 = dict(kwp=150.0, grid_method="production_mix", grid_year=2022)


def _en1_inputs() -> dict:
    return {
        **EN1,
        "yield_kwh_per_kwp": -_effect("en_pv_public", "electricity") * 1000,
        "grid_t_per_mwh": _grid(EN1["grid_method"], EN1["grid_year"]),
    }


def _en1_expected(grid: float | None = None) -> float:
    x = _en1_inputs()
    return x["kwp"] * x["yield_kwh_per_kwp"] / 1000 * (grid or x["grid_t_per_mwh"])


register(
    Exercise(
        id="en-1",
        title=N_("A school roof"),
        level="guided",
        minutes=10,
        book="cpd/03_energy",
        objective=N_(
            "Calculate what a rooftop PV system avoids, and see that it depends on the grid factor."
        ),
        data=N_(
            "The kit's public-building PV archetype (yield per kWp) and the 2022 "
            "production-mix grid factor (data/factors/)."
        ),
        question=N_(
            "A school in Iași installs **150 kWp** of rooftop PV with the kit's yield per kWp. "
            "How many **tonnes of CO2** does it avoid in its first year at Romania's **2022 "
            "production-mix** grid factor?"
        ),
        hint=N_(
            "electricity (MWh) = kWp × yield (kWh per kWp) / 1000; avoided CO2 = electricity "
            "× grid factor."
        ),
        unit="t",
        unit_label="t CO2 per year",
        rtol=0.01,
        expected=_en1_expected,
        inputs=_en1_inputs,
        slips=lambda: [
            (
                _en1_expected(grid=_necp(2030)),
                N_("that uses the 2030 projection: the question asks for the 2022 factor."),
            )
        ],
    )
)


# ---------------------------------------------------------------------------------------
EN2 = dict(cop=2.8, boiler_efficiency=0.88)


def _en2_inputs() -> dict:
    return {
        **EN2,
        "gas_t_co2_per_mwh": float(_lib().com_factor("natural_gas")),
        "ifi_operating_margin_2021": _grid("ifi_operating_margin", 2021),
    }


def _en2_expected(mode: str = "right") -> float:
    x = _en2_inputs()
    if mode == "times_efficiency":
        return x["cop"] * x["gas_t_co2_per_mwh"] * x["boiler_efficiency"]
    if mode == "no_cop":
        return x["gas_t_co2_per_mwh"] / x["boiler_efficiency"]
    return x["cop"] * x["gas_t_co2_per_mwh"] / x["boiler_efficiency"]


register(
    Exercise(
        id="en-2",
        title=N_("A heat pump on old radiators"),
        level="guided",
        minutes=15,
        book="cpd/03_energy",
        objective=N_("Find the grid factor below which a heat pump emits less than a gas boiler."),
        data=N_(
            "An illustrative heat pump (seasonal COP) and old boiler (efficiency); the CO2 "
            "factor of natural gas (data/factors/)."
        ),
        question=N_(
            "In a badly insulated house a heat pump reaches a seasonal **COP of 2.8**. It "
            "replaces an old gas boiler with an efficiency of **0.88**. Using the kit's CO2 "
            "factor of natural gas, what is the **break-even grid emission factor** (t CO2 "
            "per MWh of electricity), below which the heat pump emits less per unit of heat?"
        ),
        hint=N_(
            "per MWh of heat the heat pump emits EF_grid / COP and the boiler EF_gas / η; "
            "set them equal and solve for EF_grid."
        ),
        unit="t/MWh",
        unit_label="t CO2 per MWh",
        rtol=0.01,
        expected=_en2_expected,
        inputs=_en2_inputs,
        slips=lambda: [
            (
                _en2_expected("times_efficiency"),
                N_(
                    "a boiler with efficiency η burns 1/η MWh of gas per MWh of heat: divide by "
                    "the efficiency."
                ),
            ),
            (
                _en2_expected("no_cop"),
                N_("one MWh of electricity gives COP MWh of heat: the COP belongs in the formula."),
            ),
        ],
    )
)


# =======================================================================================
# Module 4: nature-based solutions
# =======================================================================================
NBS1 = dict(trees=8_000, kg_carbon_per_m2_crown=0.28, crown_m2=25.0)


def _nbs1_expected() -> float:
    from m100model.projects import load_archetypes

    per_tree = float(load_archetypes().at["nbs_trees", "sequestration"])  # t CO2 per tree
    return NBS1["trees"] * per_tree


register(
    Exercise(
        id="nbs-1",
        title=N_("A street-tree programme"),
        level="guided",
        minutes=10,
        book="cpd/04_nature_based",
        objective=N_("Calculate the carbon sequestered by street trees and tell carbon from CO2."),
        data=N_(
            "The kit's street-tree archetype (sequestration per m² of crown and an "
            "illustrative crown area, data/projects/)."
        ),
        question=N_(
            "Brașov plants **8,000 street trees**. Once established, each sequesters **0.28 kg "
            "of carbon per m² of crown** a year, with a crown of **25 m²**. How many **tonnes "
            "of CO2 a year** do the trees take up?"
        ),
        hint=N_(
            "carbon per tree = rate × crown area; CO2 = carbon × 44/12 (the mass ratio of CO2 "
            "to carbon); then multiply by the number of trees."
        ),
        unit="t",
        unit_label="t CO2 per year",
        rtol=0.01,
        expected=_nbs1_expected,
        inputs=lambda: dict(NBS1),
        slips=lambda: [
            (
                NBS1["trees"] * NBS1["kg_carbon_per_m2_crown"] * NBS1["crown_m2"] / 1000,
                N_("that is the carbon: a tonne of carbon is 44/12 tonnes of CO2."),
            )
        ],
    )
)


# ---------------------------------------------------------------------------------------
NBS2 = dict(roof_m2=3_500.0, runoff_before=0.9, runoff_after=0.4, rain_mm=650.0)


def _nbs2_expected(kind: str = "difference") -> float:
    x = NBS2
    rain_m = x["rain_mm"] / 1000
    if kind == "after":
        return x["runoff_after"] * rain_m * x["roof_m2"]
    if kind == "before":
        return x["runoff_before"] * rain_m * x["roof_m2"]
    return (x["runoff_before"] - x["runoff_after"]) * rain_m * x["roof_m2"]


register(
    Exercise(
        id="nbs-2",
        title=N_("A green roof and the sewer"),
        level="guided",
        minutes=10,
        book="cpd/04_nature_based",
        objective=N_(
            "Estimate how much rainwater a green roof keeps out of the sewer with the "
            "runoff coefficient."
        ),
        data=N_(
            "An illustrative school roof (area, runoff coefficients before and after, yearly "
            "rainfall)."
        ),
        question=N_(
            "A school replaces **3,500 m²** of bituminous flat roof (runoff coefficient "
            "**0.9**) with an extensive green roof (**0.4**). With **650 mm** of rain a year, "
            "how many **cubic metres of rainwater a year** stay out of the sewer?"
        ),
        hint=N_(
            "runoff volume V = C × P × A with the rainfall P in metres; what stays out of the "
            "sewer is the runoff before minus the runoff after."
        ),
        unit="m**3",
        unit_label="m³ per year",
        rtol=0.01,
        expected=_nbs2_expected,
        inputs=lambda: dict(NBS2),
        slips=lambda: [
            (
                _nbs2_expected("after"),
                N_(
                    "that is what still runs off the green roof: the question asks for the "
                    "difference it makes."
                ),
            ),
            (
                _nbs2_expected("before"),
                N_("that is the runoff of the old roof: subtract what the green roof still sheds."),
            ),
        ],
    )
)


# =======================================================================================
# Module 5: circular economy
# =======================================================================================
CIRC1 = dict(doc=0.16, mcf=1.0, doc_f=0.5, f=0.5, ox=0.1, gwp_set="AR5")


def _circ1_inputs() -> dict:
    return {**CIRC1, "gwp_ch4": float(_lib().gwp(CIRC1["gwp_set"])["CH4_non_fossil"])}


def _circ1_expected(*, oxidation: bool = True, gwp: bool = True) -> float:
    x = _circ1_inputs()
    l0 = x["mcf"] * x["doc"] * x["doc_f"] * x["f"] * 16 / 12
    ch4 = l0 * (1 - x["ox"]) if oxidation else l0
    return ch4 * x["gwp_ch4"] if gwp else ch4


register(
    Exercise(
        id="circ-1",
        title=N_("Methane from a tonne of waste"),
        level="guided",
        minutes=15,
        book="cpd/05_circular",
        objective=N_(
            "Calculate landfill methane with the IPCC mass balance and convert it to CO2e."
        ),
        data=N_(
            "Illustrative waste parameters (DOC) with the IPCC 2006 defaults; the AR5 GWP of "
            "non-fossil methane (data/factors/gwp.csv)."
        ),
        question=N_(
            "Residual waste with **DOC = 0.16 t C per tonne** goes to a managed, covered "
            "landfill (**MCF = 1**, **OX = 0.1**) with the IPCC defaults **DOCf = 0.5** and "
            "**F = 0.5**, and no gas recovery. How many **tonnes of CO2e per tonne of waste** "
            "does it commit, with the AR5 GWP of non-fossil methane?"
        ),
        hint=N_(
            "L0 = MCF × DOC × DOCf × F × 16/12 (t CH4 per t); subtract the share oxidised in "
            "the cover, (1 − OX); then multiply by the GWP of methane."
        ),
        unit="",
        unit_label="t CO2e per t of waste",
        rtol=0.01,
        expected=_circ1_expected,
        inputs=_circ1_inputs,
        slips=lambda: [
            (
                _circ1_expected(gwp=False),
                N_("that is tonnes of methane: weight it by methane's GWP to get CO2e."),
            ),
            (
                _circ1_expected(oxidation=False),
                N_("part of the methane is oxidised in the cover soil: multiply by (1 − OX)."),
            ),
        ],
    )
)


# ---------------------------------------------------------------------------------------
CIRC2 = dict(city="suceava", diverted_t=5_000.0, capture_efficiency=0.5)


def _circ2_inputs() -> dict:
    return dict(_circ2_data())  # a copy: a learner's changes never reach the checker


@functools.lru_cache(maxsize=1)
def _circ2_data() -> dict:
    from m100model.exercises.mrv import city_inventory

    inv = city_inventory(CIRC2["city"])
    e = inv.emissions
    rows = e[(e["gpc_ref"] == "III.1.2") & (e["fuel"] == "msw")]
    landfilled = float(rows.drop_duplicates("row")["amount"].sum())
    landfill_t_per_t = float(rows["tco2e"].sum()) / landfilled
    compost = _lib().factor_set("ipcc2006.composting.organic_waste").set_index("gas")["value"]
    gwp = _lib().gwp(inv.gwp_set)
    compost_t_per_t = (compost["CH4"] * gwp["CH4_non_fossil"] + compost["N2O"] * gwp["N2O"]) / 1000
    return {
        **CIRC2,
        "landfilled_t": landfilled,
        "landfill_t_co2e_per_t": landfill_t_per_t,
        "compost_t_co2e_per_t": compost_t_per_t,
    }


def _circ2_expected(mode: str = "right") -> float:
    x = _circ2_inputs()
    w, d, eta = x["landfilled_t"], x["diverted_t"], x["capture_efficiency"]
    fl, fc = x["landfill_t_co2e_per_t"], x["compost_t_co2e_per_t"]
    if mode == "double":
        return (d * (fl - fc) + eta * w * fl) / 1000
    if mode == "no_compost":
        return (d * fl + eta * (w - d) * fl) / 1000
    return (d * (fl - fc) + eta * (w - d) * fl) / 1000


register(
    Exercise(
        id="circ-2",
        title=N_("Divert and capture"),
        level="structured",
        minutes=20,
        book="cpd/05_circular",
        objective=N_(
            "Compare composting and landfill-gas capture per tonne of waste and combine "
            "them without counting the same waste twice."
        ),
        data=N_(
            "Suceava's landfilled waste and its landfill factor in the illustrative 2021 "
            "inventory (GPC III.1.2); the IPCC composting factors (data/factors/)."
        ),
        question=N_(
            "Suceava diverts **5,000 t** of biowaste a year from the landfill to composting, "
            "and the landfill operator captures **50%** of the methane of the waste that is "
            "still landfilled. Starting from the landfilled waste and its factor in the kit's "
            "2021 inventory, how much **CO2e a year** do the two measures save together, in "
            "**kt**?"
        ),
        hint=N_(
            "composting saves (landfill factor − compost factor) per tonne diverted; capture "
            "then saves its share of the methane of the waste that is left."
        ),
        unit="kt",
        unit_label="kt CO2e per year",
        rtol=0.01,
        expected=_circ2_expected,
        inputs=_circ2_inputs,
        slips=lambda: [
            (
                _circ2_expected("double"),
                N_(
                    "the two measures share the same waste: capture only acts on what is still "
                    "landfilled after diversion."
                ),
            ),
            (
                _circ2_expected("no_compost"),
                N_(
                    "composting emits some CH4 and N2O too: a diverted tonne saves the difference "
                    "between the two factors."
                ),
            ),
        ],
    )
)


# =======================================================================================
# Module 6: governance
# =======================================================================================
def _gov1_inputs() -> dict:
    from m100model.projects import load_eligibility, load_instruments

    inst = load_instruments()
    elig = load_eligibility()
    share = elig[(elig["instrument_id"] == "eib_loan") & (elig["theme"] == "mobility")]
    return {
        "instrument": "eib_loan",
        "min_ticket_meur": float(inst.at["eib_loan", "min_ticket"]) / 1e6,
        "max_share_of_cost": float(share["max_share"].iloc[0]),
    }


register(
    Exercise(
        id="gov-1",
        title=N_("How big must a programme be for a direct EIB loan?"),
        level="guided",
        minutes=10,
        book="cpd/06_governance",
        objective=N_(
            "Explain why a bundle reaches a minimum loan ticket that single projects cannot."
        ),
        data=N_(
            "The EIB direct loan's minimum ticket and maximum co-financing share for mobility "
            "(data/funding/)."
        ),
        question=N_(
            "The EIB lends directly only to an operation whose **cost** is at least its "
            "**minimum ticket**, and for at most a **share** of that cost. With the kit's values "
            "for a mobility programme, what is the **largest direct EIB loan** (in **M EUR**) "
            "that the smallest eligible programme can get?"
        ),
        hint=N_(
            "the smallest eligible programme costs exactly the minimum ticket T; the loan is at "
            "most share × programme cost."
        ),
        unit="MEUR",
        unit_label="M EUR",
        rtol=0.01,
        expected=lambda: _gov1_inputs()["min_ticket_meur"] * _gov1_inputs()["max_share_of_cost"],
        inputs=_gov1_inputs,
        slips=lambda: [
            (
                _gov1_inputs()["min_ticket_meur"],
                N_(
                    "that is the smallest programme the EIB finances directly; it lends only a "
                    "share of its cost."
                ),
            ),
            (
                _gov1_inputs()["min_ticket_meur"] / _gov1_inputs()["max_share_of_cost"],
                N_("the minimum applies to the cost of the operation, not to the loan itself."),
            ),
        ],
    )
)


# ---------------------------------------------------------------------------------------
GOV2 = dict(instrument="eib_intermediated_loan", discount_rate=0.04)


def _gov2_inputs() -> dict:
    from m100model.projects import load_instruments

    inst = load_instruments().loc[GOV2["instrument"]]
    return {
        **GOV2,
        "interest_rate": float(inst["interest_rate"]),
        "tenor_years": float(inst["tenor"]),
    }


def _gov2_expected(mode: str = "right") -> float:
    from m100model.portfolio.data import annuity_cost_factor

    x = _gov2_inputs()
    i, n = x["interest_rate"], round(x["tenor_years"])
    annuity = i / (1 - (1 + i) ** -n)
    if mode == "undiscounted":
        return annuity * n - 1
    if mode == "annuity":
        return annuity
    return annuity_cost_factor(i, n, x["discount_rate"])


register(
    Exercise(
        id="gov-2",
        title=N_("What a euro borrowed costs"),
        level="structured",
        minutes=20,
        book="cpd/06_governance",
        objective=N_(
            "Compare the cost of finance of loans with the annuity formula and a discount rate."
        ),
        data=N_(
            "The interest rate and tenor of the EIB loan through commercial banks "
            "(data/funding/); the kit's 4% discount rate."
        ),
        question=N_(
            "A city borrows through the **EIB intermediated loan** (interest rate and tenor "
            "from the kit's funding data) and repays in equal yearly annuities. Discounting "
            "the repayments at **4%**, what does **one euro borrowed** cost the city in present "
            "value, over and above the euro itself? Answer as a fraction (0.05) or in percent "
            "or cents per euro (5%)."
        ),
        hint=N_(
            "annuity a = i / (1 − (1 + i)^−n) per euro; present value of n annuities at rate "
            "r = a (1 − (1 + r)^−n) / r; the cost is that present value minus the euro borrowed."
        ),
        unit="",
        unit_label="EUR per EUR borrowed",
        rtol=0.02,
        expected=_gov2_expected,
        inputs=_gov2_inputs,
        slips=lambda: [
            (
                _gov2_expected("undiscounted"),
                N_(
                    "that adds the repayments without discounting them: a euro repaid in twelve "
                    "years is worth less than a euro today."
                ),
            ),
            (
                _gov2_expected("annuity"),
                N_(
                    "that is the yearly repayment per euro: the cost is the present value of all "
                    "repayments minus the euro borrowed."
                ),
            ),
        ],
    )
)


def inputs_table(values: dict, lang: str | None = None) -> pd.DataFrame:
    """An exercise's scalar inputs as a two-column table (for notebooks; the column labels in
    ``lang``, the current language by default; the inputs' names are the keys a learner uses
    in code, so they stay as they are)."""
    with use_language(lang):
        columns = [_("input"), _("value")]
    return pd.DataFrame(
        [(k, v) for k, v in values.items() if not isinstance(v, pd.DataFrame)],
        columns=columns,
    )
