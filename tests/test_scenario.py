"""Scenario files: validation with clear errors, and `m100 run` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from m100model.cli import app
from m100model.errors import InputError
from m100model.scenario import load_scenario, resolve_path
from m100model.tables import data_dir

runner = CliRunner()
SCENARIOS = data_dir() / "scenarios"

SMALL = """
name: small
cities: [resita]
first_year: 2025
horizon: 2032
target: {kind: reduction, year: 2032, reduction: 0.1}
archetypes: [en_led, en_pv_public, bld_reno_public, gov_energy_mgmt]
indivisible: false
tickets: false
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenarios_validate(path):
    scn = load_scenario(path)
    assert scn.name == path.stem
    for city in scn.cities:
        assert scn.inventory_path(city).exists()


BAD = [
    ("name: x\ncities: [gotham]\n", "cities", "unknown city 'gotham'"),
    (
        "name: x\ncities: [resita]\ntarget: {reduction: 1.5}\n",
        "target.reduction",
        "expected a number <= 1.0, got 1.5",
    ),
    (
        "name: x\ncities: [resita]\ninstruments: [money_tree]\n",
        "instruments",
        "unknown instrument 'money_tree'",
    ),
    (
        "name: x\ncities: [resita]\narchetypes: [teleporter]\n",
        "archetypes",
        "unknown archetype 'teleporter'",
    ),
    ("name: x\ncities: [resita]\ncolour: blue\n", "colour", "unknown field"),
    ("cities: [resita]\n", "name", "missing (required)"),
    (
        "name: x\ncities: [resita]\nhorizon: 2020\n",
        "horizon",
        "expected a number >= 2023, got 2020",
    ),
    (
        "name: x\ncities: [resita]\nfirst_year: 2030\nhorizon: 2028\n",
        "horizon",
        "must come after first_year",
    ),
    (
        "name: x\ncities: [resita]\nbundles: [{id: b, archetypes: [en_led], cities: [oradea]}]\n",
        "bundles",
        "names city 'oradea', which is not in cities",
    ),
    ("name: x\ncities: [resita]\ntarget: {kind: custom}\n", "target", "custom target needs points"),
    ("name: x\ncities: [resita, resita]\n", "cities", "listed twice"),
    (
        "name: x\ncities: [resita]\ndiscount_rate: abc\n",
        "discount_rate",
        "expected a number, got 'abc'",
    ),
    (
        "name: x\ncities: [resita]\nfirst_year: soon\n",
        "first_year",
        "expected a whole number, got 'soon'",
    ),
    # the name becomes results/<name>: it must not lead out of results/
    ("name: ../../x\ncities: [resita]\n", "name", "plain name for the results folder"),
    ("name: /tmp/x\ncities: [resita]\n", "name", "plain name for the results folder"),
    ("name: ..\ncities: [resita]\n", "name", "plain name for the results folder"),
    ("name: 'a\\\\b'\ncities: [resita]\n", "name", "plain name for the results folder"),
]


