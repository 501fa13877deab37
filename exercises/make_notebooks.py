"""Write the exercise notebooks and their worked solutions from one source.

Run from the repository root::

    .venv/bin/python exercises/make_notebooks.py          # write the notebooks
    make exercise-notebooks                                 # write them and execute the solutions

The header of every notebook (objective, data, expected time, question, how answers are
judged) comes from the exercise registry in ``m100model/exercises``; the working cells and
the worked solutions are below. No expected answer is written here: the solutions compute
every number from the library and the exercise's data, and the checker does the same.

The same source writes the Romanian edition, ``exercises/ro/`` (notebooks named after the
Romanian titles, worked solutions in ``exercises/ro/solutions/``): every text a learner reads
is marked for translation (``N_``/``_``, see ``m100model/i18n.py``; the catalogue is
``m100model/locales/ro/exercises.make_notebooks.po``), the exercise texts come from
``Exercise.in_language``, and the code comments a learner reads are listed in
:data:`CODE_COMMENTS` and put into the notebook's language when its code is written. A Romanian
notebook's first cell sets the language, so the checker answers in Romanian and reads numbers
the Romanian way. The book page stays English (the book translates it through its own
catalogues).
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import tokenize
import unicodedata
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from m100model.exercises import MODULES, all_exercises  # noqa: E402
from m100model.i18n import N_, _, language, tr, use_language  # noqa: E402

HERE = ROOT / "exercises"
SOLUTIONS = HERE / "solutions"
EDITIONS = {"en": HERE, "ro": HERE / "ro"}
"""Where each language's notebooks go: ``<folder>/<module>/`` and ``<folder>/solutions/``."""
SOLUTION_SUFFIX = {"en": "_solution", "ro": "_solutie"}
LEVEL_TEXT = {
    "guided": N_("guided (fill in one value; the formula is given)"),
    "structured": N_("structured (a few steps with the kit's library)"),
    "open": N_("open (design your own answer; any valid one is accepted and scored)"),
}

# Shared working code of the open portfolio exercises: a first design read off the MACC.
MACC_FIRST_GUESS = '''from m100model.projects import load_relations

req = inputs["requirements"]
cand = inputs["candidates"].sort_values("cost_eur_per_t", na_position="last")
needs = load_relations().query("relation == 'requires'")
needs = dict(zip(needs["archetype_id"], needs["other_archetype_id"], strict=True))
row_of = cand.set_index("archetype")


def reachable(a):
    """Units of a measure that can be in service by the target year."""
    r = row_of.loc[a]
    years = max(0, req["target_year"] - r["first_in_service"] + 1)
    return min(r["city_maximum"], r["build_rate_per_year"] * years)


gap_t = (req["baseline_kt"] - req["target_kt"]) * 1000  # t CO2e to cut in the target year
guess, cut, spent = {}, 0.0, 0.0
for r in cand.itertuples():
    if r.abatement_t_per_unit_year <= 0 or (cut >= gap_t and r.cost_eur_per_t > 0):
        continue
    share = reachable(r.archetype) / r.city_maximum
    prereq = needs.get(r.archetype)
    if prereq is not None and prereq not in row_of.index:
        continue  # its enabling programme is not among the candidates
    extra = r.capex_eur_per_unit * r.city_maximum * share / 1e6
    if prereq is not None and prereq not in guess:
        p = row_of.loc[prereq]
        extra += p["capex_eur_per_unit"] * p["city_maximum"] * share / 1e6
    room = req["budget_meur"] * 0.95 - spent
    if extra > room:
        share *= max(0.0, room / extra)
    if share <= 0:
        continue
    guess[r.archetype] = float(share * r.city_maximum)
    if prereq is not None:
        enabling = float(share * row_of.at[prereq, "city_maximum"])
        guess[prereq] = max(guess.get(prereq, 0.0), enabling)
    spent += extra * share / (reachable(r.archetype) / r.city_maximum)
    cut += guess[r.archetype] * r.abatement_t_per_unit_year
{a: round(u, 1) for a, u in guess.items()}'''

GHG5_KEYS_TABLE = [
    ("I.3.1", "IE", N_("Workshops buy gas on commercial contracts: in I.2.1.")),
    ("I.3.2", "IE", N_("Workshops buy electricity on commercial contracts: in I.2.2.")),
    ("I.4.1", "NO", N_("No power plant or district-heating plant in the town.")),
    ("I.4.2", "NO", N_("No energy industry in the town.")),
    ("I.5.1", "NO", N_("No farm or forestry machinery in the town (assumed).")),
    ("I.5.2", "NO", N_("No farm or forestry electricity use (assumed).")),
    ("I.6.1", "NO", N_("No other stationary fuel use identified.")),
    ("I.6.2", "NO", N_("No other grid energy use identified.")),
    ("I.7.1", "NO", N_("No coal mining or fuel processing in the town.")),
    ("II.1.2", "IE", N_("E-cars charge at homes and firms: in I.1.2, I.2.2.")),
    ("II.2.1", "NE", N_("A diesel train stops here; no fuel data yet.")),
    ("II.2.2", "NO", N_("No electric trains run in the town.")),
    ("II.3.2", "NO", N_("No electric boats: no river port.")),
    ("II.4.1", "NO", N_("No airport or airfield.")),
    ("II.4.2", "NO", N_("No airport, so no grid energy for aviation.")),
    ("II.5.1", "IE", N_("Off-road machines fuel at road stations: in II.1.1.")),
    ("II.5.2", "NO", N_("No electric off-road machinery identified.")),
    ("III.1.1", "IE", N_("No landfill in town: all landfilled waste in III.1.2.")),
    ("III.2.1", "NO", N_("No composting or digestion plant in the town.")),
    ("III.2.2", "NO", N_("No waste sent to biological treatment elsewhere.")),
    ("III.3.1", "NE", N_("Garden waste is burnt in the open; not estimated.")),
    ("III.3.2", "NO", N_("No waste is incinerated outside the town.")),
    ("III.4.1", "NE", N_("Sewage treated aerobically in town; no data yet.")),
    ("III.4.2", "NO", N_("All wastewater is treated inside the town (III.4.1).")),
]
GHG5_KEYS = (
    "keys = {\n" + "".join(f'    "{r}": ("{k}", "{c}"),\n' for r, k, c in GHG5_KEYS_TABLE) + "}\n"
)

