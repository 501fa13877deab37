"""A scenario is one YAML file: cities, inventories, drivers, target, projects, bundles,
instruments, discount rate, GWP set and solver options. It is validated with pydantic, and a
bad file stops with one line naming the file and the field.

A minimal scenario::

    name: cluj_2030
    cities: [cluj_napoca]
    target: {kind: net_zero, reduction: 0.8}  # year defaults to each city's target year

Everything else has a default (see :class:`Scenario`). Paths inside a scenario are relative to
the repository root or absolute.

Validation is complete before any data are assembled: the fields, and the ids and files they
name (cities, archetypes, instruments, grid trajectory and grid-factor method, inventory
files), are checked against the bundled tables, read here with the ``csv`` module so that a bad
file is refused without waiting for pandas. The tables themselves are read and checked in full
when a scenario is assembled.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from m100model.errors import InputError, from_validation
from m100model.inputs import check_file, read_yaml
from m100model.io import ScipyResults
from m100model.projects import THEMES
from m100model.tables import bundled_inventories, data_dir, display_path

# The grid-factor table's transmission and distribution losses are not a method to choose
# (same exclusion as m100model.inventory.compute_inventory).
_TD_LOSSES_METHOD = "transmission_distribution_losses"
# Validation context key: skip the checks that need scipy.stats (the distributions of an
# uncertainty section), so that every other check runs first, fast (see load_scenario).
_DEFER_DISTRIBUTIONS = "defer_distributions"


@functools.lru_cache(maxsize=32)
def _column(path: Path, column: str) -> tuple[str, ...]:
    """The distinct values of one column of a bundled CSV table, in file order."""
    if not path.exists():
        raise InputError(display_path(path), "file not found")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        header = [h.strip() for h in next(rows, [])]
        if column not in header:
            raise InputError(display_path(path), "missing column", column=column)
        i = header.index(column)
        values = (row[i].strip() for row in rows if len(row) > i)
        return tuple(dict.fromkeys(v for v in values if v))


def known_ids(table: str, column: str) -> tuple[str, ...]:
    """Ids of a bundled table (``table`` relative to the data folder), e.g.
    ``known_ids("cities/cities.csv", "city_id")``."""
    return _column(data_dir() / table, column)


def _archetype_ids() -> tuple[str, ...]:
    return known_ids("projects/archetypes.csv", "archetype_id")


def _instrument_ids() -> tuple[str, ...]:
    return known_ids("funding/instruments.csv", "instrument_id")


def _deferred(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(_DEFER_DISTRIBUTIONS))


# Validation context key: the folder of the scenario file (paths in it are relative to it).
_BASE = "base"


def resolve_path(text: str, base: Path | None) -> Path:
    """A path written in a scenario: absolute as it is; relative to the scenario file's folder
    when it is there, else to the repository (the bundled data: ``data/inventories/...``)."""
    p = Path(text).expanduser()
    if p.is_absolute():
        return p
    if base is not None and (base / p).exists():
        return base / p
    bundled = data_dir().parent / p
    if bundled.exists() or base is None:
        return bundled
    return base / p


def _base(info: ValidationInfo) -> Path | None:
    return info.context.get(_BASE) if info.context else None


_RANGES_FORMAT = 1  # part of the cache file's name: change it when the checks change
_RANGES = ScipyResults(f"distribution-ranges-v{_RANGES_FORMAT}")


class _Strict(BaseModel):
    """Scenario fields: no unknown keys; strict types (a yes/no is not a number, a number
    is not a name); numbers finite (``.inf`` and ``.nan`` are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=False, strict=True, allow_inf_nan=False)


