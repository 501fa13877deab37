"""Exercises of the GHG accounting and MRV module (``ghg-1`` ... ``ghg-5``)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from m100model.exercises.answers import CheckResult, brief, is_missing
from m100model.exercises.registry import Exercise, register
from m100model.i18n import N_, _, number, tr

if TYPE_CHECKING:
    from m100model.errors import InputError

QUALITY = "illustrative"


def inventory_of(rows: list[dict] | pd.DataFrame, **options):
    """The inventory of a few activity rows (written to a temporary CSV and read back with
    the kit's validation, exactly like a city's file). Rows added without a city or year
    take those of the table's first row."""
    from m100model.inventory import load_inventory

    table = pd.DataFrame(rows).copy()
    for col in ("city", "year"):
        if col in table and table[col].notna().any():
            table[col] = table[col].fillna(table[col].dropna().iloc[0])
    if "year" in table and table["year"].notna().all():
        table["year"] = table["year"].astype(int)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "activity.csv"
        table.to_csv(path, index=False)
        return load_inventory(path, **options)


def _rows_key(rows: list[dict]) -> tuple:
    return tuple(tuple(sorted(r.items())) for r in rows)


@functools.lru_cache(maxsize=32)
def _cached_inventory(key: tuple, gwp: str = "AR5", grid_method: str = "production_mix"):
    return inventory_of([dict(r) for r in key], gwp=gwp, grid_method=grid_method)


@functools.lru_cache(maxsize=8)
def city_inventory(city: str, grid_method: str = "production_mix", gwp: str = "AR5"):
    """A bundled city inventory (cached: checks must answer at once)."""
    from m100model.inventory import bundled_inventories, load_inventory

    return load_inventory(bundled_inventories()[city], grid_method=grid_method, gwp=gwp)


def _factor_table(inv, gpc_ref: str) -> pd.DataFrame:
    """The emission factors the inventory used for a row, with the GWPs applied."""
    e = inv.emissions[inv.emissions["gpc_ref"] == gpc_ref]
    lib = inv.factors
    factors = lib.factor_set(str(e["ef_id"].iloc[0]))[["gas", "value", "unit", "source"]]
    return factors.merge(e[["gas", "gwp"]], on="gas", how="left").rename(
        columns={"value": "factor", "gwp": f"GWP ({inv.gwp_set})"}
    )


# ---------------------------------------------------------------------------------------
# ghg-1: gas in homes
# ---------------------------------------------------------------------------------------
GAS_ROW = dict(
    city="example", year=2021, gpc_ref="I.1.1", fuel="natural_gas", amount=10_000, unit="MWh"
)


def _gas_inventory():
    return _cached_inventory(_rows_key([{**GAS_ROW, "quality": QUALITY}]))


def _ghg1_inputs() -> dict:
    inv = _gas_inventory()
    return {
        "activity": pd.DataFrame([GAS_ROW]),
        "factors": _factor_table(inv, "I.1.1"),
        "tj_per_mwh": 0.0036,
    }


register(
    Exercise(
        id="ghg-1",
        title=N_("Gas burnt in homes"),
        level="guided",
        minutes=10,
        book="mrv/01_frameworks",
        objective=N_("Apply E = A × EF to each gas and add the gases up as CO2e with their GWPs."),
        data=N_(
            "One activity row (10,000 MWh of natural gas, GPC I.1.1); the IPCC 2006 "
            "residential factors and the AR5 GWP set from data/factors/."
        ),
        question=N_(
            "Homes in a city burn **10,000 MWh of natural gas** in a year (GPC I.1.1, scope "
            "1). Using the IPCC residential factors for natural gas (kg of CO2, CH4 and N2O "
            "per TJ) and the **AR5** GWP values, how many **tonnes of CO2e** is that?"
        ),
        hint=N_(
            "convert the energy to TJ (1 MWh = 0.0036 TJ), multiply by each gas's factor, "
            "then weight CH4 and N2O by their GWP and add the three gases."
        ),
        unit="t",
        unit_label="t CO2e",
        rtol=0.0025,  # CH4 and N2O are 0.3% of the total: a tighter tolerance sees them
        expected=lambda: _gas_inventory().basic_tco2e,
        inputs=_ghg1_inputs,
        slips=lambda: [
            (
                float(_gas_inventory().emissions.query("gas == 'CO2'")["emissions_t"].sum()),
                N_("that is the CO2 alone: CH4 and N2O count too, each weighted by its GWP."),
            ),
        ],
    )
)


