"""Vehicle-stock turnover under the EU CO2 standards: the "with existing measures" road fleet.

The baseline in :mod:`m100model.pathways` freezes vehicle technology: a litre of diesel per
vehicle-km in 2021 stays a litre in 2050. This module replaces that with a stock model of
Romanian cars, vans, trucks and (urban) buses. Old vehicles are scrapped, and the new ones
meet the EU CO2 emission standards. It returns, per class and year, the share of vehicle-km
driven on fossil fuel, how much fuel each fossil vehicle-km takes relative to 2021, and the
electricity of the electric vehicle-km.

Stock by age
------------
:math:`N_{t,a}` is the stock at the end of year :math:`t` of vehicles aged :math:`a`
(:math:`a = 0 \\dots A`); its vintage (model year) is :math:`v = t - a`. Survival to age
:math:`a` is Weibull,

.. math::

    S(a) = \\exp\\!\\left[-\\left(\\frac{a}{\\lambda}\\right)^{k}\\right], \\qquad
    p_a = \\frac{S(a+1)}{S(a)}, \\qquad p_A = 0,

and each year the survivors age by one: :math:`\\tilde N_{t,a+1} = N_{t-1,a}\\,p_a`. The
stock follows an index :math:`X_t` (base year = 1): entrants fill the gap,

.. math::

    E_t = \\max\\Big(0,\\; X_t - \\sum_a \\tilde N_{t,a}\\Big),

a share :math:`n` as new vehicles (age 0) and :math:`1-n` as used imports entering at age
:math:`a_u` (Romania imports about two used cars for each new one). If the survivors exceed
:math:`X_t`, they are scaled down to :math:`X_t` (early scrappage, same share at every age).

The base-year stock is the steady state of these rules with constant entrants,

.. math::

    N_{0,a} \\propto n\\,S(a) + (1-n)\\,\\frac{S(a)}{S(a_u)}\\,[a \\ge a_u],

and the Weibull scale :math:`\\lambda` is calibrated so that its mean age equals the
published average age of the Romanian fleet (:func:`calibrate_scale`).

Technology by vintage
---------------------
Each vintage has a zero-emission share :math:`e_v` (the share of its vehicle-km driven
electrically) and a fuel use per fossil vehicle-km :math:`f_v`, relative to a new fossil
vehicle of the base year :math:`v_0`:

.. math::

    f_v = \\begin{cases} (1+g)^{v_0 - v} & v < v_0 \\\\ q_v & v \\ge v_0 \\end{cases}
    \\qquad
    e_v = \\begin{cases} \\varepsilon_0 & v < v_0 \\\\
        \\max\\big(e^{\\mathrm{obs}}_v,\\; z_v,\\; e^{\\mathrm{std}}_v\\big) & v \\ge v_0
    \\end{cases}

with :math:`g` the real-world improvement per model year before the base year,
:math:`q_v` the efficiency path of new fossil vehicles, :math:`\\varepsilon_0` the electric
share of the base-year stock, :math:`e^{\\mathrm{obs}}_v` the observed share of new
zero-emission vehicles (held from its last year), :math:`z_v` a mandated minimum share (the
urban-bus rule, the Clean Vehicles Directive) and :math:`e^{\\mathrm{std}}_v` the share that
meets the fleet-wide CO2 target of year :math:`v` (a reduction :math:`r_v` against the
regulation's reference, used only once :math:`r_v > 0`):

.. math::

    (1 - e^{\\mathrm{std}}_v)\\, c_0\\, q_v = 1 - r_v
    \\quad\\Rightarrow\\quad
    e^{\\mathrm{std}}_v = 1 - \\frac{1 - r_v}{c_0\\, q_v}, \\qquad
    c_0 = \\frac{C_0}{1 - e^{\\mathrm{obs}}_{v_0}},

where :math:`C_0` is the base-year new-vehicle fleet average relative to the reference, so
:math:`c_0` is the base-year new *fossil* vehicle. The EU fleet-wide target is taken as what
Romanian new registrations reach on average (an assumption: the targets bind manufacturers
EU-wide, not countries). Targets are steps (2025-2029, 2030-2034, ...); :math:`q_v` is
interpolated linearly. Used imports carry the technology of their vintage.

Fleet averages
--------------
Vehicle-km weights fall with age, :math:`w_{t,a} = N_{t,a}\\,(1-\\mu)^a`. Then

.. math::

    \\phi_t = \\frac{\\sum_a w_{t,a}(1-e_{t-a})}{\\sum_a w_{t,a}}, \\qquad
    \\varepsilon_t = 1 - \\phi_t, \\qquad
    I_t = \\frac{\\bar f_t}{\\bar f_{0}}, \\quad
    \\bar f_t = \\frac{\\sum_a w_{t,a}(1-e_{t-a})\\,f_{t-a}}{\\sum_a w_{t,a}(1-e_{t-a})}.

:math:`\\phi_t` is ``fossil_vkm_share``, :math:`\\varepsilon_t` ``electric_vkm_share``,
:math:`I_t` ``fossil_intensity_index`` (NaN in a year with no fossil vehicle-km), and
``fossil_energy_index`` :math:`= \\phi_t I_t / \\phi_0` is the fuel per vehicle-km of the
whole class relative to the base year. ``electric_kwh_per_vkm`` :math:`k` is the electricity
of an electric vehicle-km (constant over vintages).

Using it in the baseline
------------------------
A fossil pool such as ``II.1 gasoline`` (MWh) grows today as
:math:`A_t = A_0 D_t` with :math:`D_t` the ``vkm_car`` driver. With the fleet model,

.. math::

    A_t = A_0\\, D_t\\, \\frac{\\phi_t}{\\phi_0}\\, I_t = A_0\\, D_t \\cdot
    \\texttt{fossil\\_energy\\_index}_t,

and the electric vehicle-km move to the grid-electricity pool ``II.1 electricity`` (GPC
II.1.2, scope 2, whose intensity follows the grid factor). Per MWh of base-year fuel the
added electricity is

.. math::

    \\frac{\\Delta A^{\\mathrm{el}}_t}{A_0} = D_t\\,
    \\frac{(\\varepsilon_t - \\varepsilon_0)\\,k}{\\phi_0\\, q_0},

with :math:`q_0` the base-year fossil fuel per vehicle-km (kWh/vkm, e.g. ``car_gasoline``
in ``data/factors/vehicle_intensity.csv``); see :func:`electric_mwh_per_base_fossil_mwh`.
A pool that mixes classes (``II.1 diesel``: cars, vans, trucks, buses) takes the classes'
multipliers weighted by their shares of its base-year energy. ``scenario="frozen"`` returns
multipliers of exactly 1 and 0 (today's behaviour), so a caller can switch.
Pass the driver as ``stock_index`` if the stock should follow it (constant km per vehicle);
the shares and intensities do not depend on absolute vehicle-km.

Every parameter comes from ``data/drivers/vehicle_fleet.csv`` and
``data/drivers/co2_standards.csv`` (see ``data/drivers/README.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from m100model.io import ScipyResults
from m100model.tables import check_values, data_dir, read_table

VEHICLE_CLASSES = ("car", "van", "truck", "bus")
SCENARIOS = ("wem", "frozen")
BASE_YEAR = 2021

FLEET_PARAMETERS = (
    "stock",
    "average_age",
    "weibull_shape",
    "new_share_of_entrants",
    "used_entry_age",
    "stock_electric_share",
    "new_zev_share",
    "new_fleet_co2_index",
    "ice_co2_index",
    "pre_base_improvement_rate",
    "mileage_decline_rate",
    "electric_kwh_per_vkm",
    "max_age",
)
STANDARD_METRICS = ("co2_reduction", "zev_share_min")

PATH_COLUMNS = [
    "year",
    "stock_index",
    "new_registrations",
    "used_registrations",
    "scrapped",
    "mean_age",
    "fossil_vkm_share",
    "electric_vkm_share",
    "fossil_intensity_index",
    "fossil_vkm_index",
    "fossil_energy_index",
    "electric_kwh_per_vkm",
]


# ---------------------------------------------------------------------------------------
# Survival and the base-year stock
# ---------------------------------------------------------------------------------------
def weibull_survival(shape: float, scale: float, max_age: int) -> np.ndarray:
    """:math:`S(a) = \\exp(-(a/\\lambda)^k)` for ages 0..max_age."""
    ages = np.arange(max_age + 1, dtype=float)
    return np.exp(-((ages / scale) ** shape))


def steady_state_stock(survival: np.ndarray, new_share: float, used_age: int) -> np.ndarray:
    """Age structure (shares summing to 1) of a stock with constant entrants: a share
    ``new_share`` enters at age 0, the rest at ``used_age``, and all age with ``survival``."""
    s = np.asarray(survival, dtype=float)
    stock = new_share * s / s[0]
    if new_share < 1.0:
        if not 0 <= used_age < len(s) or s[used_age] <= 0:
            raise ValueError(f"used-entry age {used_age} is outside the survival curve")
        used = np.zeros_like(s)
        used[used_age:] = s[used_age:] / s[used_age]
        stock = stock + (1.0 - new_share) * used
    return stock / stock.sum()


def mean_age(stock: np.ndarray) -> float:
    """Mean age of a stock given by age 0, 1, 2, ..."""
    stock = np.asarray(stock, dtype=float)
    return float(np.arange(len(stock)) @ stock / stock.sum())


def calibrate_scale(
    shape: float, target_mean_age: float, new_share: float, used_age: int, max_age: int
) -> float:
    """Weibull scale :math:`\\lambda` whose steady-state stock has ``target_mean_age``.

    Found with scipy's ``brentq`` once per set of arguments and kept in the kit's cache
    folder (:func:`m100model.io.cache_dir`), so that a command line run need not import
    scipy (about a second) to recompute the same number."""
    key = repr(
        (float(shape), float(target_mean_age), float(new_share), int(used_age), int(max_age))
    )
    known = _SCALES.known()
    if key not in known:
        _SCALES.store(key, _solve_scale(shape, target_mean_age, new_share, used_age, max_age))
    return float(known[key])


_SCALES = ScipyResults("fleet-weibull-scales-v1")


def _solve_scale(
    shape: float, target_mean_age: float, new_share: float, used_age: int, max_age: int
) -> float:
    from scipy.optimize import brentq

    def gap(scale: float) -> float:
        s = weibull_survival(shape, scale, max_age)
        return mean_age(steady_state_stock(s, new_share, used_age)) - target_mean_age

    # Lowest scale at which S(used_age) is still a normal float (exp(-700)).
    lo, hi = max(0.5, 1.01 * used_age / 700.0 ** (1.0 / shape)), 500.0
    if gap(lo) > 0 or gap(hi) < 0:
        raise ValueError(
            f"no Weibull scale gives a mean age of {target_mean_age} years "
            f"(shape {shape}, new share {new_share}, used-entry age {used_age})"
        )
    return float(brentq(gap, lo, hi, xtol=1e-10))


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FleetParams:
    """Everything the stock model needs for one vehicle class.

    ``survival[a]`` is :math:`S(a)` for a = 0..A (vehicles leave after age A);
    ``base_stock[a]`` the base-year stock by age (shares); ``electric_share(v)`` and
    ``fossil_intensity(v)`` give :math:`e_v` and :math:`f_v` for a vintage ``v``.
    """

    vehicle_class: str
    base_year: int
    survival: np.ndarray
    base_stock: np.ndarray
    new_share: float
    used_age: int
    electric_share: Callable[[int], float]
    fossil_intensity: Callable[[int], float]
    mileage_decline: float = 0.0
    electric_kwh_per_vkm: float = 0.0

    @property
    def max_age(self) -> int:
        return len(self.survival) - 1


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = data_dir() / "drivers"
    fleet = read_table(
        folder / "vehicle_fleet.csv",
        ["vehicle_class", "parameter", "year", "value", "unit"],
        numeric=["year", "value"],
    )
    check_values(fleet, "vehicle_class", VEHICLE_CLASSES)
    check_values(fleet, "parameter", FLEET_PARAMETERS)
    standards = read_table(
        folder / "co2_standards.csv",
        ["vehicle_class", "regulation", "metric", "year", "value", "unit"],
        numeric=["year", "value"],
    )
    check_values(standards, "vehicle_class", VEHICLE_CLASSES)
    check_values(standards, "metric", STANDARD_METRICS)
    return fleet, standards


def _series(df: pd.DataFrame, vehicle_class: str, column: str, name: str) -> pd.Series:
    rows = df[(df["vehicle_class"] == vehicle_class) & (df[column] == name)]
    return rows.set_index(rows["year"].astype(int))["value"].sort_index()


def _scalar(fleet: pd.DataFrame, vehicle_class: str, name: str) -> float:
    s = _series(fleet, vehicle_class, "parameter", name)
    if s.empty:
        raise KeyError(f"data/drivers/vehicle_fleet.csv has no '{name}' for {vehicle_class}")
    return float(s.iloc[-1])


def _step(series: pd.Series, year: int, default: float = 0.0) -> float:
    """Value of the last row at or before ``year`` (targets hold until the next one)."""
    before = series[series.index <= year]
    return float(before.iloc[-1]) if len(before) else default


def _linear(series: pd.Series, year: int) -> float:
    return float(np.interp(year, series.index.to_numpy(float), series.to_numpy(float)))


def load_params(vehicle_class: str, base_year: int = BASE_YEAR) -> FleetParams:
    """The bundled parameters of a vehicle class, with the survival scale calibrated."""
    if vehicle_class not in VEHICLE_CLASSES:
        raise KeyError(
            f"unknown vehicle class '{vehicle_class}' (expected one of: "
            f"{', '.join(VEHICLE_CLASSES)})"
        )
    fleet, standards = _tables()
    c = vehicle_class
    shape = _scalar(fleet, c, "weibull_shape")
    new_share = _scalar(fleet, c, "new_share_of_entrants")
    used_age = round(_scalar(fleet, c, "used_entry_age"))
    max_age = round(_scalar(fleet, c, "max_age"))
    scale = calibrate_scale(shape, _scalar(fleet, c, "average_age"), new_share, used_age, max_age)
    survival = weibull_survival(shape, scale, max_age)

    observed = _series(fleet, c, "parameter", "new_zev_share")
    if base_year not in observed.index:
        raise KeyError(f"vehicle_fleet.csv needs a {base_year} new_zev_share for {c}")
    ice = _series(fleet, c, "parameter", "ice_co2_index")
    reduction = _series(standards, c, "metric", "co2_reduction")
    floor = _series(standards, c, "metric", "zev_share_min")
    eps0 = _scalar(fleet, c, "stock_electric_share")
    g = _scalar(fleet, c, "pre_base_improvement_rate")
    c0 = _scalar(fleet, c, "new_fleet_co2_index") / (1.0 - float(observed[base_year]))

    def fossil_intensity(v: int) -> float:
        return (1.0 + g) ** (base_year - v) if v < base_year else _linear(ice, v)

    def electric_share(v: int) -> float:
        if v < base_year:
            return eps0
        share = max(_step(observed, v), _step(floor, v))
        r = _step(reduction, v)
        if r > 0:
            share = max(share, 1.0 - (1.0 - r) / (c0 * fossil_intensity(v)))
        return float(min(1.0, max(0.0, share)))

    return FleetParams(
        vehicle_class=c,
        base_year=base_year,
        survival=survival,
        base_stock=steady_state_stock(survival, new_share, used_age),
        new_share=new_share,
        used_age=used_age,
        electric_share=functools.lru_cache(maxsize=None)(electric_share),
        fossil_intensity=functools.lru_cache(maxsize=None)(fossil_intensity),
        mileage_decline=_scalar(fleet, c, "mileage_decline_rate"),
        electric_kwh_per_vkm=_scalar(fleet, c, "electric_kwh_per_vkm"),
    )


# ---------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FleetRun:
    """A simulated stock: ``stock[i, a]`` for year ``years[i]`` and age ``a``, with the
    entrants (new, used) and scrapped vehicles of each year (NaN in the base year)."""

    params: FleetParams
    years: np.ndarray
    stock: np.ndarray
    new: np.ndarray
    used: np.ndarray
    scrapped: np.ndarray


def _stock_path(base_year: int, last_year: int, years, stock_index) -> np.ndarray:
    """The stock index for every year base..last, interpolated from the caller's points."""
    every = np.arange(base_year, last_year + 1)
    if stock_index is None:
        return np.ones(len(every))
    if isinstance(stock_index, Mapping):
        points = {int(y): float(x) for y, x in stock_index.items()}
    else:
        values = np.asarray(stock_index, dtype=float)
        if values.shape != (len(years),):
            raise ValueError("stock_index needs one value per year")
        points = dict(zip((int(y) for y in years), values, strict=True))
    if base_year in points:
        if points[base_year] <= 0:
            raise ValueError("the stock index of the base year must be positive")
        points = {y: x / points[base_year] for y, x in points.items()}
    else:
        points[base_year] = 1.0
    xs = np.array(sorted(points))
    path = np.interp(every, xs, [points[x] for x in xs])
    if (path < 0).any():
        raise ValueError("the stock index cannot be negative")
    return path