class TargetSpec(_Strict):
    """The Climate City Contract target.

    ``net_zero``: cut BASIC emissions by at least ``reduction`` (the Cities Mission asks 80%)
    by ``year`` along a straight line; residual emissions from then on are offset at
    ``offset_price_eur_per_t``. ``reduction``: the same path without offsetting.
    ``custom``: through ``points`` ``{year: reduction share}``. ``budget``: a cumulative cap
    ``budget_kt`` over the model years instead of a yearly path.
    ``scope: cluster`` applies the path to the sum of the cities in each cluster (burden
    sharing) instead of to each city.
    """

    kind: Literal["net_zero", "reduction", "custom", "budget"] = "net_zero"
    year: int | None = Field(default=None, ge=2022, le=2100)
    reduction: float = Field(default=0.8, ge=0.0, le=1.0)
    points: dict[int, float] | None = None
    budget_kt: float | None = Field(default=None, gt=0, le=1e6)
    scope: Literal["city", "cluster"] = "city"
    clusters: dict[str, list[str]] | None = None

    @model_validator(mode="after")
    def _complete(self) -> TargetSpec:
        if self.kind == "custom" and not self.points:
            raise ValueError("a custom target needs points {year: reduction share}")
        if self.kind == "budget" and self.budget_kt is None:
            raise ValueError("a budget target needs budget_kt")
        if self.scope == "cluster" and not self.clusters:
            raise ValueError("scope: cluster needs clusters {name: [city, ...]}")
        for v in (self.points or {}).values():
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"reduction shares must lie in [0, 1], got {v}")
        return self


class BundleSpec(_Strict):
    """Projects of the given archetypes in the given cities, prepared, procured and financed
    together: all delivered or none, one financing operation (so it may reach an
    instrument's minimum ticket), and a saving on preparation cost."""

    id: str = Field(min_length=1)
    archetypes: list[str] = Field(min_length=1)
    cities: list[str] = Field(min_length=1)
    prep_saving: float = Field(default=0.3, ge=0.0, le=1.0)


class InstrumentOverride(_Strict):
    enabled: bool = True
    annual_envelope_meur: float | None = Field(default=None, ge=0, le=1e6)
    envelope_per_capita: float | None = Field(default=None, ge=0, le=1e6)


class SolverSpec(_Strict):
    """HiGHS options.

    ``mip_gap``: a mixed-integer search stops when the plan's cost is proven within this
    share of its own cost (the gap in cost terms, not on the penalty-inflated objective).
    ``time_limit``: seconds for each HiGHS run (a run stopped by it says so in every output).
    ``presolve`` applies to mixed-integer models: HiGHS's MIP presolve (highspy 1.12-1.15)
    has been seen to stop "optimal" at a worse objective on small instances of this model
    (tests/test_portfolio_oracle.py), so it is off by default; a large scenario may switch it
    on (``choose``) for speed, accepting that risk. ``lp_method``: how a linear model is
    solved from scratch: ``simplex`` (a vertex and a basis for fast re-solves) or ``ipm``
    (interior point without crossover: faster on very large models; re-solves start cold).
    """

    mip_gap: float = Field(default=0.005, ge=0, le=1)
    time_limit: float = Field(default=300, gt=0, le=604_800)
    threads: int = Field(default=1, ge=1, le=64)
    presolve: Literal["off", "choose"] = "off"
    lp_method: Literal["simplex", "ipm"] = "simplex"


# Sampled probabilities are kept within [U_EPS, 1 - U_EPS], so unbounded distributions give
# finite values; the checks on a distribution's range use the same quantiles.
U_EPS = 1e-9


