"""Interactive explorers for JupyterLab: ipywidgets controls that call the library.

:class:`ScenarioExplorer` keeps one solved portfolio model per city and answers a moved
slider by changing the model in place through the :class:`~m100model.portfolio.solve.
PortfolioSolver` setters (targets and envelopes change row bounds and re-solve from the last
basis; discount rate, grid and prices recompile), then redraws its three Altair charts. The
charts are :class:`LiveChart` widgets that stay on the page: their layout is sent once, and
each answer changes their rows (widget state that every view applies once its chart is
drawn), so nothing flickers or scrolls and no view misses an answer. Control changes are
coalesced: the first event of a burst (a drag) is solved at once, and the events that came
in meanwhile make one more solve, for the latest position (or, with ``coalesce=False``,
debounced: one solve after the last event).

:class:`InventoryExplorer` recomputes a city's GHG inventory with another GWP set or
grid-factor method. :class:`TeamForm` is a workshop team's choice form: it writes the team's
own choice file (see :mod:`m100model.workshop`).

Everything runs offline: the chart widgets carry the Vega JavaScript that vl-convert ships
(:meth:`LiveChart.enable_offline`) instead of loading it from a CDN.

Each explorer and the team form take ``lang`` (``"en"``, ``"ro"``; ``None``: the current
language when it is made, see :mod:`m100model.i18n`): their labels, buttons, status lines and
charts are then in that language, names of cities, funding instruments and programmes too
(their Romanian names are data: ``city_ro``, ``name_ro``); what the controls do is the same.

Example (in a notebook)::

    from m100model.widgets import ScenarioExplorer

    explorer = ScenarioExplorer("data/scenarios/workshop.yaml")
    explorer  # shows the controls and charts

    ScenarioExplorer("data/scenarios/workshop.yaml", lang="ro")  # the same, in Romanian
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import html
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import altair as alt
import anywidget
import ipywidgets as W
import numpy as np
import pandas as pd
import traitlets

from m100model import charts
from m100model.analysis.macc import compare_with_optimum, macc
from m100model.cities import city_name, load_cities
from m100model.factors import DEFAULT_GRID_METHOD, load_factors
from m100model.i18n import N_, _, check_language, language, number, tr, use_language
from m100model.inventory import TD_LOSSES_METHOD, Inventory, bundled_inventories, load_inventory
from m100model.pathways import grid_trajectory
from m100model.portfolio.data import PortfolioData, assemble
from m100model.portfolio.results import PortfolioResult, add_prices, extract
from m100model.portfolio.solve import PortfolioSolver
from m100model.scenario import Scenario, TargetSpec, load_scenario
from m100model.tables import data_dir

ILLUSTRATIVE_NOTE = N_(
    "Illustrative data: the city inventories are derived from national statistics and many "
    "project costs are unsourced estimates (see data/*/README.md)."
)
"""The explorers' note on their data (English; ``tr(ILLUSTRATIVE_NOTE)`` in the current
language)."""

# What the solver's status and limits are called in the status line.
SOLVER_WORDS = (
    N_("optimal"),
    N_("feasible"),
    N_("no solution"),
    N_("infeasible"),
    N_("time limit"),
    N_("iteration limit"),
    N_("solution limit"),
    N_("interrupt"),
)


def _lang(lang: str | None) -> str:
    """The language a widget keeps: ``lang``, or the current one when it is made (its
    callbacks run later, outside any ``use_language`` block)."""
    return language() if lang is None else check_language(lang)


def _city_name(city_id: str) -> str:
    """A city's display name in the current language (Romanian: ``city_ro`` of
    ``data/cities/cities.csv``, with its diacritics)."""
    name = city_name(city_id)
    if language() == "ro":
        cities = load_cities()
        if city_id in cities.index and "city_ro" in cities.columns:
            ro = cities.at[city_id, "city_ro"]
            if isinstance(ro, str) and ro.strip():
                return ro.strip()
    return name


@functools.cache
def _romanian_names(table: str, folder: str) -> dict[str, str]:
    """``name_ro`` of the funding instruments or archetypes, by id (``folder``: the data
    folder they were read from)."""
    from m100model.projects import load_archetypes, load_instruments

    df = load_instruments() if table == "instruments" else load_archetypes()
    if "name_ro" not in df.columns:
        return {}
    return {
        str(k): str(v).strip() for k, v in df["name_ro"].items() if isinstance(v, str) and v.strip()
    }


def _data_name(table: str, key: str, english: str) -> str:
    """A funding instrument's or archetype's name (``table``: ``instruments`` or
    ``archetypes``) in the current language: Romanian, its ``name_ro``; else ``english``."""
    if language() == "ro":
        return _romanian_names(table, str(data_dir())).get(key, english)
    return english


# ---------------------------------------------------------------------------------------
# Debouncing
# ---------------------------------------------------------------------------------------
class Debouncer:
    """Call ``fn`` once, ``wait_s`` seconds after the last of a burst of calls.

    In a running kernel the call is scheduled on an asyncio event loop: the one that ran when
    the debouncer was made (a notebook cell: the kernel's main thread), else the caller's.
    Calls from another thread are handed to that loop, so ``fn`` always runs on one thread,
    one call at a time: JupyterLab 4.4+ sends widget messages to a kernel *subshell*
    (ipykernel 7), whose thread would otherwise solve at the same time as the main thread.
    Where no loop runs (a plain script, a test) the call is made at once, as it is with
    ``wait_s`` 0 on the loop's own thread. :meth:`flush` makes a pending call now.
    """

    def __init__(self, fn: Callable[[], object], wait_s: float = 0.2) -> None:
        self.fn = fn
        self.wait_s = wait_s
        self.pending = False
        self._handle: asyncio.TimerHandle | None = None
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def __call__(self, *_args: object) -> None:
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        home = self._loop if self._loop is not None and self._loop.is_running() else here
        if home is None:
            self.pending = True
            self.flush()
        elif home is here:
            self._schedule(home)
        else:
            home.call_soon_threadsafe(self._schedule, home)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``'s thread: note the call and (re)start the wait."""
        self.pending = True
        self._cancel()
        if self.wait_s <= 0:
            self.flush()
            return
        self._handle = loop.call_later(self.wait_s, self.flush)

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def flush(self) -> None:
        """Make the pending call, if any, now."""
        self._cancel()
        if self.pending:
            self.pending = False
            self.fn()


class Coalescer(Debouncer):
    """Call ``fn`` ``wait_s`` seconds after the first of a burst of calls, and once more
    after the calls that came in while it ran: at most one call waits, and it sees the
    latest state. A drag gets answers while it goes on, and its last position is answered
    at most one call late. Threads and loops as :class:`Debouncer`.
    """

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pending = True
        if self._handle is None:  # else a scheduled call will see this change too
            self._handle = loop.call_later(max(self.wait_s, 0.0), self.flush)


PRICE_DELAY_S = 0.03  # after an answer's charts are sent, before its shadow prices are read

# The explorer's chart widgets draw to a canvas, not SVG (Vega-Embed's default): it redraws
# new data faster (about 30 against 50 ms for the three charts in Chromium,
# benchmarks/bench_explorer.py).
EMBED_OPTIONS = {"renderer": "canvas"}
_DRAW: dict[str, Callable[..., alt.TopLevelMixin]] = {
    "pathway": charts.draw_pathway,
    "investment": charts.draw_investment,
    "macc": charts.draw_macc,
}

# The page side of :class:`LiveChart`: a small anywidget ES module. It loads Vega-Embed only
# when it draws, once per page, from the widget's ``_vega_js`` (the bundle vl-convert makes)
# or, when offline is off, from a CDN. The chart's rows and parameters are widget *state*:
# every view applies the state it finds once its chart is embedded, and again at each change
# of it, so nothing is an event that a view can miss while Vega-Embed is still drawing.
_LIVE_CHART_JS = r"""
function loadVegaEmbed(model) {
  const key = "__m100_vega_embed_" + model.get("_vega_id");
  if (!globalThis[key]) {
    const code = model.get("_vega_js");
    const url = code
      ? URL.createObjectURL(new Blob([code], { type: "text/javascript" }))
      : model.get("_vega_url");
    globalThis[key] = import(url).then((m) => m.vegaEmbed ?? m.default);
  }
  return globalThis[key];
}

async function render({ model, el }) {
  let api = null;       // the embedded chart, once drawn
  let embedded = null;  // the model's spec object that chart was drawn from
  let token = 0;        // the latest embed; an older one that ends later is dropped
  let shown = {};       // dataset -> the JSON of the rows the view holds

  const apply = async () => {
    // Not drawn yet, or a new spec is on its way in (its change event may come after that
    // of its datasets): the embed applies the state when it is done.
    if (api === null || model.get("spec") !== embedded) { return; }
    const view = api.view;
    const revision = model.get("revision");
    let changed = false;
    for (const [name, rows] of Object.entries(model.get("datasets") ?? {})) {
      const text = JSON.stringify(rows);
      if (shown[name] !== text) {
        view.data(name, JSON.parse(text));  // a copy: Vega marks the rows it ingests
        shown[name] = text;
        changed = true;
      }
    }
    for (const [name, value] of Object.entries(model.get("signals") ?? {})) {
      if (view.signal(name) !== value) { view.signal(name, value); changed = true; }
    }
    if (changed) { await view.runAsync(); }
    if (api !== null && api.view === view) { el.dataset.revision = String(revision); }
  };

  const embed = async () => {
    const mine = ++token;
    if (api !== null) { api.finalize(); api = null; }
    const source = model.get("spec");
    const spec = structuredClone(source);
    let result;
    try {
      const vegaEmbed = await loadVegaEmbed(model);
      result = await vegaEmbed(el, spec, structuredClone(model.get("embed_options") ?? {}));
    } catch (error) {
      if (mine === token) {
        el.textContent = (model.get("_error_text") || "Chart error:") + " " + error.message;
        el.style.color = "red";
      }
      return;
    }
    if (mine !== token) { result.finalize(); return; }
    api = result;
    embedded = source;
    shown = {};
    for (const [name, rows] of Object.entries(spec.datasets ?? {})) {
      shown[name] = JSON.stringify(rows);
    }
    await apply();  // the rows and titles the model holds now
  };

  const listeners = [
    ["change:datasets", apply], ["change:signals", apply], ["change:revision", apply],
    ["change:spec", embed], ["change:embed_options", embed],
  ];
  for (const [name, fn] of listeners) { model.on(name, fn); }
  await embed();
  return () => {
    token++;
    for (const [name, fn] of listeners) { model.off(name, fn); }
    if (api !== null) { api.finalize(); api = null; }
  };
}

export default { render };
"""


def _cdn_url() -> str:
    """The Vega-Embed module Altair's own ``JupyterChart`` loads from a CDN."""
    from altair.jupyter.jupyter_chart import load_js_src

    line = next(x for x in load_js_src().splitlines() if "vegaEmbed from" in x)
    return line.split('"')[1]


class LiveChart(anywidget.AnyWidget):
    """A Vega-Lite chart widget whose rows and parameters change without redrawing its
    layout: the scenario explorer's charts.

    ``spec`` (the layout, with the rows it was made with) is sent once. ``datasets`` (rows
    by named dataset) and ``signals`` (parameter values, e.g. the title) are the chart's
    current state: a view applies them once Vega-Embed has drawn the chart, and again at
    each change. A view that is still drawing when new rows arrive, a second view of the
    widget, or a page reloaded later all show the current state. ``lang`` is the language
    of the one text the widget itself shows (a chart that fails to draw says why); the
    chart's texts are those it was made with.

    The widget's ES module is small: the Vega JavaScript (about 0.9 MB) is widget state
    (``_vega_js``) that the page imports when the first chart draws, once. anywidget gives
    a widget's module 2 s to load, and drops every message to the widget from then on if it
    is late.

    Two races this replaces (issue 13: a chart stayed stale after a *Run All*, while the
    other two redrew). Altair's ``JupyterChart`` carries the Vega bundle in its module: three
    charts loading 0.9 MB of JavaScript each on a busy page can take over anywidget's 2 s,
    and the late chart then ignores every update. And it hands new rows to its views as an
    event (``_py_to_js_updates``) that a view only listens to once its chart is drawn: rows
    sent while it was drawing were lost, and the view kept the rows of its spec.
    """

    _esm = _LIVE_CHART_JS
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    signals = traitlets.Dict().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)  # one more at each change of the state
    embed_options = traitlets.Dict().tag(sync=True)
    _vega_js = traitlets.Unicode("").tag(sync=True)  # the bundle, or "" (then _vega_url)
    _vega_url = traitlets.Unicode("").tag(sync=True)
    _vega_id = traitlets.Unicode("").tag(sync=True)  # the page loads each bundle once
    _error_text = traitlets.Unicode("Chart error:").tag(sync=True)  # before Vega's message

    _bundle: str = ""  # set by enable_offline()

    def __init__(
        self,
        chart: alt.TopLevelMixin,
        *,
        embed_options: dict | None = None,
        lang: str | None = None,
    ) -> None:
        spec = chart.to_dict()
        bundle = type(self)._bundle
        url = "" if bundle else _cdn_url()
        with use_language(lang):
            error_text = _("Chart error:")
        super().__init__(
            _error_text=error_text,
            spec=spec,
            datasets=dict(spec.get("datasets", {})),
            signals={p["name"]: p["value"] for p in spec.get("params", []) if "value" in p},
            embed_options=dict(embed_options or {}),
            _vega_js=bundle,
            _vega_url=url,
            _vega_id=hashlib.sha1((bundle or url).encode()).hexdigest()[:16],
        )

    def show(self, datasets: dict[str, list[dict]], signals: dict[str, object]) -> bool:
        """Make ``datasets`` (all of the chart's, or some) and ``signals`` the chart's state,
        in one message; ``False`` (and no message) when nothing changed."""
        new_data = {**self.datasets, **datasets}
        new_signals = {**self.signals, **signals}
        if new_data == self.datasets and new_signals == self.signals:
            return False
        with self.hold_sync():
            self.datasets = new_data
            self.signals = new_signals
            self.revision += 1
        return True

    def draw(self, chart: alt.TopLevelMixin) -> None:
        """Draw another chart (a new layout: the views embed it again)."""
        spec = chart.to_dict()
        with self.hold_sync():
            self.spec = spec
            self.datasets = dict(spec.get("datasets", {}))
            self.signals = {p["name"]: p["value"] for p in spec.get("params", []) if "value" in p}
            self.revision += 1

    @classmethod
    def enable_offline(cls) -> None:
        """Give the charts made from now on the Vega JavaScript that vl-convert ships (no
        CDN). Takes a second or two once per kernel."""
        if cls._bundle:
            return
        import vl_convert as vlc
        from altair.utils._importers import vl_version_for_vl_convert

        cls._bundle = vlc.javascript_bundle(
            "export { vegaEmbed };", vl_version=vl_version_for_vl_convert()
        )