def simulate(
    params: FleetParams,
    last_year: int,
    stock_index: Sequence[float] | Mapping[int, float] | None = None,
    years: Sequence[int] | None = None,
) -> FleetRun:
    """Run the stock model from the base year to ``last_year`` (see the module docstring).

    ``stock_index`` is None (flat), a mapping ``{year: index}`` or values for ``years``;
    it is interpolated linearly to every year and rescaled so that the base year is 1.
    """
    b = params.base_year
    if last_year < b:
        raise ValueError(f"the fleet model starts in {b}")
    path = _stock_path(b, last_year, years, stock_index)
    n_years, n_ages = len(path), params.max_age + 1
    s = np.asarray(params.survival, dtype=float)
    p = np.zeros(n_ages)
    p[:-1] = np.divide(s[1:], s[:-1], out=np.zeros(n_ages - 1), where=s[:-1] > 0)
    stock = np.zeros((n_years, n_ages))
    base = np.asarray(params.base_stock, dtype=float)
    stock[0] = base / base.sum()
    new, used, scrapped = (np.full(n_years, np.nan) for _ in range(3))
    for i in range(1, n_years):
        survivors = np.zeros(n_ages)
        survivors[1:] = stock[i - 1, :-1] * p[:-1]
        total = survivors.sum()
        if total > path[i]:
            survivors *= path[i] / total
        entrants = max(0.0, path[i] - survivors.sum())
        survivors[0] += params.new_share * entrants
        survivors[params.used_age] += (1.0 - params.new_share) * entrants
        stock[i] = survivors
        new[i] = params.new_share * entrants
        used[i] = (1.0 - params.new_share) * entrants
        scrapped[i] = stock[i - 1].sum() - (stock[i].sum() - entrants)
    return FleetRun(params, np.arange(b, last_year + 1), stock, new, used, scrapped)