# ---------------------------------------------------------------------------------------
# ghg-2: diesel by mass
# ---------------------------------------------------------------------------------------
DIESEL_ROW = dict(
    city="example", year=2022, gpc_ref="II.1.1", fuel="diesel", amount=1_500, unit="t"
)


def _diesel_inventory():
    return _cached_inventory(_rows_key([{**DIESEL_ROW, "quality": QUALITY}]))


def _diesel_co2() -> float:
    e = _diesel_inventory().emissions
    return float(e.loc[e["gas"] == "CO2", "emissions_t"].sum())


def _ghg2_inputs() -> dict:
    inv = _diesel_inventory()
    ncv = inv.factors.ncv("diesel")
    return {
        "activity": pd.DataFrame([DIESEL_ROW]),
        "ncv": ncv,
        "factors": _factor_table(inv, "II.1.1"),
    }


def _ghg2_slips() -> list[tuple[float, str]]:
    factors = _ghg2_inputs()["factors"].set_index("gas")["factor"]
    co2_kg_per_tj = float(factors["CO2"])
    return [
        (
            1_500 * co2_kg_per_tj / 1000,
            N_(
                "diesel is given as a mass: turn the tonnes into energy (TJ) with the net "
                "calorific value before you apply a factor given per TJ."
            ),
        ),
        (
            float(_diesel_inventory().basic_tco2e),
            N_("that is the CO2e of all three gases: the question asks for the CO2 alone."),
        ),
    ]


register(
    Exercise(
        id="ghg-2",
        title=N_("Diesel by hand: from tonnes to TJ to CO2"),
        level="guided",
        minutes=15,
        book="mrv/05_accounting_training",
        objective=N_(
            "Convert fuel measured as a mass to energy with its net calorific value, "
            "then compute its CO2, and check the kit's figure by hand."
        ),
        data=N_(
            "One activity row (1,500 t of diesel on the roads, GPC II.1.1); the IPCC 2006 net "
            "calorific value and road-transport factors of diesel from data/factors/."
        ),
        question=N_(
            "The buses and cars of a town burn **1,500 t of diesel** in a year (GPC II.1.1). "
            "With the IPCC net calorific value of diesel and its CO2 factor for road "
            "transport, how many **tonnes of CO2** (CO2 only, not CO2e) does that emit?"
        ),
        hint=N_(
            "energy = mass × net calorific value (43 TJ per Gg means 0.043 TJ per tonne); "
            "CO2 = energy × the CO2 factor in kg per TJ."
        ),
        unit="t",
        unit_label="t CO2",
        rtol=0.005,
        expected=_diesel_co2,
        inputs=_ghg2_inputs,
        slips=_ghg2_slips,
    )
)


# ---------------------------------------------------------------------------------------
# ghg-3: the grid factor changes the answer
# ---------------------------------------------------------------------------------------
def _grid_difference_kt() -> float:
    high = city_inventory("suceava", "life_cycle").basic_tco2e
    low = city_inventory("suceava", "production_mix").basic_tco2e
    return (high - low) / 1000


def _ghg3_inputs() -> dict:
    lib = city_inventory("suceava").factors
    rows = []
    for method in ("production_mix", "life_cycle"):
        f = lib.grid_factor(method, 2021)
        rows.append(dict(method=method, year=f.year, t_per_mwh=f.t_per_mwh, gases=f.gas_basis))
    return {"city": "suceava", "year": 2021, "grid_factors": pd.DataFrame(rows)}