def json_rows(df: pd.DataFrame) -> list[dict]:
    """A table's rows as JSON-ready dicts, as Altair writes a chart's inline data (a missing
    or infinite number becomes ``None``), in a fraction of Altair's time."""
    plain = (
        (isinstance(t, np.dtype) and t.kind in "biufO") or pd.api.types.is_string_dtype(t)
        for t in df.dtypes
    )
    if not all(plain):  # dates, categories, nullable integers: as Altair does it
        return alt.utils.data.to_values(df)["values"]
    columns = [str(c) for c in df.columns]
    values = []
    for c in df.columns:
        col = df[c]
        if col.dtype.kind == "f" and not np.isfinite(col.to_numpy()).all():
            values.append([v if math.isfinite(v) else None for v in col.tolist()])
        elif col.dtype.kind == "O" and col.hasnans:
            values.append([None if isinstance(v, float) and v != v else v for v in col.tolist()])
        else:
            values.append(col.tolist())  # Python ints, floats, bools and strings
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _live_chart(
    name: str, tables: dict[str, pd.DataFrame], title: str, *, lang: str | None = None
) -> alt.TopLevelMixin:
    """A chart whose tables are named datasets (``<name>_<table>``) and whose title is a
    parameter (``<name>_title``), so that both can be replaced in the drawn chart (its texts
    in ``lang``, as the tables' labels must be)."""
    param = f"{name}_title"
    chart = _DRAW[name](
        {t: alt.NamedData(f"{name}_{t}") for t in tables},
        alt.TitleParams(text=alt.ExprRef(expr=param)),
        lang=lang,
    )
    return chart.properties(
        params=[alt.VariableParameter(name=param, value=title)],
        datasets={f"{name}_{t}": json_rows(df) for t, df in tables.items()},
    )