@pytest.mark.parametrize(("text", "field", "words"), BAD)
def test_bad_scenarios_name_the_field(tmp_path, text, field, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.field == field, str(info.value)
    assert words in info.value.message
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert f"field '{field}'" in result.stderr and "s.yaml" in result.stderr
    assert "\n" not in result.stderr.strip()
    assert not out.exists()


def test_not_yaml(tmp_path):
    path = write(tmp_path, "name: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_scenario(path)


def test_not_a_mapping(tmp_path):
    with pytest.raises(InputError, match="expected a mapping"):
        load_scenario(write(tmp_path, "- just\n- a list\n"))


def test_run_small_scenario_end_to_end(tmp_path):
    path = write(tmp_path, SMALL)
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "Illustrative data" in result.stdout
    files = {p.name for p in out.iterdir()}
    assert {
        "summary.json",
        "report.html",
        "investment_plan.xlsx",
        "emissions.csv",
        "portfolio.csv",
        "investment.csv",
        "shadow_prices.csv",
        "macc.csv",
        "pathway_iamc.csv",
    } <= files
    info = json.loads((out / "summary.json").read_text())
    for key in (
        "status",
        "npv_meur",
        "emissions_kt",
        "target_kt",
        "selected_projects",
        "investment_meur",
        "shadow_price_eur_per_t",
    ):
        assert key in info
    assert info["status"] == "optimal"
    assert info["targets_met"] is True
    years = sorted(int(y) for y in info["emissions_kt"])
    assert years == list(range(2025, 2033))
    for y in years:  # emissions never exceed the target where the scenario is feasible
        assert info["emissions_kt"][str(y)] <= info["target_kt"][str(y)] + 1e-6
    # Each city in its target year, met or not, with the price the shadow_prices.csv holds.
    [(city, c)] = info["by_city_in_target_year"].items()
    assert c["target_year"] == 2032 and c["met"] is True and c["years_missed"] == []
    assert c["emissions_kt"] <= c["target_kt"] + 1e-6
    prices = pd.read_csv(out / "shadow_prices.csv")
    row = prices[(prices["group"] == city) & (prices["year"] == 2032)].iloc[0]
    assert c["carbon_price_eur_per_t"] == pytest.approx(row["eur_per_t"], abs=0.05)
    assert c["price_basis"] == row["basis"]
    assert "Each city in its target year" in result.stdout
    # Envelope values: only binding ones, each the value the budget_shadow_prices.csv holds.
    env = pd.read_csv(out / "budget_shadow_prices.csv")
    for key, by_year in info["envelope_value_per_eur"].items():
        s, c_ = key.split("|")
        for y, v in by_year.items():
            hit = env[(env["instrument"] == s) & (env["city"] == c_) & (env["year"] == int(y))]
            assert abs(v) >= 1e-6 and v == pytest.approx(hit["value_per_eur"].iloc[0], abs=1e-4)
    # Investment by source sums to the portfolio's spending.
    invested = sum(sum(v.values()) for v in info["investment_meur"].values())
    spent = sum(p["capex_meur"] for p in info["selected_projects"])
    # (each figure rounded to 0.001 in summary.json)
    n = len(info["selected_projects"]) + sum(len(v) for v in info["investment_meur"].values())
    assert invested == pytest.approx(spent, rel=1e-6, abs=5e-4 * n)
    # The report works offline: the Vega JavaScript is inlined, nothing is fetched.
    page = (out / "report.html").read_text()
    assert "cdn.jsdelivr" not in page and "<script src=" not in page
    assert "Illustrative data" in page
    wb = openpyxl.load_workbook(out / "investment_plan.xlsx", read_only=True)
    assert "Investment plan" in wb.sheetnames
    # A second run refuses to overwrite without --force.
    again = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert again.exit_code == 2 and "use --force" in again.stderr


def test_unreachable_target_gives_a_diagnosis(tmp_path):
    text = SMALL.replace("reduction: 0.1}", "reduction: 0.95}")
    out = tmp_path / "res"
    result = runner.invoke(app, ["run", str(write(tmp_path, text)), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    info = json.loads((out / "summary.json").read_text())
    assert info["status"] == "optimal" and info["targets_met"] is False
    [diag] = info["diagnosis"]
    assert diag["group"] == "resita" and diag["worst_shortfall_kt"] > 0
    assert set(diag["projects_at_maximum"]) <= {
        "en_led",
        "en_pv_public",
        "bld_reno_public",
        "gov_energy_mgmt",
    }
    # ... and names the kinds of real-world limit that hold it back, also on the CLI line
    kinds = {"physical potential", "build rate", "lead time", "money"}
    assert diag["limits"] and set(diag["limits"]) <= kinds
    assert "Short" in result.stdout and "held back by" in result.stdout


def _small(**changes):
    from m100model.scenario import Scenario

    base = dict(
        name="t",
        cities=["resita"],
        first_year=2025,
        horizon=2032,
        archetypes=["en_led", "en_pv_public", "bld_reno_public", "gov_energy_mgmt"],
        indivisible=False,
        tickets=False,
        target={"kind": "reduction", "year": 2032, "reduction": 0.1},
    )
    base.update(changes)
    return Scenario(**base)


def test_carbon_budget_target():
    from m100model.report import run_scenario

    free = run_scenario(_small(target={"kind": "reduction", "year": 2032, "reduction": 0.0}))
    # Projects that pay for themselves are built anyway: a budget 0.5 kt below what the
    # unconstrained optimum emits over the period must bind.
    budget = free.result.emissions["emissions_kt"].sum() - 0.5
    out = run_scenario(_small(target={"kind": "budget", "budget_kt": budget}))
    em = out.result.emissions
    assert out.result.feasible
    assert em["emissions_kt"].sum() <= budget + 1e-6
    # The budget binds: its shadow price is positive and reported once for the group.
    prices = out.result.shadow_carbon
    assert len(prices) == 1 and prices["eur_per_t"].iloc[0] > 0


def test_cluster_burden_sharing_is_no_dearer_than_city_targets():
    from m100model.report import run_scenario

    cities = ["resita", "alba_iulia"]
    target = {"kind": "reduction", "year": 2032, "reduction": 0.1}
    each = run_scenario(_small(cities=cities, target=target))
    shared = run_scenario(
        _small(
            cities=cities,
            target={**target, "scope": "cluster", "clusters": {"west_centre": cities}},
        )
    )
    # The cluster cap is the sum of the city caps: sharing the burden can only help.
    assert shared.result.npv_meur <= each.result.npv_meur + 1e-6
    totals = shared.result.emissions
    assert list(totals["group"].unique()) == ["west_centre"]
    assert (totals["emissions_kt"] <= totals["target_kt"] + 1e-6).all()


def test_changing_the_discount_rate_equals_a_fresh_build():
    # The discount rate also changes the finance cost of loans and bonds.
    from m100model.portfolio.data import assemble
    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import load_scenario

    scn = load_scenario(SCENARIOS / "workshop.yaml")
    solver = PortfolioSolver(assemble(scn))
    solver.solve(duals=False)
    solver.set_discount_rate(0.06)
    solver.solve(duals=False)
    fresh = PortfolioSolver(assemble(scn.model_copy(update={"discount_rate": 0.06})))
    fresh.solve(duals=False)
    assert solver.stats.objective == pytest.approx(fresh.stats.objective, rel=1e-7, abs=1e-6)


def test_perspective_switch_on_the_command_line(tmp_path):
    """`m100 run --perspective society` solves the same scenario with all costs and all
    payers. With the city budget nearly empty (1 EUR per person a year), owners' capital pays
    for what owners own (rooftop PV on business roofs, owner `private`) and never for the
    city's street lights: it pays at most what the business PV costs. The city perspective
    has no owners' capital at all. Results go to a folder named after the perspective."""
    text = (
        SMALL.replace(
            "archetypes: [en_led, en_pv_public, bld_reno_public, gov_energy_mgmt]",
            "archetypes: [en_led, en_pv_business]",
        ).replace("reduction: 0.1}", "reduction: 0.15}")
        + "instruments: [municipal_budget, private_capital]\n"
        + "instrument_overrides: {municipal_budget: {envelope_per_capita: 1}}\n"
    )
    path = write(tmp_path, text)
    runs = {}
    for perspective in ("city", "society"):
        out = tmp_path / perspective
        result = runner.invoke(
            app, ["run", str(path), "--out", str(out), "--perspective", perspective]
        )
        assert result.exit_code == 0, result.stderr
        runs[perspective] = json.loads((out / "summary.json").read_text())
    assert runs["city"]["perspective"] == "city"
    assert runs["society"]["perspective"] == "society"
    assert runs["society"]["scenario"] == "small_society"
    assert "private_capital" not in runs["city"]["investment_meur"]
    inv = pd.read_csv(tmp_path / "society" / "investment.csv")
    private = inv.loc[inv["instrument"] == "private_capital", "meur"].sum()
    portfolio = pd.read_csv(tmp_path / "society" / "portfolio.csv")
    business_pv = portfolio.loc[portfolio["archetype_id"] == "en_pv_business", "capex_meur"]
    assert private > 0
    assert private <= business_pv.sum() * (1 + 1e-6) + 1e-6


def test_out_path_is_normalised_before_the_existence_check(tmp_path, monkeypatch):
    """`--out missing/../v` names the folder `v`: an existing `v` is refused without
    --force (it was emptied), and nothing named `missing` is created."""
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, SMALL)
    keep = tmp_path / "v"
    keep.mkdir()
    (keep / "precious.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--out", "missing/../v"])
    assert result.exit_code == 2 and "use --force" in result.stderr
    assert (keep / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "missing").exists()


def test_a_path_in_a_scenario_resolves_next_to_it_first_then_in_the_kit(tmp_path):
    """A relative path in a scenario is read next to the scenario file when a file is there
    (the analyst's own data), else from the kit's bundled data (``data/...``); absolute
    paths stay as written; a path that is in neither place names the scenario's folder."""
    bundled = "data/inventories/suceava_2021.csv"
    assert resolve_path(bundled, tmp_path) == data_dir().parent / bundled
    own = tmp_path / "data" / "inventories" / "suceava_2021.csv"
    own.parent.mkdir(parents=True)
    own.write_text("city\n", encoding="utf-8")
    assert resolve_path(bundled, tmp_path) == own  # the scenario's own file wins
    assert resolve_path(str(own), None) == own
    assert resolve_path("nosuch.csv", tmp_path) == tmp_path / "nosuch.csv"
    # a scenario in another folder that names the bundled inventory reads it
    (tmp_path / "elsewhere").mkdir()
    path = write(
        tmp_path / "elsewhere",
        "name: x\ncities: [suceava]\ninventories: {suceava: data/inventories/suceava_2021.csv}\n",
    )
    scn = load_scenario(path)
    assert Path(scn.inventories["suceava"]) == data_dir().parent / bundled
