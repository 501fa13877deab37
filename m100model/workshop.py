"""The workshop simulation: teams with roles choose projects and financing in rounds under a
shared budget; the facilitator's notebook solves each round's outcome with the portfolio
model and keeps every round on disk.

A session is a folder::

    session.yaml            name, scenario, shared budget, the teams playing
    round_1/<team>.yaml     one choice file per team (so nothing is lost if a kernel restarts)
    round_2/<team>.yaml     ...
    results/round_1.json    the outcome of each round, written by the facilitator's notebook

A team's choice file::

    team: transport_operator
    round: 1
    projects:                      # programmes the team puts forward
      - {archetype: mob_ebus, share: 1.0, by: 2030}   # share of the city's maximum, ready by
      - {archetype: mob_cycle, share: 0.5}
    funding: [eib_loan, regional_programme]            # instruments the team applies to
    note: "Buses first: the depot is ready."

The outcome of a round: the programmes the teams chose are built to the chosen share by the
chosen year (the model picks the cheapest schedule before that and the financing from the
instruments some team applied to plus the shared municipal budget). If that cannot be
financed, the model builds as much of the plan as the money allows and says so. The
least-cost portfolio (the model choosing freely, all instruments open, same shared budget)
is solved beside it for comparison.

What a team or the facilitator reads (the role cards' names, the messages of a round, its
report, the tables shown in the room) is in English or Romanian (``lang="ro"``, or
``set_language("ro")`` in a Romanian notebook; see :mod:`m100model.i18n`). What is saved in
the session folder (``results/round_N.json``, the CSV tables) is data and stays English.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from m100model.errors import InputError, pydantic_message
from m100model.i18n import N_, _, check_language, language, number, tr, use_language
from m100model.inputs import read_yaml
from m100model.io import write_csv, write_json
from m100model.portfolio.data import PortfolioData, assemble
from m100model.portfolio.results import PortfolioResult, extract
from m100model.portfolio.solve import PortfolioSolver
from m100model.projects import THEME_NAMES, load_archetypes, load_instruments
from m100model.scenario import Scenario, load_scenario
from m100model.tables import data_dir, display_path


class Note(str):
    """A message for the room (a plan's note, a round's warning), kept as its English text,
    which is what is saved and compared, and as its template and values, so that
    :meth:`text` can give it in any language. A value may itself be a :class:`Note`, or a
    list of notes (joined with "; ")."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Note:
        with use_language("en"):
            english = template.format(**{k: _shown(v) for k, v in values.items()})
        note = super().__new__(cls, english)
        note.template = template
        note.values = values
        return note

    def __reduce__(self):  # pickled and copied as the note, not as a plain str
        return (_note, (self.template, self.values))

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (``None``: the current language)."""
        with use_language(lang):
            return tr(self.template).format(**{k: _shown(v) for k, v in self.values.items()})


def _note(template: str, values: dict[str, object]) -> Note:
    return Note(template, **values)


def _shown(value: object) -> str:
    """A value of a note in the current language."""
    if isinstance(value, Note):
        return value.text()
    if isinstance(value, list):
        return "; ".join(_shown(v) for v in value)
    return str(value)


def message(text: object, lang: str | None = None) -> str:
    """A round's warning or a plan's note in ``lang`` (a plain text as it is)."""
    return text.text(lang) if isinstance(text, Note) else str(text)


@dataclass(frozen=True)
class Role:
    """A team's role in the simulation (``name`` and ``interest`` in English;
    :meth:`name_in` and :meth:`interest_in` give them in a language)."""

    id: str
    name: str
    remit: tuple[str, ...]  # archetypes the role champions (others may still be chosen)
    interest: str

    def name_in(self, lang: str | None = None) -> str:
        """The role's name in ``lang`` (``None``: the current language)."""
        return tr(self.name, lang)

    def interest_in(self, lang: str | None = None) -> str:
        """What the role wants, in ``lang`` (``None``: the current language)."""
        return tr(self.interest, lang)

    def headline(self, round: int, lang: str | None = None) -> str:
        """ "Public transport operator, round 1: Move people cleanly ..." (the team
        notebook's first line)."""
        with use_language(lang):
            return _("{role}, round {round}: {interest}").format(
                role=self.name_in(), round=round, interest=self.interest_in()
            )