# ---------------------------------------------------------------------------------------
# Pure helpers: the changes a control makes, computed with the library
# ---------------------------------------------------------------------------------------
def target_caps(d: PortfolioData, year: int, reduction: float) -> dict[tuple[str, int], float]:
    """Yearly caps (kt CO2e) of a straight-line target ``reduction`` below the base year by
    ``year`` (:meth:`PortfolioData.target_caps`, as the scenario's own targets)."""
    return d.target_caps(TargetSpec(kind="reduction", year=year, reduction=reduction))


def electricity_pools(d: PortfolioData) -> list[str]:
    """The activity pools of grid electricity (their intensity follows the grid)."""
    lib = load_factors()
    return [k for k in d.pools.index if lib.fuel_kind(str(d.pools.at[k, "fuel"])) == "electricity"]


def grid_intensities(
    d: PortfolioData, base_intensity: pd.DataFrame, grid_scenario: str, speed: float
) -> dict[tuple[str, int], float]:
    """Intensities (kt CO2e per GWh) of the electricity pools when the grid decarbonises at
    ``speed`` times the pace of ``grid_scenario``: 0 keeps the base-year grid factor, 1 is
    the scenario's path, 2 cuts twice as fast (never below zero).

    ``base_intensity`` is the pool-intensity table as assembled (on the scenario's path).
    """
    years = d.years
    g = grid_trajectory(grid_scenario, [d.base_year, *years])
    g0, ratio = g[0], g[1:] / g[0]
    out = {}
    for k in electricity_pools(d):
        i0 = float(base_intensity.at[k, years[0]]) / ratio[0] if g0 > 0 and ratio[0] > 0 else 0.0
        for t, r in zip(years, ratio, strict=True):
            out[(k, t)] = i0 * max(0.0, 1.0 - speed * (1.0 - r))
    return out


def envelope_defaults(d: PortfolioData) -> dict[str, dict[str, float]]:
    """Each instrument's yearly envelope (M EUR) by city key (a city id, or ``*`` for a
    national envelope), from the first year it is available."""
    out: dict[str, dict[str, float]] = {}
    for (s, c, _t), v in sorted(d.envelope.items(), key=lambda kv: kv[0][2]):
        out.setdefault(s, {}).setdefault(c, float(v))
    return out


# ---------------------------------------------------------------------------------------
# The scenario explorer
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """What the controls ask for."""

    city: str
    target_year: int
    reduction: float
    discount_rate: float
    grid_speed: float = 1.0
    price_factor: float = 1.0
    envelopes: tuple[tuple[str, float], ...] = ()  # (instrument, share of default)