def _averages(run: FleetRun) -> pd.DataFrame:
    prm = run.params
    ages = np.arange(prm.max_age + 1)
    mileage = (1.0 - prm.mileage_decline) ** ages
    rows = []
    for i, year in enumerate(run.years):
        vintages = year - ages
        e = np.array([prm.electric_share(int(v)) for v in vintages])
        f = np.array([prm.fossil_intensity(int(v)) for v in vintages])
        w = run.stock[i] * mileage
        fossil_w = w * (1.0 - e)
        total = w.sum()
        rows.append(
            dict(
                year=int(year),
                stock_index=run.stock[i].sum(),
                new_registrations=run.new[i],
                used_registrations=run.used[i],
                scrapped=run.scrapped[i],
                mean_age=mean_age(run.stock[i]) if run.stock[i].sum() > 0 else np.nan,
                fossil_vkm_share=fossil_w.sum() / total if total > 0 else np.nan,
                fossil_energy=(fossil_w @ f) / total if total > 0 else np.nan,
                mean_f=(fossil_w @ f) / fossil_w.sum() if fossil_w.sum() > 0 else np.nan,
            )
        )
    df = pd.DataFrame(rows)
    phi0, f0, energy0 = df.loc[0, ["fossil_vkm_share", "mean_f", "fossil_energy"]]
    df["electric_vkm_share"] = 1.0 - df["fossil_vkm_share"]
    df["fossil_intensity_index"] = df["mean_f"] / f0
    df["fossil_vkm_index"] = df["fossil_vkm_share"] / phi0
    df["fossil_energy_index"] = df["fossil_energy"] / energy0
    df["electric_kwh_per_vkm"] = prm.electric_kwh_per_vkm
    return df[PATH_COLUMNS]


