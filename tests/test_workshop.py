"""The workshop simulation: choice files, merging, one round end to end, rounds kept."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from m100model.errors import InputError
from m100model.workshop import (
    ROLES,
    ProjectChoice,
    TeamChoice,
    WorkshopSession,
    co_benefits,
    plan_table,
    read_choice,
    write_choice,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "notebooks" / "workshop" / "example_session"


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("session") / "example"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("results"))
    return WorkshopSession(folder)


def test_roles_cover_the_simulation(session):
    assert len(ROLES) == 7
    remits = [a for r in ROLES.values() for a in r.remit]
    assert len(remits) == len(set(remits))  # each programme has one champion
    assert set(remits) <= set(session.archetypes)


def test_a_bad_choice_file_names_file_and_field(session, tmp_path):
    folder = tmp_path / "round_1"
    folder.mkdir()
    bad = folder / "finance.yaml"
    bad.write_text("team: finance\nround: 1\nfunding: [money_tree]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"finance.yaml, field 'funding.0': unknown instrument"):
        read_choice(bad, session.archetypes, session.instruments)
    bad.write_text(
        "team: finance\nround: 1\nprojects: [{archetype: teleporter}]\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"field 'projects.0.archetype'"):
        read_choice(bad, session.archetypes, session.instruments)
    bad.write_text("team: finance\nround: 2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"round 2 in the folder of round 1"):
        read_choice(bad, session.archetypes, session.instruments)
    bad.write_text("team: finance\nround: 1\ncolour: red\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"field 'colour': unknown field"):
        read_choice(bad, session.archetypes, session.instruments)
    bad.write_text(
        "team: finance\nround: 1\nprojects: [{archetype: en_led, share: 1.5}]\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"field 'projects.0.share'"):
        read_choice(bad, session.archetypes, session.instruments)


def test_choices_merge_to_the_largest_share_and_earliest_year(session):
    d = session.plan_solver.data
    a = TeamChoice(
        team="energy_utility",
        round=1,
        projects=[ProjectChoice(archetype="en_led", share=0.5, by=2035)],
    )
    b = TeamChoice(
        team="mayors_office",
        round=1,
        projects=[ProjectChoice(archetype="en_led", share=1.0, by=2040)],
    )
    plan = plan_table([a, b], d, session.target_year).set_index("archetype")
    assert plan.at["en_led", "share"] == 1.0
    assert plan.at["en_led", "by"] == 2035
    assert plan.at["en_led", "teams"] == "energy_utility, mayors_office"
    max_units = d.projects.at[plan.at["en_led", "project_id"], "max_units"]
    assert plan.at["en_led", "units"] == pytest.approx(max_units)
    # Too early for the lead time and build rate: moved, with a note.
    early = TeamChoice(
        team="energy_utility",
        round=1,
        projects=[ProjectChoice(archetype="en_dh_network", share=1.0, by=2026)],
    )
    plan = plan_table([early], d, session.target_year).set_index("archetype")
    assert plan.at["en_dh_network", "by"] > 2026
    assert "at the earliest" in plan.at["en_dh_network", "note"]


def test_round_two_of_the_example_is_financed_and_meets_the_target(session):
    out = session.run_round(2)
    assert out.financed
    assert out.figures["targets_met"]
    # Chosen programmes are built to their share and no more; others not at all.
    comp = out.comparison.set_index("archetype")
    chosen = comp[comp["chosen_share"] > 0]
    assert list(chosen["built_share"]) == pytest.approx(list(chosen["chosen_share"]), abs=1e-6)
    assert (comp.loc[comp["chosen_share"] == 0, "built_share"] <= 1e-6).all()
    # Only instruments someone applied to (and the shared budget) carry money.
    used = set(out.result.investment["instrument"])
    assert used <= set(out.funding)
    # The least-cost portfolio is no dearer than the teams' plan.
    assert out.least_cost_figures["npv_meur"] <= out.figures["npv_meur"] + 1e-6
    saved = json.loads((session.folder / "results" / "round_2.json").read_text())
    assert saved["financed"] is True
    assert saved["data_quality"] == "illustrative"


def test_round_one_of_the_example_is_over_budget(session):
    out = session.run_round(1)
    assert not out.financed
    assert any("costs more than" in w for w in out.warnings)
    # The teams' plan is still solved: as much as the money allows, capped at the choices.
    comp = out.comparison.set_index("archetype")
    assert (comp["built_share"] <= comp["chosen_share"] + 1e-6).all()
    history = session.history()
    assert list(history["round"]) == ["1", "2", "least cost"]


def test_shared_budget_caps_the_municipal_money(session):
    out = session.run_round(2, save=False)
    budget = out.result.investment[out.result.investment["instrument"] == "municipal_budget"]
    assert budget.groupby("year")["meur"].sum().max() <= 4.0 + 1e-6


def test_start_round_copies_choices_and_never_overwrites(session):
    folder = session.round_folder(3)
    mine = write_choice(
        folder,
        TeamChoice(team="finance", round=3, funding=["eib_loan"], note="ours"),
    )
    written = session.start_round(3)
    assert mine not in written
    assert len(written) == len(session.spec.teams) - 1
    kept = read_choice(mine, session.archetypes, session.instruments)
    assert kept.note == "ours"
    copied = read_choice(
        folder / "transport_operator.yaml", session.archetypes, session.instruments
    )
    assert copied.round == 3
    assert [p.archetype for p in copied.projects] == [
        "mob_ebus",
        "mob_parking_lez",
        "mob_private_ev",
    ]


def test_co_benefits_from_the_portfolio(session):
    free = session.least_cost()
    cb = co_benefits(free.portfolio)
    assert cb["jobs_job_years"] > 0
    assert cb["energy_poor_households"] >= 0


def test_a_year_asked_that_needs_building_faster_says_so(session):
    """By hand: a programme of U units at normal rate R from its earliest year e is ready in
    e + ceil(U / R) - 1; with the tiers up to c x R it is ready in e + ceil(U / (c R)) - 1.
    Asking for the fast year is kept, with a note on the mark-up; asking earlier still is
    moved to the fast year."""
    d = session.plan_solver.data
    assert d.rate_tiers, "the simulation runs with the soft build rate"
    c = 1 + sum(w for w, _ in d.rate_tiers)
    pr = d.projects
    checked = 0
    for a in sorted(set(pr["archetype_id"])):
        p = pr.index[pr["archetype_id"] == a][0]
        if pr.at[p, "indivisible"]:
            continue
        units, rate, e = (
            float(pr.at[p, "max_units"]),
            float(pr.at[p, "max_rate"]),
            int(pr.at[p, "earliest"]),
        )
        normal = e + math.ceil(units / rate - 1e-9) - 1
        fast = e + math.ceil(units / (c * rate) - 1e-9) - 1
        if not fast < normal <= d.years[-1]:
            continue
        checked += 1

        def row_for(year: int, a=a):
            ask = TeamChoice(
                team="energy_utility",
                round=1,
                projects=[ProjectChoice(archetype=a, share=1.0, by=year)],
            )
            return plan_table([ask], d, session.target_year).set_index("archetype").loc[a]

        row = row_for(fast)
        assert row["by"] == fast
        assert "faster than the normal rate" in row["note"]
        assert f"normal pace: {normal}" in row["note"]
        if fast > e:  # sooner still is moved to the fast year
            row = row_for(fast - 1)
            assert row["by"] == fast and "at the earliest" in row["note"]
        row = row_for(normal)  # at the normal pace: no note
        assert row["by"] == normal and row["note"] == ""
    # The simulation has programmes where building faster gains a year.
    assert checked > 0