@dataclass
class CityModel:
    """One city's scenario, model and solver, and the settings applied to it."""

    scenario: Scenario
    data: PortfolioData
    solver: PortfolioSolver
    base_intensity: pd.DataFrame
    base_price: pd.Series
    envelopes: dict[str, dict[str, float]]
    applied: Settings
    build_s: float = 0.0


@dataclass
class Timing:
    """Seconds spent in the last update, by step."""

    apply_s: float = 0.0
    solve_s: float = 0.0
    extract_s: float = 0.0
    charts_s: float = 0.0
    total_s: float = 0.0  # from the change to the charts sent
    prices_s: float = 0.0  # shadow prices, read after the charts are sent
    history: list[float] = field(default_factory=list)


def _slider_style() -> dict:
    """A control whose description is shown whole (its natural width: a fixed width cut
    "Grid decarbonisation (necp pace)" short), with room for the slider after it."""
    return dict(
        style={"description_width": "initial"},
        layout=W.Layout(width="31rem"),
        continuous_update=True,
    )


def _dropdown_style() -> dict:
    """A drop-down as wide as its longest option (a funding instrument's name runs to some
    70 characters), its description whole."""
    return dict(
        style={"description_width": "initial"},
        layout=W.Layout(width="max-content", min_width="20rem"),
    )


def _with_note(widget: W.Widget, note: str, **kwargs) -> dict | None:
    """A widget's display data, whose text form (what a notebook shows before its cells run,
    on GitHub or in a viewer without widgets) is ``note`` instead of ipywidgets' repr of
    the widget tree (``VBox(children=(HTML(value=...``)."""
    data = widget._repr_mimebundle_(**kwargs)
    if data is None:
        return None
    data = dict(data)
    data["text/plain"] = note
    data["text/html"] = f"<p><i>{html.escape(note, quote=False)}</i></p>"
    return data


RUN_TO_START = "run this cell in JupyterLab (with the notebook's kernel) to start it"
"""What a notebook shows in place of a widget before its cell runs (English; each widget
says it in its language)."""


