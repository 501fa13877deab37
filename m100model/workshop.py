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

from m100model.errors import InputError
from m100model.inputs import read_yaml
from m100model.io import write_csv, write_json
from m100model.portfolio.data import PortfolioData, assemble
from m100model.portfolio.results import PortfolioResult, extract
from m100model.portfolio.solve import PortfolioSolver
from m100model.projects import THEME_NAMES, load_archetypes, load_instruments
from m100model.scenario import Scenario, load_scenario
from m100model.tables import data_dir, display_path


@dataclass(frozen=True)
class Role:
    """A team's role in the simulation."""

    id: str
    name: str
    remit: tuple[str, ...]  # archetypes the role champions (others may still be chosen)
    interest: str


ROLES: dict[str, Role] = {
    r.id: r
    for r in (
        Role(
            "mayors_office",
            "Mayor's office",
            ("gov_energy_mgmt", "cir_landfill_gas"),
            "Deliver the Climate City Contract on time, within the budget, with public support.",
        ),
        Role(
            "finance",
            "Finance department",
            (),
            "Keep the city solvent: choose the funding instruments, meet co-financing shares.",
        ),
        Role(
            "architects_planners",
            "Architects and urban planners",
            ("bld_reno_dh", "bld_reno_gas", "bld_reno_public", "nbs_trees"),
            "Renovate the building stock well and make streets liveable.",
        ),
        Role(
            "energy_utility",
            "Energy utility",
            ("en_dh_network", "en_pv_public", "en_led", "bld_heat_pump"),
            "Keep heat and power reliable and affordable while the grid decarbonises.",
        ),
        Role(
            "transport_operator",
            "Public transport operator",
            ("mob_ebus", "mob_cycle", "mob_private_ev", "mob_parking_lez"),
            "Move people cleanly and reliably; renew the fleet.",
        ),
        Role(
            "citizens_ngos",
            "Citizens and NGOs",
            ("nbs_forest", "cir_compost", "gov_one_stop_shop"),
            "Fair, healthy, green neighbourhoods; help for energy-poor households.",
        ),
        Role(
            "local_smes",
            "Local SMEs",
            ("en_ind_efficiency", "bld_heat_pump_commercial", "en_pv_res"),
            "Lower energy bills, local jobs and contracts.",
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
        raise InputError(shown, "expected a mapping of fields")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        raise InputError(shown, msg, field=where) from None


def read_choice(path: str | Path, scenario_archetypes: list[str], instruments: list[str]):
    """Read and check one team's choice file (the team and round must match the file's name
    and folder; archetypes and instruments must be in the scenario)."""
    path = Path(path)
    choice = _read_yaml(path, TeamChoice)
    assert isinstance(choice, TeamChoice)
    shown = display_path(path)
    if choice.team != path.stem:
        raise InputError(shown, f"team '{choice.team}' in a file named {path.name}", field="team")
    if choice.team not in ROLES:
        raise InputError(
            shown, f"unknown team '{choice.team}' (expected one of: {', '.join(ROLES)})"
        )
    folder_round = path.parent.name.removeprefix("round_")
    if folder_round.isdigit() and int(folder_round) != choice.round:
        raise InputError(
            shown, f"round {choice.round} in the folder of round {folder_round}", field="round"
        )
    seen = set()
    for i, p in enumerate(choice.projects):
        if p.archetype not in scenario_archetypes:
            raise InputError(
                shown,
                f"'{p.archetype}' is not a candidate in this simulation (expected one of: "
                f"{', '.join(scenario_archetypes)})",
                field=f"projects.{i}.archetype",
            )
        if p.archetype in seen:
            raise InputError(shown, f"'{p.archetype}' chosen twice", field=f"projects.{i}")
        seen.add(p.archetype)
    for i, s in enumerate(choice.funding):
        if s not in instruments:
            raise InputError(
                shown,
                f"unknown instrument '{s}' (expected one of: {', '.join(instruments)})",
                field=f"funding.{i}",
            )
    return choice


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
            raise InputError(
                display_path(folder / "session.yaml"),
                f"unknown team '{t}' (expected one of: {', '.join(ROLES)})",
                field="teams",
            )
    path = Path(spec.scenario)
    if not path.is_absolute():
        path = data_dir().parent / path
    scenario = load_scenario(path)
    if len(scenario.cities) != 1 or scenario.phases != 1:
        raise InputError(
            display_path(path), "the simulation takes one city and phases: 1", field="cities"
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
    where the year asked needs building faster than the normal rate (at a mark-up)."""
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
            note = f"asked {asked}; lead time and build rate allow {by} at the earliest"
        elif ready(rate) > by:
            note = (
                f"ready by {by} only by building faster than the normal rate (at the normal "
                f"pace: {min(ready(rate), d.years[-1])}), at a mark-up on capex"
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

    def _why_not(self, plan: pd.DataFrame, funding: list[str]) -> str:
        """Why a plan cannot be built as chosen: money, or the programmes themselves."""
        shares = dict(zip(plan["project_id"], plan["share"], strict=True))
        missing = [
            f"{a.split(':')[-1]} needs {b.split(':')[-1]} at least as far along"
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
            return (
                "the plan cannot be financed in full with the instruments applied for and the "
                f"shared budget (applying also to {', '.join(more)} would do); the model built "
                "as much of it as the money allows"
            )
        if rich:
            return (
                "the plan costs more than every instrument and the shared budget can finance "
                "(grants and loans cover only a share of each project; the rest is the city's "
                "own money): choose less, later, or raise the shared budget; the model built "
                "as much of it as the money allows"
            )
        why = (
            "; ".join(missing)
            if missing
            else (
                "two programmes claim the same energy use (for example heat pumps and deep "
                "renovation both cut the same gas heating), or the build rate is too slow"
            )
        )
        return (
            f"the plan cannot be built as chosen, whatever the money: {why}; the model built "
            "what of it fits"
        )

    def run_round(self, n: int, *, save: bool = True) -> RoundOutcome:
        """Solve round ``n``'s outcome (and the least-cost portfolio beside it); with
        ``save``, write ``results/round_N.json`` and the tables as CSV."""
        choices, missing = self.read_round(n)
        warnings = [f"no choice file from team '{t}' in round {n}" for t in missing]
        d = self.plan_solver.data
        plan = plan_table(choices, d, self.target_year)
        warnings += [f"{r.archetype}: {r.note}" for r in plan.itertuples() if r.note]
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