class DistributionSpec(_Strict):
    """A scipy.stats continuous distribution by name with its parameters, e.g.
    ``{name: triang, c: 0.5, loc: 0.8, scale: 0.4}`` or ``{name: norm, loc: 1, scale: 0.1}``.
    The parameters are those of the scipy.stats object (shape parameters, ``loc``,
    ``scale``)."""

    model_config = ConfigDict(extra="allow", frozen=False)
    name: str = Field(min_length=1)

    @property
    def params(self) -> dict[str, float]:
        return dict(self.model_extra or {})

    def frozen(self):
        """The frozen scipy.stats distribution."""
        import scipy.stats

        dist = getattr(scipy.stats, self.name, None)
        if not isinstance(dist, scipy.stats.rv_continuous):
            raise ValueError(
                f"'{self.name}' is not a continuous distribution of scipy.stats "
                "(e.g. uniform, norm, triang, lognorm, truncnorm, beta)"
            )
        for key, value in self.params.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"parameter '{key}' must be a number, got {value!r}")
        try:
            frozen = dist(**self.params)
            probe = frozen.ppf([0.05, 0.5, 0.95])
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"bad parameters for '{self.name}': {exc}") from None
        if not all(math.isfinite(float(v)) for v in probe):
            raise ValueError(f"parameters give no finite quantiles for '{self.name}'")
        return frozen

    def quantile_range(self) -> tuple[float, float]:
        """The quantiles at ``U_EPS`` and ``1 - U_EPS``, once the checks of :meth:`frozen`
        have passed (``ValueError`` otherwise).

        Computed with scipy.stats the first time, then remembered in the kit's cache folder,
        per scipy version (:class:`m100model.io.ScipyResults`): importing scipy.stats takes
        about a second, and validating a scenario (``m100 run``) needs nothing else from it."""
        key = json.dumps([self.name, U_EPS, sorted(self.params.items())], default=repr)
        hit = _RANGES.known().get(key)
        if (
            isinstance(hit, list)
            and len(hit) == 2
            and all(isinstance(v, float) and not math.isnan(v) for v in hit)
        ):
            return hit[0], hit[1]
        lo, hi = (float(v) for v in self.frozen().ppf([U_EPS, 1 - U_EPS]))
        _RANGES.store(key, [lo, hi])
        return lo, hi

    @model_validator(mode="after")
    def _valid(self, info: ValidationInfo) -> DistributionSpec:
        if not _deferred(info):
            self.quantile_range()
        return self


class UncertainInput(_Strict):
    """One uncertain input. Every kind except ``discount_rate`` is a *multiplier* on the
    scenario's value (1 = as assembled):

    - ``capex``: investment cost of the projects of ``themes`` / ``archetypes`` (all if none);
    - ``grid_factor``: the grid-electricity emission factor in every model year;
    - ``emission_factor``: the emission intensity of the pools of ``fuels``;
    - ``energy_price``: the prices of ``fuels`` (all if none);
    - ``driver_growth``: baseline activity of ``subsectors`` (all if none), reached in the
      horizon year along a straight line from 1 in the first model year;
    - ``envelope``: the yearly envelopes of ``instruments`` (all if none);
    - ``offset_price``: the price of offsets for residual emissions;
    - ``discount_rate``: the discount rate itself (a value, not a multiplier).
    """

    name: str = Field(min_length=1)
    kind: Literal[
        "capex",
        "grid_factor",
        "emission_factor",
        "energy_price",
        "driver_growth",
        "envelope",
        "offset_price",
        "discount_rate",
    ]
    distribution: DistributionSpec
    themes: list[str] = Field(default_factory=list)
    archetypes: list[str] = Field(default_factory=list)
    fuels: list[str] = Field(default_factory=list)
    subsectors: list[str] = Field(default_factory=list)
    instruments: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> UncertainInput:
        if self.kind == "emission_factor" and not self.fuels:
            raise ValueError("an emission_factor input needs fuels: [...]")
        for th in self.themes:
            if th not in THEMES:
                raise ValueError(f"unknown theme '{th}' (expected one of: {', '.join(THEMES)})")
        known = _instrument_ids()
        for s in self.instruments:
            if s not in known:
                raise ValueError(f"unknown instrument '{s}'")
        known = _archetype_ids()
        for a in self.archetypes:
            if a not in known:
                raise ValueError(f"unknown archetype '{a}'")
        if _deferred(info):
            return self
        lo, hi = self.distribution.quantile_range()
        if self.kind == "discount_rate":
            if lo < 0 or hi > 0.3:
                raise ValueError("a discount_rate distribution must lie within [0, 0.3]")
        elif lo < 0:
            raise ValueError(
                f"a {self.kind} multiplier must not be negative: the distribution reaches "
                f"{lo:.3g} (truncate it, e.g. truncnorm, or use uniform, triang, lognorm)"
            )
        return self