class ScenarioExplorer:
    """Controls, solver and charts of the scenario explorer.

    The target controls draw a straight line to ``reduction`` below the base year by the
    target year (as a ``reduction`` target; a scenario's offsets, if it has any, stay as
    they were). The price control scales the scenario's energy prices.

    Parameters
    ----------
    scenario
        A scenario file or :class:`Scenario` (one city, a linear model: the workshop
        scenario is the intended one).
    cities
        Cities offered in the city control (default: the 13 M100 cities).
    coalesce
        Solve ``debounce_s`` after the first control event, and once more for the events
        that came in while it ran (:class:`Coalescer`: a step is answered at once, the end
        of a drag at most one solve late). ``False``: wait until the events stop
        (:class:`Debouncer`).
    debounce_s
        The wait: before the first solve when coalescing; after the last event otherwise
        (there 0 solves at every event).
    offline
        Inline the Vega JavaScript into the chart widgets (no CDN).
    lang
        The language of the labels, the status line and the charts (``"en"``, ``"ro"``;
        ``None``: the current language).

    Attributes
    ----------
    controls
        The ipywidgets controls by name (``city``, ``target_year``, ``reduction``,
        ``instrument``, ``envelope``, ``discount_rate``, ``grid_speed``, ``price_factor``).
    views
        The persistent chart widgets by name (``pathway``, ``investment``, ``macc``).
    result, curve
        The last :class:`PortfolioResult` and MACC table.
    timing
        Where the time of the last update went.
    """

    def __init__(
        self,
        scenario: str | Path | Scenario = "data/scenarios/workshop.yaml",
        *,
        cities: list[str] | None = None,
        debounce_s: float = 0.0,
        coalesce: bool = True,
        offline: bool = True,
        lang: str | None = None,
    ) -> None:
        self.lang = _lang(lang)
        with use_language(self.lang):
            self._build(scenario, cities, debounce_s, coalesce, offline)

    def _build(
        self,
        scenario: str | Path | Scenario,
        cities: list[str] | None,
        debounce_s: float,
        coalesce: bool,
        offline: bool,
    ) -> None:
        if not isinstance(scenario, Scenario):
            path = Path(scenario)
            scenario = load_scenario(path if path.is_absolute() else data_dir().parent / path)
        if len(scenario.cities) != 1:
            raise ValueError(_("the scenario explorer takes a one-city scenario"))
        self.scenario = scenario
        if offline:
            LiveChart.enable_offline()
        known = load_cities()
        self.cities = cities or list(known.index)
        base_city = scenario.cities[0]
        if base_city not in self.cities:
            self.cities = [base_city, *self.cities]
        self._models: dict[str, CityModel] = {}
        self.timing = Timing()
        self.result: PortfolioResult | None = None
        self.curve: pd.DataFrame | None = None
        self._envelope_shares: dict[str, float] = {}
        self._t0 = 0.0
        self._curves: dict[tuple, pd.DataFrame] = {}
        self.answers = 0  # updates answered (shown in the status line's data-answer)

        cm = self._model_for(base_city)
        target_year = scenario.target.year or int(known.at[base_city, "target_year"])
        instruments = list(cm.envelopes)
        first = instruments[0] if instruments else ""
        c = self.controls = {
            "city": W.Dropdown(
                options=[(_city_name(x), x) for x in self.cities],
                value=base_city,
                description=_("City"),
                **_dropdown_style(),
            ),
            "target_year": W.IntSlider(
                value=target_year,
                min=max(scenario.first_year + 3, 2028),
                max=scenario.horizon,
                description=_("Target year"),
                **_slider_style(),
            ),
            "reduction": W.FloatSlider(
                value=scenario.target.reduction,
                min=0.0,
                max=1.0,
                step=0.05,
                readout_format=".0%",
                description=_("Reduction below the base year"),
                **_slider_style(),
            ),
            "instrument": W.Dropdown(
                options=[
                    (_data_name("instruments", s, cm.data.instruments.at[s, "name"]), s)
                    for s in instruments
                ],
                value=first,
                description=_("Funding instrument"),
                **_dropdown_style(),
            ),
            "envelope": W.FloatSlider(
                value=1.0,
                min=0.0,
                max=3.0,
                step=0.1,
                readout_format=".0%",
                description=_("Its envelope (% of default)"),
                **_slider_style(),
            ),
            "discount_rate": W.FloatSlider(
                value=scenario.discount_rate,
                min=0.0,
                max=0.12,
                step=0.005,
                readout_format=".1%",
                description=_("Discount rate"),
                **_slider_style(),
            ),
            "grid_speed": W.FloatSlider(
                value=1.0,
                min=0.0,
                max=2.0,
                step=0.1,
                readout_format=".0%",
                description=_("Grid decarbonisation ({scenario} pace)").format(
                    scenario=scenario.grid_scenario
                ),
                **_slider_style(),
            ),
            "price_factor": W.FloatSlider(
                value=1.0,
                min=0.25,
                max=3.0,
                step=0.05,
                readout_format=".2f",
                description=_("Energy prices (x scenario's)"),
                **_slider_style(),
            ),
        }
        self.envelope_label = W.HTML()
        self.status = W.HTML()
        self._debounced = (Coalescer if coalesce else Debouncer)(self.update, debounce_s)
        for name, ctrl in c.items():
            if name == "instrument":
                ctrl.observe(self._on_instrument, names="value")
            elif name == "envelope":
                ctrl.observe(self._on_envelope, names="value")
            else:
                ctrl.observe(self._debounced, names="value")
        self.views: dict[str, LiveChart] = {}
        self._build_charts_and_solve()
        heading, note = _("Scenario explorer"), tr(ILLUSTRATIVE_NOTE)
        self.widget = W.VBox(
            [
                W.HTML(f"<b>{heading}</b> &middot; <i>{note}</i>"),
                W.HBox(
                    [
                        W.VBox(
                            [c["city"], c["target_year"], c["reduction"], c["discount_rate"]],
                            layout=W.Layout(margin="0 2rem 0 0"),
                        ),
                        W.VBox(
                            [
                                c["instrument"],
                                c["envelope"],
                                self.envelope_label,
                                c["grid_speed"],
                                c["price_factor"],
                            ]
                        ),
                    ],
                    layout=W.Layout(flex_flow="row wrap"),
                ),
                self.status,
                self.views["pathway"],
                self.views["investment"],
                self.views["macc"],
            ]
        )

    # -- display ---------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        # Every display shows the same widgets: a chart view applies its widget's current
        # rows once drawn (LiveChart), so a later display starts from the current state.
        with use_language(self.lang):
            note = _(
                "Scenario explorer: run this cell in JupyterLab (with the notebook's kernel) "
                "to start it."
            )
        return _with_note(self.widget, note, **kwargs)

    # -- models ----------------------------------------------------------------------------
    def _model_for(self, city: str) -> CityModel:
        if city not in self._models:
            t0 = time.perf_counter()
            raw = self.scenario.model_dump()
            raw.update(
                cities=[city],
                name=f"{self.scenario.name}_{city}",
                bundles=[],
                inventories={k: v for k, v in raw["inventories"].items() if k == city},
            )
            if raw["target"].get("scope") == "cluster":
                raw["target"].update(scope="city", clusters=None)
            scn = Scenario.model_validate(raw)
            data = assemble(scn)
            solver = PortfolioSolver(data, scn.solver)
            self._models[city] = CityModel(
                scenario=scn,
                data=data,
                solver=solver,
                base_intensity=data.pool_intensity.copy(),
                base_price=data.pool_price.copy(),
                envelopes=envelope_defaults(data),
                applied=Settings(
                    city=city,
                    target_year=scn.target.year or int(load_cities().at[city, "target_year"]),
                    reduction=scn.target.reduction,
                    discount_rate=scn.discount_rate,
                    price_factor=1.0,
                ),
                build_s=time.perf_counter() - t0,
            )
        return self._models[city]

    @property
    def city_model(self) -> CityModel:
        """The model of the city shown."""
        return self._models[self.controls["city"].value]

    @property
    def solver(self) -> PortfolioSolver:
        return self.city_model.solver

    @property
    def data(self) -> PortfolioData:
        return self.city_model.data

    def settings(self) -> Settings:
        """The settings the controls ask for now."""
        c = self.controls
        return Settings(
            city=c["city"].value,
            target_year=int(c["target_year"].value),
            reduction=float(c["reduction"].value),
            discount_rate=float(c["discount_rate"].value),
            grid_speed=float(c["grid_speed"].value),
            price_factor=float(c["price_factor"].value),
            envelopes=tuple(sorted(self._envelope_shares.items())),
        )

    def _apply(self, cm: CityModel, s: Settings) -> None:
        """Bring a city's solver to the settings, by the cheapest changes."""
        a, solver, d = cm.applied, cm.solver, cm.data
        baseline_moved = False
        if s.grid_speed != a.grid_speed:
            solver.set_intensities(
                grid_intensities(d, cm.base_intensity, cm.scenario.grid_scenario, s.grid_speed)
            )
            d.refresh_baseline()
            baseline_moved = True
        if s.price_factor != a.price_factor:
            solver.set_prices(
                {
                    (k, t): float(v) * s.price_factor
                    for k, row in cm.base_price.iterrows()
                    for t, v in row.items()
                }
            )
        if s.discount_rate != a.discount_rate:
            solver.set_discount_rate(s.discount_rate)
        if baseline_moved or (s.target_year, s.reduction) != (a.target_year, a.reduction):
            solver.set_targets(target_caps(d, s.target_year, s.reduction))
        old, new = dict(a.envelopes), dict(s.envelopes)
        for instrument in set(old) | set(new):
            share = new.get(instrument, 1.0)
            if share != old.get(instrument, 1.0):
                for key, value in cm.envelopes.get(instrument, {}).items():
                    solver.set_envelope(instrument, value * share, city=key)
        cm.applied = replace(s)

    # -- callbacks -------------------------------------------------------------------------
    def _on_instrument(self, change: dict) -> None:
        self.controls["envelope"].value = self._envelope_shares.get(change["new"], 1.0)
        self._show_envelope()

    def _on_envelope(self, change: dict) -> None:
        self._envelope_shares[self.controls["instrument"].value] = float(change["new"])
        self._show_envelope()
        self._debounced()

    def _show_envelope(self) -> None:
        s = self.controls["instrument"].value
        cm = self._models.get(self.controls["city"].value) or next(iter(self._models.values()))
        default = sum(cm.envelopes.get(s, {}).values())
        share = self._envelope_shares.get(s, 1.0)
        with use_language(self.lang):
            name = (
                _data_name("instruments", s, str(cm.data.instruments.at[s, "name"]))
                if s in cm.data.instruments.index
                else s
            )
            text = _("{instrument}: {amount} M EUR per year (default {default})").format(
                instrument=html.escape(name),
                amount=number(default * share, ",.2f"),
                default=number(default, ",.2f"),
            )
        self.envelope_label.value = f"<small>{text}</small>"

    def flush(self) -> None:
        """Solve now for a pending control change (instead of waiting for the debounce)."""
        self._debounced.flush()

    # -- the update ----------------------------------------------------------------------------
    def _solve(self) -> None:
        t0 = time.perf_counter()
        s = self.settings()
        cm = self._model_for(s.city)
        self._apply(cm, s)
        t1 = time.perf_counter()
        cm.solver.solve(duals=False)
        t2 = time.perf_counter()
        # The charts need no prices: they are read after the charts are sent (update()).
        self.result = extract(cm.solver, prices=False)
        # The curve depends on costs, prices, intensities and the rate, not on targets or
        # envelopes: keep it while those stay.
        key = (s.city, s.discount_rate, s.grid_speed, s.price_factor)
        if key not in self._curves:
            self._curves = {key: macc(cm.data, s.discount_rate)}
        self.curve = compare_with_optimum(self._curves[key], self.result.portfolio)
        t3 = time.perf_counter()
        self.timing.apply_s, self.timing.solve_s, self.timing.extract_s = t1 - t0, t2 - t1, t3 - t2
        self._t0 = t0

    def update(self) -> PortfolioResult:
        """Apply the controls to the model, re-solve, and send the charts their new data."""
        self._solve()
        t3 = time.perf_counter()
        self._redraw()
        t4 = time.perf_counter()
        self.timing.charts_s = t4 - t3
        self.timing.total_s = t4 - self._t0
        self.timing.history.append(self.timing.total_s)
        self.answers += 1
        self._show_envelope()
        self.status.value = self._status_html()
        self._prices_later()
        assert self.result is not None
        return self.result

    def _prices_later(self) -> None:
        """Read the shadow prices once the charts' messages are out: on the explorer's loop
        after this callback returns (widget messages leave when it does), else at once."""
        loop = self._debounced._loop
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is not None and loop is here:
            # A short pause lets the kernel's output thread send the chart messages before
            # the price solve (which holds the interpreter) starts.
            answer = self.answers
            loop.call_later(
                PRICE_DELAY_S, lambda: answer == self.answers and self._add_prices(status=True)
            )
        else:
            self._add_prices(status=True)

    def _add_prices(self, status: bool = False) -> None:
        """The shadow prices of the result shown (the solver still holds its solution)."""
        if self.result is None or not self.result.prices_pending:
            return
        t0 = time.perf_counter()
        add_prices(self.result, self.city_model.solver)
        self.timing.prices_s = time.perf_counter() - t0
        if status:
            self.status.value = self._status_html()

    def _build_charts_and_solve(self) -> None:
        self._solve()
        self._new_views()
        self.timing.total_s = time.perf_counter() - self._t0
        self._add_prices()
        self._show_envelope()
        self.status.value = self._status_html()

    # -- the charts ----------------------------------------------------------------------------
    def chart_titles(self) -> dict[str, str]:
        """The three charts' titles (they name the city)."""
        with use_language(self.lang):
            city = _city_name(self.controls["city"].value)
            titles = {
                "pathway": _("{city}: emissions against the target (illustrative data)"),
                "investment": _("{city}: investment plan by funding source (illustrative data)"),
                "macc": _("{city}: cost per tonne of each candidate, and what the optimum builds"),
            }
            return {name: text.format(city=city) for name, text in titles.items()}

    def chart_data(self) -> dict[str, dict[str, pd.DataFrame]]:
        """The tables each chart draws, by chart and table name (see
        :func:`~m100model.charts.pathway_data` and its siblings), labelled in the
        explorer's language."""
        r = self.result
        assert r is not None and self.curve is not None
        return {
            "pathway": charts.pathway_data(r.emissions, r.wedges, lang=self.lang),
            "investment": charts.investment_data(r.investment, lang=self.lang),
            "macc": charts.macc_data(self.curve, lang=self.lang),
        }

    def make_charts(self) -> dict[str, alt.TopLevelMixin]:
        """The three charts of the current result, as plain Altair charts (for export or a
        static page)."""
        data, titles = self.chart_data(), self.chart_titles()
        return {
            name: draw(data[name], titles[name], lang=self.lang) for name, draw in _DRAW.items()
        }

    def _new_views(self) -> None:
        """Build the chart widgets (their layout and the current rows)."""
        data, titles = self.chart_data(), self.chart_titles()
        self.views = {
            name: LiveChart(
                _live_chart(name, data[name], titles[name], lang=self.lang),
                embed_options=EMBED_OPTIONS,
                lang=self.lang,
            )
            for name in _DRAW
        }

    def _redraw(self) -> None:
        """Give the charts the current rows and titles.

        The chart widgets keep their layout; the rows of their named datasets and their
        title parameter are state of the widget (:class:`LiveChart`), which each view in the
        page applies to its drawn chart (Vega re-runs the chart's dataflow: scales, axes
        and legends follow the data). A chart whose rows and title did not change gets no
        message; one that changed gets one.
        """
        data, titles = self.chart_data(), self.chart_titles()
        for name, view in self.views.items():
            view.show(
                {f"{name}_{table}": json_rows(df) for table, df in data[name].items()},
                {f"{name}_title": titles[name]},
            )

    def key_figures(self, *, prices: bool = True) -> dict:
        """The numbers the status line shows (also handy in tests). ``prices=False`` does
        not wait for the shadow prices (the carbon price is then empty until they come)."""
        r, s = self.result, self.settings()
        assert r is not None
        if prices:
            self._add_prices(status=True)  # the status line stops saying "being computed"
        em = r.emissions.set_index("year")
        year = min(max(s.target_year, em.index.min()), em.index.max())
        sc = r.shadow_carbon.dropna(subset=["year"]).set_index("year")
        prices, basis = sc["eur_per_t"], sc["basis"]
        return {
            "status": r.status,
            "npv_meur": r.npv_meur,
            "targets_met": r.feasible,
            "target_year": int(year),
            "emissions_kt": float(em.at[year, "emissions_kt"]),
            "target_kt": float(em.at[year, "target_kt"]),
            "shortfall_kt": float(r.emissions["shortfall_kt"].sum()),
            "investment_meur": float(r.investment["meur"].sum()),
            "carbon_price_eur_per_t": float(prices.get(year, math.nan)),
            "carbon_price_basis": str(basis.get(year, "")),
            "projects": len(r.portfolio),
        }

    def _timing_ms(self) -> dict[str, float]:
        t = self.timing
        return {
            f"{k}_ms": round(getattr(t, f"{k}_s") * 1000, 1)
            for k in ("apply", "solve", "extract", "charts", "total", "prices")
        }

    def _status_html(self) -> str:
        with use_language(self.lang):
            return self._status_text()

    def _status_text(self) -> str:
        """The status line, in the current language."""
        k = self.key_figures(prices=False)
        year = k["target_year"]
        met = (
            "<span style='color:#009E73'>" + _("target met every year") + "</span>"
            if k["targets_met"]
            else "<span style='color:#D55E00'>"
            + _("short by {kt} kt in all").format(kt=number(k["shortfall_kt"], ",.1f"))
            + "</span>"
        )
        price, basis = k["carbon_price_eur_per_t"], k["carbon_price_basis"]
        if self.result is not None and self.result.prices_pending:
            price_text = _("implied carbon price in {year}: being computed").format(year=year)
        elif not math.isfinite(price):
            price_text = _("no carbon price in {year} (the target is missed that year)").format(
                year=year
            )
        elif basis.startswith("flat"):
            price_text = _(
                "implied carbon price in {year} {price} EUR/t (levelised over {period}, a flat "
                "target: only the sum of the yearly prices is determined)"
            ).format(year=year, price=number(price, ",.0f"), period=basis.removeprefix("flat "))
        else:
            price_text = _("implied carbon price in {year} {price} EUR/t").format(
                year=year, price=number(price, ",.0f")
            )
        limit = self.result.stats.get("limit") if self.result is not None else None
        stopped = (
            "<span style='color:#D55E00'>"
            + _("<b>stopped on the {limit}</b>: the plan may not be the least-cost one").format(
                limit=charts.translate_labels([limit], only=SOLVER_WORDS)[0]
            )
            + "</span>; "
            if limit
            else ""
        )
        [status] = charts.translate_labels([k["status"]], only=SOLVER_WORDS)
        text = _(
            "{status}: {stopped}{met}; in {year} {emissions} kt CO2e against a target of "
            "{target} kt; net present cost {npv} M EUR; investment {investment} M EUR in "
            "{projects} projects; {price}."
        ).format(
            status=f"<b>{status}</b>",
            stopped=stopped,
            met=met,
            year=year,
            emissions=number(k["emissions_kt"], ",.1f"),
            target=number(k["target_kt"], ",.1f"),
            npv=number(k["npv_meur"], ",.1f"),
            investment=number(k["investment_meur"], ",.1f"),
            projects=k["projects"],
            price=price_text,
        )
        answered = _("(answered in {ms} ms)").format(ms=number(self.timing.total_s * 1000, ",.0f"))
        return (
            f"{text} "
            f"<small class='m100-answer' data-answer='{self.answers}' "
            f"data-kernel-ms='{self.timing.total_s * 1000:.1f}' "
            f"data-timing='{html.escape(json.dumps(self._timing_ms()))}' "
            f"data-settings='{html.escape(json.dumps(asdict(self.city_model.applied)))}'>"
            f"{answered}</small>"
        )