CONTENT: dict[str, dict] = {
    # ----------------------------------------------------------------------------------- MRV
    "ghg-1": dict(
        show=['inputs["activity"]', 'inputs["factors"]  # kg of each gas per TJ, and its GWP'],
        starter="energy_tj = ...  # the activity in TJ (1 MWh = 0.0036 TJ)\ntonnes = ...  # "
        "tonnes of CO2, CH4 and N2O",
        unit_hint=N_("a number in t CO2e, or a text with a unit such as '12.3 kt'"),
        steps=[
            (
                N_("**Step 1: energy.** The factors are per TJ, so the MWh are converted first."),
                'amount_mwh = inputs["activity"]["amount"].iloc[0]\n'
                'energy_tj = amount_mwh * inputs["tj_per_mwh"]\nenergy_tj',
            ),
            (
                N_(
                    "**Step 2: each gas.** $E_g = A \\times EF_g$, in tonnes (the factors are in "
                    "kg)."
                ),
                'f = inputs["factors"].set_index("gas")\n'
                'tonnes = energy_tj * f["factor"] / 1000\ntonnes',
            ),
            (
                N_("**Step 3: CO2e.** Each gas weighted by its GWP, then added."),
                'answer = float((tonnes * f["GWP (AR5)"]).sum())\nanswer',
            ),
            (
                N_(
                    "**Cross-check** with the kit's inventory engine, which reads the same row "
                    "like "
                    "any city's file:"
                ),
                "from m100model.exercises.mrv import inventory_of\n\n"
                'inv = inventory_of(inputs["activity"].assign(quality="illustrative"))\n'
                'inv.emissions[["gas", "emissions_t", "gwp", "tco2e"]]',
            ),
        ],
        takeaway=N_(
            "CO2 is almost all of it, but CH4 and N2O count once weighted by their GWP; "
            "CO2e is a weighted sum, not a gas. Say which GWP set you used next to the total."
        ),
    ),
    "ghg-2": dict(
        show=['inputs["activity"]', 'inputs["ncv"]  # net calorific value', 'inputs["factors"]'],
        starter="energy_tj = ...  # tonnes x net calorific value",
        unit_hint=N_("a number in t CO2, or a text with a unit such as '1.2 kt'"),
        steps=[
            (
                N_(
                    "**Step 1: from tonnes to energy.** 43 TJ per Gg (1,000 t) is 0.043 TJ per "
                    "tonne; pint converts it."
                ),
                'mass_t = inputs["activity"]["amount"].iloc[0]\n'
                'ncv_tj_per_t = inputs["ncv"].to("TJ/t").magnitude\n'
                "energy_tj = mass_t * ncv_tj_per_t\nenergy_tj",
            ),
            (
                N_("**Step 2: CO2.** The CO2 factor is in kg per TJ."),
                'co2_kg_per_tj = inputs["factors"].set_index("gas").at["CO2", "factor"]\n'
                "answer = energy_tj * co2_kg_per_tj / 1000\nanswer",
            ),
            (
                N_("**Cross-check** with the kit:"),
                "from m100model.exercises.mrv import inventory_of\n\n"
                'inv = inventory_of(inputs["activity"].assign(quality="illustrative"))\n'
                'inv.emissions[["gas", "energy_mwh", "emissions_t", "tco2e"]]',
            ),
        ],
        takeaway=N_(
            "Fuel measured as a mass (or a volume) is first turned into energy with its "
            "net calorific value (and density); only then does a factor per TJ apply."
        ),
    ),
    "ghg-3": dict(
        show=['inputs["grid_factors"]'],
        starter="from m100model.inventory import bundled_inventories, load_inventory\n\n"
        'path = bundled_inventories()["suceava"]\n'
        'default = load_inventory(path, grid_method="production_mix")\n'
        "default.basic_tco2e / 1000  # kt CO2e\n\n"
        'life_cycle = ...  # the same file, grid_method="life_cycle"',
        unit_hint=N_("a number in kt CO2e, or a text with a unit such as '12 kt'"),
        steps=[
            (
                N_("**Step 1: the same activity data, two grid factors.**"),
                "from m100model.inventory import bundled_inventories, load_inventory\n\n"
                'path = bundled_inventories()["suceava"]\n'
                'default = load_inventory(path, grid_method="production_mix")\n'
                'life_cycle = load_inventory(path, grid_method="life_cycle")\n'
                "default.basic_tco2e / 1000, life_cycle.basic_tco2e / 1000",
            ),
            (
                N_("**Step 2: where the difference is.** Only scope 2 changes (grid electricity)."),
                "import pandas as pd\n\n"
                'pd.DataFrame({"production mix": default.by_scope(), "life cycle": '
                "life_cycle.by_scope()}) / 1000",
            ),
            (
                N_("**Step 3: the answer**, life-cycle minus production mix, in kt."),
                'answer = f"{(life_cycle.basic_tco2e - default.basic_tco2e) / 1000} kt"\nanswer',
            ),
        ],
        takeaway=N_(
            "The same activity data give different totals with different grid factors. "
            "Choose one method for the inventory (the location-based production mix for the GPC), "
            "say which, and keep it from year to year."
        ),
    ),
    "ghg-4": dict(
        show=["inputs"],
        starter="import numpy as np\n\n"
        'years = np.arange(inputs["base_year"], inputs["target_year"] + 1)\n'
        "caps = ...  # the cap of each year on the straight line",
        unit_hint=N_("a number in kt CO2e, or a text with a unit such as '1.2 Mt'"),
        steps=[
            (
                N_(
                    "**Step 1: the path.** A straight line from $E_0$ in the base year to "
                    "$(1 - r) E_0$ in the target year."
                ),
                "import numpy as np\nimport pandas as pd\n\n"
                'years = np.arange(inputs["base_year"], inputs["target_year"] + 1)\n'
                'e0, r = inputs["e0_kt"], inputs["reduction"]\n'
                'frac = (years - inputs["base_year"]) / (inputs["target_year"] - '
                'inputs["base_year"])\n'
                "caps = e0 - (e0 - (1 - r) * e0) * frac\n"
                'pd.Series(caps, index=years, name="cap (kt)").round(1)',
            ),
            (
                N_(
                    "**Step 2: the budget** is the sum of the yearly caps (the area under the "
                    "path)."
                ),
                'answer = f"{caps.sum()} kt"\nanswer',
            ),
            (
                N_("**Cross-check** with the kit's target path:"),
                "from m100model.pathways import target_path\n\n"
                'path = target_path(\n    e0, inputs["base_year"], list(years), kind="net_zero",\n'
                '    year=inputs["target_year"], reduction=r,\n)\n'
                "float(path.sum())",
            ),
        ],
        takeaway=N_(
            "A target is a path and a budget, not only an end year: a city that cuts "
            "late emits far more on the way, even if it reaches the same 2030 figure."
        ),
    ),
    "ghg-5": dict(
        show=['inputs["activity"]', 'inputs["facts"]'],
        starter="import pandas as pd\n\nfrom m100model.exercises.mrv import inventory_of\n\n"
        'activity = inputs["activity"]\ninventory_of(activity).gaps  # the gaps to close',
        answer_starter="new_rows = pd.DataFrame(\n"
        "    [\n"
        '        # dict(gpc_ref="...", notation_key="NO", comment="Why this key."),\n'
        "    ],\n"
        '    columns=["gpc_ref", "notation_key", "comment"],\n'
        ")\n"
        "answer = ...  # e.g. pd.concat([activity, new_rows], ignore_index=True)",
        steps=[
            (
                N_("**Step 1: the gaps.** Every BASIC sub-sector with neither a figure nor a key."),
                "import pandas as pd\n\nfrom m100model.exercises.mrv import inventory_of\n\n"
                'activity = inputs["activity"]\ngaps = inventory_of(activity).gaps\ngaps',
            ),
            (
                N_(
                    "**Step 2: one key per gap, from the facts.** Where the facts say nothing, we "
                    "state our assumption in the comment (and would check it with the data "
                    "holder)."
                ),
                GHG5_KEYS + "new_rows = [\n"
                "    dict(gpc_ref=ref, notation_key=keys[ref][0], comment=keys[ref][1])\n"
                '    for ref in gaps["gpc_ref"]\n'
                "]\n"
                "answer = pd.concat([activity, pd.DataFrame(new_rows)], ignore_index=True)\n"
                "inventory_of(answer).gaps  # empty: no gap left",
            ),
        ],
        takeaway=N_(
            "Notation keys are part of the inventory: NO when the activity does not "
            "occur, IE when it is counted elsewhere, NE when it occurs but nobody has estimated it "
            "(each NE names a data holder to call). A gap is not a zero."
        ),
    ),
    # ------------------------------------------------------------------------------ mobility
    "mob-1": dict(
        show=["inputs"],
        starter="saving_per_bus = ...  # t CO2 a year: diesel no longer burnt minus grid "
        "electricity added",
        unit_hint=N_("a number in t CO2 a year, or a text with a unit such as '1.2 kt'"),
        steps=[
            (
                N_("**Step 1: one bus.** Diesel avoided minus the grid electricity it now uses."),
                "x = inputs\n"
                'diesel_t = x["diesel_mwh_per_bus"] * x["diesel_t_per_mwh"]\n'
                'electric_t = x["electricity_mwh_per_bus"] * x["grid_t_per_mwh"]\n'
                "saving_per_bus = diesel_t - electric_t\n"
                "diesel_t, electric_t, saving_per_bus",
            ),
            (
                N_("**Step 2: the fleet.**"),
                'answer = x["buses"] * saving_per_bus\nanswer',
            ),
            (
                N_(
                    "**And the break-even grid factor**, above which the electric bus would emit "
                    "more than the diesel one:"
                ),
                'diesel_t / x["electricity_mwh_per_bus"]',
            ),
        ],
        takeaway=N_(
            "An electric bus is only as clean as the grid it charges from: the saving "
            "grows every year as the grid decarbonises. State the grid-factor method you use."
        ),
    ),
    "mob-2": dict(
        show=["inputs"],
        starter="crf = ...  # capital recovery factor r / (1 - (1 + r)**-L)",
        unit_hint=N_("a number in EUR per t CO2e, or a text such as 'EUR 500/t'"),
        steps=[
            (
                N_(
                    "**Step 1: the cost per tonne at the kit's modal shift**, to check the method "
                    "against the MACC."
                ),
                "x = inputs\n"
                'r, life = x["discount_rate"], x["lifetime_years"]\n'
                "crf = r / (1 - (1 + r) ** -life)\n"
                'annual = x["capex_eur_per_km"] * crf + x["opex_eur_per_km_year"]\n'
                'fuel_money = x["fuel_saved_mwh_per_km_year"] * x["fuel_price_eur_per_mwh"]\n'
                'tonnes = x["fuel_saved_mwh_per_km_year"] * x["fuel_t_co2e_per_mwh"]\n'
                'full = (annual - fuel_money) / tonnes\nfull, x["macc_eur_per_t_at_full_shift"]',
            ),
            (
                N_(
                    "**Step 2: half the modal shift.** The tonnes and the fuel money halve; the "
                    "investment does not."
                ),
                'answer = f"{(annual - fuel_money / 2) / (tonnes / 2)} EUR/t"\nanswer',
            ),
        ],
        takeaway=N_(
            "Fixed costs divided by an uncertain effect make cost-per-tonne figures "
            "fragile: halving the modal shift more than triples the cost per tonne. State the "
            "modal-shift assumption next to any such number."
        ),
    ),
    # ----------------------------------------------------------------------------- buildings
    "bld-1": dict(
        show=["inputs"],
        starter="delta_h = ...  # W/K: (U before - U after) x area",
        unit_hint=N_("a number in t CO2 a year, or a text with a unit"),
        steps=[
            (
                N_("**Step 1: heat-loss coefficient saved**, in W/K."),
                'x = inputs\ndelta_h = (x["u_before"] - x["u_after"]) * x["wall_m2"]\ndelta_h',
            ),
            (
                N_(
                    "**Step 2: heat and gas saved a year.** 24 hours per degree day; the boiler "
                    "burns 1/η of gas per unit of heat."
                ),
                'heat_kwh = 24 * delta_h * x["heating_degree_days"] / 1000\n'
                'gas_kwh = heat_kwh / x["boiler_efficiency"]\nheat_kwh, gas_kwh',
            ),
            (
                N_("**Step 3: CO2.**"),
                'answer = gas_kwh / 1000 * x["gas_t_co2_per_mwh"]\nanswer',
            ),
        ],
        takeaway=N_(
            "Insulation lowers U, and the saving follows from the climate (degree days) "
            "and the heating system. Real savings are smaller where flats were under-heated "
            "before (the prebound effect): only metered data prove them."
        ),
    ),
    "bld-2": dict(
        show=["inputs"],
        starter="q_renovated = ...  # kg CO2e per m2 a year (kWh/m2 x t/MWh = kg/m2)\nq_new = ...",
        unit_hint=N_("a number of years, or a text such as '25 years'"),
        steps=[
            (
                N_("**Step 1: operational emissions of the two options**, kg CO2e per m² a year."),
                "x = inputs\n"
                'q_renovated = x["gas_after_renovation_kwh_m2"] * x["gas_t_co2_per_mwh"]\n'
                'q_new = x["new_heat_kwh_m2"] / x["heat_pump_cop"] * x["grid_t_per_mwh"]\n'
                "q_renovated, q_new",
            ),
            (
                N_("**Step 2: the extra embodied carbon of rebuilding**, kg CO2e per m²."),
                'extra = x["embodied_demolition"] + x["embodied_new"] - x["embodied_renovation"]\n'
                "extra",
            ),
            (
                N_("**Step 3: payback time.**"),
                'answer = f"{extra / (q_renovated - q_new)} years"\nanswer',
            ),
        ],
        takeaway=N_(
            "Upfront carbon is emitted now, when the budget is tightest; the operational "
            "advantage of a new building accrues slowly and shrinks as the renovated block "
            "electrifies and the grid gets cleaner."
        ),
    ),
    # -------------------------------------------------------------------------------- energy
    "en-1": dict(
        show=["inputs"],
        starter="electricity_mwh = ...  # kWp x kWh per kWp / 1000",
        unit_hint=N_("a number in t CO2 a year, or a text with a unit"),
        steps=[
            (
                N_("**Step 1: electricity produced a year.**"),
                "x = inputs\n"
                'electricity_mwh = x["kwp"] * x["yield_kwh_per_kwp"] / 1000\nelectricity_mwh',
            ),
            (
                N_("**Step 2: avoided CO2 at the 2022 factor.**"),
                'answer = electricity_mwh * x["grid_t_per_mwh"]\nanswer',
            ),
            (
                N_("**And in 2030**, with the kit's NECP projection of the grid factor:"),
                "from m100model.pathways import grid_trajectory\n\n"
                'electricity_mwh * grid_trajectory("necp", [2030])[0]',
            ),
        ],
        takeaway=N_(
            "PV's carbon value falls as the grid decarbonises; its money value (the bill "
            "avoided) does not. That is why it shows a strongly negative cost per tonne."
        ),
    ),
    "en-2": dict(
        show=["inputs"],
        starter="break_even = ...  # t CO2 per MWh of electricity",
        unit_hint=N_("a number in t CO2 per MWh, or a text such as '500 g/kWh'"),
        steps=[
            (
                N_(
                    "**Step 1: emissions per MWh of heat.** Heat pump: $EF_{grid} / COP$; boiler: "
                    "$EF_{gas} / \\eta$. They are equal at the break-even grid factor."
                ),
                "x = inputs\n"
                'answer = x["cop"] * x["gas_t_co2_per_mwh"] / x["boiler_efficiency"]\nanswer',
            ),
            (
                N_(
                    "**Step 2: compare** with the harshest Romanian factor, the IFI operating "
                    "margin:"
                ),
                'x["ifi_operating_margin_2021"] < answer',
            ),
        ],
        takeaway=N_(
            "Even with a modest COP on old radiators, a heat pump in Romania beats an old "
            "gas boiler at every grid factor the kit holds; insulating first raises the COP and "
            "multiplies the saving."
        ),
    ),
    # -------------------------------------------------------------------------------- nature
    "nbs-1": dict(
        show=["inputs"],
        starter="kg_co2_per_tree = ...  # carbon per m2 x crown x 44/12",
        unit_hint=N_("a number in t CO2 a year, or a text with a unit"),
        steps=[
            (
                N_(
                    "**Step 1: one tree.** Carbon per m² of crown times the crown, converted to "
                    "CO2."
                ),
                "x = inputs\n"
                'kg_co2_per_tree = x["kg_carbon_per_m2_crown"] * x["crown_m2"] * 44 / 12\n'
                "kg_co2_per_tree",
            ),
            (
                N_("**Step 2: the programme**, in tonnes."),
                'answer = x["trees"] * kg_co2_per_tree / 1000\nanswer',
            ),
            (
                N_(
                    "**Compare** with a diesel city bus (the kit's electric-bus archetype gives "
                    "its diesel use):"
                ),
                "from m100model.exercises import data\n\n"
                'bus = data("mob-1")\n'
                'answer / (bus["diesel_mwh_per_bus"] * bus["diesel_t_per_mwh"])  # buses',
            ),
        ],
        takeaway=N_(
            "Trees take up carbon slowly and only while they grow and survive; their "
            "main urban value is cooling, water, air and health. Report removals beside emissions, "
            "not subtracted from them."
        ),
    ),
    "nbs-2": dict(
        show=["inputs"],
        starter="rain_m = ...  # the rainfall in metres",
        unit_hint=N_("a number in m³ a year, or a text such as '900 m3'"),
        steps=[
            (
                N_("**Runoff before minus runoff after**, $\\Delta V = (C_0 - C_1) P A$."),
                "x = inputs\n"
                'rain_m = x["rain_mm"] / 1000\n'
                'kept_m3 = (x["runoff_before"] - x["runoff_after"]) * rain_m * x["roof_m2"]\n'
                'answer = f"{kept_m3} m3"\nanswer',
            ),
        ],
        takeaway=N_(
            "A green roof keeps a large share of the rain where it falls and delays the "
            "peak of a storm, which matters more for flooding than the yearly volume."
        ),
    ),
    # ------------------------------------------------------------------------------ circular
    "circ-1": dict(
        show=["inputs"],
        starter="l0 = ...  # t CH4 per tonne of waste: MCF x DOC x DOCf x F x 16/12",
        unit_hint=N_("a number in t CO2e per t of waste, or a text such as '900 kg/t'"),
        steps=[
            (
                N_("**Step 1: methane generation potential** $L_0$, t CH4 per tonne."),
                'x = inputs\nl0 = x["mcf"] * x["doc"] * x["doc_f"] * x["f"] * 16 / 12\nl0',
            ),
            (
                N_("**Step 2: oxidised in the cover, then CO2e.**"),
                'answer = l0 * (1 - x["ox"]) * x["gwp_ch4"]\nanswer',
            ),
        ],
        takeaway=N_(
            "Each tonne of organic waste landfilled commits more than a tonne of CO2e; "
            "separate collection lowers the DOC of what remains, which is why it cuts landfill "
            "methane."
        ),
    ),
    "circ-2": dict(
        show=["inputs"],
        starter="composting_saves = ...  # t CO2e a year from the diverted tonnes",
        unit_hint=N_("a number in kt CO2e a year, or a text with a unit"),
        steps=[
            (
                N_(
                    "**Step 1: composting.** Each diverted tonne saves the landfill factor minus "
                    "the composting factor."
                ),
                "x = inputs\n"
                'composting_saves = x["diverted_t"] * (x["landfill_t_co2e_per_t"] - '
                'x["compost_t_co2e_per_t"])\ncomposting_saves',
            ),
            (
                N_("**Step 2: capture acts on what is still landfilled.**"),
                'still_landfilled = x["landfilled_t"] - x["diverted_t"]\n'
                'capture_saves = x["capture_efficiency"] * still_landfilled * '
                'x["landfill_t_co2e_per_t"]\ncapture_saves',
            ),
            (
                N_("**Step 3: together**, in kt."),
                'answer = f"{(composting_saves + capture_saves) / 1000} kt"\nanswer',
            ),
        ],
        takeaway=N_(
            "Two measures acting on the same waste cannot both claim it: the portfolio "
            "model counts this through shared activity pools, separate project sheets do not."
        ),
    ),
    # ---------------------------------------------------------------------------- governance
    "gov-1": dict(
        show=["inputs"],
        starter="# the smallest eligible programme costs the minimum ticket; the loan is a share",
        unit_hint=N_("a number in M EUR, or a text such as 'EUR 30 m'"),
        steps=[
            (
                N_(
                    "**The threshold is on the cost:** the smallest eligible programme costs "
                    "$K = T$, and the EIB lends at most $\\sigma K = \\sigma T$."
                ),
                'loan = inputs["max_share_of_cost"] * inputs["min_ticket_meur"]\n'
                'answer = f"{loan} M EUR"\nanswer',
            ),
        ],
        takeaway=N_(
            "A single city's programme rarely costs EUR 25 m; a bundle of several cities' "
            "or several themes' projects, prepared and financed as one operation, can, and the "
            "rest "
            "of its cost still needs other money (grants, the city budget, bonds)."
        ),
    ),
    "gov-2": dict(
        show=["inputs"],
        starter="annuity = ...  # repayment per euro borrowed and year",
        unit_hint=N_("a fraction such as 0.05, or '5%' or '5 cents per euro'"),
        steps=[
            (
                N_("**Step 1: the annuity** per euro borrowed."),
                "x = inputs\n"
                'i, n, r = x["interest_rate"], round(x["tenor_years"]), x["discount_rate"]\n'
                "annuity = i / (1 - (1 + i) ** -n)\nannuity",
            ),
            (
                N_("**Step 2: present value of the repayments**, minus the euro borrowed."),
                'pv = annuity * (1 - (1 + r) ** -n) / r\nanswer = f"{100 * (pv - 1)} %"\nanswer',
            ),
            (
                N_("**Cross-check** with the kit's function (what the portfolio model charges):"),
                "from m100model.portfolio.data import annuity_cost_factor\n\n"
                "annuity_cost_factor(i, n, r)",
            ),
        ],
        takeaway=N_(
            "Cheaper, longer money (a direct EIB loan) costs a few cents per euro; a "
            "bank-intermediated loan several times more. That difference is what bundling buys."
        ),
    ),
}