register(
    Exercise(
        id="ghg-3",
        title=N_("The grid factor changes the answer"),
        level="structured",
        minutes=20,
        book="mrv/05_accounting_training",
        objective=N_(
            "Show how the choice of grid emission factor changes a city's total, and "
            "state that choice next to the total."
        ),
        data=N_(
            "Suceava's illustrative 2021 inventory (data/inventories/suceava_2021.csv); the "
            "AIB production-mix and Electricity Maps life-cycle factors for Romania "
            "(data/factors/)."
        ),
        question=N_(
            "Compute Suceava's 2021 BASIC inventory twice: with the **production-mix** grid "
            "factor (the default, location-based) and with the **life-cycle** factor (which "
            "adds the upstream emissions of the power plants). By how many **kt CO2e** is the "
            "life-cycle total **higher** than the production-mix total (life-cycle minus "
            "production mix)?"
        ),
        hint=N_(
            "only the rows that use grid electricity change (scope 2); load the inventory "
            "with grid_method='life_cycle' and compare the two BASIC totals."
        ),
        unit="kt",
        unit_label="kt CO2e",
        rtol=0.01,
        expected=_grid_difference_kt,
        inputs=_ghg3_inputs,
        slips=lambda: [
            (
                _grid_difference_kt() / (city_inventory("suceava").basic_tco2e / 1000),
                N_("that is the difference as a share of the total: the question asks for kt."),
            )
        ],
    )
)


# ---------------------------------------------------------------------------------------
# ghg-4: a target is a path and a budget
# ---------------------------------------------------------------------------------------
MISSION = dict(base_year=2021, target_year=2030, reduction=0.80)


def _mission_path() -> pd.Series:
    from m100model.pathways import target_path

    e0 = city_inventory("suceava").basic_tco2e / 1000
    years = list(range(MISSION["base_year"], MISSION["target_year"] + 1))
    path = target_path(
        e0,
        MISSION["base_year"],
        years,
        kind="net_zero",
        year=MISSION["target_year"],
        reduction=MISSION["reduction"],
    )
    return pd.Series(path, index=years)


register(
    Exercise(
        id="ghg-4",
        title=N_("A target is a path and a carbon budget"),
        level="structured",
        minutes=25,
        book="mrv/03_targets_timeframes",
        objective=N_("Turn a target into a yearly path and compute its carbon budget."),
        data=N_("Suceava's illustrative 2021 BASIC total (data/inventories/suceava_2021.csv)."),
        question=N_(
            "Suceava's Mission target, as the kit models it: BASIC emissions fall along a "
            "**straight line** from the 2021 inventory value to **80% below it in 2030**. What "
            "is the **carbon budget** of that path, the sum of the yearly caps from **2021 to "
            "2030, both years included**, in **kt CO2e**?"
        ),
        hint=N_(
            "write the cap of each year, T_t = E0 - (E0 - (1 - r) E0) (t - 2021) / (2030 - "
            "2021), and add the ten values; the budget is the area under the path, not its "
            "end point."
        ),
        unit="kt",
        unit_label="kt CO2e",
        rtol=0.01,
        expected=lambda: float(_mission_path().sum()),
        inputs=lambda: {
            "e0_kt": city_inventory("suceava").basic_tco2e / 1000,
            **MISSION,
        },
        slips=lambda: [
            (
                float(_mission_path().iloc[1:].sum()),
                N_("count every year from 2021 to 2030, both included (ten caps)."),
            ),
            (
                float(_mission_path().iloc[-1] * 10),
                N_(
                    "that is ten times the final cap: the cap falls year by year, so add each "
                    "year's value (the area under the path)."
                ),
            ),
            (
                float(_mission_path().iloc[-1]),
                N_("that is the 2030 cap alone: the budget adds the caps of every year."),
            ),
        ],
    )
)