# ---------------------------------------------------------------------------------------
# The inventory explorer
# ---------------------------------------------------------------------------------------
class InventoryExplorer:
    """A city's inventory under another GWP set or grid-factor method.

    Attributes
    ----------
    controls
        ``city``, ``gwp`` and ``grid_method``.
    view
        The chart widget (tCO2e by GPC sub-sector and scope), a :class:`LiveChart`.
    inventory
        The last computed :class:`Inventory`.

    ``lang``: the language of the labels and the chart (``None``: the current language).
    """

    def __init__(
        self, city: str = "cluj_napoca", *, offline: bool = True, lang: str | None = None
    ) -> None:
        self.lang = _lang(lang)
        with use_language(self.lang):
            self._build(city, offline)

    def _build(self, city: str, offline: bool) -> None:
        if offline:
            LiveChart.enable_offline()
        self.files = bundled_inventories()
        self.factors = load_factors()
        methods = [m for m in self.factors.grid_methods if m != TD_LOSSES_METHOD]
        self.controls = {
            "city": W.Dropdown(
                options=[(_city_name(c), c) for c in self.files],
                value=city,
                description=_("City"),
                **_dropdown_style(),
            ),
            "gwp": W.ToggleButtons(
                options=["AR4", "AR5", "AR6"],
                value="AR5",
                description="GWP",
                style={"description_width": "initial"},
            ),
            "grid_method": W.Dropdown(
                options=methods,
                value=DEFAULT_GRID_METHOD,
                description=_("Grid factor"),
                **_dropdown_style(),
            ),
        }
        self.summary = W.HTML()
        self.inventory = self._compute()
        self.view = LiveChart(self._chart(), lang=self.lang)
        self.summary.value = self._summary_html()
        for ctrl in self.controls.values():
            ctrl.observe(lambda _change: self.update(), names="value")
        self.widget = W.VBox(
            [
                W.HTML(f"<i>{tr(ILLUSTRATIVE_NOTE)}</i>"),
                W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap")),
                self.summary,
                self.view,
            ]
        )

    def _repr_mimebundle_(self, **kwargs):
        with use_language(self.lang):
            note = _(
                "Inventory explorer: run this cell in JupyterLab (with the notebook's kernel) "
                "to start it."
            )
        return _with_note(self.widget, note, **kwargs)

    def _compute(self) -> Inventory:
        c = self.controls
        return load_inventory(
            self.files[c["city"].value],
            gwp=c["gwp"].value,
            grid_method=c["grid_method"].value,
            factors=self.factors,
        )

    def _chart(self) -> alt.Chart:
        inv = self.inventory
        with use_language(self.lang):
            title = _(
                "{city} {year}: GPC inventory, {gwp}, grid factor {method} (illustrative data)"
            ).format(
                city=_city_name(inv.city), year=inv.year, gwp=inv.gwp_set, method=inv.grid_method
            )
            return charts.inventory_chart(inv.by_subsector(), title)

    def _summary_html(self) -> str:
        inv = self.inventory
        with use_language(self.lang):
            return _(
                "BASIC <b>{basic} kt CO2e</b>, BASIC+ {basic_plus} kt, territorial {territorial} kt"
            ).format(
                basic=number(inv.basic_tco2e / 1000, ",.1f"),
                basic_plus=number(inv.basic_plus_tco2e / 1000, ",.1f"),
                territorial=number(inv.territorial_tco2e / 1000, ",.1f"),
            )

    def update(self) -> Inventory:
        """Recompute the inventory for the controls and redraw."""
        self.inventory = self._compute()
        self.view.draw(self._chart())
        self.summary.value = self._summary_html()
        return self.inventory