ROLES: dict[str, Role] = {
    r.id: r
    for r in (
        Role(
            "mayors_office",
            N_("Mayor's office"),
            ("gov_energy_mgmt", "cir_landfill_gas"),
            N_(
                "Deliver the Climate City Contract on time, within the budget, with public support."
            ),
        ),
        Role(
            "finance",
            N_("Finance department"),
            (),
            N_("Keep the city solvent: choose the funding instruments, meet co-financing shares."),
        ),
        Role(
            "architects_planners",
            N_("Architects and urban planners"),
            ("bld_reno_dh", "bld_reno_gas", "bld_reno_public", "nbs_trees"),
            N_("Renovate the building stock well and make streets liveable."),
        ),
        Role(
            "energy_utility",
            N_("Energy utility"),
            ("en_dh_network", "en_pv_public", "en_led", "bld_heat_pump"),
            N_("Keep heat and power reliable and affordable while the grid decarbonises."),
        ),
        Role(
            "transport_operator",
            N_("Public transport operator"),
            ("mob_ebus", "mob_cycle", "mob_private_ev", "mob_parking_lez"),
            N_("Move people cleanly and reliably; renew the fleet."),
        ),
        Role(
            "citizens_ngos",
            N_("Citizens and NGOs"),
            ("nbs_forest", "cir_compost", "gov_one_stop_shop"),
            N_("Fair, healthy, green neighbourhoods; help for energy-poor households."),
        ),
        Role(
            "local_smes",
            N_("Local SMEs"),
            ("en_ind_efficiency", "bld_heat_pump_commercial", "en_pv_res"),
            N_("Lower energy bills, local jobs and contracts."),
        ),
    )
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectChoice(_Strict):
    """One programme a team puts forward."""

    archetype: str = Field(min_length=1)
    share: float = Field(default=1.0, gt=0.0, le=1.0)
    by: int | None = Field(default=None, ge=2022, le=2100)


class TeamChoice(_Strict):
    """A team's choices in one round."""

    team: str = Field(min_length=1)
    round: int = Field(ge=1)
    projects: list[ProjectChoice] = Field(default_factory=list)
    funding: list[str] = Field(default_factory=list)
    note: str = ""


class SessionSpec(_Strict):
    """``session.yaml``."""

    name: str = Field(min_length=1)
    scenario: str = "notebooks/workshop/simulation.yaml"
    teams: list[str] = Field(default_factory=lambda: list(ROLES))
    shared_budget_meur_per_year: float | None = Field(default=None, ge=0)


def _read_yaml(path: Path, model: type[BaseModel]) -> BaseModel:
    shown = display_path(path)
    raw = read_yaml(path)  # one line for a folder, a pipe, a loop, bad UTF-8 or YAML
    if not isinstance(raw, dict):
        raise InputError(shown, _("expected a mapping of fields"))
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or _("(top level)")
        msg = _("unknown field") if err["type"] == "extra_forbidden" else pydantic_message(err)
        raise InputError(shown, msg, field=where) from None


def read_choice(path: str | Path, scenario_archetypes: list[str], instruments: list[str]):
    """Read and check one team's choice file (the team and round must match the file's name
    and folder; archetypes and instruments must be in the scenario). A mistake raises an
    :class:`~m100model.errors.InputError` naming the file and the field, in the current
    language."""
    path = Path(path)
    choice = _read_yaml(path, TeamChoice)
    assert isinstance(choice, TeamChoice)
    shown = display_path(path)
    if choice.team != path.stem:
        raise InputError(
            shown,
            _("team '{team}' in a file named {file}").format(team=choice.team, file=path.name),
            field="team",
        )
    if choice.team not in ROLES:
        raise InputError(shown, _unknown_team(choice.team))
    folder_round = path.parent.name.removeprefix("round_")
    if folder_round.isdigit() and int(folder_round) != choice.round:
        raise InputError(
            shown,
            _("round {round} in the folder of round {folder}").format(
                round=choice.round, folder=folder_round
            ),
            field="round",
        )
    seen = set()
    for i, p in enumerate(choice.projects):
        if p.archetype not in scenario_archetypes:
            raise InputError(
                shown,
                _(
                    "'{archetype}' is not a candidate in this simulation (expected one of: {known})"
                ).format(archetype=p.archetype, known=", ".join(scenario_archetypes)),
                field=f"projects.{i}.archetype",
            )
        if p.archetype in seen:
            raise InputError(
                shown,
                _("'{archetype}' chosen twice").format(archetype=p.archetype),
                field=f"projects.{i}",
            )
        seen.add(p.archetype)
    for i, s in enumerate(choice.funding):
        if s not in instruments:
            raise InputError(
                shown,
                _("unknown instrument '{instrument}' (expected one of: {known})").format(
                    instrument=s, known=", ".join(instruments)
                ),
                field=f"funding.{i}",
            )
    return choice


def _unknown_team(team: str) -> str:
    return _("unknown team '{team}' (expected one of: {known})").format(
        team=team, known=", ".join(ROLES)
    )


def write_choice(folder: str | Path, choice: TeamChoice) -> Path:
    """Write a team's choice file into ``folder`` (``<team>.yaml``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{choice.team}.yaml"
    raw = choice.model_dump(exclude_none=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def read_session_spec(folder: str | Path) -> tuple[SessionSpec, Scenario]:
    """A session's ``session.yaml`` and its scenario, checked (without building a model)."""
    folder = Path(folder)
    spec = _read_yaml(folder / "session.yaml", SessionSpec)
    assert isinstance(spec, SessionSpec)
    for t in spec.teams:
        if t not in ROLES:
            raise InputError(display_path(folder / "session.yaml"), _unknown_team(t), field="teams")
    path = Path(spec.scenario)
    if not path.is_absolute():
        path = data_dir().parent / path
    scenario = load_scenario(path)
    if len(scenario.cities) != 1 or scenario.phases != 1:
        raise InputError(
            display_path(path), _("the simulation takes one city and phases: 1"), field="cities"
        )
    return spec, scenario


def choice_options(scenario: Scenario) -> tuple[list[str], list[str]]:
    """The programmes (archetype ids) and funding instruments a team may choose from."""
    arch = load_archetypes()
    archetypes = list(arch.index) if scenario.archetypes == "all" else list(scenario.archetypes)
    inst = load_instruments()
    if scenario.instruments != "all":
        inst = inst.loc[scenario.instruments]
    money = inst[inst["prep_cost_coverage"].fillna(0) <= 0]
    enabled = [
        s
        for s in money.index
        if s not in scenario.instrument_overrides or scenario.instrument_overrides[s].enabled
    ]
    return archetypes, enabled


# ---------------------------------------------------------------------------------------
# Constraining the model to a plan
# ---------------------------------------------------------------------------------------
def plan_table(choices: list[TeamChoice], d: PortfolioData, target_year: int) -> pd.DataFrame:
    """The teams' choices merged into one plan: one row per programme, the largest share
    any team asked for, ready by the earliest year asked (or the target year), moved later
    where lead time and the fastest build rate do not allow it; ``note`` says so, and says
    where the year asked needs building faster than the normal rate (at a mark-up); a note
    is a :class:`Note` (English as a text, ``note.text("ro")`` in Romanian)."""
    arch = load_archetypes()
    rows: dict[str, dict] = {}
    for c in choices:
        for p in c.projects:
            r = rows.setdefault(
                p.archetype, dict(archetype=p.archetype, share=0.0, by=None, teams=[])
            )
            r["share"] = max(r["share"], p.share)
            if p.by is not None:
                r["by"] = p.by if r["by"] is None else min(r["by"], p.by)
            r["teams"].append(c.team)
    pr = d.projects
    out = []
    for a, r in rows.items():
        ids = pr.index[pr["archetype_id"] == a]
        if len(ids) != 1:
            raise ValueError(f"the simulation needs one project per archetype ({a}: {len(ids)})")
        p = ids[0]
        asked = r["by"] or target_year
        units = r["share"] * float(pr.at[p, "max_units"])
        indivisible = bool(pr.at[p, "indivisible"])
        rate = float(pr.at[p, "max_units"]) if indivisible else float(pr.at[p, "max_rate"])
        # Faster than the normal rate at a mark-up (soft build rate): up to `fastest`.
        fastest = rate if indivisible else rate * (1 + sum(w for w, _ in d.rate_tiers))

        def ready(pace: float, p=p, units=units) -> int:
            return int(pr.at[p, "earliest"]) + max(0, math.ceil(units / pace - 1e-9) - 1)

        by = min(max(asked, ready(fastest)), d.years[-1])
        if by > asked:
            note = Note(
                N_("asked {asked}; lead time and build rate allow {by} at the earliest"),
                asked=asked,
                by=by,
            )
        elif ready(rate) > by:
            note = Note(
                N_(
                    "ready by {by} only by building faster than the normal rate (at the normal "
                    "pace: {normal}), at a mark-up on capex"
                ),
                by=by,
                normal=min(ready(rate), d.years[-1]),
            )
        else:
            note = ""
        out.append(
            dict(
                archetype=a,
                project_id=p,
                name=arch.at[a, "name"],
                theme=THEME_NAMES[arch.at[a, "theme"]],
                teams=", ".join(r["teams"]),
                share=r["share"],
                units=units,
                unit=arch.at[a, "unit"],
                by=by,
                note=note,
            )
        )
    cols = ["archetype", "project_id", "name", "theme", "teams", "share", "units", "unit", "by"]
    return pd.DataFrame(out, columns=[*cols, "note"]).sort_values("archetype", ignore_index=True)


class PlanConstraint:
    """Bounds on a solver's active units that hold it to a plan, and their undoing
    (named bounds on the variable ``n``: no rebuild, no recompile)."""

    def __init__(self, solver: PortfolioSolver) -> None:
        self.solver = solver
        self.bounds = solver.model_bounds("n")

    def apply(self, plan: pd.DataFrame, *, floors: bool = True) -> None:
        """Cap every project at its planned units (0 if not in the plan) and, with
        ``floors``, require the planned units to be active in the ready-by year."""
        caps = dict(zip(plan["project_id"], plan["units"], strict=True))
        by = dict(zip(plan["project_id"], plan["by"], strict=True))
        lower, upper = {}, {}
        for (p, t), (lo, up) in self.bounds.items():
            upper[p, t] = min(up, caps.get(p, 0.0))
            lower[p, t] = caps[p] * (1 - 1e-9) if floors and p in by and t == by[p] else lo
        self.solver.bound("n", lower=lower, upper=upper)

    def reset(self) -> None:
        """Back to the free model."""
        self.solver.unbound("n")


# ---------------------------------------------------------------------------------------
# Co-benefits and key figures
# ---------------------------------------------------------------------------------------
def co_benefits(portfolio: pd.DataFrame) -> dict[str, float]:
    """Jobs (job-years, from spending and each archetype's jobs per M EUR) and energy-poor
    households reached (from units built), for a portfolio table of
    :class:`PortfolioResult`."""
    arch = load_archetypes()
    if portfolio.empty:
        return {"jobs_job_years": 0.0, "energy_poor_households": 0.0}
    a = portfolio["archetype_id"]
    jobs = float((portfolio["capex_meur"] * a.map(arch["jobs"])).sum())
    homes = float((portfolio["units"] * a.map(arch["energy_poor_households"])).sum())
    return {"jobs_job_years": jobs, "energy_poor_households": homes}


def key_figures(result: PortfolioResult, target_year: int) -> dict:
    """The numbers a round is judged by."""
    em = result.emissions.groupby("year")[["emissions_kt", "target_kt", "baseline_kt"]].sum()
    year = min(max(target_year, int(em.index.min())), int(em.index.max()))
    return {
        "status": result.status,
        # A run stopped by a time or iteration limit says so: its plan may not be the best.
        "stopped_on_limit": result.stats.get("limit") or None,
        "targets_met": result.feasible,
        "target_year": year,
        "emissions_kt": float(em.at[year, "emissions_kt"]),
        "target_kt": float(em.at[year, "target_kt"]),
        "baseline_kt": float(em.at[year, "baseline_kt"]),
        "shortfall_kt": float(result.emissions["shortfall_kt"].sum()),
        "npv_meur": float(result.npv_meur),
        "investment_meur": float(result.investment["meur"].sum()),
        "projects": len(result.portfolio),
        **co_benefits(result.portfolio),
    }


# ---------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------
@dataclass
class RoundOutcome:
    """The outcome of one round."""

    round: int
    plan: pd.DataFrame
    funding: list[str]
    financed: bool
    result: PortfolioResult
    least_cost: PortfolioResult
    comparison: pd.DataFrame
    figures: dict
    least_cost_figures: dict
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """The outcome as plain types (what ``results/round_N.json`` holds)."""

        def clean(v):
            if isinstance(v, float):
                return None if math.isnan(v) else round(v, 3)
            return v

        return {
            "round": self.round,
            "financed": self.financed,
            "funding": self.funding,
            "plan": {k: clean(v) for k, v in self.figures.items()},
            "least_cost": {k: clean(v) for k, v in self.least_cost_figures.items()},
            "programmes": [
                {k: clean(v) for k, v in row.items()} for row in self.comparison.to_dict("records")
            ],
            "warnings": self.warnings,
            "data_quality": "illustrative",
        }

    def messages(self, lang: str | None = None) -> list[str]:
        """The round's warnings in ``lang`` (``None``: the current language)."""
        return [message(w, lang) for w in self.warnings]

    def report(self, lang: str | None = None) -> str:
        """The outcome as the facilitator reads it out: financed or not, the key figures of
        the teams' plan beside the least-cost portfolio's, whether the target is met every
        year, and the notes, in ``lang`` (``None``: the current language)::

            Round 1: the plan can NOT be financed as chosen
                                         teams' plan   least-cost portfolio
              emissions 2035 (kt)             186.5          168.9   (target 168.9)
              ...
        """
        with use_language(lang):
            f, best = self.figures, self.least_cost_figures
            lines = [
                (
                    _("Round {round}: the plan can be financed as chosen")
                    if self.financed
                    else _("Round {round}: the plan can NOT be financed as chosen")
                ).format(round=self.round)
            ]
            rows = [
                (_("emissions {year} (kt)").format(year=f["target_year"]), "emissions_kt", 1),
                *((tr(FIGURE_LABELS[key]), key, nd) for key, nd in REPORT_FIGURES),
            ]
            plan_head, best_head = _("teams' plan"), _("least-cost portfolio")
            width = max(26, *(len(label) for label, _key, _nd in rows))
            # The layout of the facilitator's notebook: the teams' plan's column ends one
            # character before its heading does, the least-cost column nine before its own.
            left = max(10, len(plan_head) - 1)
            right = max(14, len(best_head) - 6)
            lines.append(" " * (width + left + 4 - len(plan_head)) + plan_head + "   " + best_head)
            for i, (label, key, nd) in enumerate(rows):
                line = (
                    f"  {label:{width}s} {number(f[key], f',.{nd}f'):>{left}} "
                    f"{number(best[key], f',.{nd}f'):>{right}}"
                )
                if i == 0:
                    target = _("(target {target})").format(target=number(f["target_kt"], ",.1f"))
                    line += "   " + target
                lines.append(line)
            lines.append(
                "  "
                + (
                    _("target met every year: yes")
                    if f["targets_met"]
                    else _("target met every year: no")
                )
            )
            lines += ["  " + _("note: {note}").format(note=m) for m in self.messages()]
            return "\n".join(lines)


class WorkshopSession:
    """A session folder, the two models it solves (the teams' plan and the least-cost
    portfolio), and its rounds.

    Parameters
    ----------
    folder
        The session folder (holding ``session.yaml``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.spec, self.scenario = read_session_spec(self.folder)
        spec = self.spec
        self.city = self.scenario.cities[0]
        self.target_year = int(self.scenario.target.year or 2030)
        data = assemble(self.scenario)
        self.plan_solver = PortfolioSolver(data, self.scenario.solver)
        self.free_solver = PortfolioSolver(copy.deepcopy(data), self.scenario.solver)
        self.instruments = list(data.instruments.index)
        self.archetypes = sorted(set(data.projects["archetype_id"]))
        self.budget_default = {
            (s, c): v for (s, c, _t), v in data.envelope.items() if s == "municipal_budget"
        }
        if spec.shared_budget_meur_per_year is not None:
            for solver in (self.plan_solver, self.free_solver):
                solver.set_envelope(
                    "municipal_budget", spec.shared_budget_meur_per_year, city=self.city
                )
        self.constraint = PlanConstraint(self.plan_solver)
        self._least_cost: PortfolioResult | None = None

    def describe(self, lang: str | None = None) -> str:
        """The session in four lines: its name, the city, target and shared budget, the
        teams, the rounds with choice files (in ``lang``; the name is the session's own)."""
        from m100model.cities import city_name

        with use_language(lang):
            budget = self.plan_solver.data.envelope[
                ("municipal_budget", self.city, self.scenario.first_year)
            ]
            return "\n".join(
                [
                    self.spec.name,
                    _(
                        "city {city}; target {reduction} below 2021 by {year}; shared municipal "
                        "budget {budget} M EUR per year"
                    ).format(
                        city=city_name(self.city),
                        reduction=number(self.scenario.target.reduction or 0.0, ".0%"),
                        year=self.target_year,
                        budget=number(budget, ",.1f"),
                    ),
                    _("teams: {teams}").format(teams=", ".join(self.spec.teams)),
                    _("rounds with choice files: {rounds}").format(rounds=self.rounds()),
                ]
            )

    def choices_table(self, n: int, lang: str | None = None) -> pd.DataFrame:
        """What each team chose in round ``n``, one row per team (index ``team``): the
        programmes (share, and the year asked), the instruments, the team's note; a team
        without a file says so. Column labels in ``lang``."""
        with use_language(lang):
            choices, missing = self.read_round(n)

            def programme(p: ProjectChoice) -> str:
                share = number(p.share, ".0%")
                if p.by:
                    return _("{programme} {share} by {year}").format(
                        programme=p.archetype, share=share, year=p.by
                    )
                return f"{p.archetype} {share}"

            team, programmes, funding, note = (
                tr(N_("team")),
                tr(N_("programmes")),
                tr(N_("funding")),
                tr(N_("note")),
            )
            rows = [
                {
                    team: c.team,
                    programmes: "; ".join(programme(p) for p in c.projects),
                    funding: ", ".join(c.funding),
                    note: c.note,
                }
                for c in choices
            ]
            rows += [{team: t, programmes: _("(no file)"), funding: "", note: ""} for t in missing]
            return pd.DataFrame(rows, columns=[team, programmes, funding, note]).set_index(team)

    def history_table(
        self, lang: str | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """:meth:`history` as the room reads it: one row per round (index ``round``, the
        least-cost portfolio last), ``columns`` (default :data:`HISTORY_COLUMNS`) labelled in
        ``lang``, yes and no for the flags."""
        table = self.history()
        table = table[["round", *(columns or HISTORY_COLUMNS)]]
        return display_table(table, lang).set_index(tr(COLUMN_LABELS["round"], lang))

    # -- files -----------------------------------------------------------------------------
    def round_folder(self, n: int) -> Path:
        return self.folder / f"round_{n}"

    def rounds(self) -> list[int]:
        """Rounds with a folder of choices, in order."""
        found = []
        for p in self.folder.glob("round_*"):
            suffix = p.name.removeprefix("round_")
            if p.is_dir() and suffix.isdigit():
                found.append(int(suffix))
        return sorted(found)

    def read_round(self, n: int) -> tuple[list[TeamChoice], list[str]]:
        """The teams' choices of round ``n`` and the teams whose file is missing."""
        folder = self.round_folder(n)
        choices, missing = [], []
        for team in self.spec.teams:
            path = folder / f"{team}.yaml"
            if path.exists():
                choices.append(read_choice(path, self.archetypes, self.instruments))
            else:
                missing.append(team)
        return choices, missing

    def start_round(self, n: int) -> list[Path]:
        """Create round ``n``'s folder with each team's file: a copy of its previous round's
        choices (or an empty choice), never overwriting a file a team already wrote."""
        folder = self.round_folder(n)
        folder.mkdir(parents=True, exist_ok=True)
        previous = self.round_folder(n - 1)
        written = []
        for team in self.spec.teams:
            if (folder / f"{team}.yaml").exists():
                continue
            old = previous / f"{team}.yaml"
            if old.exists():
                choice = read_choice(old, self.archetypes, self.instruments)
                choice = choice.model_copy(update={"round": n})
            else:
                choice = TeamChoice(team=team, round=n)
            written.append(write_choice(folder, choice))
        return written

    # -- solving ---------------------------------------------------------------------------
    def least_cost(self) -> PortfolioResult:
        """The least-cost portfolio: the model chooses freely, every instrument open."""
        if self._least_cost is None:
            self.free_solver.solve()
            self._least_cost = extract(self.free_solver)
        return self._least_cost

    def _open_instruments(self, funding: list[str]) -> None:
        for s in self.instruments:
            if s == "municipal_budget":
                continue
            keys = {c: v for (s2, c, _t), v in self.free_solver.data.envelope.items() if s2 == s}
            for c, default in keys.items():
                self.plan_solver.set_envelope(s, default if s in funding else 0.0, city=c)

    def _why_not(self, plan: pd.DataFrame, funding: list[str]) -> Note:
        """Why a plan cannot be built as chosen: money, or the programmes themselves."""
        shares = dict(zip(plan["project_id"], plan["share"], strict=True))
        missing = [
            Note(
                N_("{programme} needs {needed} at least as far along"),
                programme=a.split(":")[-1],
                needed=b.split(":")[-1],
            )
            for a, b in self.plan_solver.data.requires
            if a in shares and (not b or shares.get(b, 0.0) < shares[a] - 1e-9)
        ]
        budget = {
            c: v
            for (s, c, _t), v in self.plan_solver.data.envelope.items()
            if s == "municipal_budget"
        }
        self._open_instruments(self.instruments)
        open_all = self.plan_solver.solve().status == "optimal"
        for c, v in budget.items():
            self.plan_solver.set_envelope("municipal_budget", v * 100, city=c)
        rich = open_all or self.plan_solver.solve().status == "optimal"
        for c, v in budget.items():
            self.plan_solver.set_envelope("municipal_budget", v, city=c)
        self._open_instruments(funding)
        if open_all:
            more = [s for s in self.instruments if s not in funding]
            return Note(
                N_(
                    "the plan cannot be financed in full with the instruments applied for and "
                    "the shared budget (applying also to {instruments} would do); the model "
                    "built as much of it as the money allows"
                ),
                instruments=", ".join(more),
            )
        if rich:
            return Note(
                N_(
                    "the plan costs more than every instrument and the shared budget can "
                    "finance (grants and loans cover only a share of each project; the rest is "
                    "the city's own money): choose less, later, or raise the shared budget; the "
                    "model built as much of it as the money allows"
                )
            )
        why = missing or Note(
            N_(
                "two programmes claim the same energy use (for example heat pumps and deep "
                "renovation both cut the same gas heating), or the build rate is too slow"
            )
        )
        return Note(
            N_(
                "the plan cannot be built as chosen, whatever the money: {why}; the model "
                "built what of it fits"
            ),
            why=why,
        )

    def run_round(self, n: int, *, save: bool = True) -> RoundOutcome:
        """Solve round ``n``'s outcome (and the least-cost portfolio beside it); with
        ``save``, write ``results/round_N.json`` and the tables as CSV."""
        choices, missing = self.read_round(n)
        warnings: list[str] = [
            Note(N_("no choice file from team '{team}' in round {round}"), team=t, round=n)
            for t in missing
        ]
        d = self.plan_solver.data
        plan = plan_table(choices, d, self.target_year)
        warnings += [
            Note(N_("{programme}: {note}"), programme=r.archetype, note=r.note)
            for r in plan.itertuples()
            if r.note
        ]
        funding = sorted({s for c in choices for s in c.funding} | {"municipal_budget"})
        self._open_instruments(funding)
        self.constraint.reset()
        self.constraint.apply(plan, floors=True)
        stats = self.plan_solver.solve()
        financed = stats.status == "optimal"
        if not financed:
            warnings.append(self._why_not(plan, funding))
            self.constraint.apply(plan, floors=False)
            self.plan_solver.solve()
        result = extract(self.plan_solver)
        self.constraint.reset()
        free = self.least_cost()
        comparison = compare_portfolios(plan, result.portfolio, free.portfolio)
        outcome = RoundOutcome(
            round=n,
            plan=plan,
            funding=funding,
            financed=financed,
            result=result,
            least_cost=free,
            comparison=comparison,
            figures=key_figures(result, self.target_year),
            least_cost_figures=key_figures(free, self.target_year),
            warnings=warnings,
        )
        if save:
            self.save(outcome)
        return outcome

    # -- keeping rounds --------------------------------------------------------------------
    def save(self, outcome: RoundOutcome) -> Path:
        folder = self.folder / "results"
        folder.mkdir(parents=True, exist_ok=True)
        n = outcome.round
        write_json(folder / f"round_{n}.json", outcome.summary())
        write_csv(folder / f"round_{n}_emissions.csv", outcome.result.emissions)
        write_csv(folder / f"round_{n}_investment.csv", outcome.result.investment)
        write_csv(folder / f"round_{n}_programmes.csv", outcome.comparison)
        return folder / f"round_{n}.json"

    def history(self) -> pd.DataFrame:
        """One row per round solved so far (read back from ``results/``), the least-cost
        portfolio as the last row for comparison."""
        rows, last = [], None
        for path in sorted(
            (self.folder / "results").glob("round_*.json"),
            key=lambda p: int(p.stem.removeprefix("round_")),
        ):
            info = json.loads(path.read_text(encoding="utf-8"))
            rows.append({"round": str(info["round"]), "financed": info["financed"], **info["plan"]})
            last = info["least_cost"]
        if last is not None:
            rows.append({"round": "least cost", "financed": True, **last})
        cols = [
            "round",
            "financed",
            "targets_met",
            "emissions_kt",
            "target_kt",
            "shortfall_kt",
            "npv_meur",
            "investment_meur",
            "projects",
            "jobs_job_years",
            "energy_poor_households",
        ]
        return pd.DataFrame(rows).reindex(columns=cols)


def compare_portfolios(
    plan: pd.DataFrame, built: pd.DataFrame, least_cost: pd.DataFrame
) -> pd.DataFrame:
    """Per programme: the share the teams chose, the share built in their plan, and the
    share the least-cost portfolio builds (peak share of the city's maximum)."""
    arch = load_archetypes()
    chosen = plan.set_index("archetype")["share"]
    got = built.groupby("archetype_id")["peak_share"].max() if not built.empty else pd.Series()
    best = (
        least_cost.groupby("archetype_id")["peak_share"].max()
        if not least_cost.empty
        else pd.Series()
    )
    ids = sorted(set(chosen.index) | set(best.index[best > 1e-6]))
    return pd.DataFrame(
        {
            "archetype": ids,
            "name": [arch.at[a, "name"] for a in ids],
            "theme": [THEME_NAMES[arch.at[a, "theme"]] for a in ids],
            "chosen_share": [float(chosen.get(a, 0.0)) for a in ids],
            "built_share": [float(got.get(a, 0.0)) for a in ids],
            "least_cost_share": [float(best.get(a, 0.0)) for a in ids],
            "teams": [
                plan.set_index("archetype")["teams"].get(a, "") if a in chosen.index else ""
                for a in ids
            ],
        }
    )


# ---------------------------------------------------------------------------------------
# What the room reads
# ---------------------------------------------------------------------------------------
FIGURE_LABELS: dict[str, str] = {
    "emissions_kt": N_("emissions (kt)"),
    "target_kt": N_("target (kt)"),
    "baseline_kt": N_("baseline (kt)"),
    "shortfall_kt": N_("shortfall, all years (kt)"),
    "npv_meur": N_("net present cost (M EUR)"),
    "investment_meur": N_("investment (M EUR)"),
    "projects": N_("projects"),
    "jobs_job_years": N_("jobs (job-years)"),
    "energy_poor_households": N_("energy-poor households"),
    "targets_met": N_("target met every year"),
    "financed": N_("financed as chosen"),
}
"""Labels of the key figures of a round (:func:`key_figures`), translated with ``tr``."""

REPORT_FIGURES = (
    ("shortfall_kt", 1),
    ("npv_meur", 1),
    ("investment_meur", 1),
    ("jobs_job_years", 0),
    ("energy_poor_households", 0),
)
"""The figures of :meth:`RoundOutcome.report` after the emissions, with their decimals."""

HISTORY_COLUMNS = [
    "financed",
    "targets_met",
    "emissions_kt",
    "shortfall_kt",
    "npv_meur",
    "investment_meur",
    "jobs_job_years",
    "energy_poor_households",
]
"""The columns :meth:`WorkshopSession.history_table` shows by default."""

COLUMN_LABELS: dict[str, str] = {
    **FIGURE_LABELS,
    "round": N_("round"),
    "team": N_("team"),
    "role": N_("role"),
    "archetype": N_("programme id"),
    "project_id": N_("project"),
    "name": N_("programme"),
    "theme": N_("theme"),
    "teams": N_("teams"),
    "share": N_("share of the maximum"),
    "units": N_("units"),
    "unit": N_("unit"),
    "by": N_("ready by"),
    "note": N_("note"),
    "chosen_share": N_("chosen"),
    "built_share": N_("built"),
    "least_cost_share": N_("least-cost"),
}
"""Display labels of the columns of the workshop's tables (:func:`plan_table`,
:func:`compare_portfolios`, :meth:`WorkshopSession.history`), for :func:`display_table`."""

THEME_LABELS: dict[str, str] = {
    "mobility": N_("Sustainable mobility"),
    "buildings": N_("Built environment"),
    "energy": N_("Energy systems"),
    "nbs": N_("Nature-based solutions"),
    "circular": N_("Circular economy and waste"),
    "governance": N_("Governance and enablers"),
}
"""The themes' names (as :data:`m100model.projects.THEME_NAMES`), marked for translation."""

UNIT_LABELS: dict[str, str] = {
    "1000 PE": N_("1000 PE"),
    "1000 m2": N_("1000 m2"),
    "MWh/yr diesel replaced": N_("MWh/yr diesel replaced"),
    "MWh/yr saved": N_("MWh/yr saved"),
    "MWth": N_("MWth"),
    "bus": N_("bus"),
    "ha": N_("ha"),
    "household": N_("household"),
    "kWp": N_("kWp"),
    "kWth": N_("kWth"),
    "km": N_("km"),
    "luminaire": N_("luminaire"),
    "programme": N_("programme"),
    "t/yr capacity": N_("t/yr capacity"),
    "train": N_("train"),
    "tram": N_("tram"),
    "tree": N_("tree"),
    "vehicle": N_("vehicle"),
}
"""The programmes' units (``data/projects/archetypes.csv``), marked for translation."""

_ROUND_LABELS = {"least cost": N_("least cost")}


def theme_name(theme: str, lang: str | None = None) -> str:
    """A theme's name, from its id (``mobility``) or its English name (``Sustainable
    mobility``), in ``lang``."""
    key = next((k for k, name in THEME_NAMES.items() if name == theme), theme)
    return tr(THEME_LABELS[key], lang) if key in THEME_LABELS else theme


def programme_name(archetype: str, lang: str | None = None) -> str:
    """A programme's name in ``lang``: ``name`` or, in Romanian, ``name_ro`` of
    ``data/projects/archetypes.csv``."""
    arch = load_archetypes()
    code = check_language(lang) if lang is not None else language()
    column = "name_ro" if code == "ro" and "name_ro" in arch.columns else "name"
    name = arch.at[archetype, column] if archetype in arch.index else archetype
    return str(name) if isinstance(name, str) and name else str(arch.at[archetype, "name"])


def unit_name(unit: str, lang: str | None = None) -> str:
    """A programme's unit ("bus", "household", "kWp") in ``lang``."""
    return tr(UNIT_LABELS[unit], lang) if unit in UNIT_LABELS else unit


def display_table(table: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A copy of one of the workshop's tables as the room reads it, in ``lang``: columns
    under their labels (:data:`COLUMN_LABELS`), programme and theme names, units, notes and
    the least-cost round in the language, flags as yes and no. Ids (programmes, teams,
    instruments) and numbers stay as they are."""
    with use_language(lang):
        out = table.copy()
        yes, no = _("yes"), _("no")
        if "name" in out.columns and "archetype" in out.columns:
            out["name"] = [programme_name(a) for a in out["archetype"]]
        if "theme" in out.columns:
            out["theme"] = [theme_name(t) for t in out["theme"]]
        if "unit" in out.columns:
            out["unit"] = [unit_name(u) for u in out["unit"]]
        if "note" in out.columns:
            out["note"] = [message(n) if n else "" for n in out["note"]]
        if "round" in out.columns:
            out["round"] = [tr(_ROUND_LABELS.get(r, "")) or r for r in out["round"]]
        for flag in ("financed", "targets_met"):
            if flag in out.columns:
                out[flag] = ["" if v is None or v != v else (yes if v else no) for v in out[flag]]
        return out.rename(
            columns={c: tr(COLUMN_LABELS[c]) for c in out.columns if c in COLUMN_LABELS}
        )


def roles_table(lang: str | None = None) -> pd.DataFrame:
    """The teams and what they champion (index ``team``): the role, the programmes it
    champions, what it wants, in ``lang``."""
    with use_language(lang):
        team, role, champions, wants = (
            tr(N_("team")),
            tr(N_("role")),
            tr(N_("champions")),
            tr(N_("wants")),
        )
        return pd.DataFrame(
            [
                {
                    team: r.id,
                    role: r.name_in(),
                    champions: ", ".join(r.remit) or _("(funding instruments)"),
                    wants: r.interest_in(),
                }
                for r in ROLES.values()
            ]
        ).set_index(team)


def programme_menu(data: PortfolioData, discount_rate: float, lang: str | None = None):
    """The team notebook's menu, one row per programme (index: its id): name, theme, the
    city's maximum, the cost of one unit (EUR), the lead time (years) and a first cost per
    tonne of CO2e avoided (levelised, in its first possible year), labelled in ``lang``. A
    pandas ``Styler`` with the money columns written without decimals (in the language's
    notation)."""
    from m100model.analysis.macc import macc

    with use_language(lang):
        curve = macc(data, discount_rate).set_index("archetype_id")
        first = data.years[0] + 2
        pr = data.projects
        labels = {
            "programme": tr(N_("programme")),
            "theme": tr(N_("theme")),
            "maximum": tr(N_("maximum")),
            "cost": tr(N_("cost per unit (EUR)")),
            "lead": tr(N_("lead time (years)")),
            "per_t": tr(N_("EUR per t CO2e")),
        }
        menu = pd.DataFrame(
            {
                labels["programme"]: [programme_name(a) for a in pr["archetype_id"]],
                labels["theme"]: [theme_name(t) for t in pr["theme"]],
                labels["maximum"]: [
                    f"{number(u, ',.0f')} {unit_name(unit)}"
                    for u, unit in pr[["max_units", "unit"]].itertuples(index=False)
                ],
                labels["cost"]: (data.capex[first] * 1e6).round(-1).to_numpy(),
                labels["lead"]: pr["lead"].to_numpy(),
                labels["per_t"]: [
                    curve["cost_eur_per_t"].get(a, float("nan")) for a in pr["archetype_id"]
                ],
            },
            index=pr["archetype_id"].to_numpy(),
        )
        menu.index.name = tr(N_("id"))
        lang_now = language()  # the numbers are written when the table is shown

        def money(v: float) -> str:
            return "" if v != v else number(v, ",.0f", lang_now)

        return menu.style.format({labels["cost"]: money, labels["per_t"]: money})