# ---------------------------------------------------------------------------------------
# ghg-5: close the gaps (open)
# ---------------------------------------------------------------------------------------
TOWN_ROWS = [
    dict(gpc_ref="I.1.1", fuel="natural_gas", amount=10_000, unit="MWh"),
    dict(gpc_ref="I.1.2", fuel="electricity", amount=5_000, unit="MWh"),
    dict(gpc_ref="I.2.1", fuel="natural_gas", amount=4_000, unit="MWh"),
    dict(gpc_ref="I.2.2", fuel="electricity", amount=6_000, unit="MWh"),
    dict(gpc_ref="II.1.1", fuel="diesel", amount=1_500, unit="t"),
    dict(gpc_ref="II.1.1", fuel="gasoline", amount=2_000, unit="MWh"),
    dict(gpc_ref="III.1.2", fuel="msw", amount=8_000, unit="t"),
    dict(
        gpc_ref="II.3.1",
        notation_key="NO",
        comment=N_("No waterborne navigation: the town has no river port."),
    ),
    dict(
        gpc_ref="I.8.1",
        notation_key="NE",
        comment=N_("Gas network leakage occurs but the operator has not given its losses yet."),
    ),
]

TOWN_FACTS = [
    (
        ("I.3.1", "I.3.2"),
        ("IE",),
        N_(
            "The town has no factories. A few workshops buy gas and electricity on commercial "
            "contracts, so their energy is already in I.2.1 and I.2.2."
        ),
    ),
    (("I.4.1", "I.4.2"), ("NO",), N_("There is no power plant and no district-heating plant.")),
    (("II.4.1", "II.4.2"), ("NO",), N_("There is no airport or airfield.")),
    (
        ("II.2.1",),
        ("NE",),
        N_(
            "A diesel regional train stops at the station; the railway company has not sent "
            "its fuel data yet."
        ),
    ),
    (("II.2.2",), ("NO",), N_("No electric train runs in the town.")),
    (
        ("III.1.1",),
        ("IE", "NO"),
        N_(
            "There is no landfill inside the boundary: all the town's landfilled waste goes to "
            "the county landfill and is reported in III.1.2."
        ),
    ),
    (
        ("III.3.1",),
        ("NE",),
        N_("Garden waste is burnt in the open in spring, but nobody has estimated the quantities."),
    ),
    (
        ("III.4.1",),
        ("NE",),
        N_(
            "The town's sewage goes to an aerobic treatment plant inside the boundary; the water "
            "utility has not sent its data yet."
        ),
    ),
]
"""What the exercise tells the learner about the town, and the keys that fit each fact (the
facts in English, marked for translation: ``tr(fact)`` where a learner reads one)."""


def town_activity(lang: str | None = None) -> pd.DataFrame:
    """The made-up town of unit 6.5 (illustrative data), as an activity table (its comments
    in ``lang``, the current language by default)."""
    rows = [
        {"city": "example_town", "year": 2022, **r, "quality": QUALITY}
        | ({"comment": tr(r["comment"], lang)} if "comment" in r else {})
        for r in TOWN_ROWS
    ]
    cols = ["city", "year", "gpc_ref", "fuel", "amount", "unit", "notation_key", "comment"]
    return pd.DataFrame(rows).reindex(columns=[*cols, "quality"])


def _town_gaps() -> list[str]:
    inv = inventory_of(town_activity())
    return list(inv.gaps["gpc_ref"])


def _ghg5_expected() -> dict[str, tuple[str, ...] | None]:
    """Every gap of the town's inventory, with the keys its facts allow (``None``: any key
    with an explanation, or a figure)."""
    fits = {ref: keys for refs, keys, _fact in TOWN_FACTS for ref in refs}
    return {ref: fits.get(ref) for ref in _town_gaps()}


MAX_TABLE_ROWS = 500
"""Most rows of a ghg-5 answer (the town's table has a few dozen)."""
MAX_TABLE_COLUMNS = 30
MAX_CELL_CHARS = 1_000
"""Longest text in a cell (a comment is a sentence or two)."""