OPEN_SHOW = [
    'inputs["requirements"]',
    'inputs["candidates"].sort_values("cost_eur_per_t")  # the MACC of the candidates',
]
OPEN_STEPS = [
    (
        N_(
            "**Step 1: a first design read off the MACC.** Measures in order of cost per tonne, "
            "each at what can be in service by the target year, with its enabling programme, until "
            "the gap of the target year is covered and while the budget lasts."
        ),
        MACC_FIRST_GUESS,
    ),
    (
        N_(
            "**Step 2: check it.** The checker fixes the design in the portfolio model, which "
            "then only chooses the timing and the financing."
        ),
        "first = check(EXERCISE, guess)\nfirst",
    ),
    (
        N_(
            "**Step 3: the least-cost portfolio** under the same rules, which the checker "
            "computes with the model. A MACC ranks measures one by one; the model sees the "
            "shared fuel pools, the path in every year, lead times and the budget."
        ),
        "from m100model.exercises import expected\n\nbest = expected(EXERCISE)\n"
        '{a: round(u, 1) for a, u in best["units"].items()}',
    ),
    (
        N_(
            "**Step 4: the answer.** Any design that passes is correct; the least-cost one also "
            "scores best."
        ),
        'answer = best["units"]',
    ),
]
for _id, _take in {
    "mob-3": N_(
        "Measures that pay for themselves (fuel savings above their cost) come first "
        "whatever the target; the budget then decides how far the cheap tonnes go. Buses and "
        "trams rest their case on access, congestion and air quality, which this accounting "
        "does not count."
    ),
    "bld-3": N_(
        "Heat pumps are the cheapest large building measure per tonne because they "
        "replace boilers at the end of their life; renovation and heat pumps draw on the same gas, "
        "and deep renovation needs the one-stop shop."
    ),
    "en-3": N_(
        "Measures that save expensive electricity pay for themselves; the budget decides "
        "how many. District-heating renewal is cheap per tonne but too slow for an early path."
    ),
    "circ-3": N_(
        "Landfill-gas capture is among the cheapest tonnes of the kit, so it comes "
        "first; composting acts on the same landfilled waste, so the two cannot both claim it. "
        "The sewer measure removes only the inventory's septic-tank line (about 1% of urban "
        "residents are not on a sewer), so it saves little and dearly per tonne; without that "
        "line it would save nothing at all."
    ),
    "gov-3": N_(
        "From the city's point of view grants make some measures nearly free, and "
        "measures that save energy pay for themselves; the budget and the enabling programmes "
        "shape the rest. A Climate City Contract should show both the city's and society's view."
    ),
}.items():
    CONTENT[_id] = dict(
        show=OPEN_SHOW,
        starter="# Work out your design here (the candidates table, the MACC, the budget).",
        answer_starter="# {archetype: units in service by the target year}, or shares like '50%'\n"
        "answer = ...  # your portfolio",
        steps=OPEN_STEPS,
        takeaway=_take,
        open=True,
    )