def paths(
    params: FleetParams,
    years: Sequence[int],
    stock_index: Sequence[float] | Mapping[int, float] | None = None,
) -> pd.DataFrame:
    """Fleet averages (the columns of :data:`PATH_COLUMNS`) for ``years`` and given params."""
    years = [int(y) for y in years]
    if not years:
        return pd.DataFrame(columns=PATH_COLUMNS)
    if min(years) < params.base_year:
        raise ValueError(f"the fleet model starts in {params.base_year}")
    run = simulate(params, max(years), stock_index, years)
    df = _averages(run)
    return df.set_index("year").loc[years].reset_index()


def fleet_paths(
    vehicle_class: str,
    years: Sequence[int],
    stock_index: Sequence[float] | Mapping[int, float] | None = None,
    scenario: str = "wem",
) -> pd.DataFrame:
    """Per-year fleet averages for ``car``, ``van``, ``truck`` or ``bus``.

    ``scenario="wem"``: stock turnover under the EU CO2 standards (bundled data).
    ``scenario="frozen"``: today's baseline, technology fixed (shares 1/0, indices 1).
    Columns: see :data:`PATH_COLUMNS` and the module docstring.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario '{scenario}' (expected one of: {', '.join(SCENARIOS)})")
    params = load_params(vehicle_class)
    if scenario == "wem":
        return paths(params, years, stock_index)
    years = [int(y) for y in years]
    index = _stock_path(params.base_year, max([*years, params.base_year]), years, stock_index)
    nan = np.full(len(years), np.nan)
    return pd.DataFrame(
        dict(
            year=years,
            stock_index=[index[y - params.base_year] for y in years],
            new_registrations=nan,
            used_registrations=nan,
            scrapped=nan,
            mean_age=nan,
            fossil_vkm_share=1.0,
            electric_vkm_share=0.0,
            fossil_intensity_index=1.0,
            fossil_vkm_index=1.0,
            fossil_energy_index=1.0,
            electric_kwh_per_vkm=params.electric_kwh_per_vkm,
        )
    )[PATH_COLUMNS]


def electric_mwh_per_base_fossil_mwh(df: pd.DataFrame, fossil_kwh_per_vkm: float) -> np.ndarray:
    """Electricity added to the grid-electricity pool per MWh of the base-year fossil pool,
    before the vkm driver: :math:`(\\varepsilon_t - \\varepsilon_0)\\,k / (\\phi_0 q_0)`.

    ``df`` is a :func:`fleet_paths` table whose first row is the base year;
    ``fossil_kwh_per_vkm`` is :math:`q_0`, the base-year fuel per fossil vehicle-km.
    """
    phi0, eps0 = df["fossil_vkm_share"].iloc[0], df["electric_vkm_share"].iloc[0]
    k = df["electric_kwh_per_vkm"].to_numpy(float)
    return ((df["electric_vkm_share"].to_numpy(float) - eps0) * k) / (phi0 * fossil_kwh_per_vkm)
