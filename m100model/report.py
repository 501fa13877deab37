"""The main job's outputs: ``summary.json``, an offline HTML report with Altair charts, the
Climate City Contract investment plan as Excel, and CSVs.

The report inlines the Vega JavaScript so that it works offline. vl-convert bundles it (a few
seconds), so the bundle is built once per vl-convert version and kept in the kit's cache
folder (:func:`vega_bundle`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from m100model.analysis.macc import compare_with_optimum, macc
from m100model.cities import city_name
from m100model.io import cache_dir, check_renderer, neutralised, write_atomic, write_csv, write_json
from m100model.pathways import IAMC_COLUMNS, MODEL_NAME
from m100model.portfolio.data import PortfolioData, assemble
from m100model.portfolio.results import PortfolioResult, extract
from m100model.portfolio.solve import PortfolioSolver, require_plan
from m100model.scenario import Scenario

if TYPE_CHECKING:
    import altair as alt

    from m100model.inventory import Inventory


@dataclass
class RunOutput:
    """A solved scenario with everything derived from it."""

    scenario: Scenario
    data: PortfolioData
    solver: PortfolioSolver
    result: PortfolioResult
    macc: pd.DataFrame
    # Each city's inventory quality flags (Inventory.data_quality); filled by run_scenario,
    # read from the inventories when empty.
    inventory_quality: dict[str, list[str]] = field(default_factory=dict)


def _inventories(scn: Scenario) -> dict[str, Inventory]:
    from m100model.factors import load_factors
    from m100model.inventory import load_inventory

    lib = load_factors()
    return {
        c: load_inventory(
            scn.inventory_path(c), gwp=scn.gwp, grid_method=scn.grid_method, factors=lib
        )
        for c in scn.cities
    }


def run_scenario(scn: Scenario, source: str | None = None) -> RunOutput:
    """Assemble, build, solve and read out a scenario (``source``: the scenario's file, for
    messages)."""
    invs = _inventories(scn)
    if any(inv.city != c for c, inv in invs.items()):
        assemble(scn)  # refuses the file, naming it
    data = assemble(scn, invs)
    solver = PortfolioSolver(data, scn.solver)
    solver.solve()
    require_plan(solver, source or f"scenario '{scn.name}'")
    result = extract(solver)
    curve = compare_with_optimum(macc(data, scn.discount_rate), result.portfolio)
    quality = {c: list(inv.data_quality) for c, inv in invs.items()}
    return RunOutput(scn, data, solver, result, curve, quality)


def aggregate_groups(groups: list[str]) -> list[str]:
    """Groups summed into scenario totals: Bucharest Sector 2 lies inside Bucharest, so it is
    left out of totals when both are in the scenario."""
    if "bucharest" in groups and "bucharest_sector_2" in groups:
        return [g for g in groups if g != "bucharest_sector_2"]
    return list(groups)


def counted_investment(out: RunOutput) -> pd.DataFrame:
    """The investment plan's rows that scenario totals add up: those of the groups in
    :func:`aggregate_groups`. Bucharest's plan cuts the emissions of the whole city, Sector 2's
    included, so Sector 2's own plan (shown on its own) is not added to it, as its emissions
    are not."""
    inv = out.result.investment
    return inv[inv["city"].isin(aggregate_groups(list(out.data.groups)))]


def totals_note(out: RunOutput) -> str:
    """A sentence naming the groups left out of the totals ('' when none is)."""
    left = [g for g in out.data.groups if g not in aggregate_groups(list(out.data.groups))]
    if not left:
        return ""
    names = ", ".join(city_name(g) for g in left)
    return (
        f"{names} lies inside Bucharest: its plan is shown on its own and left out of the "
        "totals (Bucharest's plan covers the whole city)."
    )


# ---------------------------------------------------------------------------------------
# Data quality: what the data's own flags say (one function for every output)
# ---------------------------------------------------------------------------------------
QUALITY_FLAGS = ("sourced", "derived", "illustrative")


def inventory_quality_label(flags: list[str], *, bundled: bool) -> str:
    """One city inventory's quality in words, from the quality flags of its rows."""
    if "illustrative" in flags:
        if bundled:
            return (
                "illustrative (the kit's inventory, derived from national statistics, "
                "not a published city inventory)"
            )
        return "partly illustrative (rows of the inventory file are flagged illustrative)"
    if "derived" in flags:
        return (
            "sourced and derived rows (no row flagged illustrative)"
            if "sourced" in flags
            else "derived (every row flagged derived)"
        )
    if "sourced" in flags:
        return "sourced (every row flagged sourced)"
    return "quality not stated (the inventory file has no quality flags)"