def _as_table(answer: object) -> pd.DataFrame:
    """The learner's table, within :data:`MAX_TABLE_ROWS` rows, :data:`MAX_TABLE_COLUMNS`
    columns and :data:`MAX_CELL_CHARS` characters a cell; every cell a number, a text or
    blank (a ``ValueError`` for the learner otherwise, in the current language)."""
    if isinstance(answer, pd.DataFrame):
        rows, columns = answer.shape
    elif isinstance(answer, list):
        rows = len(answer)
        columns = 0
    else:
        raise ValueError(
            _(
                "expected the activity table as a DataFrame (or a list of row dicts), got a {kind}"
            ).format(kind=type(answer).__name__)
        )
    if rows > MAX_TABLE_ROWS:
        raise ValueError(
            _(
                "your table has {rows} rows; the town's table needs a few dozen (at most "
                "{limit} are read)"
            ).format(rows=number(rows, ",d"), limit=MAX_TABLE_ROWS)
        )
    if isinstance(answer, list):
        for i, r in enumerate(answer, start=1):
            if not isinstance(r, dict):
                raise ValueError(
                    _(
                        "row {row} of your list is a {kind}; expected a dict such as "
                        "dict(gpc_ref=..., notation_key=..., comment=...)"
                    ).format(row=i, kind=type(r).__name__)
                )
            columns = max(columns, len(r))
            if columns > MAX_TABLE_COLUMNS:
                break
    if columns > MAX_TABLE_COLUMNS:
        raise ValueError(
            _(
                "your table has {columns} columns; the activity table has about ten (at most "
                "{limit} are read)"
            ).format(columns=number(columns, ",d"), limit=MAX_TABLE_COLUMNS)
        )
    table = answer.copy() if isinstance(answer, pd.DataFrame) else pd.DataFrame(answer)
    if not table.columns.is_unique:
        raise ValueError(_("two columns of your table have the same name"))
    for col in table.columns:
        if not isinstance(col, str):
            raise ValueError(
                _("column {column} of your table: a column name is a text").format(
                    column=brief(col, 30)
                )
            )
        for i, value in enumerate(table[col], start=1):
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise ValueError(
                        _(
                            "row {row}, column '{column}': a text of {n} characters; a "
                            "comment is a sentence or two (at most {limit} characters)"
                        ).format(
                            row=i,
                            column=brief(col, 30),
                            n=number(len(value), ",d"),
                            limit=number(MAX_CELL_CHARS, ",d"),
                        )
                    )
            elif not pd.api.types.is_scalar(value):
                raise ValueError(
                    _(
                        "row {row}, column '{column}': expected a number or a text, got {value}"
                    ).format(row=i, column=brief(col, 30), value=brief(value, 40))
                )
    return table


def _unreadable(exc: InputError) -> str:
    """Where and why the kit cannot read the learner's table (an InputError), one sentence."""
    message = brief(exc.message, 300)
    if exc.row and exc.column:
        text = _("the kit cannot read row {row} of your table, column '{column}': {message}")
    elif exc.row:
        text = _("the kit cannot read row {row} of your table: {message}")
    elif exc.column:
        text = _("the kit cannot read your table, column '{column}': {message}")
    else:
        text = _("the kit cannot read your table: {message}")
    return text.format(row=(exc.row or 0) - 1, column=exc.column, message=message)