class UncertaintySpec(_Strict):
    """Uncertain inputs for ensembles and sensitivity analysis (``m100 ensemble``,
    ``m100 tornado``). Samples are drawn with a fixed ``seed`` by Latin hypercube (``lhs``)
    or scrambled Sobol (``sobol``) sampling of the unit cube, mapped through each input's
    quantile function (inputs are independent)."""

    samples: int = Field(default=64, ge=1, le=100_000)
    seed: int = Field(default=20_260, ge=0, le=2**32 - 1)
    method: Literal["lhs", "sobol"] = "lhs"
    inputs: list[UncertainInput] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> UncertaintySpec:
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError("inputs: two uncertain inputs share a name")
        return self


class Scenario(_Strict):
    """A validated scenario.

    Fields (defaults in brackets):

    - ``name``, ``description``: identify the run (results go to ``results/<name>``).
    - ``city_details``: a file of city details (CSV, or a workbook with a sheet ``city``;
      see :func:`m100model.cities.read_city_details`) adding cities of your own.
    - ``cities``: city ids from ``data/cities/cities.csv`` or ``city_details``.
    - ``inventories``: ``{city: path}``: the activity data of a city of your own, or a file
      to replace a bundled baseline inventory.

    Paths are relative to the scenario file's folder (then to the repository, where the
    bundled data lie), or absolute.
    - ``first_year`` [2025], ``horizon`` [2050]: the model years.
    - ``target``: see :class:`TargetSpec` [net zero, 80% by each city's target year].
    - ``grid_scenario`` [necp]: grid-factor trajectory (``data/drivers``).
    - ``archetypes`` [all]: candidate measures; ``project_scale`` [1]: multiplies every
      project's maximum deployment; ``phases`` [1]: split each programme into phases that
      may start five years apart.
    - ``indivisible`` [true]: build indivisible archetypes whole (binary decisions);
      ``decision_step`` [1]: indivisible projects may start every this many years.
    - ``baseline`` [wem]: ``wem`` projects the baseline with existing measures (the district
      heat path, vehicle-stock turnover under the EU CO2 standards); ``frozen`` keeps
      base-year technology (see :mod:`m100model.pathways`).
    - ``prices`` [wem]: energy price paths by carrier and sector
      (``data/drivers/energy_price_paths.csv``); ``frozen`` keeps today's prices flat, without
      ETS2. ``ets2`` [central]: the ETS2 allowance price path passed through to gas, oil and
      road fuels from 2028 (``low``, ``central``, ``high`` or ``none``; see
      :mod:`m100model.prices`).
    - ``build_rate`` [soft]: ``soft`` lets a project commission more than its normal yearly
      rate at a rising mark-up on capex (``data/projects/build_rate_tiers.csv``); ``hard``
      stops at the normal rate.
    - ``bundles``: see :class:`BundleSpec`.
    - ``instruments`` [all], ``instrument_overrides``: funding sources and envelope changes;
      ``tickets`` [true]: enforce minimum and maximum ticket sizes.
    - ``discount_rate`` [0.04], ``perspective`` [city: grants lower the city's cost; society:
      finance flows are transfers], ``offset_price_eur_per_t`` [100],
      ``shortfall_penalty_eur_per_t`` [10,000], ``energy_price_factor`` [1].
    - ``gwp`` [AR5], ``grid_method`` [production_mix]: inventory settings.
    - ``solver``: see :class:`SolverSpec`.
    """

    name: str = Field(min_length=1)
    description: str = ""
    city_details: str | None = None
    cities: list[str] = Field(min_length=1)
    inventories: dict[str, str] = Field(default_factory=dict)
    first_year: int = Field(default=2025, ge=2022, le=2060)
    horizon: int = Field(default=2050, ge=2023, le=2100)
    target: TargetSpec = Field(default_factory=TargetSpec)
    grid_scenario: str = "necp"
    archetypes: list[str] | Literal["all"] = "all"
    project_scale: float = Field(default=1.0, gt=0, le=100)
    phases: int = Field(default=1, ge=1, le=5)
    indivisible: bool = True
    decision_step: int = Field(default=1, ge=1, le=10)
    build_rate: Literal["soft", "hard"] = "soft"
    baseline: Literal["wem", "frozen"] = "wem"
    prices: Literal["wem", "frozen"] = "wem"
    ets2: Literal["central", "low", "high", "none"] = "central"
    bundles: list[BundleSpec] = Field(default_factory=list)
    instruments: list[str] | Literal["all"] = "all"
    instrument_overrides: dict[str, InstrumentOverride] = Field(default_factory=dict)
    tickets: bool = True
    discount_rate: float = Field(default=0.04, ge=0.0, le=0.3)
    gwp: Literal["AR4", "AR5", "AR6"] = "AR5"
    grid_method: str = "production_mix"
    perspective: Literal["city", "society"] = "city"
    offset_price_eur_per_t: float = Field(default=100.0, ge=0, le=1e5)
    shortfall_penalty_eur_per_t: float = Field(default=10_000.0, gt=0, le=1e6)
    energy_price_factor: float = Field(default=1.0, ge=0, le=100)
    solver: SolverSpec = Field(default_factory=SolverSpec)
    uncertainty: UncertaintySpec | None = None

    @field_validator("name")
    @classmethod
    def _name_is_not_a_path(cls, name: str) -> str:
        """The name becomes the results folder (``results/<name>``): it must not lead
        elsewhere (no folder separators, no leading dot, not ``.`` or ``..``)."""
        if "/" in name or "\\" in name or name.startswith(".") or name.strip() != name:
            raise ValueError(
                f"expected a plain name for the results folder (letters, digits, '_', '-'), "
                f"got '{name}'"
            )
        return name

    @field_validator("city_details")
    @classmethod
    def _city_details(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Read the cities of the file and make them known (before ``cities`` is checked)."""
        if value is None:
            return None
        from m100model.cities import read_city_details, register_cities

        path = resolve_path(value, _base(info))
        try:
            register_cities(read_city_details(path))
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return str(path)

    @field_validator("inventories")
    @classmethod
    def _inventory_paths(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return {c: str(resolve_path(p, _base(info))) for c, p in value.items()}

    @field_validator("cities")
    @classmethod
    def _known_cities(cls, cities: list[str]) -> list[str]:
        from m100model.cities import _ADDED

        known = (*known_ids("cities/cities.csv", "city_id"), *_ADDED)
        for c in cities:
            if c not in known:
                raise ValueError(f"unknown city '{c}' (expected one of: {', '.join(known)})")
        if len(set(cities)) != len(cities):
            raise ValueError("a city is listed twice")
        return cities

    @field_validator("archetypes")
    @classmethod
    def _known_archetypes(cls, value: list[str] | str) -> list[str] | str:
        if value != "all":
            if not value:
                raise ValueError("expected at least one archetype id, or 'all'")
            known = _archetype_ids()
            for a in value:
                if a not in known:
                    raise ValueError(f"unknown archetype '{a}'")
        return value

    @field_validator("instruments")
    @classmethod
    def _known_instruments(cls, value: list[str] | str) -> list[str] | str:
        if value != "all":
            if not value:
                raise ValueError("expected at least one instrument id, or 'all'")
            known = _instrument_ids()
            for s in value:
                if s not in known:
                    raise ValueError(
                        f"unknown instrument '{s}' (expected one of: {', '.join(known)})"
                    )
        return value

    @field_validator("instrument_overrides")
    @classmethod
    def _known_overrides(cls, value: dict) -> dict:
        known = _instrument_ids()
        for s in value:
            if s not in known:
                raise ValueError(f"unknown instrument '{s}'")
        return value

    @field_validator("grid_scenario")
    @classmethod
    def _known_grid_scenario(cls, value: str) -> str:
        known = sorted(known_ids("drivers/grid_factor_trajectory.csv", "scenario"))
        if value not in known:
            raise ValueError(
                f"unknown grid trajectory '{value}' (expected one of: {', '.join(known)})"
            )
        return value

    @field_validator("grid_method")
    @classmethod
    def _known_grid_method(cls, value: str) -> str:
        methods = known_ids("factors/grid_electricity_ro.csv", "method")
        known = sorted(m for m in methods if m != _TD_LOSSES_METHOD)
        if value not in known:
            raise ValueError(
                f"unknown grid-factor method '{value}' (expected one of: {', '.join(known)})"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.horizon <= self.first_year:
            raise ValueError("horizon: must come after first_year")
        cities = set(self.cities)
        for city in self.inventories:
            if city not in cities:
                raise ValueError(
                    f"inventories: inventory given for '{city}', which is not in cities"
                )
        for b in self.bundles:
            for c in b.cities:
                if c not in cities:
                    raise ValueError(
                        f"bundles: bundle '{b.id}' names city '{c}', which is not in cities"
                    )
            known = _archetype_ids()
            for a in b.archetypes:
                if a not in known:
                    raise ValueError(f"bundles: bundle '{b.id}' names unknown archetype '{a}'")
        ids = [b.id for b in self.bundles]
        if len(set(ids)) != len(ids):
            raise ValueError("bundles: two bundles share an id")
        seen: set[tuple[str, str]] = set()
        for b in self.bundles:
            for c in b.cities:
                for a in b.archetypes:
                    if (c, a) in seen:
                        raise ValueError(f"bundles: {c}:{a} is in two bundles")
                    seen.add((c, a))
        if self.target.scope == "cluster":
            listed = [c for members in (self.target.clusters or {}).values() for c in members]
            if sorted(listed) != sorted(cities):
                raise ValueError("target.clusters: must list every scenario city exactly once")
        bundled = bundled_inventories()
        for city in self.cities:
            if city in self.inventories:
                try:
                    check_file(self.inventory_path(city))
                except InputError as exc:
                    raise ValueError(
                        f"inventories.{city}: {exc} (paths are relative to the scenario "
                        "file's folder)"
                    ) from None
            elif city not in bundled:
                raise ValueError(
                    f"inventories.{city}: missing (no bundled inventory for '{city}'; give an "
                    "activity file)"
                )
        return self

    # -- derived -------------------------------------------------------------------------
    def inventory_path(self, city: str) -> Path:
        """The activity file of a city: as given, or the bundled baseline."""
        if city in self.inventories:
            return Path(self.inventories[city])  # resolved when the scenario was read
        bundled = bundled_inventories()
        if city not in bundled:
            raise KeyError(f"no bundled inventory for {city}")
        return bundled[city]

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.horizon + 1))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    InputError
        Naming the file and the field, e.g. ``scenario.yaml, field 'target.reduction': ...``.
    """
    path = Path(path)
    shown = display_path(path)
    raw = read_yaml(path)
    base = path.resolve().parent
    if not isinstance(raw, dict):
        raise InputError(shown, "expected a mapping of scenario fields (name, cities, ...)")
    try:
        # Every check except the distributions first: they need scipy.stats (about a second
        # to import), and a file with a simpler mistake should not wait for it.
        scn = Scenario.model_validate(raw, context={_DEFER_DISTRIBUTIONS: True, _BASE: base})
        if scn.uncertainty is not None:
            scn = Scenario.model_validate(raw, context={_BASE: base})
        return scn
    except ValidationError as exc:
        raise from_validation(shown, exc, top_level="(top level)") from None