@functools.lru_cache(maxsize=32)
def _catalogue_flags(file: str, key: str, ids: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """How many rows of a bundled catalogue file carry each quality flag, for the given
    ids (archetypes or instruments)."""
    from m100model.tables import data_dir

    df = pd.read_csv(data_dir() / file, usecols=[key, "quality"], dtype=str)
    flags = df.loc[df[key].isin(ids), "quality"].str.strip().value_counts()
    return tuple((q, int(flags.get(q, 0))) for q in QUALITY_FLAGS)


def _flags_in_words(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "no rows"
    parts = [f"{n} {q}" for q, n in counts.items() if n]
    return f"{total} rows: " + ", ".join(parts)


def data_quality(out: RunOutput) -> dict:
    """The run's data quality from the data's own flags, for every output (summary.json,
    report.html, the Excel Read me, the command line): each city inventory's flags
    (:attr:`~m100model.inventory.Inventory.data_quality`), and the flags of the catalogue
    rows the run used (costs and effects of the measures in ``data/projects``, envelopes and
    rates of the funding sources in ``data/funding``).

    ``label`` is one line; ``illustrative`` is true when any inventory has illustrative rows
    (a user's inventory without any is never called illustrative).
    """
    from m100model.tables import bundled_inventories

    scn, d = out.scenario, out.data
    quality = out.inventory_quality or {
        c: list(inv.data_quality) for c, inv in _inventories(scn).items()
    }
    bundled = bundled_inventories()
    inventories = {}
    for c in scn.cities:
        flags = list(quality.get(c, []))
        is_bundled = c not in scn.inventories and c in bundled
        inventories[c] = {
            "flags": flags,
            "bundled": is_bundled,
            "label": inventory_quality_label(flags, bundled=is_bundled),
        }
    archetypes = tuple(sorted(set(d.projects["archetype_id"]))) if len(d.projects) else ()
    instruments = tuple(sorted(str(s) for s in d.instruments.index))
    measures: dict[str, int] = {q: 0 for q in QUALITY_FLAGS}
    for file in ("projects/archetype_parameters.csv", "projects/archetype_effects.csv"):
        for q, n in _catalogue_flags(file, "archetype_id", archetypes):
            measures[q] += n
    funding = dict(
        _catalogue_flags("funding/instrument_parameters.csv", "instrument_id", instruments)
    )
    illustrative = any("illustrative" in v["flags"] for v in inventories.values())
    labels = {v["label"] for v in inventories.values()}
    if len(labels) == 1:
        inv_text = (
            "the city inventory is " if len(inventories) == 1 else "the city inventories are "
        ) + next(iter(labels))
    else:
        inv_text = "city inventories: " + "; ".join(
            f"{city_name(c)} {v['label']}" for c, v in inventories.items()
        )
    label = (
        ("Illustrative data: " if illustrative else "Data quality: ")
        + inv_text
        + f". Costs and effects of the measures ({_flags_in_words(measures)}); funding "
        f"sources ({_flags_in_words(funding)}). The flags are in data/*/*.csv, the sources "
        "in data/*/README.md."
    )
    return {
        "label": label,
        "illustrative": illustrative,
        "inventories": inventories,
        "measures": measures,
        "funding": funding,
    }


# ---------------------------------------------------------------------------------------
# Names, not ids
# ---------------------------------------------------------------------------------------
FUNDING_GROUPS = {
    "grant": "Grants",
    "loan": "Loans and bonds",
    "bond": "Loans and bonds",
    "budget": "Own funds",
    "private": "Private capital",
    "esco": "Private capital",
}
FUNDING_GROUP_ORDER = ("Grants", "Loans and bonds", "Own funds", "Private capital")
FUNDING_KIND_WORDS = {
    "grant": "Grant",
    "loan": "Loan",
    "bond": "Bond (city borrowing)",
    "budget": "Own funds (city budget)",
    "private": "Private capital",
    "esco": "Private capital (ESCO, repaid from savings)",
}


def funding_sources() -> pd.DataFrame:
    """Every instrument (index: id) with its short ``name`` (as the charts show it), full
    ``full_name``, ``kind`` in words and finance ``group`` (grants, loans and bonds, own
    funds, private capital), from ``data/funding/instruments.csv``."""
    from m100model.projects import load_instruments

    inst = load_instruments()
    return pd.DataFrame(
        {
            "name": [_short_name(str(n)) for n in inst["name"]],
            "full_name": inst["name"].astype(str).to_numpy(),
            "kind": [FUNDING_KIND_WORDS.get(k, str(k)) for k in inst["kind"]],
            "group": [FUNDING_GROUPS.get(k, "Other") for k in inst["kind"]],
            "description": [
                t.strip() if isinstance(t, str) else ""
                for t in inst.get("description", pd.Series([""] * len(inst)))
            ],
        },
        index=inst.index,
    )


def _short_name(name: str) -> str:
    """As :func:`m100model.charts.short_instrument_name` (kept here: charts imports Altair)."""
    return name.split(":")[0].split(", ")[0].strip()


def instrument_name(s: str) -> str:
    src = funding_sources()
    return str(src.at[s, "name"]) if s in src.index else s


def archetype_name(a: str) -> str:
    from m100model.projects import load_archetypes

    arch = load_archetypes()
    return str(arch.at[a, "name"]) if a in arch.index else a


def _pool_name(pool: str) -> str:
    """``III.1|msw`` -> "municipal solid waste to landfill in solid waste disposal (III.1)":
    the fuel's and the sub-sector's names (fuels.csv, the GPC reference), never their ids."""
    from m100model.factors import load_factors
    from m100model.inventory import gpc_reference

    sub, _, fuel = pool.partition("|")
    ref = gpc_reference().drop_duplicates("subsector").set_index("subsector")
    where = str(ref.at[sub, "subsector_name"]).lower() if sub in ref.index else sub
    fuels = load_factors().fuels
    what = str(fuels.at[fuel, "name"]) if fuel in fuels.index else fuel.replace("_", " ")
    if len(what) > 1 and what[1].islower():  # "Natural gas" -> "natural gas"; "BOD" stays
        what = what[0].lower() + what[1:]
    return f"{what} in {where} ({sub})"


def _some(names: list[str], n: int = 4) -> str:
    """A list in words, the first ``n`` names and how many more."""
    if len(names) <= n:
        return ", ".join(names)
    return ", ".join(names[:n]) + f" and {len(names) - n} more"


def diagnosis_in_words(x: dict, *, n: int = 4, missed: list[int] | None = None) -> dict:
    """One entry of :attr:`PortfolioResult.diagnosis` in words a council member reads:
    ``gap`` (where and by how much the target is missed), ``reasons`` (one sentence per
    kind of limit, with the names of the measures and funding sources) and ``held_back_by``
    (one short line)."""
    at_max = [archetype_name(a) for a in x.get("projects_at_maximum", [])]
    pools = [_pool_name(k) for k in x.get("pools_used_up", [])]
    fastest = [archetype_name(a) for a in x.get("built_at_fastest_rate", [])]
    late = [archetype_name(a) for a in x.get("not_available_in_first_short_year", [])]
    money = [instrument_name(s) for s in x.get("envelopes_exhausted", [])]
    city = city_name(x["group"])
    first = str(x["years"]).split("-")[0]
    reasons, short = [], []
    if at_max or pools:
        part = []
        if at_max:
            part.append(
                f"{len(at_max)} measure{'s are' if len(at_max) > 1 else ' is'} used to "
                f"the full potential the city has for {'them' if len(at_max) > 1 else 'it'} "
                f"({_some(at_max, n)})"
            )
        if pools:
            part.append(f"nothing is left to cut in {_some(pools, n)}")
        reasons.append("Physical potential: " + "; ".join(part) + ".")
        short.append(
            f"physical potential ({len(at_max)} measures at their maximum"
            + (
                f", {len(pools)} use{'s' if len(pools) > 1 else ''} of energy cut to zero"
                if pools
                else ""
            )
            + ")"
        )
    if fastest:
        reasons.append(
            f"Pace of building: {len(fastest)} measure{'s are' if len(fastest) > 1 else ' is'}"
            f" built as fast as suppliers and builders allow ({_some(fastest, n)})."
        )
        short.append(f"the pace of building ({len(fastest)} measures at their fastest)")
    if late:
        reasons.append(
            f"Lead times: {_some(late, n)} cannot be ready by {first} (planning, procurement "
            "and construction take longer)."
        )
        short.append(f"lead times ({len(late)} measures not ready in time)")
    if money:
        reasons.append(
            f"Money: {len(money)} funding source{'s are' if len(money) > 1 else ' is'} used "
            f"up to their yearly limit ({_some(money, n)})."
        )
        short.append(f"money ({len(money)} funding sources used up)")
    gap = (
        f"{city} misses its target in {_runs(missed) if missed else x['years']}; the "
        "largest gap is in "
        f"{x['worst_year']}: {x['worst_shortfall_kt']:,.1f} kt CO2e above a target of "
        f"{x['target_kt']:,.1f} kt CO2e."
    )
    return {
        "gap": gap,
        "reasons": reasons or ["No single limit identified."],
        "held_back_by": ", ".join(short) or "nothing identified",
    }


# ---------------------------------------------------------------------------------------
# What is built: whole units for indivisible projects, programme sizes for the rest
# ---------------------------------------------------------------------------------------
# Units counted in whole items (plural form): a fractional number of them is a programme's
# average, not a thing that is built.
COUNTABLE_UNITS = {
    "bus": "buses",
    "tram": "trams",
    "train": "trains",
    "vehicle": "vehicles",
    "luminaire": "luminaires",
    "tree": "trees",
    "household": "households",
}
# Units that are a programme sized for a reference population (archetypes.csv: "one
# programme is sized for a reference population of 50000 inhabitants"): 1.3 of them is one
# programme for 1.3 times as many people, never "1.3 programme".
SCALED_UNITS = {"programme": "programmes"}
# The verb for a unit's kind: items are bought, trees planted, households reached,
# programmes started, the rest built.
_VERBS = {
    **{u: "bought" for u in COUNTABLE_UNITS},
    "tree": "planted",
    "household": "reached",
    **{u: "started" for u in SCALED_UNITS},
}


def _whole(v: float) -> int:
    """Rounded half up (Python's round() takes 0.5 to 0)."""
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)


def _count(n: int, unit: str) -> str:
    plural = COUNTABLE_UNITS.get(unit) or SCALED_UNITS.get(unit) or unit
    return f"{n:,} {unit if n == 1 else plural}"


def _measure(v: float, unit: str) -> str:
    """A measured quantity (MWth, km, 1000 m2 ...): three significant figures at most one
    decimal; 11.4 "1000 m2" reads as 11,400 m2."""
    if unit.startswith("1000 "):
        v, unit = v * 1000, unit.removeprefix("1000 ")
    if abs(v) >= 1000:  # three significant figures: 51,382 reads as 51,400
        step = 10 ** (math.floor(math.log10(abs(v))) - 2)
        return f"{round(v / step) * step:,.0f} {unit}"
    if abs(v) >= 100:
        return f"{v:,.0f} {unit}"
    if 0 < abs(v) < 0.05:
        return f"{v:.2g} {unit}"
    return f"{v:,.1f} {unit}"


def _people(v: float, people_per_unit: float | None) -> int | None:
    """Inhabitants a programme of v reference sizes is meant for, to two significant
    figures (the reference size is itself a round convention)."""
    if not people_per_unit or people_per_unit <= 0 or v <= 0:
        return None
    n = v * people_per_unit
    step = 10 ** max(0, math.floor(math.log10(n)) - 1)
    return int(round(n / step) * step)


def _is_whole(v: float) -> bool:
    return v >= 0.95 and abs(v - round(v)) < 0.05


def _amount(v: float, unit: str, people_per_unit: float | None = None) -> str:
    """A total quantity as a reader expects it: whole items for countable units ("141
    buses", or "30% of one train" below half an item); programmes by the people they serve
    ("2 programmes", "programmes for about 65,000 inhabitants"); else a measure."""
    if unit in COUNTABLE_UNITS:
        if _whole(v) >= 1:
            return _count(_whole(v), unit)
        return f"{v:.0%} of one {unit}" if v >= 0.005 else f"less than 1% of one {unit}"
    if unit in SCALED_UNITS:
        if _is_whole(v):
            return _count(round(v), unit)
        people = _people(v, people_per_unit)
        plural = SCALED_UNITS[unit] if v > 1 else unit
        return (
            f"{plural} for about {people:,} inhabitants"
            if people
            else f"{plural} of {v:,.1f} times the reference size"
        )
    return _measure(v, unit)


def _project(size: float, unit: str, people_per_unit: float | None = None) -> str:
    """One project of this size as a noun phrase to follow "one" or "of one": "67.1 MWth
    project", "project of 12 buses", "programme for about 65,000 inhabitants (1.3 times the
    reference size)"."""
    if unit in SCALED_UNITS:
        if abs(size - 1) < 0.05:
            return f"{unit} of the reference size"
        people = _people(size, people_per_unit)
        times = f"{size:,.1f} times the reference size"
        return (
            f"{unit} for about {people:,} inhabitants ({times})" if people else f"{unit} of {times}"
        )
    if unit in COUNTABLE_UNITS:
        if _whole(size) < 1:  # a town's share of a train: "share of a train (11%)"
            return f"share of a {unit} ({max(size, 0.01):.0%})"
        return f"project of {_amount(size, unit)}"
    return f"{_measure(size, unit)} project"


def _pace(per_year: float, unit: str, people_per_unit: float | None = None) -> str:
    """The yearly pace of a programme in words: "about 16 buses a year", "about one bus
    every 3 years", "about 51,400 m2 a year", "reaching about 22,000 more inhabitants a
    year"."""
    if unit in COUNTABLE_UNITS:
        if _whole(per_year) >= 1:
            return f"about {_count(_whole(per_year), unit)} a year"
        return f"about one {unit} every {_whole(1 / per_year):,} years" if per_year > 0 else ""
    if unit in SCALED_UNITS:
        people = _people(per_year, people_per_unit)
        if people:
            return f"reaching about {people:,} more inhabitants a year"
        return f"about {per_year:,.1f} times the reference size a year"
    return f"about {_measure(per_year, unit)} " + ("added a year" if "/yr" in unit else "a year")


def _runs(years: list[int]) -> str:
    """Years as runs: "2027-2035", "2030, 2040 and 2050"."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def built_in_words(
    unit: str,
    *,
    size: float,
    units: float,
    peak_share: float,
    years: list[int],
    whole: bool,
    by_nature: bool = False,
    people_per_unit: float | None = None,
) -> str:
    """What a project builds, in words. ``size`` is one project's size (its potential),
    ``units`` what is commissioned over the horizon (replacements included),
    ``peak_share`` the most in service at once as a share of ``size``, ``years`` the years
    something is commissioned; ``whole`` if the run builds it whole, ``by_nature`` if the
    archetype is indivisible but the scenario lets it be built in part;
    ``people_per_unit`` the reference population of one unit of a programme."""
    years = sorted(set(years))
    verb = _VERBS.get(unit, "built")
    if whole:
        builds = max(1, round(units / size)) if size > 0 else 1
        first, again = years[0], years[1:]
        how = f"{verb} whole in" if verb in ("built", "bought") else f"{verb} in"
        text = f"one {_project(size, unit, people_per_unit)}, {how} {first}"
        if builds > 1 and again:
            text += f" and renewed in {_runs(again)}"
        elif builds > 1:
            text += f" ({builds} times over the horizon)"
        return text
    if by_nature:
        one = _project(size, unit, people_per_unit)
        if peak_share >= 0.999:
            return f"the whole {one}, {verb} {_runs(years)}"
        return (
            f"{peak_share:.0%} of one {one}, {verb} {_runs(years)} (this scenario lets "
            "indivisible measures be built in part: indivisible: false)"
        )
    text = f"{_amount(units, unit, people_per_unit)}, {verb} {_runs(years)}"
    if len(years) > 1 and not (unit in COUNTABLE_UNITS and _whole(units) < 1):
        pace = _pace(units / len(years), unit, people_per_unit)
        text += f" ({pace})" if pace else ""
    in_service = peak_share * size
    if units > in_service * 1.001:
        most = _amount(in_service, unit, people_per_unit)
        text += (
            f"; at most {most.replace(' for about ', ' covering about ', 1)} at once"
            if unit in SCALED_UNITS and not _is_whole(in_service)
            else f"; at most {most} in service at once"
        )
    return text


def what_is_built(out: RunOutput) -> pd.DataFrame:
    """One row per selected project (index ``project_id``): ``indivisible`` (built whole in
    this run), ``built`` (units commissioned over the horizon, replacements included; whole
    builds of an indivisible project), ``in_service`` (most units in service at once),
    ``build_years`` and ``text``, the size in words (:func:`built_in_words`): "one 67.1
    MWth project, built whole in 2032", "141 buses, bought 2027-2035 (about 16 buses a
    year)", "one programme for about 65,000 inhabitants (1.3 times the reference size),
    started in 2030 and renewed in 2040", or for an indivisible measure the scenario
    lets be built in part, the share of one installation."""
    r, d = out.result, out.data
    pf = r.portfolio
    dep = r.deployment
    built_in = (
        dep[dep["commissioned"] > 1e-6].groupby("project_id")["year"].apply(list).to_dict()
        if len(dep)
        else {}
    )
    rows = []
    for p in pf.itertuples():
        unit = str(p.unit)
        years = [int(y) for y in built_in.get(p.project_id, [p.first_year])]
        in_service = float(p.peak_share) * float(p.max_units)
        whole = (
            bool(d.projects.at[p.project_id, "indivisible"])
            if "indivisible" in (d.projects.columns) and p.project_id in d.projects.index
            else False
        )
        text = built_in_words(
            unit,
            size=float(p.max_units),
            units=float(p.units),
            peak_share=float(p.peak_share),
            years=years,
            whole=whole,
            by_nature=_archetype_indivisible(str(p.archetype_id)),
            people_per_unit=reference_people(str(p.archetype_id)),
        )
        if whole:
            built: float = max(1, round(float(p.units) / float(p.max_units)))
        else:
            built = round(float(p.units)) if unit in COUNTABLE_UNITS else float(p.units)
        rows.append(
            dict(
                project_id=p.project_id,
                indivisible=whole,
                built=built,
                in_service=round(in_service) if unit in COUNTABLE_UNITS else in_service,
                build_years=_runs(years),
                text=text,
            )
        )
    return pd.DataFrame(
        rows, columns=["project_id", "indivisible", "built", "in_service", "build_years", "text"]
    ).set_index("project_id", drop=False)


def project_label(project_id: str, name: str) -> str:
    """A project's name with its phase where the scenario builds programmes in phases."""
    phase = re.search(r":phase(\d+)$", str(project_id))
    return f"{name} (phase {phase.group(1)})" if phase else str(name)


def _archetype_indivisible(a: str) -> bool:
    from m100model.projects import load_archetypes

    arch = load_archetypes()
    return bool(arch.at[a, "indivisible"]) if a in arch.index else False


def reference_people(a: str) -> float | None:
    """Inhabitants one unit of an archetype is sized for (1000 / its ceiling per 1000
    inhabitants): 50,000 for a programme; None without a per-person ceiling."""
    from m100model.projects import load_archetypes

    arch = load_archetypes()
    if a not in arch.index or "max_units_per_1000_inhabitants" not in arch.columns:
        return None
    per_1000 = float(arch.at[a, "max_units_per_1000_inhabitants"])
    return 1000 / per_1000 if per_1000 > 0 else None


# ---------------------------------------------------------------------------------------
# Carbon prices only where they mean something
# ---------------------------------------------------------------------------------------
NO_PRICE = "\u2013"  # an en dash in place of a price ("-" would read as a formula)


def price_note(price: float | None, basis: str | None, met: bool, missed: list[int]) -> str:
    """Why a city shows no implied carbon price (empty when it shows one)."""
    if price is not None and not (isinstance(price, float) and math.isnan(price)):
        if price == 0:
            return "the target does not bind: it is met without extra effort"
        if basis and basis.startswith("flat"):
            return (
                f"levelised over {basis.removeprefix('flat ')}: with the same cap year after "
                "year only the sum of the yearly prices is determined"
            )
        return ""
    if not met:
        return (
            "no price: the target is missed that year, the model only pays its shortfall "
            "penalty there"
        )
    if basis == "shortfall elsewhere" or missed:
        return (
            f"no price: the target is missed in {_runs(missed) if missed else 'other years'};"
            " the same projects and money serve every year, so no year's price means "
            "anything"
        )
    return "no price computed"


def _r(x: float, nd: int = 3) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def _envelope_values(prices: pd.DataFrame) -> dict:
    out: dict[str, dict[int, float]] = {}
    for e in prices.itertuples():
        if abs(e.value_per_eur) >= 1e-6:
            out.setdefault(f"{e.instrument}|{e.city}", {})[int(e.year)] = _r(e.value_per_eur, 4)
    return out


def _target_year_table(r, d) -> dict:
    """Each target group in its own target year: emissions against target, met or not, and
    the implied carbon price with its basis (the year's own, or levelised over a flat
    stretch of the target)."""
    em = r.emissions.set_index(["group", "year"])
    sc = r.shadow_carbon.dropna(subset=["year"]).set_index(["group", "year"])
    out = {}
    for g in d.groups:
        t = int(d.target_year.get(g, max(d.years)))
        if (g, t) not in em.index:
            continue
        row = em.loc[(g, t)]
        price = sc.loc[(g, t)] if (g, t) in sc.index else None
        short = em.loc[g]["shortfall_kt"]
        missed = [int(y) for y, v in short.items() if v > 1e-6]
        met = bool(row["shortfall_kt"] <= 1e-6)
        shown = None if price is None else _r(price["eur_per_t"], 1)
        basis = None if price is None else str(price["basis"])
        out[g] = {
            "city_name": city_name(g),
            "target_year": t,
            "baseline_kt": _r(row["baseline_kt"]),
            "emissions_kt": _r(row["emissions_kt"]),
            "target_kt": _r(row["target_kt"]),
            "met": met,
            "years_missed": missed,
            "carbon_price_eur_per_t": shown,
            "price_basis": basis,
            # why no price is shown (a city that misses its target in any year has none)
            "carbon_price_note": price_note(shown, basis, met, missed),
        }
    return out


def _missed_years(emissions: pd.DataFrame, group: str) -> list[int]:
    part = emissions[(emissions["group"] == group) & (emissions["shortfall_kt"] > 1e-6)]
    return [int(t) for t in part["year"]]


def summary(out: RunOutput) -> dict:
    """The run's key figures (``summary.json``)."""
    r, d, scn = out.result, out.data, out.scenario
    em = r.emissions
    counted = aggregate_groups(list(d.groups))
    total = (
        em[em["group"].isin(counted)]
        .groupby("year")[["emissions_kt", "target_kt", "baseline_kt"]]
        .sum(min_count=1)
    )
    # Prices only where a target binds and is met: in a year a target is missed the dual
    # echoes the shortfall penalty (left empty by extract()).
    sp = r.shadow_carbon.dropna(subset=["year", "eur_per_t"])
    price_max = sp.groupby("year")["eur_per_t"].max() if not sp.empty else pd.Series(dtype=float)
    budget_price = r.shadow_carbon[r.shadow_carbon["year"].isna()]
    missed = r.shadow_carbon[r.shadow_carbon["shortfall"].astype(bool)]
    inv = counted_investment(out).groupby(["instrument", "year"])["meur"].sum()
    quality = data_quality(out)
    sources = funding_sources()
    built = what_is_built(out)
    return {
        "scenario": scn.name,
        "description": scn.description,
        "status": r.status,
        "targets_met": r.feasible,
        "npv_meur": _r(r.npv_meur),
        "shortfall_penalty_meur": _r(r.penalty_meur),
        "perspective": scn.perspective,
        "discount_rate": scn.discount_rate,
        "gwp_set": scn.gwp,
        "grid_method": scn.grid_method,
        "grid_scenario": scn.grid_scenario,
        "data_quality": quality["label"],
        "data_quality_detail": quality,
        "cities": scn.cities,
        "city_names": {c: city_name(c) for c in scn.cities},
        "totals_exclude": sorted(set(d.groups) - set(counted)),
        "totals_note": totals_note(out),
        "emissions_kt": {int(y): _r(v) for y, v in total["emissions_kt"].items()},
        "target_kt": {int(y): _r(v) for y, v in total["target_kt"].items()},
        "baseline_kt": {int(y): _r(v) for y, v in total["baseline_kt"].items()},
        "by_group": {
            g: {
                "emissions_kt": {
                    int(t): _r(v) for t, v in part.set_index("year")["emissions_kt"].items()
                },
                "target_kt": {
                    int(t): _r(v) for t, v in part.set_index("year")["target_kt"].items()
                },
                "shortfall_kt": {
                    int(t): _r(v)
                    for t, v in part.set_index("year")["shortfall_kt"].items()
                    if v > 1e-6
                },
            }
            for g, part in em.groupby("group", sort=False)
        },
        "by_city_in_target_year": _target_year_table(r, d),
        "selected_projects": [
            {
                "project": p.project_id,
                "city": p.city,
                "archetype": p.archetype_id,
                "name": p.name,
                "theme": p.theme,
                "units": _r(p.units),
                "unit": p.unit,
                "indivisible": bool(built.at[p.project_id, "indivisible"]),
                "built": _r(built.at[p.project_id, "built"]),
                "in_service_at_peak": _r(built.at[p.project_id, "in_service"]),
                "what_is_built": built.at[p.project_id, "text"],
                "peak_share_of_maximum": _r(p.peak_share),
                "first_year": int(p.first_year),
                "capex_meur": _r(p.capex_meur),
            }
            for p in r.portfolio.itertuples()
        ],
        "investment_meur": {
            s: {int(y): _r(v) for (s2, y), v in inv.items() if s2 == s}
            for s in sorted({s for s, _ in inv.index})
        },
        "funding_sources": {
            s: {
                "name": str(sources.at[s, "name"]) if s in sources.index else s,
                "group": str(sources.at[s, "group"]) if s in sources.index else "Other",
            }
            for s in sorted({s for s, _ in inv.index})
        },
        "shadow_price_eur_per_t": {int(y): _r(v, 1) for y, v in price_max.items()},
        "shadow_price_basis": "highest implied carbon price across target groups, EUR per t "
        "CO2e in the year's money: the dual of the year's target undiscounted to the year; on a "
        "flat stretch of a target (the same cap in consecutive years) only the duals' "
        "discounted sum is determined, so each year of the stretch shows the levelised price "
        "over its binding years (carbon_price_flat_stretches); only years whose target is met "
        "(in a year a target is missed the dual only echoes the shortfall penalty), and only "
        "for groups that meet every yearly cap (where a group misses some years, the same "
        "projects and money serve several years, so its met years' duals carry part of the "
        "penalty too: basis 'shortfall elsewhere'); "
        "non-unique duals: the centre of the optimal set (interior point, see "
        "m100model/portfolio/solve.py)",
        "carbon_price_flat_stretches": {
            g: {
                basis.removeprefix("flat "): {
                    "eur_per_t": _r(grp["eur_per_t"].dropna().iloc[0], 1)
                    if grp["eur_per_t"].notna().any()
                    else None,
                    "binding_years": [int(y) for y in grp.loc[grp["binding"], "year"]],
                }
                for basis, grp in part.groupby("basis", sort=False)
                if basis.startswith("flat ")
            }
            for g, part in r.shadow_carbon.dropna(subset=["year"]).groupby("group", sort=False)
            if part["basis"].str.startswith("flat ").any()
        },
        "shadow_price_eur_per_t_by_group": {
            g: {int(y): _r(v, 1) for y, v in part.set_index("year")["eur_per_t"].items()}
            for g, part in sp.groupby("group", sort=False)
        },
        "shortfall_years_without_price": {
            g: sorted(int(y) for y in part["year"].dropna())
            for g, part in missed.groupby("group", sort=False)
        },
        "carbon_budget_price_eur_per_t": {
            b.group: (None if pd.isna(b.eur_per_t) else _r(b.eur_per_t, 1))
            for b in budget_price.itertuples()
        },
        "envelope_value_per_eur": _envelope_values(r.shadow_budget),
        "envelope_value_basis": "EUR of net present cost saved by one more EUR in the yearly "
        "envelope (instrument|city, city '*' for a national envelope), in the year's money; "
        "binding envelopes only",
        "stopped_on_limit": r.stats.get("limit") or None,
        "bundles": [
            {"bundle": b.bundle, "selected": bool(b.selected)} for b in r.bundles.itertuples()
        ],
        "tickets_used": [
            {"finance_group": t.finance_group, "instrument": t.instrument, "meur": _r(t.meur)}
            for t in r.tickets.itertuples()
            if t.used
        ],
        "diagnosis": [
            {
                **x,
                "city_name": city_name(x["group"]),
                **diagnosis_in_words(x, missed=_missed_years(em, x["group"])),
            }
            for x in r.diagnosis
        ],
        "solver": {k: _r(v, 4) if isinstance(v, float) else v for k, v in r.stats.items()},
    }


def iamc_table(out: RunOutput) -> pd.DataFrame:
    """Emissions, targets and investment in IAMC long form."""
    r, scn = out.result, out.scenario
    rows = []
    for e in r.emissions.itertuples():
        for var, val in (
            ("Emissions|CO2e|BASIC", e.emissions_kt),
            ("Emissions|CO2e|BASIC|Baseline", e.baseline_kt),
            ("Target|Emissions|CO2e|BASIC", e.target_kt),
        ):
            rows.append((MODEL_NAME, scn.name, e.group, var, "kt CO2e/yr", int(e.year), val))
    for w in r.wedges.itertuples():
        rows.append(
            (
                MODEL_NAME,
                scn.name,
                w.group,
                f"Abatement|CO2e|{w.theme_name}",
                "kt CO2e/yr",
                int(w.year),
                w.abated_kt,
            )
        )
    for i in r.investment.itertuples():
        rows.append(
            (
                MODEL_NAME,
                scn.name,
                i.city,
                f"Investment|{i.instrument}",
                "M EUR/yr",
                int(i.year),
                i.meur,
            )
        )
    return pd.DataFrame(rows, columns=IAMC_COLUMNS)


def _chart_block(chart: alt.TopLevelMixin, div: str) -> str:
    spec = json.dumps(chart.to_dict())
    return (
        f'<div id="{div}" class="chart"></div>\n<script>vegaEmbed("#{div}", {spec}, '
        '{"actions": false, "renderer": "svg"});</script>'
    )


def report_charts(out: RunOutput, quality: dict | None = None) -> dict[str, alt.TopLevelMixin]:
    from m100model import charts

    r = out.result
    name = out.scenario.name
    quality = quality or data_quality(out)
    tag = " (illustrative data)" if quality["illustrative"] else ""
    counted = aggregate_groups(list(out.data.groups))
    em = r.emissions[r.emissions["group"].isin(counted)]
    wedges = r.wedges[r.wedges["group"].isin(counted)]
    return {
        "pathway": charts.pathway_chart(em, wedges, f"{name}: emissions against the target{tag}"),
        "investment": charts.investment_chart(
            counted_investment(out), f"{name}: investment plan by funding source"
        ),
        "macc": charts.macc_chart(
            out.macc,
            f"{name}: marginal abatement cost of the candidates and what the optimum builds",
        ),
    }


def _e(v: object) -> str:
    return html.escape(str(v))


_NUMBER_CELL = re.compile(r"[-+\u2212]?[\d.,\s]*\d[\d.,\s]*%?|[-\u2013\u2014]?")


def _html_table(rows: list[list[str]], header: list[str], bold: set[int] | None = None) -> str:
    """A table of already escaped cells (``bold``: row numbers shown bold). Numbers (and a
    dash for none) are right-aligned, text left-aligned; a column's header follows its
    cells."""
    numeric = [
        all(_NUMBER_CELL.fullmatch(str(row[j]).strip()) for row in rows if j < len(row))
        for j in range(len(header))
    ]
    head = "".join(
        f'<th class="n">{h}</th>' if numeric[j] else f"<th>{h}</th>" for j, h in enumerate(header)
    )
    body = "".join(
        ("<tr class='b'>" if bold and i in bold else "<tr>")
        + "".join(
            f'<td class="n">{c}</td>' if _NUMBER_CELL.fullmatch(str(c).strip()) else f"<td>{c}</td>"
            for c in row
        )
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f'<table class="t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _quality_html(quality: dict) -> str:
    headline, _, rest = quality["label"].partition(": ")
    advice = (
        " Use the results to learn the method, not as a plan."
        if quality["illustrative"]
        else (
            " Check the cost rows flagged illustrative before using the plan."
            if quality["measures"].get("illustrative")
            else ""
        )
    )
    return (
        f'<p class="{"warn" if quality["illustrative"] else "note"}"><b>{_e(headline)}.</b> '
        f"{_e(rest[:1].upper() + rest[1:])}{_e(advice)}</p>"
    )


def _cities_html(info: dict) -> str:
    rows = []
    for c in info["by_city_in_target_year"].values():
        price = c["carbon_price_eur_per_t"]
        rows.append(
            [
                _e(c["city_name"]),
                str(c["target_year"]),
                f"{c['emissions_kt']:,.1f}",
                f"{c['target_kt']:,.1f}",
                "yes" if c["met"] else "no",
                NO_PRICE if price is None else f"{price:,.0f}",
                _e(c["carbon_price_note"]),
            ]
        )
    return _html_table(
        rows,
        [
            "City",
            "Target year",
            "Modelled (kt CO2e)",
            "Target (kt CO2e)",
            "Met",
            "Implied carbon price (EUR per t CO2e)",
            "Note",
        ],
    )


def _funding_html(out: RunOutput) -> str:
    inv = counted_investment(out)
    if inv.empty:
        return "<p>No investment.</p>"
    src = funding_sources()
    total_all = float(inv["meur"].sum())
    by = inv.groupby("instrument")["meur"].sum()
    rows, bold = [], set()
    for g in FUNDING_GROUP_ORDER:
        members = [s for s in by.index if s in src.index and src.at[s, "group"] == g]
        if not members:
            continue
        for s in sorted(members, key=lambda s: -by[s]):
            rows.append(
                [
                    _e(src.at[s, "name"]),
                    _e(src.at[s, "kind"]),
                    f"{by[s]:,.1f}",
                    f"{by[s] / total_all:.0%}",
                ]
            )
        sub = float(by[members].sum())
        bold.add(len(rows))
        rows.append([_e(f"{g}: total"), "", f"{sub:,.1f}", f"{sub / total_all:.0%}"])
    bold.add(len(rows))
    rows.append(["Total", "", f"{total_all:,.1f}", "100%"])
    return _html_table(
        rows, ["Funding source", "Type", f"{years_label(out)} (M EUR)", "Share"], bold
    )


def years_label(out: RunOutput) -> str:
    return f"{out.data.years[0]}-{out.data.years[-1]}"


def html_report(out: RunOutput, info: dict) -> str:
    """A self-contained HTML page for a city council (the Vega JavaScript is inlined: it
    works offline): names, not ids; carbon prices only where they mean something; the data
    quality as the data's own flags say."""
    from m100model.projects import THEME_NAMES

    r = out.result
    quality = info.get("data_quality_detail") or data_quality(out)
    blocks = "\n".join(
        _chart_block(c, f"chart-{k}") for k, c in report_charts(out, quality).items()
    )
    diag = "".join(
        f"<li><b>{_e(x['gap'])}</b><ul>"
        + "".join(f"<li>{_e(reason)}</li>" for reason in x["reasons"])
        + "</ul></li>"
        for x in (
            {**x, **diagnosis_in_words(x, n=6)} if "gap" not in x else x
            for x in info.get("diagnosis", r.diagnosis)
        )
    )
    top = r.portfolio.sort_values("capex_meur", ascending=False).head(25)
    built = what_is_built(out)
    table = _html_table(
        [
            [
                _e(city_name(p.city)),
                _e(project_label(p.project_id, p.name)),
                _e(THEME_NAMES.get(p.theme, p.theme)),
                _e(built.at[p.project_id, "text"]),
                f"{p.peak_share:.0%}",
                str(int(p.first_year)),
                f"{p.capex_meur:,.1f}",
            ]
            for p in top.itertuples()
        ],
        [
            "City",
            "Measure",
            "Theme",
            "What is built",
            "Share of the city's potential",
            "First in service",
            "Capital spending (M EUR)",
        ],
    )
    solver = info.get("solver", {})
    gap = solver.get("gap_meur")
    limit = (
        f'<p class="warn"><b>Stopped on the {html.escape(solver["limit"])}.</b> The solver '
        "did not finish its search: the plan "
        + (
            f"may cost up to {gap:,.1f} M EUR more than the best possible"
            if gap is not None and math.isfinite(gap)
            else "is not proven near the best possible"
        )
        + ". Raise <code>solver.time_limit</code> in the scenario to search longer.</p>"
        if solver.get("limit")
        else ""
    )
    counted_inv = counted_investment(out)
    total_inv = float(counted_inv["meur"].sum()) if len(counted_inv) else 0.0
    totals = f". {html.escape(info['totals_note'])}" if info.get("totals_note") else ""
    npv_scope = (
        " (the model's objective, every city's plan included)" if info.get("totals_note") else ""
    )
    bundle = vega_bundle()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>M100 scenario report: {html.escape(out.scenario.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}} .warn{{background:#fff4d6;border-left:4px solid #E69F00;padding:.6rem 1rem}}
.note{{background:#eef5fb;border-left:4px solid #0072B2;padding:.6rem 1rem}}
table.t{{border-collapse:collapse;font-size:.9rem;margin:.5rem 0 1.5rem}}
table.t td,table.t th{{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:left;
vertical-align:top}} table.t tr.b td{{font-weight:bold}} .chart{{margin:1.5rem 0}}
table.t td.n,table.t th.n{{text-align:right;font-variant-numeric:tabular-nums}}</style>
<script>{bundle}</script></head><body>
<h1>Scenario <code>{html.escape(out.scenario.name)}</code></h1>
<p>{html.escape(out.scenario.description)}</p>
{_quality_html(quality)}
{limit}
<ul><li>Status: <b>{html.escape(info["status"])}</b>; all targets met:
<b>{"yes" if info["targets_met"] else "no"}</b></li>
<li>Net present cost ({html.escape(info["perspective"])} perspective, discount rate
{info["discount_rate"]:.1%}): <b>{info["npv_meur"]:,.1f} M EUR</b>; negative means the
energy savings outweigh the costs{npv_scope}</li>
<li>Investment {years_label(out)}: <b>{total_inv:,.1f} M EUR</b> (money of each year; by
funding source below and in <code>investment_plan.xlsx</code>){totals}</li>
<li>Shortfall penalty (a price on missing the target that steers the model, not a cost
anyone pays): {info["shortfall_penalty_meur"]:,.1f} M EUR</li>
<li>Cities: {html.escape(", ".join(city_name(c) for c in info["cities"]))}</li></ul>
<h2>Each city in its target year</h2>
<p>The implied carbon price is what one more tonne cut would cost where the target binds. A
city that misses its target in any year has no meaningful price: it shows a dash.</p>
{_cities_html(info)}
{("<h2>Why targets are missed</h2><ul>" + diag + "</ul>") if diag else ""}
{blocks}
<h2>Funding sources</h2>{_funding_html(out)}
<h2>Largest projects in the optimal portfolio</h2>{table}
</body></html>"""


_BUNDLE_HEADER = "/* m100 Vega bundle: vl-convert {version}, sha256 {digest} */\n"
_BUNDLE_HEADER_RE = re.compile(r"/\* m100 Vega bundle: vl-convert (\S+), sha256 ([0-9a-f]{64}) \*/")


def _vl_convert_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vl-convert-python")
    except PackageNotFoundError:  # pragma: no cover - vl_convert from elsewhere
        import vl_convert as vlc

        return str(vlc.__version__)


def vega_bundle_path() -> Path:
    """The cache file of the Vega bundle for the installed vl-convert."""
    safe = re.sub(r"[^0-9A-Za-z.+-]", "_", _vl_convert_version())
    return cache_dir() / f"vega-bundle-vl-convert-{safe}.js"


def _read_bundle(path: Path, version: str) -> str | None:
    """The cached bundle, or None when the file is missing, empty, damaged or for another
    version: the header's checksum must match what follows it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first, sep, code = text.partition("\n")
    match = _BUNDLE_HEADER_RE.fullmatch(first)
    if not sep or not code or match is None or match.group(1) != version:
        return None
    if hashlib.sha256(code.encode("utf-8")).hexdigest() != match.group(2):
        return None
    return code


def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one JavaScript bundle (``vegaEmbed``), for pages that
    must work offline.

    vl-convert builds it from the copies it carries (nothing is fetched), which takes several
    seconds, so the result is kept in :func:`~m100model.io.cache_dir` under a name holding the
    vl-convert version, written atomically with a checksum header. A missing, empty or
    damaged cache file is rebuilt; when the cache folder cannot be written, the bundle is
    built every time.
    """
    version = _vl_convert_version()
    path = vega_bundle_path()
    code = _read_bundle(path, version)
    if code is None:
        check_renderer()
        import vl_convert as vlc

        code = vlc.javascript_bundle()
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        with contextlib.suppress(OSError):  # no writable cache: correct, only slower
            write_atomic(path, _BUNDLE_HEADER.format(version=version, digest=digest) + code)
    return code


# ---------------------------------------------------------------------------------------
# The investment plan as a finance officer reads it (Excel)
# ---------------------------------------------------------------------------------------
MONEY_FORMAT = '#,##0.0;-#,##0.0;"-"'  # one decimal, thousands separator, a dash for zero
KT_FORMAT = "#,##0.0"
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0%"
PRICE_FORMAT = "#,##0"
MONEY = "M EUR"
_HEADER_ROW = 3  # title in row 1, a note in row 2, the header in row 3
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unused Excel sheet name (31 characters, none of []:*?/\\)."""
    base = _SHEET_CHARS.sub(" ", str(name)).strip(" '")[:31] or "City"
    title, k = base, 2
    while title.lower() in {t.lower() for t in taken}:
        title = f"{base[: 31 - len(str(k)) - 1]} {k}"
        k += 1
    taken.add(title)
    return title


def plan_rows(
    investment: pd.DataFrame,
    years: list[int],
    sources: list[str],
    opex: pd.Series | None = None,
) -> pd.DataFrame:
    """The investment plan table: one row per funding source (``label`` its name, ``type``
    its kind) grouped into grants, loans and bonds, own funds and private capital, each
    group with its subtotal, then the total, then capital and operating spending; one column
    per year (M EUR) and ``total``. ``style`` says how a row is shown (item, subtotal,
    total, section, blank). ``opex``: operation and maintenance by year (M EUR)."""
    src = funding_sources()
    by = (
        investment.pivot_table(
            index="instrument", columns="year", values="meur", aggfunc="sum", fill_value=0.0
        )
        .reindex(index=sources, columns=years)
        .fillna(0.0)
    )
    rows: list[dict] = []

    def add(label, kind, values, style):
        values = [float(v) for v in values]
        rows.append(
            {"label": label, "type": kind, "style": style}
            | dict(zip(years, values, strict=True))
            | {"total": float(sum(values))}
        )

    groups = {s: (str(src.at[s, "group"]) if s in src.index else "Other") for s in sources}
    order = [*FUNDING_GROUP_ORDER, *sorted(set(groups.values()) - set(FUNDING_GROUP_ORDER))]
    for g in order:
        members = [s for s in sources if groups[s] == g]
        if not members:
            continue
        for s in members:
            name = str(src.at[s, "name"]) if s in src.index else s
            kind = str(src.at[s, "kind"]) if s in src.index else ""
            add(name, kind, by.loc[s], "item")
        add(f"{g}: total", "", by.loc[members].sum(), "subtotal")
    capex = by.sum()
    add("Total financing", "", capex, "total")
    add("", "", [0.0] * len(years), "blank")
    add("Spending by kind", "", [0.0] * len(years), "section")
    add("Capital spending (capex, with preparation; financed above)", "Capex", capex, "item")
    op = (opex if opex is not None else pd.Series(dtype=float)).reindex(years).fillna(0.0)
    add("Operation and maintenance (opex; paid by the owners)", "Opex", op, "item")
    add("Capex and opex", "", capex + op, "total")
    return pd.DataFrame(rows)


def _opex_by_year(out: RunOutput, cities: list[str] | None = None) -> pd.Series:
    """Operation and maintenance (M EUR) by year: each project's yearly opex per unit times
    its units in service (energy cost changes not included)."""
    dep, pr = out.result.deployment, out.data.projects
    if dep.empty:
        return pd.Series(dtype=float)
    if cities is not None:
        dep = dep[dep["city"].isin(cities)]
    cost = dep["active"] * dep["project_id"].map(pr["opex"]).fillna(0.0)
    return cost.groupby(dep["year"]).sum()


def _write_table(
    ws,
    body: pd.DataFrame,
    *,
    title: str,
    note: str = "",
    formats: dict | None = None,
    styles: list[str] | None = None,
    labels: int = 1,
    widths: dict | None = None,
) -> None:
    """Write ``body`` (its text neutralised) under a title and a note, with a bold header
    row, number formats by column, bold subtotal and total rows, frozen header row and
    label columns, and column widths that fit."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    body = neutralised(body)
    ws.cell(1, 1, neutralised(pd.DataFrame({"t": [title]}))["t"].iloc[0]).font = Font(
        bold=True, size=13
    )
    if note:
        c = ws.cell(2, 1, neutralised(pd.DataFrame({"t": [note]}))["t"].iloc[0])
        c.font = Font(italic=True, color="555555")
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    thin = Side(style="thin", color="808080")
    formats = formats or {}
    for j, col in enumerate(body.columns, start=1):
        c = ws.cell(_HEADER_ROW, j, str(col))
        c.font = Font(bold=True)
        c.fill = header_fill
        c.border = Border(bottom=thin)
        c.alignment = Alignment(
            wrap_text=True, vertical="top", horizontal="left" if j <= labels else "right"
        )
    for i, row in enumerate(body.itertuples(index=False), start=_HEADER_ROW + 1):
        style = styles[i - _HEADER_ROW - 1] if styles else "item"
        for j, (col, v) in enumerate(zip(body.columns, row, strict=True), start=1):
            if style in ("blank",) or (style == "section" and j > 1):
                continue
            if isinstance(v, float) and math.isnan(v):
                v = None
            c = ws.cell(i, j, v)
            fmt = formats.get(col)
            if callable(fmt):
                fmt = fmt(i - _HEADER_ROW - 1)
            if fmt and isinstance(v, int | float) and not isinstance(v, bool):
                c.number_format = fmt
            if style in ("subtotal", "total", "section"):
                c.font = Font(bold=True, italic=style == "section")
            if style == "total":
                c.fill = total_fill
                c.border = Border(top=thin)
            if isinstance(v, str) and (j > labels or len(v) > 58):
                c.alignment = Alignment(
                    horizontal="right" if v == NO_PRICE else "left",
                    wrap_text=len(v) > 58,
                    vertical="top",
                )
    ws.freeze_panes = ws.cell(_HEADER_ROW + 1, labels + 1).coordinate
    # widths: the longest shown text in the column (numbers as formatted), within bounds
    for j, col in enumerate(body.columns, start=1):
        fixed = (widths or {}).get(col)
        if fixed:
            width = fixed
        else:
            cells = [str(col)] + [
                (f"{v:,.1f}" if isinstance(v, float) else str(v))
                for v in body[col]
                if v is not None and not (isinstance(v, float) and math.isnan(v))
            ]
            width = min(60, max(8, max(len(t) for t in cells) + 2))
        ws.column_dimensions[get_column_letter(j)].width = width


def _plan_sheet(ws, table: pd.DataFrame, years: list[int], title: str, note: str) -> None:
    body = pd.DataFrame(
        {
            "Funding source": table["label"],
            "Type": table["type"],
            **{f"{y} ({MONEY})": table[y] for y in years},
            f"Total ({MONEY})": table["total"],
        }
    )
    money = {c: MONEY_FORMAT for c in body.columns[2:]}
    _write_table(
        ws,
        body,
        title=title,
        note=note,
        formats=money,
        styles=list(table["style"]),
        labels=2,
        widths={c: 13 for c in body.columns[2:-1]},
    )


def excel_plan(out: RunOutput, path: Path, info: dict | None = None) -> None:
    """The Climate City Contract investment plan as an Excel workbook a finance officer
    reads: a Read me, the plan of all cities and one per city (funding sources by name in
    rows grouped into grants, loans and bonds, own funds and private capital, with
    subtotals; years as columns through the horizon with totals; capital and operating
    spending), the projects, emissions against targets, carbon prices where they mean
    something, and the IAMC table. Money in M EUR; every text cell neutralised."""
    from openpyxl import Workbook

    r, d, scn = out.result, out.data, out.scenario
    info = info or summary(out)
    years = list(d.years)
    src = funding_sources()
    used = r.investment.groupby("instrument")["meur"].sum()  # every city's sheet's rows
    sources = [s for s in src.index if s in used.index and used[s] > 1e-9]
    sources += [s for s in used.index if s not in sources and used[s] > 1e-9]
    quality = info["data_quality_detail"]
    wb = Workbook()
    readme = wb.active
    readme.title = "Read me"
    taken = {"Read me", "Investment plan", "Portfolio", "Emissions", "Carbon prices", "IAMC"}
    city_sheets = {c: _sheet_title(city_name(c), taken) for c in scn.cities}
    span = f"{years[0]}-{years[-1]}"
    note = (
        f"M EUR per year, money of each year (not discounted), {span}. Funding sources as "
        "the model finances the capital spending; a dash is zero."
    )
    counted = aggregate_groups(list(d.groups))
    left_out = totals_note(out)
    _plan_sheet(
        wb.create_sheet("Investment plan"),
        plan_rows(counted_investment(out), years, sources, _opex_by_year(out, counted)),
        years,
        f"Investment plan, all cities: {scn.name}",
        f"{note} {left_out}".strip(),
    )
    for c, title in city_sheets.items():
        inv_c = r.investment[r.investment["city"] == c]
        _plan_sheet(
            wb.create_sheet(title),
            plan_rows(inv_c, years, sources, _opex_by_year(out, [c])),
            years,
            f"Investment plan, {city_name(c)}: {scn.name}",
            note if c in counted else f"{note} {left_out}",
        )
    _portfolio_sheet(wb.create_sheet("Portfolio"), out, info)
    _emissions_sheet(wb.create_sheet("Emissions"), out)
    _prices_sheet(wb.create_sheet("Carbon prices"), out, info)
    iamc = neutralised(iamc_table(out))
    ws = wb.create_sheet("IAMC")
    ws.append(list(iamc.columns))
    for row in iamc.itertuples(index=False):
        ws.append(list(row))
    ws.freeze_panes = "A2"
    _readme_sheet(readme, out, info, quality, city_sheets, sources)
    wb.save(path)


def _portfolio_sheet(ws, out: RunOutput, info: dict) -> None:
    from m100model.projects import THEME_NAMES

    pf = out.result.portfolio.sort_values(["city", "theme", "capex_meur"], ascending=[1, 1, 0])
    built = what_is_built(out)
    b = built.reindex(pf["project_id"])
    whole = [
        bool(v) or (u in COUNTABLE_UNITS) for v, u in zip(b["indivisible"], pf["unit"], strict=True)
    ]
    countable = [u in COUNTABLE_UNITS for u in pf["unit"]]
    body = pd.DataFrame(
        {
            "City": pf["city"].map(city_name).to_numpy(),
            "Measure": [
                project_label(i, n) for i, n in zip(pf["project_id"], pf["name"], strict=True)
            ],
            "Theme": pf["theme"].map(THEME_NAMES).to_numpy(),
            "What is built": b["text"].to_numpy(),
            "Built over the horizon": b["built"].to_numpy(),
            "In service at most": b["in_service"].to_numpy(),
            "Unit": pf["unit"].to_numpy(),
            "Share of the city's potential": pf["peak_share"].to_numpy(),
            "First in service": pf["first_year"].astype(int).to_numpy(),
            f"Capital spending ({MONEY})": pf["capex_meur"].to_numpy(),
        }
    )
    _write_table(
        ws,
        body,
        title="Projects in the least-cost portfolio",
        note="Built over the horizon includes replacements at the end of a unit's life; whole "
        "numbers for indivisible measures and countable items.",
        formats={
            "Built over the horizon": lambda i: COUNT_FORMAT if whole[i] else KT_FORMAT,
            "In service at most": lambda i: COUNT_FORMAT if countable[i] else KT_FORMAT,
            "Share of the city's potential": SHARE_FORMAT,
            "First in service": "0",
            f"Capital spending ({MONEY})": MONEY_FORMAT,
        },
        labels=2,
        widths={"What is built": 60},
    )


def _emissions_sheet(ws, out: RunOutput) -> None:
    em = out.result.emissions
    body = pd.DataFrame(
        {
            "City": em["group"].map(city_name).to_numpy(),
            "Year": em["year"].astype(int).to_numpy(),
            "Baseline (kt CO2e)": em["baseline_kt"].to_numpy(),
            "Modelled (kt CO2e)": em["emissions_kt"].to_numpy(),
            "Target (kt CO2e)": em["target_kt"].to_numpy(),
            "Shortfall (kt CO2e)": em["shortfall_kt"].to_numpy(),
        }
    )
    kt = {c: KT_FORMAT for c in body.columns[2:]}
    _write_table(
        ws,
        body,
        title="Emissions against the target (BASIC, kt CO2e per year)",
        note="Baseline: without new projects. Shortfall: how far the modelled emissions "
        "stay above the target.",
        formats=kt | {"Year": "0"},
        labels=2,
    )


def _prices_sheet(ws, out: RunOutput, info: dict) -> None:
    sc = out.result.shadow_carbon
    missed = {
        g: [int(y) for y, v in part["shortfall_kt"].items() if v > 1e-6]
        for g, part in out.result.emissions.set_index("year").groupby("group")
    }
    rows = []
    for e in sc.itertuples():
        price = None if pd.isna(e.eur_per_t) else float(e.eur_per_t)
        basis = str(e.basis)
        year = "carbon budget" if pd.isna(e.year) else int(e.year)
        rows.append(
            {
                "City": city_name(e.group),
                "Year": year,
                "Implied carbon price (EUR per t CO2e)": NO_PRICE if price is None else price,
                "Explanation": price_note(
                    price, basis, not bool(e.shortfall), missed.get(e.group, [])
                ),
            }
        )
    body = pd.DataFrame(
        rows, columns=["City", "Year", "Implied carbon price (EUR per t CO2e)", "Explanation"]
    )
    _write_table(
        ws,
        body,
        title="Implied carbon price of each yearly target (EUR per t CO2e, money of the year)",
        note="What one more tonne cut would cost where the target binds. A city that misses "
        "its target in any year has no meaningful price: a dash.",
        formats={"Implied carbon price (EUR per t CO2e)": PRICE_FORMAT, "Year": "0"},
        labels=2,
        widths={"Explanation": 80},
    )


def _readme_sheet(ws, out, info, quality, city_sheets, sources) -> None:
    scn = out.scenario
    src = funding_sources()
    lines: list[tuple[str, str]] = [
        ("Scenario", scn.name),
        ("Description", scn.description),
        ("Cities", ", ".join(city_name(c) for c in scn.cities)),
        ("Years", f"{scn.first_year}-{scn.horizon}"),
        (
            "Solver status",
            f"{info['status']}; all targets met: {'yes' if info['targets_met'] else 'no'}",
        ),
        ("Data quality", quality["label"]),
    ]
    for c, v in quality["inventories"].items():
        lines.append((f"Inventory of {city_name(c)}", v["label"]))
    if info.get("stopped_on_limit"):
        lines.append(
            (
                "Warning",
                f"the solver stopped on the {info['stopped_on_limit']}: the "
                "plan is not proven the least-cost one",
            )
        )
    lines += [
        ("", ""),
        ("Sheets", ""),
        ("Read me", "This sheet: what each sheet holds and how good the data are."),
        (
            "Investment plan",
            "All cities: money by funding source (rows, grouped into grants, "
            "loans and bonds, own funds and private capital, with subtotals) and year (columns, "
            "with a total), M EUR; then capital spending (capex) and operation and maintenance "
            "(opex) by year.",
        ),
    ]
    for c, title in city_sheets.items():
        lines.append(
            (
                title,
                f"The same plan for {city_name(c)} alone (national funding "
                "sources: the share the model gives this city).",
            )
        )
    lines += [
        (
            "Portfolio",
            "Each project the plan builds: what is built (whole numbers for "
            "indivisible measures; for programmes the total, years and yearly pace), its share "
            "of the city's potential, first year in service and capital spending.",
        ),
        (
            "Emissions",
            "Each city's emissions by year: baseline, modelled, target, shortfall (kt CO2e).",
        ),
        (
            "Carbon prices",
            "The implied carbon price of each yearly target (EUR per t CO2e), "
            "or a dash with the reason where it means nothing (a city that misses its target "
            "in any year).",
        ),
        ("IAMC", "The same results in the IAMC long format for other models (ids, not names)."),
        ("", ""),
        (
            "Units",
            "Money in M EUR (million euro) of each year, not discounted; emissions in "
            "kt CO2e (thousand tonnes). A dash in a money cell is zero.",
        ),
        (
            "Funding types",
            "Grants: money that is not paid back. Loans and bonds: borrowing "
            "the city repays with interest. Own funds: the city budget. Private capital: "
            "owners' money and commercial loans, and energy service companies (ESCO) repaid "
            "from savings.",
        ),
        ("", ""),
        ("Funding sources in this plan", ""),
    ]
    for s in sources:
        if s in src.index:
            full = str(src.at[s, "full_name"])
            lines.append(
                (
                    str(src.at[s, "name"]),
                    f"{src.at[s, 'kind']}. "
                    + (f"{full}. " if full != src.at[s, "name"] else "")
                    + str(src.at[s, "description"]),
                )
            )
    body = pd.DataFrame(lines, columns=["Item", "What it says"])
    _write_table(
        ws,
        body,
        title=f"M100 course kit: investment plan of {scn.name}",
        note="Results of a least-cost model for learning the method, not a council decision.",
        labels=1,
        widths={"Item": 32, "What it says": 110},
    )
    from openpyxl.styles import Alignment, Font

    for row in ws.iter_rows(min_row=_HEADER_ROW + 1):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        if row[0].value in ("Sheets", "Funding sources in this plan"):
            row[0].font = Font(bold=True)
        if row[0].value == "Data quality":
            row[1].font = Font(
                bold=quality["illustrative"], color="9C5700" if quality["illustrative"] else None
            )


def write_outputs(out: RunOutput, folder: Path) -> dict:
    """Fill a results folder; returns the summary."""
    info = summary(out)
    write_json(folder / "summary.json", info)
    (folder / "report.html").write_text(html_report(out, info), encoding="utf-8")
    excel_plan(out, folder / "investment_plan.xlsx", info)
    r = out.result
    write_csv(folder / "emissions.csv", r.emissions)
    write_csv(folder / "wedges.csv", r.wedges)
    write_csv(folder / "portfolio.csv", r.portfolio)
    write_csv(folder / "deployment.csv", r.deployment)
    write_csv(folder / "investment.csv", r.investment)
    write_csv(folder / "shadow_prices.csv", r.shadow_carbon)
    write_csv(folder / "budget_shadow_prices.csv", r.shadow_budget)
    write_csv(folder / "macc.csv", out.macc)
    write_csv(folder / "pathway_iamc.csv", iamc_table(out))
    return info
