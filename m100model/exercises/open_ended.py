"""Open exercises: a learner designs a portfolio, any valid design is accepted, and it is
scored against the optimum.

Portfolio exercises (``mob-3``, ``bld-3``, ``en-3``, ``circ-3``, ``gov-3``) take the units of
each measure a learner wants in service by the target year, e.g. ``{"mob_cycle": 10,
"mob_ev_van": "50%"}`` (a number is units of the archetype; a percentage is a share of the
city's maximum). The portfolio is fixed in the kit's portfolio model (the units are capped at
what was chosen and must be in service by the target year); the model then chooses only the
timing before that and the financing. The check says whether the portfolio can be built and
financed, whether it meets the target in every year, whether it stays within the investment
budget, and how much more it costs than the least-cost portfolio under the same rules.

``nbs-3`` is a small design problem of its own (carbon and stormwater from green
infrastructure), checked and scored the same way.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from m100model.exercises.answers import MAX_RAW_CHARS, CheckResult, brief, is_missing
from m100model.exercises.registry import Exercise, register
from m100model.i18n import N_, _, number, tr

TARGET_TOL = 1e-3  # a target counts as met within 0.1% of the cap (rounded units)
BUDGET_TOL = 1e-3  # and the budget within 0.1%
SAME_COST = 0.005  # within 0.5% (or 0.05 M EUR) of the optimum: the least-cost portfolio


class PortfolioInputError(ValueError):
    """A submitted portfolio that cannot be read (the message is for the learner)."""


@dataclass(frozen=True)
class PortfolioSpec:
    """The rules of a portfolio exercise: one city, its candidate measures, a target path
    (a straight line to ``reduction`` below the 2021 inventory by ``target_year``) and an
    investment budget (all spending from ``first_year`` to the target year, every source).
    The model years end in the target year: a portfolio is what is in service by then."""

    city: str
    archetypes: tuple[str, ...]
    target_year: int
    reduction: float
    budget_meur: float
    first_year: int = 2025
    perspective: str = "society"
    overrides: tuple[tuple[str, bool], ...] = ()

    def scenario(self, name: str):
        from m100model.scenario import Scenario

        return Scenario(
            name=name,
            description=f"Exercise {name} (illustrative data)",
            cities=[self.city],
            archetypes=list(self.archetypes),
            first_year=self.first_year,
            horizon=self.target_year,
            target={"kind": "reduction", "year": self.target_year, "reduction": self.reduction},
            perspective=self.perspective,
            indivisible=False,
            tickets=False,
            # Each measure at its normal yearly rate (the rate the candidates table gives the
            # learner; the budget row counts capex at the normal price).
            build_rate="hard",
            instrument_overrides={s: {"enabled": on} for s, on in self.overrides},
        )


class PortfolioEvaluator:
    """The portfolio model of one exercise with an investment-budget row, solved once for
    the optimum and again (from the same basis) for each submitted portfolio."""

    def __init__(self, exercise_id: str, spec: PortfolioSpec) -> None:
        from m100model.analysis.macc import macc
        from m100model.portfolio.data import assemble
        from m100model.portfolio.solve import PortfolioSolver
        from m100model.workshop import PlanConstraint

        self.id = exercise_id
        self.spec = spec
        scn = spec.scenario(exercise_id)
        self.data = assemble(scn)
        self.solver = PortfolioSolver(self.data, scn.solver)
        m = self.solver.model
        # Total investment (spending over the lead years adds up to capex x units).
        capex = {
            (p, t): float(self.data.capex.at[p, t])
            for p in m.P
            for t in m.T
            if float(self.data.capex.at[p, t]) > 0
        }
        self.solver.add_row("exercise_budget", {"x": capex}, upper=spec.budget_meur)
        self.constraint = PlanConstraint(self.solver)
        self.macc = macc(self.data, scn.discount_rate)
        pr = self.data.projects
        self.project_of = dict(zip(pr["archetype_id"], pr.index, strict=True))
        self._optimum = None

    # -- the budget row ---------------------------------------------------------------------
    def _budget(self, upper: float) -> None:
        self.solver.set_row_bounds("exercise_budget", upper=upper)

    # -- candidates -------------------------------------------------------------------------
    def candidates(self) -> pd.DataFrame:
        """The measures a learner may choose, with what one unit costs and cuts."""
        pr = self.data.projects
        curve = self.macc.set_index("project_id")
        rows = []
        for p, r in pr.iterrows():
            t = int(r["earliest"])
            rows.append(
                dict(
                    archetype=r["archetype_id"],
                    name=r["name"],
                    unit=r["unit"],
                    city_maximum=float(r["max_units"]),
                    build_rate_per_year=float(r["max_rate"]),
                    first_in_service=t,
                    capex_eur_per_unit=float(self.data.capex.at[p, t]) * 1e6,
                    abatement_t_per_unit_year=float(curve.at[p, "abatement_kt_per_unit"]) * 1e3
                    if p in curve.index
                    else 0.0,
                    cost_eur_per_t=float(curve.at[p, "cost_eur_per_t"])
                    if p in curve.index
                    else math.nan,
                )
            )
        return pd.DataFrame(rows)

    def requirements(self) -> dict:
        """What the portfolio must achieve: the target and the budget."""
        em = self._emissions_frame()
        year = self.spec.target_year
        return {
            "city": self.spec.city,
            "base_year_kt": float(self.data.base_kt[self.spec.city]),
            "target_year": year,
            "reduction": self.spec.reduction,
            "target_kt": float(em.at[year, "target_kt"]),
            "baseline_kt": float(em.at[year, "baseline_kt"]),
            "budget_meur": self.spec.budget_meur,
            "model_years": f"{self.spec.first_year}-{self.spec.target_year}",
            "perspective": self.spec.perspective,
        }

    def _emissions_frame(self) -> pd.DataFrame:
        c = self.spec.city
        years = self.data.years
        return pd.DataFrame(
            {
                "baseline_kt": [self.data.baseline_kt[(c, t)] for t in years],
                "target_kt": [self.data.target_kt[(c, t)] for t in years],
            },
            index=years,
        )

    # -- solving ----------------------------------------------------------------------------
    def optimum(self):
        """The least-cost portfolio under the same target and budget."""
        from m100model.portfolio.results import extract

        if self._optimum is None:
            self.constraint.reset()
            self._budget(self.spec.budget_meur)
            self.solver.solve(duals=False)
            self._optimum = extract(self.solver)
        return self._optimum

    def optimal_units(self) -> dict[str, float]:
        """Units of each archetype in service at the optimum's peak."""
        p = self.optimum().portfolio
        return {
            a: float(s * u)
            for a, s, u in zip(p["archetype_id"], p["peak_share"], p["max_units"], strict=True)
            if s * u > 1e-9
        }

    def read(self, answer: object) -> dict[str, float]:
        """A submitted portfolio as ``{archetype: units}``."""
        return read_portfolio(answer, self.candidates())

    def evaluate(self, units: dict[str, float]):
        """Solve the model with the portfolio fixed; returns ``(result or None, why)``."""
        from m100model.portfolio.results import extract

        opt = self.optimum()  # noqa: F841  (solved first: the plan re-solves from its basis)
        plan = pd.DataFrame(
            [
                dict(project_id=self.project_of[a], units=u, by=self.spec.target_year)
                for a, u in units.items()
                if u > 0
            ],
            columns=["project_id", "units", "by"],
        )
        why = ""
        try:
            self.constraint.reset()
            self.constraint.apply(plan, floors=True)
            self._budget(self.spec.budget_meur * (1 + BUDGET_TOL))
            stats = self.solver.solve(duals=False)
            if stats.status == "optimal":
                return extract(self.solver), ""
            self._budget(math.inf)
            stats = self.solver.solve(duals=False)
            if stats.status == "optimal":
                result = extract(self.solver)
                why = "budget"
                return result, why
            return None, "infeasible"
        finally:
            self.constraint.reset()
            self._budget(self.spec.budget_meur)

    def precheck(self, units: dict[str, float]) -> list[str]:
        """Reasons a portfolio cannot be built as chosen, found without the solver."""
        d, spec = self.data, self.spec
        pr = d.projects
        year = spec.target_year
        problems = []
        for a, u in units.items():
            p = self.project_of[a]
            first = int(pr.at[p, "earliest"])
            years = max(0, year - first + 1)
            reachable = min(float(pr.at[p, "max_units"]), float(pr.at[p, "max_rate"]) * years)
            if u > reachable * (1 + 1e-6) + 1e-9:
                problems.append(
                    _(
                        "{measure}: at most {units} {unit} can be in service by {year} (the "
                        "first can be in service in {first}, and at most {rate} can be added a "
                        "year)"
                    ).format(
                        measure=a,
                        units=number(reachable, ",.4g"),
                        unit=pr.at[p, "unit"],
                        year=year,
                        first=first,
                        rate=number(float(pr.at[p, "max_rate"]), ",.4g"),
                    )
                )
        share = {a: u / float(pr.at[self.project_of[a], "max_units"]) for a, u in units.items()}
        arch_of = dict(zip(pr.index, pr["archetype_id"], strict=True))
        for pa, pb in d.requires:
            a = arch_of[pa]
            b = arch_of.get(pb, "")
            if share.get(a, 0.0) > 1e-9 and share.get(b, 0.0) < share[a] - 1e-6:
                if b:
                    text = _(
                        "{measure} needs {prerequisite} at least as far along (as a share of "
                        "its city maximum)"
                    )
                else:
                    text = _(
                        "{measure} needs a prerequisite that is not among the candidates at "
                        "least as far along (as a share of its city maximum)"
                    )
                problems.append(text.format(measure=a, prerequisite=b))
        by_pool: dict[str, float] = {}
        for e in d.effects.itertuples():
            a = arch_of[e.project_id]
            if a in units and e.delta < 0:
                by_pool[e.pool_id] = by_pool.get(e.pool_id, 0.0) + e.delta * units[a]
        for k, cut in by_pool.items():
            available = float(d.pool_activity.at[k, year])
            if -cut > available * (1 + 1e-6) + 1e-9:
                users = sorted(
                    {
                        arch_of[e.project_id]
                        for e in d.effects.itertuples()
                        if e.pool_id == k and arch_of[e.project_id] in units and e.delta < 0
                    }
                )
                _pool, sub, fuel = k.split("|")
                measures = users[0]
                for other in users[1:]:
                    measures = _("{first} and {second}").format(first=measures, second=other)
                problems.append(
                    _(
                        "{measures} together cut more {fuel} in GPC {sub} than the city uses in "
                        "{year}: the same energy (or waste) cannot be saved twice"
                    ).format(measures=measures, fuel=fuel, sub=sub, year=year)
                )
        return problems