def _check_ghg5(ex: Exercise, answer: object) -> CheckResult:
    from m100model.errors import InputError

    if is_missing(answer):
        return CheckResult(
            ex.id,
            False,
            _("no answer yet: give your completed activity table."),
            hint=tr(ex.hint),
            answered=False,
        )
    try:
        table = _as_table(answer)
    except ValueError as exc:
        return CheckResult(
            ex.id,
            False,
            _("could not read your answer: {reason}.").format(reason=exc),
            hint=tr(ex.hint),
        )
    for col, default in (("city", "example_town"), ("year", 2022)):
        if col not in table or table[col].isna().all():
            table[col] = default
    try:
        inv = inventory_of(table)
    except InputError as exc:
        return CheckResult(
            ex.id,
            False,
            _unreadable(exc),
            hint=_(
                "each row needs a gpc_ref, and either a fuel, amount and unit, or a "
                "notation_key (NO, IE, NE, C) with a comment."
            ),
        )
    original = inventory_of(town_activity())
    lost = [
        f"{r.gpc_ref} {r.fuel}"
        for r in original.emissions.drop_duplicates("row").itertuples()
        if not ((inv.emissions["gpc_ref"] == r.gpc_ref) & (inv.emissions["fuel"] == r.fuel)).any()
    ]
    if lost:
        return CheckResult(
            ex.id,
            False,
            _("your table has lost data rows of the town: {rows}.").format(rows=", ".join(lost)),
            hint=_("keep every row that has a figure; add rows, do not replace them."),
        )
    if not inv.gaps.empty:
        n = len(inv.gaps)
        if n > 1:
            text = _(
                "{n} BASIC sub-sectors still have neither a figure nor a notation key: {refs}."
            )
        else:
            text = _("{n} BASIC sub-sector still has neither a figure nor a notation key: {refs}.")
        return CheckResult(
            ex.id,
            False,
            text.format(n=n, refs=", ".join(inv.gaps["gpc_ref"])),
            hint=_(
                "a gap is not a zero: give each BASIC sub-sector a figure or a key (NO not "
                "occurring, IE included elsewhere, NE not estimated, C confidential)."
            ),
        )
    keys = inv.notation_keys
    bare = keys[keys["comment"].isna() | (keys["comment"].astype(str).str.strip().str.len() < 10)]
    if not bare.empty:
        return CheckResult(
            ex.id,
            False,
            _("these notation keys have no real explanation: {refs}.").format(
                refs=", ".join(bare["gpc_ref"])
            ),
            hint=_(
                "the GPC asks for every notation key to come with an explanation "
                "(a short sentence in the comment column)."
            ),
        )
    wrong = []
    facts = {ref: (keys_ok, fact) for refs, keys_ok, fact in TOWN_FACTS for ref in refs}
    given = keys.set_index("gpc_ref")["notation_key"].to_dict()
    for ref, allowed in _ghg5_expected().items():
        if allowed is None or ref not in given:
            continue  # any key, or a figure instead of a key
        if given[ref] not in allowed:
            wrong.append(f"{ref} ({given[ref]}): {tr(facts[ref][1])}")
    if wrong:
        return CheckResult(
            ex.id,
            False,
            _(
                "every gap is closed, but some keys do not fit what we know about the town:"
                "\n- {keys}"
            ).format(keys="\n- ".join(wrong)),
            hint=_(
                "NO: the activity does not occur; IE: it occurs and is counted in another "
                "sub-sector; NE: it occurs but nobody has estimated it."
            ),
        )
    return CheckResult(
        ex.id,
        True,
        _(
            "no gaps left, every key is explained and fits the facts. BASIC total: {total} t CO2e."
        ).format(total=number(inv.basic_tco2e, ",.0f")),
    )


register(
    Exercise(
        id="ghg-5",
        title=N_("Close the gaps with notation keys"),
        level="open",
        minutes=40,
        book="mrv/05_accounting_training",
        objective=N_("Use notation keys correctly and leave no gap in an inventory."),
        data=N_(
            "The made-up town of unit 6.5 (illustrative activity data) and a description of "
            "what does and does not happen in it; the GPC reference table (data/gpc/)."
        ),
        question=N_(
            "The town's inventory has gaps: BASIC sub-sectors with neither a figure nor a "
            "notation key. Add rows to its activity table so that **no gap is left**: a "
            "notation key (NO, IE, NE or C) with a one-sentence explanation for each, "
            "chosen from what you know about the town. Keep every row that has a figure. "
            "Any key that fits the facts is accepted."
        ),
        hint=N_(
            "list inv.gaps, read the facts about the town, and add one row per gap: "
            "dict(gpc_ref=..., notation_key=..., comment=...)."
        ),
        judged=N_(
            "Any table is accepted that leaves no gap, keeps every figure and gives each "
            "notation key an explanation that fits the facts about the town."
        ),
        expected=_ghg5_expected,
        inputs=lambda: {
            "activity": town_activity(),
            "facts": pd.DataFrame(
                [dict(gpc_refs=", ".join(refs), fact=tr(fact)) for refs, _keys, fact in TOWN_FACTS]
            ),
        },
        checker=_check_ghg5,
    )
)