CONTENT["nbs-3"] = dict(
    show=['inputs["goals"]', 'inputs["candidates"]'],
    starter='cand = inputs["candidates"].set_index("archetype")\n'
    "# How many green-roof units does the stormwater goal need? What carbon is still missing?",
    answer_starter="answer = ...  # your design: {archetype: units}, or shares like '50%'",
    steps=[
        (
            N_(
                "**Step 1: stormwater first.** Only the green roofs keep rain out of the sewer, so "
                "the stormwater goal fixes their minimum."
            ),
            'goals = inputs["goals"]\ncand = inputs["candidates"].set_index("archetype")\n'
            'roofs = goals["stormwater_m3_per_year"] / cand.at["nbs_green_roof", '
            '"stormwater_m3_per_unit_year"]\n'
            'roof_carbon = roofs * cand.at["nbs_green_roof", "carbon_t_per_unit_year"]\n'
            "roofs, roof_carbon",
        ),
        (
            N_(
                "**Step 2: the rest of the carbon from the cheapest tonnes.** The urban forest has "
                "the lowest cost per tonne; street trees cost far more per tonne."
            ),
            'missing = max(0.0, goals["carbon_t_per_year"] - roof_carbon)\n'
            'forest = missing / cand.at["nbs_forest", "carbon_t_per_unit_year"]\n'
            'forest, forest <= cand.at["nbs_forest", "city_maximum"]',
        ),
        (
            N_("**Step 3: the budget.**"),
            'investment = roofs * cand.at["nbs_green_roof", "capex_meur_per_unit"] + forest * '
            'cand.at["nbs_forest", "capex_meur_per_unit"]\n'
            'investment, investment <= goals["budget_meur"]',
        ),
        (
            N_("**The answer.**"),
            'answer = {"nbs_green_roof": roofs, "nbs_forest": forest}\nanswer',
        ),
    ],
    takeaway=N_(
        "Each measure earns its place by what it does best: green roofs for water, the "
        "forest for carbon, street trees for shade and health. Judged on carbon alone, most NBS "
        "look expensive; their case rests on all their benefits."
    ),
    open=True,
)