@functools.lru_cache(maxsize=8)
def evaluator(exercise_id: str) -> PortfolioEvaluator:
    """The cached portfolio model of an open exercise (built on first use)."""
    return PortfolioEvaluator(exercise_id, SPECS[exercise_id])


MAX_PORTFOLIO_ENTRIES = 200
"""Most entries (dict items or table rows) of a portfolio answer: an exercise has a handful
of candidates."""
MAX_VALUE_CHARS = 40
"""Longest text read as one value (``"12.5"``, ``"50 %"``)."""
_SHARE = re.compile(r"([-+]?\d+(?:\.\d+)?) ?%")


def read_portfolio(answer: object, candidates: pd.DataFrame) -> dict[str, float]:
    """``{archetype: units}`` from a dict, a Series or a DataFrame (columns ``archetype`` or
    ``archetype_id`` and ``units``, or ``share`` / ``peak_share`` of the city maximum).
    Values may be numbers (units) or strings ending in ``%`` (share of the city maximum).

    At most :data:`MAX_PORTFOLIO_ENTRIES` entries and :data:`MAX_VALUE_CHARS` characters a
    value are read; more gives a :class:`PortfolioInputError`, as does anything else that is
    not such a portfolio."""
    maximum = dict(zip(candidates["archetype"], candidates["city_maximum"], strict=True))
    if isinstance(answer, pd.Series | pd.DataFrame | dict) and len(answer) > MAX_PORTFOLIO_ENTRIES:
        raise PortfolioInputError(
            _(
                "your answer has {n} entries; this exercise has {candidates} candidates (give "
                "each at most once)"
            ).format(n=number(len(answer), ",d"), candidates=len(maximum))
        )
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if isinstance(answer, pd.DataFrame):
        df = answer
        if not df.columns.is_unique:
            raise PortfolioInputError(_("two columns of the table have the same name"))
        key = next((c for c in ("archetype", "archetype_id") if c in df.columns), None)
        if key is None:
            raise PortfolioInputError(_("the table needs a column 'archetype' (or 'archetype_id')"))
        if "units" in df.columns and "peak_share" not in df.columns:
            answer = dict(zip(df[key], df["units"], strict=True))
        elif "peak_share" in df.columns or "share" in df.columns:
            col = "peak_share" if "peak_share" in df.columns else "share"
            answer = {a: _share(a, s) for a, s in zip(df[key], df[col], strict=True)}
        else:
            raise PortfolioInputError(_("the table needs a column 'units' (or 'share')"))
    if not isinstance(answer, dict):
        raise PortfolioInputError(
            _("expected a dict {{archetype: units}}, e.g. {example}, not a {kind}").format(
                example=_example(candidates), kind=type(answer).__name__
            )
        )
    units: dict[str, float] = {}
    for raw_key, value in answer.items():
        a = raw_key.strip().split(":")[-1] if isinstance(raw_key, str) else None
        if a not in maximum:
            raise PortfolioInputError(
                _("'{given}' is not a candidate of this exercise (candidates: {known})").format(
                    given=brief(raw_key, 40), known=", ".join(maximum)
                )
            )
        if is_missing(value):
            continue
        if isinstance(value, _Share):
            amount = float(value) * maximum[a]
        elif isinstance(value, str):
            # Runs of white space collapsed in one pass, before any pattern looks at it.
            text = " ".join(value.split()) if len(value) <= MAX_RAW_CHARS else value
            text = text.replace(",", ".")
            if len(text) > MAX_VALUE_CHARS:
                raise PortfolioInputError(
                    _(
                        "{measure}: a text of {n} characters is not a number of units (give a "
                        "number, or a share like '50%')"
                    ).format(measure=a, n=number(len(value), ",d"))
                )
            match = _SHARE.fullmatch(text)
            if match:
                amount = float(match.group(1)) / 100 * maximum[a]
            else:
                try:
                    amount = float(text)
                except ValueError:
                    raise PortfolioInputError(
                        _(
                            "{measure}: could not read '{given}' (give a number of units, or a "
                            "share like '50%')"
                        ).format(measure=a, given=brief(value, 40))
                    ) from None
        elif isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise PortfolioInputError(
                _("{measure}: expected a number of units, got {given}").format(
                    measure=a, given=brief(value, 40)
                )
            )
        else:
            try:
                amount = float(value)
            except OverflowError:
                amount = math.inf
        if not math.isfinite(amount):
            raise PortfolioInputError(
                _("{measure}: expected a finite number of units").format(measure=a)
            )
        if amount < 0:
            raise PortfolioInputError(
                _("{measure}: expected a number of units of at least 0").format(measure=a)
            )
        if amount > maximum[a] * (1 + 1e-6) + 1e-9:
            raise PortfolioInputError(
                _("{measure}: {units} is more than the city's maximum of {maximum}").format(
                    measure=a, units=number(amount, ",.4g"), maximum=number(maximum[a], ",.4g")
                )
            )
        units[a] = units.get(a, 0.0) + min(amount, maximum[a])
    return units