# ---------------------------------------------------------------------------------------
# The workshop team form
# ---------------------------------------------------------------------------------------
class TeamForm:
    """A team's choices for one round of the workshop simulation, written to the team's own
    file ``round_N/<team>.yaml`` in the session folder when the team presses *Save*.

    Parameters
    ----------
    session
        The session folder (holding ``session.yaml``).
    team
        The team id (one of :data:`m100model.workshop.ROLES`).
    round
        The round number.
    lang
        The language of the form's labels, names and messages (``"en"``, ``"ro"``;
        ``None``: the current language). The file it writes is the same in any language.
    """

    def __init__(
        self, session: str | Path, team: str, round: int, *, lang: str | None = None
    ) -> None:
        self.lang = _lang(lang)
        with use_language(self.lang):
            self._build(session, team, round)

    def _build(self, session: str | Path, team: str, round: int) -> None:
        from m100model.projects import load_archetypes, load_instruments
        from m100model.workshop import (
            ROLES,
            TeamChoice,
            choice_options,
            read_choice,
            read_session_spec,
        )

        self.folder = Path(session)
        spec, scn = read_session_spec(self.folder)
        if team not in spec.teams:
            raise ValueError(
                _("team '{team}' is not in this session ({teams})").format(
                    team=team, teams=", ".join(spec.teams)
                )
            )
        self.team, self.round = team, round
        self.archetypes, self.instruments = choice_options(scn)
        self.path = self.folder / f"round_{round}" / f"{team}.yaml"
        choice = (
            read_choice(self.path, self.archetypes, self.instruments)
            if self.path.exists()
            else TeamChoice(team=team, round=round)
        )
        chosen = {p.archetype: p for p in choice.projects}
        arch, inst = load_archetypes(), load_instruments()
        role = ROLES[team]
        order = [a for a in role.remit if a in self.archetypes] + [
            a for a in self.archetypes if a not in role.remit
        ]
        years = [
            (_("target year"), 0),
            *[(str(y), y) for y in range(scn.first_year + 1, scn.horizon + 1)],
        ]
        self.rows: dict[str, tuple[W.Checkbox, W.FloatSlider, W.Dropdown]] = {}
        boxes = []
        for a in order:
            p = chosen.get(a)
            tick = W.Checkbox(
                value=p is not None,
                description=f"{_data_name('archetypes', a, arch.at[a, 'name'])} ({a})"
                + (" *" if a in role.remit else ""),
                indent=False,
                layout=W.Layout(width="max-content", min_width="34rem"),  # never cut short
            )
            share = W.FloatSlider(
                value=p.share if p else 1.0,
                min=0.05,
                max=1.0,
                step=0.05,
                readout_format=".0%",
                description=_("share"),
                style={"description_width": "initial"},
                layout=W.Layout(width="18rem"),
            )
            by = W.Dropdown(
                options=years,
                value=(p.by if p and p.by else 0),
                description=_("ready by"),
                style={"description_width": "initial"},
                layout=W.Layout(width="12rem"),
            )
            self.rows[a] = (tick, share, by)
            boxes.append(W.HBox([tick, share, by]))
        self.funding = {
            s: W.Checkbox(
                value=s in choice.funding,
                description=f"{_data_name('instruments', s, inst.at[s, 'name'])} ({s})",
                indent=False,
                layout=W.Layout(width="max-content", min_width="40rem"),
            )
            for s in self.instruments
            if s != "municipal_budget"
        }
        self.note = W.Textarea(
            value=choice.note,
            placeholder=_("One sentence for the debrief"),
            layout=W.Layout(width="50rem"),
        )
        self.button = W.Button(description=_("Save"), button_style="primary", icon="save")
        self.button.on_click(lambda _button: self.save())
        state = _("(saved before; Save replaces it)") if self.path.exists() else _("(new)")
        where = _("{file} in {folder}/ {state}").format(
            file=self.path.name, folder=f"round_{round}", state=state
        )
        self.status = W.HTML(f"<small>{where}</small>")
        headline = _("{role}, round {round}: {interest}").format(
            role=f"<b>{tr(role.name)}</b>", round=round, interest=tr(role.interest)
        )
        champions = _("(* programmes your role champions)")
        self.widget = W.VBox(
            [
                W.HTML(f"{headline} <small>{champions}</small>"),
                W.HTML(_("<b>Programmes</b> (tick, then set the share of the city's maximum)")),
                *boxes,
                W.HTML(
                    _(
                        "<b>Funding instruments we apply to</b> (the municipal budget is always "
                        "open)"
                    )
                ),
                *self.funding.values(),
                self.note,
                W.HBox([self.button, self.status]),
            ]
        )

    def _repr_mimebundle_(self, **kwargs):
        with use_language(self.lang):
            note = _(
                "The team's choice form: run this cell in JupyterLab (with the notebook's "
                "kernel) to start it and fill it in."
            )
        return _with_note(self.widget, note, **kwargs)

    def choice(self):
        """The choices the form holds now."""
        from m100model.workshop import ProjectChoice, TeamChoice

        return TeamChoice(
            team=self.team,
            round=self.round,
            projects=[
                ProjectChoice(archetype=a, share=round(share.value, 4), by=by.value or None)
                for a, (tick, share, by) in self.rows.items()
                if tick.value
            ],
            funding=[s for s, box in self.funding.items() if box.value],
            note=self.note.value.strip(),
        )

    def save(self) -> Path:
        """Write the team's file (and read it back, to be sure it is valid)."""
        from m100model.workshop import read_choice, write_choice

        path = write_choice(self.path.parent, self.choice())
        read_choice(path, self.archetypes, self.instruments)
        with use_language(self.lang):
            saved = _("saved {file}: {n} programmes").format(
                file=f"{path.parent.name}/{path.name}", n=len(self.choice().projects)
            )
        self.status.value = f"<span style='color:#009E73'>{saved}</span>"
        return path