def _md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip() + "\n")


def _code(text: str, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _slug(title: str) -> str:
    """``"Iași's energy system"`` -> ``"iasi_energy_system"`` (at most 40 characters)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower().replace("'", "")).strip("_")
    while len(slug) > 40 and "_" in slug:
        slug = slug.rsplit("_", 1)[0]
    return slug


# ---------------------------------------------------------------------------------------
# Texts of the notebooks (marked for translation) and code in the learner's language
# ---------------------------------------------------------------------------------------
SOLUTION_TITLE = N_("# {id} · {title} (worked solution)")
EXERCISE_KIND = N_("*{module}* · Exercise")
SOLUTION_KIND = N_("*{module}* · Worked solution")
HEADER_TABLE = N_(
    "| | |\n"
    "|---|---|\n"
    "| **Learning objective** | {objective} |\n"
    "| **Level** | {level} |\n"
    "| **Expected time** | {minutes} minutes |\n"
    "| **Data used** | {data} |\n"
    "| **Read first** | the course book, `book/{unit}.md` |\n"
    "| **How answers are judged** | {judged} |"
)
ILLUSTRATIVE = N_(
    "All city numbers in the kit are **illustrative** (inventories derived from national\n"
    "statistics, partly unsourced costs): use them to learn the method, not as a plan."
)

CODE_COMMENTS = frozenset(
    [
        # the first cell of every notebook
        N_("noqa: F401 (hint: if stuck)"),
        N_("the exercise's data, computed from the kit"),
        # comments of the data, starter and solution cells
        N_("kg of each gas per TJ, and its GWP"),
        N_("the activity in TJ (1 MWh = 0.0036 TJ)"),
        N_("tonnes of CO2, CH4 and N2O"),
        N_("net calorific value"),
        N_("tonnes x net calorific value"),
        N_("kt CO2e"),
        N_('the same file, grid_method="life_cycle"'),
        N_("the cap of each year on the straight line"),
        N_("the gaps to close"),
        N_('dict(gpc_ref="...", notation_key="NO", comment="Why this key."),'),
        N_("e.g. pd.concat([activity, new_rows], ignore_index=True)"),
        N_("empty: no gap left"),
        N_("t CO2 a year: diesel no longer burnt minus grid electricity added"),
        N_("capital recovery factor r / (1 - (1 + r)**-L)"),
        N_("W/K: (U before - U after) x area"),
        N_("kg CO2e per m2 a year (kWh/m2 x t/MWh = kg/m2)"),
        N_("kWp x kWh per kWp / 1000"),
        N_("t CO2 per MWh of electricity"),
        N_("carbon per m2 x crown x 44/12"),
        N_("buses"),
        N_("the rainfall in metres"),
        N_("t CH4 per tonne of waste: MCF x DOC x DOCf x F x 16/12"),
        N_("t CO2e a year from the diverted tonnes"),
        N_("the smallest eligible programme costs the minimum ticket; the loan is a share"),
        N_("repayment per euro borrowed and year"),
        N_("the MACC of the candidates"),
        N_("Work out your design here (the candidates table, the MACC, the budget)."),
        N_("{archetype: units in service by the target year}, or shares like '50%'"),
        N_("your portfolio"),
        N_("t CO2e to cut in the target year"),
        N_("its enabling programme is not among the candidates"),
        N_(
            "How many green-roof units does the stormwater goal need? What carbon is still missing?"
        ),
        N_("your design: {archetype: units}, or shares like '50%'"),
    ]
)
"""Every comment in the notebooks' code (without its ``# ``): :func:`code_in_language` puts
them into the notebook's language; a comment missing here stops the Romanian edition."""
CODE_STRINGS = frozenset(
    [
        # a docstring and table labels that the output shows
        N_("Units of a measure that can be in service by the target year."),
        N_("production mix"),
        N_("life cycle"),
        N_("cap (kt)"),
        # the comments of the notation keys written into the ghg-5 inventory
        *(comment for _ref, _key, comment in GHG5_KEYS_TABLE),
    ]
)
"""Strings in the notebooks' code that are texts a learner reads (never a key or a name the
code uses): a string literal with one of these values is put into the notebook's language."""


def code_in_language(code: str) -> str:
    """``code`` with its comments, and its strings listed in :data:`CODE_STRINGS`, in the
    current language (English: unchanged). The code itself never changes."""
    if language() == "en":
        return code
    lines = code.split("\n")
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            text = tok.string[1:].strip()
            if text not in CODE_COMMENTS:
                raise ValueError(f"comment not in CODE_COMMENTS (add it there): {text!r}")
            new = "# " + tr(text)
        elif tok.type == tokenize.STRING and tok.string[:1] in "\"'":
            text = ast.literal_eval(tok.string)
            if text not in CODE_STRINGS:
                continue
            quote = tok.string[: 3 if tok.string[:3] in ('"""', "'''") else 1]
            new = quote + tr(text) + quote
            if ast.literal_eval(new) != tr(text):
                raise ValueError(f"a translation cannot be written as a string: {new!r}")
        else:
            continue
        if tok.start[0] != tok.end[0]:
            raise ValueError(f"a translated text spans lines: {tok.string!r}")
        edits.append((tok.start, tok.end, new))
    for (row, start), (_row, end), new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return fit_comments("\n".join(lines))


LINE_LENGTH = 100
"""The project's line length (``pyproject.toml``; the notebooks are linted too)."""


def fit_comments(code: str) -> str:
    """A comment that makes its line too long (a translation is often longer than the
    English) goes on lines of its own above the code it explains."""
    lines = code.split("\n")
    comments = {
        tok.start[0]: tok.start[1]
        for tok in tokenize.generate_tokens(io.StringIO(code).readline)
        if tok.type == tokenize.COMMENT
    }
    out: list[str] = []
    for row, line in enumerate(lines, 1):
        if len(line) <= LINE_LENGTH or row not in comments:
            out.append(line)
            continue
        col = comments[row]
        code_part, text = line[:col].rstrip(), line[col:].lstrip("#").strip()
        indent = line[: len(line) - len(line.lstrip())]
        width = LINE_LENGTH - len(indent) - 2
        out += [f"{indent}# {part}" for part in textwrap.wrap(text, width, break_on_hyphens=False)]
        if code_part.strip():
            out.append(code_part)
    return "\n".join(out)


def notebook_name(ex, lang: str = "en") -> str:
    """``ghg-1_gas_burnt_in_homes.ipynb``, after the title in ``lang``."""
    return f"{ex.id}_{_slug(tr(ex.title, lang))}.ipynb"


def solution_name(ex, lang: str = "en") -> str:
    """``ghg-1_gas_burnt_in_homes_solution.ipynb`` (Romanian: ``..._solutie.ipynb``)."""
    return notebook_name(ex, lang).replace(".ipynb", f"{SOLUTION_SUFFIX[lang]}.ipynb")


def exercise_path(ex, lang: str = "en") -> Path:
    return EDITIONS[lang] / ex.module / notebook_name(ex, lang)


def solution_path(ex, lang: str = "en") -> Path:
    return EDITIONS[lang] / "solutions" / solution_name(ex, lang)


def _header(ex, *, solution: bool) -> str:
    """The header of a notebook, in the current language (``ex`` already in it)."""
    if solution:
        title = _(SOLUTION_TITLE).format(id=ex.id, title=ex.title)
        kind = _(SOLUTION_KIND).format(module=tr(MODULES[ex.module]))
    else:
        title = f"# {ex.id} · {ex.title}"
        kind = _(EXERCISE_KIND).format(module=tr(MODULES[ex.module]))
    table = _(HEADER_TABLE).format(
        objective=ex.objective,
        level=tr(LEVEL_TEXT[ex.level]),
        minutes=ex.minutes,
        data=ex.data,
        unit=ex.book,
        judged=ex.tolerance_text,
    )
    return "\n\n".join([title, kind, table, _(ILLUSTRATIVE)])


def _metadata() -> dict:
    return {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }


def _language_cell(lang: str) -> list:
    """The first cell of a notebook not in English: it sets the session's language."""
    if lang == "en":
        return []
    comment = _("the checker answers in this language and reads numbers its way")
    return [
        _code(
            fit_comments(
                f'from m100model.i18n import set_language\n\nset_language("{lang}")  # {comment}'
            )
        )
    ]


def exercise_notebook(ex, lang: str = "en") -> nbformat.NotebookNode:
    """The exercise's notebook, with its blanks, in ``lang``."""
    solution = solution_path(ex, lang).relative_to(ROOT).as_posix()
    with use_language(lang):
        ex = ex.in_language(lang)
        c = CONTENT[ex.id]
        code = code_in_language
        cells = [_md(_header(ex, solution=False)), *_language_cell(lang)]
        cells.append(
            _code(
                code(
                    "from m100model.exercises import check, data, hint  # noqa: F401 (hint: if "
                    "stuck)\n\n"
                    f'EXERCISE = "{ex.id}"\n'
                    "inputs = data(EXERCISE)  # the exercise's data, computed from the kit"
                )
            )
        )
        cells += [_code(code(s)) for s in c["show"]]
        cells.append(_md(_("## The question") + f"\n\n{ex.question}"))
        cells.append(_md(_("## Your working\n\nUse as many cells as you like.")))
        cells.append(_code(code(c["starter"])))
        if c.get("answer_starter"):
            answer = code(c["answer_starter"])
        else:
            hint = tr(c["unit_hint"])
            answer = fit_comments("answer = ...  # " + _("your answer: {hint}").format(hint=hint))
        cells.append(_md(_("## Your answer\n\nReplace the `...` and run the check.")))
        cells.append(_code(answer))
        cells.append(_code("check(EXERCISE, answer)"))
        cells.append(
            _md(
                _(
                    "Stuck? `hint(EXERCISE)` points to the concept (never the answer). The worked "
                    "solution is in `{path}` and in the course book (Exercises)."
                ).format(path=solution)
            )
        )
    return nbformat.v4.new_notebook(cells=cells, metadata=_metadata())


def solution_notebook(ex, lang: str = "en") -> nbformat.NotebookNode:
    """The exercise's worked solution, in ``lang`` (its last cell prints the checker's
    verdict: ``correct``, in Romanian ``corect``)."""
    with use_language(lang):
        ex = ex.in_language(lang)
        c = CONTENT[ex.id]
        code = code_in_language
        cells = [_md(_header(ex, solution=True)), *_language_cell(lang)]
        cells.append(
            _code(
                f'from m100model.exercises import check, data\n\nEXERCISE = "{ex.id}"\n'
                "inputs = data(EXERCISE)"
            )
        )
        cells += [_code(code(s)) for s in c["show"]]
        cells.append(_md(_("## The question") + f"\n\n{ex.question}"))
        cells.append(_md(_("## Solution")))
        for text, step in c["steps"]:
            cells.append(_md(tr(text)))
            cells.append(_code(code(step)))
        cells.append(_md(_("## Check")))
        cells.append(_code("result = check(EXERCISE, answer)\nresult"))
        cells.append(_code("print(result.status)", tags=["nbval-check-output"]))
        cells.append(_md(_("## What this shows") + "\n\n" + tr(c["takeaway"])))
    return nbformat.v4.new_notebook(cells=cells, metadata=_metadata())


# ---------------------------------------------------------------------------------------
# The book page: every exercise with a dropdown worked solution
# ---------------------------------------------------------------------------------------
BOOK_PAGE = ROOT / "book" / "exercises.md"

BOOK_HEAD = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

<!-- Written by exercises/make_notebooks.py from the exercise registry: edit there. -->

(exercises)=
# Exercises with automatic feedback

People learn by doing. Every module of the course has hands-on exercises, graded from
**guided** (fill in one value, the formula is given) through **structured** (a few steps
with the kit's library) to **open** (design a portfolio that meets a target under a budget).
Each names its learning objective, the data it uses and the time it takes. A learner can work
alone with automatic feedback; a trainer can run them in a workshop.

## How to work on an exercise

Each exercise is a notebook in the kit's `exercises/` folder (one folder per module), with a
worked solution in `exercises/solutions/`. Open it in JupyterLab (`make install`, then
`.venv/bin/jupyter lab`), fill in the blank (`answer = ...`) and run the check:

```python
from m100model.exercises import check, data, hint

inputs = data("ghg-1")  # the exercise's data, computed from the kit
check("ghg-1", "2.03 kt")  # ghg-1: correct / not yet, with a hint
```

- **Correct or not yet.** The checker computes the expected answer from the library and the
  exercise's data each time it runs, so it stays right when the data change. A wrong answer
  gets a hint that points to the concept (and to common slips, such as forgetting the GWP or a
  factor of 1,000), never the answer itself.
- **Any equivalent unit.** Numeric answers may be numbers (read in the exercise's unit), pint
  quantities or text with a unit: `2025.6`, `"2025.6 t CO2e"`, `"2.03 kt"`,
  `"700 g/kWh"`, `"EUR 45 m"`, `"10.7 %"`. Each exercise states its tolerance.
- **Open exercises accept any valid answer.** A portfolio, `{archetype: units}`, is fixed in
  the kit's portfolio model, which then chooses only its timing and financing. The checker
  says whether it can be built and financed, meets the target path in every year and stays
  within the budget; it then compares its cost with the least-cost portfolio and lists where
  the two differ most.

The self-assessment of each module (before and after it, with answers and explanations) is in
`exercises/assessment/`; `m100 assess FOLDER` summarises a folder of participants'
submissions per participant, per question and per statement, as the
{doc}`evaluation framework <evaluation>` asks.

All city numbers are **illustrative** (derived inventories, partly unsourced costs): the
exercises teach the method, not a plan for the city named.

```{code-cell} ipython3
:tags: [remove-input]

from m100model.exercises import MODULES, exercises
from m100model.i18n import N_, _, tr

LEVELS = {"guided": N_("Guided"), "structured": N_("Structured"), "open": N_("Open")}
table = exercises()  # the titles in the page's language
table = table.assign(
    module=table["module"].map(MODULES).map(tr), level=table["level"].map(LEVELS).map(tr)
)
table = table[["id", "module", "title", "level", "minutes"]]
table.columns = [_("Exercise"), _("Module"), _("Title"), _("Level"), _("Minutes")]
table.style.hide(axis="index").set_caption(_("The exercises, by module"))
```

```{code-cell} ipython3
:tags: [remove-cell]

from IPython.display import Markdown
from myst_nb import glue

from m100model.exercises import all_exercises, data, expected
from m100model.exercises.answers import format_number
from m100model.i18n import N_, _, number, tr
from m100model.workshop import unit_name

# The answers' units written in words (the exercises' unit_label), shown in the page's language.
UNIT_WORDS = (
    N_("t CO2 per year"),
    N_("EUR per t CO2e"),
    N_("years"),
    N_("t CO2 per MWh"),
    N_("m³ per year"),
    N_("t CO2e per t of waste"),
    N_("kt CO2e per year"),
    N_("EUR per EUR borrowed"),
)

def solution_text(ex):
    \"\"\"The expected answer, as the checker computes it, for the dropdown solution (in the
    page's language: the checker's numbers, the programmes' units).\"\"\"
    value = expected(ex.id)
    if ex.numeric:
        label = tr(ex.unit_label) if ex.unit_label in UNIT_WORDS else ex.unit_label
        return format_number(float(value), label)
    if ex.id == "ghg-5":
        return _("{n} gaps to close").format(n=len(value))
    unit = data(ex.id)["candidates"].set_index("archetype")["unit"]
    units = "; ".join(
        f"{a} {format_number(u)} {'× ' if unit[a][0].isdigit() else ''}{unit_name(unit[a])}"
        for a, u in value["units"].items()
        if u > 1e-6
    )
    if "npv_meur" in value:
        return _("{units} (investment {investment} M EUR, net present cost {npc} M EUR)").format(
            units=units,
            investment=number(value["investment_meur"], ",.1f"),
            npc=number(value["npv_meur"], ",.1f"),
        )
    return _("{units} (net cost {cost} M EUR a year)").format(
        units=units, cost=number(value["net_cost_meur_per_year"], ",.3f")
    )


for ex in all_exercises():
    glue(f"ex_{ex.id.replace('-', '_')}", Markdown(solution_text(ex)), display=False)
```
"""


def _book_exercise(ex) -> str:
    c = CONTENT[ex.id]
    key = f"ex_{ex.id.replace('-', '_')}"
    meta = (
        f"*{LEVEL_TEXT[ex.level].capitalize()}; about {ex.minutes} minutes.* "
        f"**Objective:** {ex.objective} **Data:** {ex.data} Read first: "
        f'{{doc}}`{ex.book}`. Check your answer with `check("{ex.id}", answer)`.'
    )
    steps = []
    first = True
    for text, code in c["steps"]:
        if first:
            code = (
                f'from m100model.exercises import check, data\n\ninputs = data("{ex.id}")\n{code}'
            )
            first = False
        code = code.replace("EXERCISE", f'"{ex.id}"')
        steps.append(f"{text}\n\n```python\n{code}\n```")
    result = "The least-cost answer" if not ex.numeric and ex.id != "ghg-5" else "The kit gives"
    return f"""
### {ex.id} · {ex.title}

````{{exercise}}
:label: ex-{ex.id}
:nonumber:

{ex.question}

{meta}
````

````{{solution}} ex-{ex.id}
:class: dropdown

{chr(10).join(chr(10) + s for s in steps).strip()}

{result}: {{glue:md}}`{key}`. {c["takeaway"]}
````
"""


def book_page() -> str:
    parts = [BOOK_HEAD]
    for module, title in MODULES.items():
        parts.append(f"\n## {title}\n")
        parts += [_book_exercise(ex) for ex in all_exercises() if ex.module == module]
    return "".join(parts).rstrip() + "\n"


def _cells(path: Path) -> list[tuple]:
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


def main() -> None:
    missing = [ex.id for ex in all_exercises() if ex.id not in CONTENT]
    if missing:
        raise SystemExit(f"no notebook content for {', '.join(missing)}")
    written: list[Path] = []
    changed = 0
    with tempfile.TemporaryDirectory() as tmp:
        # Written and formatted aside first: a notebook whose cells are the same as the stored
        # one's is left as it is (its cell ids and, for a solution, its outputs).
        fresh: dict[Path, Path] = {}
        for lang in EDITIONS:
            for ex in all_exercises():
                for notebook, path in (
                    (exercise_notebook(ex, lang), exercise_path(ex, lang)),
                    (solution_notebook(ex, lang), solution_path(ex, lang)),
                ):
                    aside = Path(tmp) / path.relative_to(ROOT)
                    aside.parent.mkdir(parents=True, exist_ok=True)
                    nbformat.write(notebook, aside)
                    fresh[path] = aside
        ruff_format([tmp])
        for path, aside in fresh.items():
            written.append(path)
            if path.exists() and _cells(path) == _cells(aside):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(aside, path)
            changed += 1
    for folder in sorted({p.parent for p in written}):  # a notebook whose title changed
        for old in sorted(set(folder.glob("*.ipynb")) - set(written)):
            old.unlink()
            print(f"removed {old.relative_to(ROOT)}")
    with use_language("en"):  # the book translates its page through its own catalogues
        BOOK_PAGE.write_text(book_page(), encoding="utf-8")
    print(
        f"{len(all_exercises())} exercises, a notebook and a worked solution each in "
        f"{len(EDITIONS)} languages ({', '.join(EDITIONS)}): {changed} of {len(written)} "
        "notebooks written anew"
    )


def ruff_format(paths: list[str]) -> None:
    """Format notebooks with the project's ruff settings (the notebooks are linted too),
    wherever they are."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--quiet",
            "--config",
            str(ROOT / "pyproject.toml"),
            *paths,
        ],
        check=True,
        cwd=ROOT,
    )


if __name__ == "__main__":
    main()