class _Share(float):
    """A share of the city maximum, from a table's share column (0.5 for half)."""


def _share(archetype: object, value: object) -> _Share:
    numeric = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    text = isinstance(value, str) and len(value) <= MAX_VALUE_CHARS
    try:
        if numeric or text:
            return _Share(float(value))
    except (ValueError, OverflowError):
        pass
    raise PortfolioInputError(
        _("{measure}: expected a share of the city maximum (0.5 for half), got {given}").format(
            measure=brief(archetype, 40), given=brief(value, 40)
        )
    )


def _example(candidates: pd.DataFrame) -> str:
    """An example portfolio made of an exercise's own candidates."""
    a = list(candidates["archetype"])
    m = list(candidates["city_maximum"])
    first = f"'{a[0]}': {max(1, round(m[0] / 10)):g}"
    return "{" + first + (f", '{a[1]}': '50%'" if len(a) > 1 else "") + "}"


def _differences(ev: PortfolioEvaluator, units: dict[str, float]) -> pd.DataFrame:
    """Yours against the least-cost portfolio, biggest differences (share of maximum) first."""
    cand = ev.candidates().set_index("archetype")
    best = ev.optimal_units()
    rows = []
    for a in sorted(set(units) | set(best)):
        mine, opt = units.get(a, 0.0), best.get(a, 0.0)
        mx = float(cand.at[a, "city_maximum"])
        rows.append(
            dict(
                archetype=a,
                unit=cand.at[a, "unit"],
                yours=round(mine, 3),
                least_cost=round(opt, 3),
                difference=round(mine - opt, 3),
                share_difference=(mine - opt) / mx if mx else 0.0,
                cost_eur_per_t=round(float(cand.at[a, "cost_eur_per_t"]), 1),
            )
        )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df = df.reindex(df["share_difference"].abs().sort_values(ascending=False).index)
    df = df[df["share_difference"].abs() > 1e-4]
    df["share_difference"] = (100 * df["share_difference"]).round(1)
    return df.rename(columns={"share_difference": "difference_pct_of_max"}).reset_index(drop=True)


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with its column labels in the current language."""
    labels = {
        # TRANSLATORS: column labels of the table comparing a learner's design with the
        # least-cost one (the English labels are the columns' names in the code).
        "archetype": _("archetype"),
        "unit": _("unit"),
        "yours": _("yours"),
        "least_cost": _("least_cost"),
        "difference": _("difference"),
        "difference_pct_of_max": _("difference_pct_of_max"),
        "cost_eur_per_t": _("cost_eur_per_t"),
    }
    return table.rename(columns=labels)


def _meur(x: float) -> str:
    return number(x, ",.2f") + " M EUR"


def check_portfolio(ex: Exercise, answer: object) -> CheckResult:
    """Check a submitted portfolio (see the module docstring)."""
    if is_missing(answer):
        return CheckResult(
            ex.id,
            False,
            _("no answer yet: give your portfolio as a dict {archetype: units}."),
            hint=tr(ex.hint),
            answered=False,
        )
    ev = evaluator(ex.id)
    try:
        units = ev.read(answer)
    except PortfolioInputError as exc:
        return CheckResult(
            ex.id,
            False,
            _("could not read your portfolio: {reason}.").format(reason=exc),
            hint=_(
                "write it like {example}: units of each measure in service by the target year, "
                "or a share of the city maximum."
            ).format(example=_example(ev.candidates())),
        )
    problems = ev.precheck(units)
    if problems:
        return CheckResult(
            ex.id,
            False,
            _("your portfolio cannot be built as chosen:") + "\n- " + "\n- ".join(problems),
            hint=_(
                "measures need lead time and are built at a limited pace; some need an enabling "
                "programme first; two measures cannot save the same gas twice."
            ),
        )
    result, why = ev.evaluate(units)
    if result is None:
        return CheckResult(
            ex.id,
            False,
            _(
                "your portfolio cannot be financed as chosen: the funding instruments open to the "
                "city do not cover its spending in some years."
            ),
            hint=_(
                "each grant or loan pays only a share of a project and has a yearly envelope; "
                "spread the investment over more years or choose measures other instruments fund."
            ),
        )
    spent = float(result.portfolio["capex_meur"].sum()) if not result.portfolio.empty else 0.0
    em = result.emissions.set_index("year")
    year = ev.spec.target_year
    figures = {
        "emissions_kt": float(em.at[year, "emissions_kt"]),
        "target_kt": float(em.at[year, "target_kt"]),
        "investment_meur": spent,
        "budget_meur": ev.spec.budget_meur,
        "npv_meur": float(result.npv_meur),
    }
    if why == "budget":
        return CheckResult(
            ex.id,
            False,
            _(
                "your portfolio needs {spent} of investment when built at least cost, more than "
                "the budget of {budget}."
            ).format(spent=_meur(spent), budget=_meur(ev.spec.budget_meur)),
            hint=_(
                "look at the cost per tonne and the investment per unit of each measure: some "
                "cut more per euro invested than others."
            ),
            figures=figures,
        )
    short = em["shortfall_kt"]
    missed = short[short > TARGET_TOL * em["target_kt"].abs() + 1e-6]
    if not missed.empty:
        years = list(missed.index)
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
        return CheckResult(
            ex.id,
            False,
            _(
                "your portfolio misses the target path in {years} (by up to {gap} kt CO2e in a "
                "year). In {year} it reaches {emissions} kt against a cap of {cap} kt."
            ).format(
                years=span,
                gap=number(missed.max(), ",.1f"),
                year=year,
                emissions=number(figures["emissions_kt"], ",.1f"),
                cap=number(figures["target_kt"], ",.1f"),
            ),
            hint=_(
                "the target is a path: every year counts, not only the target year. Measures "
                "with large potential and early start cut more along the way."
            ),
            figures=figures,
        )
    opt = ev.optimum()
    best = float(opt.npv_meur)
    extra = figures["npv_meur"] - best
    figures.update(least_cost_npv_meur=best, extra_meur=extra)
    table = _labelled(_differences(ev, units).head(5))
    head = _(
        "Your portfolio meets the target path ({emissions} kt in {year}, cap {cap} kt) within "
        "the budget ({spent} of {budget}). Its net present cost is {npv}."
    ).format(
        emissions=number(figures["emissions_kt"], ",.1f"),
        year=year,
        cap=number(figures["target_kt"], ",.1f"),
        spent=_meur(spent),
        budget=_meur(ev.spec.budget_meur),
        npv=_meur(figures["npv_meur"]),
    )
    if extra <= max(SAME_COST * abs(best), 0.05):
        return CheckResult(
            ex.id,
            True,
            head + " " + _("That is as low as the least-cost portfolio: well done."),
            details=table,
            figures=figures,
        )
    if best > 0:
        figures["extra_share"] = extra / best
        compare = _(
            "It costs {share} more than the least-cost portfolio ({best}), {extra} in present "
            "value."
        ).format(share=number(extra / best, ".0%"), best=_meur(best), extra=_meur(extra))
    else:
        compare = _(
            "The least-cost portfolio's net present cost is {best} (negative: its savings "
            "outweigh its costs), {extra} less than yours."
        ).format(best=_meur(best), extra=_meur(extra))
    return CheckResult(
        ex.id,
        True,
        head + " " + compare + " " + _("Here is where your portfolio differs most from it:"),
        hint=_(
            "measures with a low (or negative) cost per tonne lower the net present cost; "
            "compare your choices with the MACC."
        ),
        details=table,
        figures=figures,
    )


def _portfolio_expected(exercise_id: str) -> dict:
    ev = evaluator(exercise_id)
    opt = ev.optimum()
    return {
        "units": ev.optimal_units(),
        "npv_meur": float(opt.npv_meur),
        "investment_meur": float(opt.portfolio["capex_meur"].sum()),
        "feasible": bool(opt.feasible),
    }


def portfolio_inputs(exercise_id: str) -> dict:
    """What a learner works with: the requirements and the candidate measures."""
    ev = evaluator(exercise_id)
    return {"requirements": ev.requirements(), "candidates": ev.candidates()}


SPECS: dict[str, PortfolioSpec] = {
    "mob-3": PortfolioSpec(
        city="cluj_napoca",
        archetypes=(
            "mob_ebus",
            "mob_tram",
            "mob_cycle",
            "mob_fleet_ev",
            "mob_private_ev",
            "mob_ev_van",
            "mob_parking_lez",
        ),
        target_year=2030,
        reduction=0.12,
        budget_meur=25.0,
    ),
    "bld-3": PortfolioSpec(
        city="bucharest_sector_2",
        archetypes=(
            "bld_reno_dh",
            "bld_reno_gas",
            "bld_reno_public",
            "bld_reno_houses",
            "bld_heat_pump",
            "bld_heat_pump_commercial",
            "gov_one_stop_shop",
            "gov_energy_mgmt",
        ),
        target_year=2030,
        reduction=0.16,
        budget_meur=40.0,
    ),
    "en-3": PortfolioSpec(
        city="iasi",
        archetypes=(
            "en_led",
            "en_pv_public",
            "en_pv_res",
            "en_pv_business",
            "en_dh_network",
            "en_dh_heatpump",
            "en_ind_efficiency",
            "en_ind_heatpump",
            "gov_one_stop_shop",
            "gov_transition_team",
        ),
        target_year=2035,
        reduction=0.22,
        budget_meur=70.0,
    ),
    "circ-3": PortfolioSpec(
        city="suceava",
        archetypes=("cir_compost", "cir_landfill_gas", "cir_wastewater"),
        target_year=2035,
        reduction=0.20,
        budget_meur=2.5,
        overrides=(("elena", False),),
    ),
    "gov-3": PortfolioSpec(
        city="suceava",
        archetypes=(
            "mob_ebus",
            "mob_cycle",
            "mob_private_ev",
            "mob_parking_lez",
            "bld_reno_dh",
            "bld_reno_gas",
            "bld_reno_public",
            "bld_heat_pump",
            "en_led",
            "en_pv_public",
            "en_pv_res",
            "en_dh_network",
            "nbs_trees",
            "nbs_forest",
            "cir_compost",
            "cir_landfill_gas",
            "gov_energy_mgmt",
            "gov_one_stop_shop",
        ),
        target_year=2035,
        reduction=0.30,
        budget_meur=55.0,
        perspective="city",
    ),
}


def _portfolio_exercise(
    exercise_id: str,
    *,
    title: str,
    minutes: int,
    book: str,
    objective: str,
    data: str,
    question: str,
    hint: str,
) -> Exercise:
    return Exercise(
        id=exercise_id,
        title=title,
        level="open",
        minutes=minutes,
        book=book,
        objective=objective,
        data=data,
        question=question,
        hint=hint,
        judged=N_(
            "Any portfolio is accepted that can be built and financed, meets the target path in "
            "every year and stays within the budget; it is then scored against the least-cost "
            "portfolio (the target and the budget count as met within 0.1%)."
        ),
        expected=lambda: _portfolio_expected(exercise_id),
        inputs=lambda: portfolio_inputs(exercise_id),
        checker=check_portfolio,
    )


register(
    _portfolio_exercise(
        "mob-3",
        title=N_("A mobility programme for Cluj-Napoca"),
        minutes=45,
        book="cpd/01_mobility",
        objective=N_(
            "Combine mobility measures into a least-cost programme and see why a portfolio is not "
            "'the cheapest bars of the MACC first'."
        ),
        data=N_(
            "Cluj-Napoca's illustrative inventory, seven of the kit's mobility archetypes "
            "(data/projects/), energy prices and the kit's funding instruments; society "
            "perspective, 4% discount rate."
        ),
        question=N_(
            "Design a mobility programme for **Cluj-Napoca** that brings BASIC emissions **12% "
            "below 2021 by 2030** (along a straight path from 2026), with **at most EUR 25 m of "
            "investment** from 2025 to 2030 (all sources). Give the units of each measure you want "
            "**in service by 2030** (the model chooses when to build them before that, and how to "
            "finance them). Any portfolio that can be built and financed, meets the target path "
            "**in every year** and stays **within the budget** is accepted; it is then scored "
            "against the least-cost portfolio."
        ),
        hint=N_(
            "start from the MACC: measures that pay for themselves first, then the cheapest "
            "tonnes; mind the lead times (a measure must be in service early enough to help the "
            "path) and the budget per unit."
        ),
    ),
    _portfolio_exercise(
        "bld-3",
        title=N_("Building measures for Bucharest Sector 2"),
        minutes=45,
        book="cpd/02_built_environment",
        objective=N_(
            "Read the model's choice among renovation and heat pumps and explain why they compete "
            "for the same gas."
        ),
        data=N_(
            "Bucharest Sector 2's illustrative inventory, six of the kit's building archetypes and "
            "two governance programmes (data/projects/), energy prices and funding; society "
            "perspective."
        ),
        question=N_(
            "Design a building programme for **Bucharest Sector 2** that brings BASIC emissions "
            "**16% below 2021 by 2030**, with **at most EUR 40 m of investment** from 2025 to "
            "2030. Give the units of each measure you want **in service by 2030** (the model "
            "chooses when to build them before that, and how to finance them). Any portfolio that "
            "can be built and financed, meets the target path **in every year** and stays **within "
            "the budget** is accepted; it is then scored against the least-cost portfolio."
        ),
        hint=N_(
            "heat pumps replace boilers at the end of their life (only the extra cost counts); "
            "deep renovation needs the one-stop shop at least as far along; renovation and heat "
            "pumps draw on the same gas."
        ),
    ),
    _portfolio_exercise(
        "en-3",
        title=N_("Iași's energy system"),
        minutes=45,
        book="cpd/03_energy",
        objective=N_(
            "Use the portfolio model to see what the city's energy measures must add to the grid's "
            "decarbonisation."
        ),
        data=N_(
            "Iași's illustrative inventory, eight of the kit's energy archetypes and two "
            "governance programmes (data/projects/), the NECP grid path, energy prices and "
            "funding; society perspective."
        ),
        question=N_(
            "Design an energy programme for **Iași** that brings BASIC emissions **22% below 2021 "
            "by 2035**, with **at most EUR 70 m of investment** from 2025 to 2035. Give the units "
            "of each measure you want **in service by 2035** (the model chooses when to build them "
            "before that, and how to finance them). Any portfolio that can be built and financed, "
            "meets the target path **in every year** and stays **within the budget** is accepted; "
            "it is then scored against the least-cost portfolio."
        ),
        hint=N_(
            "measures that save expensive electricity pay for themselves; district-heating renewal "
            "is cheap per tonne but slow to start; residential PV needs the one-stop shop."
        ),
    ),
    _portfolio_exercise(
        "circ-3",
        title=N_("Suceava's waste programme"),
        minutes=30,
        book="cpd/05_circular",
        objective=N_(
            "Read the portfolio model's choice among circular measures and explain why a measure "
            "counts only as far as the inventory holds the emissions it removes."
        ),
        data=N_(
            "Suceava's illustrative inventory (landfilled waste, GPC III.1.2; wastewater, III.4), "
            "three of the kit's circular archetypes (data/projects/) and funding; society "
            "perspective, ELENA left out."
        ),
        question=N_(
            "Design a waste programme for **Suceava** with the three circular measures that brings "
            "BASIC emissions **20% below 2021 by 2035** (a teaching target for one theme; the "
            "city's Climate City Contract aims at about 80% below 2021 by 2030), with **at most "
            "EUR 2.5 m of investment** from 2025 to 2035. Give the units of each measure you want "
            "**in service by 2035** (the model chooses when to build them before that, and how to "
            "finance them). Any portfolio that can be built and financed, meets the target path "
            "**in every year** and stays **within the budget** is accepted; it is then scored "
            "against the least-cost portfolio."
        ),
        hint=N_(
            "composting and landfill-gas capture act on the same landfilled waste; a measure only "
            "counts if the inventory has the emissions it removes."
        ),
    ),
    _portfolio_exercise(
        "gov-3",
        title=N_("A Climate City Contract portfolio under a budget"),
        minutes=60,
        book="cpd/06_governance",
        objective=N_(
            "Match projects to financing and design a portfolio that meets a target under a "
            "budget, from the city's point of view."
        ),
        data=N_(
            "Suceava's illustrative inventory, eighteen archetypes of all six themes "
            "(data/projects/), the kit's funding instruments (grants, loans, the municipal "
            "budget); city perspective (a grant costs the city nothing), 4% discount rate."
        ),
        question=N_(
            "Design a first-stage portfolio for **Suceava's** Climate City Contract: BASIC "
            "emissions **30% below 2021 by 2035** (a teaching target; the contract itself aims at "
            "about 80% below 2021 by 2030, with measures beyond these eighteen archetypes), with "
            "**at most EUR 55 m of investment** from 2025 to 2035 (all sources). The cost is "
            "counted from the **city's** point of view: grants lower it, loans add their interest. "
            "Give the units of each measure you want **in service by 2035** (the model chooses "
            "when to build them before that, and how to finance them). Any portfolio that can be "
            "built and financed, meets the target path **in every year** and stays **within the "
            "budget** is accepted; it is then scored against the least-cost portfolio."
        ),
        hint=N_(
            "from the city's point of view a measure that grants pay for is cheap, and one that "
            "saves energy may pay for itself; enabling programmes (one-stop shop, energy "
            "management) unlock others."
        ),
    ),
)


# =======================================================================================
# nbs-3: green infrastructure for carbon and stormwater (a small design problem)
# =======================================================================================
@dataclass(frozen=True)
class DesignSpec:
    city: str = "brasov"
    archetypes: tuple[str, ...] = ("nbs_trees", "nbs_forest", "nbs_green_roof")
    carbon_t: float = 1_000.0  # t CO2e a year removed or avoided, at full canopy
    stormwater_m3: float = 20_000.0  # m3 of rain a year kept out of the sewer
    budget_meur: float = 15.0
    rain_mm: float = 700.0  # illustrative yearly rainfall
    runoff_before: float = 0.9  # bituminous roof
    runoff_after: float = 0.4  # extensive green roof
    m2_per_roof_unit: float = 1_000.0
    discount_rate: float = 0.04


NBS3 = DesignSpec()


@functools.lru_cache(maxsize=1)
def nbs3_candidates() -> pd.DataFrame:
    """The green-infrastructure measures of Brașov: per unit, carbon (t CO2e a year),
    stormwater kept out of the sewer (m³ a year), investment (M EUR) and yearly net cost
    (annualised investment, upkeep and energy saved; M EUR a year)."""
    from m100model.analysis.macc import macc
    from m100model.portfolio.data import assemble
    from m100model.scenario import Scenario

    s = NBS3
    scn = Scenario(
        name="nbs-3",
        cities=[s.city],
        archetypes=list(s.archetypes),
        first_year=2025,
        target={"kind": "reduction", "year": 2035, "reduction": 0.2},
        indivisible=False,
        tickets=False,
        perspective="society",
        discount_rate=s.discount_rate,
    )
    d = assemble(scn)
    curve = macc(d, s.discount_rate).set_index("archetype_id")
    rows = []
    water = (s.runoff_before - s.runoff_after) * s.rain_mm / 1000 * s.m2_per_roof_unit
    for p, r in d.projects.iterrows():
        a = r["archetype_id"]
        t = int(curve.at[a, "year"])
        rows.append(
            dict(
                archetype=a,
                name=r["name"],
                unit=r["unit"],
                city_maximum=float(r["max_units"]),
                carbon_t_per_unit_year=float(curve.at[a, "abatement_kt_per_unit"]) * 1e3,
                stormwater_m3_per_unit_year=water if a == "nbs_green_roof" else 0.0,
                capex_meur_per_unit=float(d.capex.at[p, t]),
                net_cost_meur_per_unit_year=float(curve.at[a, "cost_meur_per_unit_yr"]),
                cost_eur_per_t=float(curve.at[a, "cost_eur_per_t"]),
            )
        )
    return pd.DataFrame(rows)


def _nbs3_totals(units: dict[str, float]) -> dict[str, float]:
    c = nbs3_candidates().set_index("archetype")
    u = pd.Series(units, dtype=float).reindex(c.index).fillna(0.0)
    return {
        "carbon_t": float((u * c["carbon_t_per_unit_year"]).sum()),
        "stormwater_m3": float((u * c["stormwater_m3_per_unit_year"]).sum()),
        "investment_meur": float((u * c["capex_meur_per_unit"]).sum()),
        "net_cost_meur_per_year": float((u * c["net_cost_meur_per_unit_year"]).sum()),
    }


@functools.lru_cache(maxsize=1)
def _nbs3_optimum() -> tuple[tuple[str, float], ...]:
    from scipy.optimize import linprog

    c = nbs3_candidates()
    res = linprog(
        c["net_cost_meur_per_unit_year"].to_numpy(),
        A_ub=np.vstack(
            [
                -c["carbon_t_per_unit_year"].to_numpy(),
                -c["stormwater_m3_per_unit_year"].to_numpy(),
                c["capex_meur_per_unit"].to_numpy(),
            ]
        ),
        b_ub=np.array([-NBS3.carbon_t, -NBS3.stormwater_m3, NBS3.budget_meur]),
        bounds=list(zip([0.0] * len(c), c["city_maximum"], strict=True)),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"nbs-3 has no feasible design ({res.message})")
    return tuple((a, float(x)) for a, x in zip(c["archetype"], res.x, strict=True))


def _check_nbs3(ex: Exercise, answer: object) -> CheckResult:
    if is_missing(answer):
        return CheckResult(
            ex.id,
            False,
            _("no answer yet: give your design as a dict {archetype: units}."),
            hint=tr(ex.hint),
            answered=False,
        )
    cand = nbs3_candidates()
    try:
        units = read_portfolio(answer, cand)
    except PortfolioInputError as exc:
        return CheckResult(
            ex.id,
            False,
            _("could not read your design: {reason}.").format(reason=exc),
            hint=_(
                "write it like {example}: units of each measure, or a share of the city maximum."
            ).format(example=_example(cand)),
        )
    got = _nbs3_totals(units)
    s = NBS3
    problems = []
    if got["carbon_t"] < s.carbon_t * (1 - TARGET_TOL):
        problems.append(
            _("it removes or avoids {carbon} t CO2e a year; the goal is at least {goal} t").format(
                carbon=number(got["carbon_t"], ",.0f"), goal=number(s.carbon_t, ",.0f")
            )
        )
    if got["stormwater_m3"] < s.stormwater_m3 * (1 - TARGET_TOL):
        problems.append(
            _(
                "it keeps {water} m³ of rain a year out of the sewer; the goal is at least "
                "{goal} m³"
            ).format(
                water=number(got["stormwater_m3"], ",.0f"), goal=number(s.stormwater_m3, ",.0f")
            )
        )
    if got["investment_meur"] > s.budget_meur * (1 + BUDGET_TOL):
        problems.append(
            _("it needs {investment} of investment; the budget is {budget}").format(
                investment=_meur(got["investment_meur"]), budget=_meur(s.budget_meur)
            )
        )
    if problems:
        return CheckResult(
            ex.id,
            False,
            _("your design does not meet every goal yet:") + "\n- " + "\n- ".join(problems) + ".",
            hint=_(
                "each measure brings a different mix of benefits: compare carbon per euro, "
                "stormwater per euro and the investment per unit."
            ),
            figures=got,
        )
    best_units = dict(_nbs3_optimum())
    best = _nbs3_totals(best_units)
    extra = got["net_cost_meur_per_year"] - best["net_cost_meur_per_year"]
    rows = []
    c = cand.set_index("archetype")
    for a in c.index:
        mine, opt = units.get(a, 0.0), best_units.get(a, 0.0)
        if abs(mine - opt) > 1e-6 * max(1.0, c.at[a, "city_maximum"]):
            rows.append(
                dict(
                    archetype=a,
                    unit=c.at[a, "unit"],
                    yours=round(mine, 2),
                    least_cost=round(opt, 2),
                    difference=round(mine - opt, 2),
                )
            )
    table = pd.DataFrame(rows, columns=["archetype", "unit", "yours", "least_cost", "difference"])
    figures = {**got, "least_cost_net_cost_meur_per_year": best["net_cost_meur_per_year"]}
    head = _(
        "Your design meets both goals ({carbon} t CO2e and {water} m³ a year) within the budget "
        "({investment}). Its net cost is {cost} M EUR a year."
    ).format(
        carbon=number(got["carbon_t"], ",.0f"),
        water=number(got["stormwater_m3"], ",.0f"),
        investment=_meur(got["investment_meur"]),
        cost=number(got["net_cost_meur_per_year"], ",.3f"),
    )
    if extra <= max(SAME_COST * abs(best["net_cost_meur_per_year"]), 1e-3):
        return CheckResult(
            ex.id,
            True,
            head + " " + _("That is the least-cost design: well done."),
            figures=figures,
        )
    share = extra / best["net_cost_meur_per_year"] if best["net_cost_meur_per_year"] > 0 else None
    if share is not None:
        compare = _(
            "The least-cost design costs {best} M EUR a year: yours costs {extra} M EUR a year "
            "more ({share} more). Where they differ:"
        )
    else:
        compare = _(
            "The least-cost design costs {best} M EUR a year: yours costs {extra} M EUR a year "
            "more. Where they differ:"
        )
    return CheckResult(
        ex.id,
        True,
        head
        + " "
        + compare.format(
            best=number(best["net_cost_meur_per_year"], ",.3f"),
            extra=number(extra, ",.3f"),
            share=number(share or 0.0, ".0%"),
        ),
        hint=_(
            "let each measure do what it does cheapest: compare cost per tonne of carbon and "
            "per m³ of stormwater."
        ),
        details=_labelled(table),
        figures=figures,
    )


register(
    Exercise(
        id="nbs-3",
        title=N_("Green infrastructure for carbon and water"),
        level="open",
        minutes=30,
        book="cpd/04_nature_based",
        objective=N_(
            "Read the cost per tonne of nature-based solutions and make the case for them on more "
            "than one benefit."
        ),
        data=N_(
            "Brașov's street-tree, urban-forest and green-roof archetypes with their city ceilings "
            "and MACC costs (data/projects/); illustrative rainfall and runoff coefficients."
        ),
        question=N_(
            "Design a green-infrastructure programme for **Brașov** (street trees, urban forest, "
            "extensive green roofs on flat bituminous roofs) that at full canopy **removes or "
            "avoids at least 1,000 t CO2e a year**, **keeps at least 20,000 m³ of rain a year out "
            "of the sewers** and needs **at most EUR 15 m of investment**, at the lowest net "
            "yearly cost you can find. Any design that meets the three goals within the city's "
            "ceilings is accepted and scored against the least-cost one."
        ),
        hint=N_(
            "only the green roofs keep rain out of the sewer here; carbon is cheapest where the "
            "cost per tonne is lowest. Use each measure for what it does best."
        ),
        judged=N_(
            "Any design is accepted that meets the three goals within the city's ceilings; it is "
            "then scored against the least-cost design."
        ),
        expected=lambda: {
            "units": dict(_nbs3_optimum()),
            **_nbs3_totals(dict(_nbs3_optimum())),
        },
        inputs=lambda: {
            "goals": {
                "carbon_t_per_year": NBS3.carbon_t,
                "stormwater_m3_per_year": NBS3.stormwater_m3,
                "budget_meur": NBS3.budget_meur,
                "rain_mm": NBS3.rain_mm,
                "runoff_before": NBS3.runoff_before,
                "runoff_after": NBS3.runoff_after,
            },
            "candidates": nbs3_candidates().copy(),
        },
        checker=_check_nbs3,
    )
)
