"""The explorers' callbacks: set a control as a user would, check the model result and the
chart data that the persistent chart widgets hold."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time

import pytest

from m100model.tables import data_dir
from m100model.widgets import (
    Coalescer,
    Debouncer,
    InventoryExplorer,
    ScenarioExplorer,
    electricity_pools,
    grid_intensities,
    json_rows,
    target_caps,
)


def chart_rows(view, column: str | None = None) -> list[dict]:
    """The data rows a chart widget holds (all its datasets), optionally one column: the
    explorer's live charts' current rows (their ``datasets`` state), else the spec's."""
    held = getattr(view, "datasets", None) or view.spec.get("datasets", {})
    rows = [row for ds in held.values() for row in ds]
    return [r[column] for r in rows if column in r] if column else rows


def chart_title(view) -> str:
    """The title a chart widget shows: its title parameter's current value (the explorer's
    live charts), else the spec's title."""
    title = view.spec["title"]
    if isinstance(title, dict):
        return view.signals[title["text"]["expr"]]
    return title


@pytest.fixture(scope="module")
def explorer():
    ex = ScenarioExplorer(
        "data/scenarios/workshop.yaml", cities=["suceava", "resita"], debounce_s=0, offline=False
    )
    yield ex


@pytest.fixture
def fresh(explorer):
    """The explorer back at its defaults after each test."""
    yield explorer
    c = explorer.controls
    c["city"].value = "suceava"
    c["instrument"].value = "municipal_budget"
    c["envelope"].value = 1.0
    for name, value in [
        ("target_year", 2040),
        ("reduction", 0.45),
        ("discount_rate", 0.04),
        ("grid_speed", 1.0),
        ("price_factor", 1.0),
    ]:
        c[name].value = value


def test_initial_solve_matches_the_scenario(explorer):
    k = explorer.key_figures()
    assert k["status"] == "optimal"
    assert k["targets_met"]
    assert k["target_year"] == 2040
    # The default caps from the controls are the ones assemble() built.
    caps = target_caps(explorer.data, 2040, 0.45)
    for key, value in explorer.data.target_kt.items():
        assert caps[key] == pytest.approx(value)
    assert set(explorer.views) == {"pathway", "investment", "macc"}
    assert chart_title(explorer.views["pathway"]).startswith("Suceava: emissions against")


def test_reduction_slider_tightens_the_target_and_redraws(fresh):
    ex = fresh
    before_npv = ex.result.npv_meur
    before_targets = chart_rows(ex.views["pathway"], "kt")
    ex.controls["reduction"].value = 0.6
    em = ex.result.emissions.set_index("year")
    base = ex.data.base_kt["suceava"]
    assert em.at[2040, "target_kt"] == pytest.approx(base * 0.4)
    assert (
        em.at[2045, "emissions_kt"] <= em.at[2045, "target_kt"] + em.at[2045, "shortfall_kt"] + 1e-6
    )
    assert ex.result.npv_meur > before_npv  # a harder target costs more
    after_targets = chart_rows(ex.views["pathway"], "kt")
    assert after_targets != before_targets
    assert min(after_targets) == pytest.approx(base * 0.4, rel=1e-6)


def test_charts_get_their_rows_as_state(fresh):
    """A slider keeps each chart's layout (the spec is not sent again): the chart widget's
    state (its rows by named dataset, its title, a revision number) changes, in one message
    per chart that changed, with the parts that changed."""
    ex = fresh
    view = ex.views["pathway"]
    spec = json.dumps(view.spec, sort_keys=True)
    revision = view.revision
    messages = []
    send = view._send
    view._send = lambda msg, buffers=None: (messages.append(msg), send(msg, buffers))
    try:
        ex.controls["reduction"].value = 0.6
    finally:
        del view._send
    assert ex.views["pathway"] is view
    assert json.dumps(view.spec, sort_keys=True) == spec  # the layout stays
    assert view.revision == revision + 1
    assert len(messages) == 1
    # Only what changed travels (the title did not).
    assert set(messages[0]["state"]) == {"datasets", "revision"}
    target = {
        r["year"]: r["kt"] for r in view.datasets["pathway_lines"] if r["series"] == "Target path"
    }
    assert target[2040] == pytest.approx(ex.data.base_kt["suceava"] * 0.4)
    # The same rows as the plain Altair charts (the static copies) hold.
    for name, chart in ex.make_charts().items():
        plain = sorted(
            json.dumps(rows, sort_keys=True) for rows in chart.to_dict()["datasets"].values()
        )
        live = sorted(json.dumps(rows, sort_keys=True) for rows in ex.views[name].datasets.values())
        assert plain == live
    # Nothing changed: no message.
    messages.clear()
    view._send = lambda msg, buffers=None: (messages.append(msg), send(msg, buffers))
    try:
        ex._redraw()
    finally:
        del view._send
    assert messages == [] and view.revision == revision + 1
    # The status line says which answer it shows, for which settings.
    assert f"data-answer='{ex.answers}'" in ex.status.value
    assert "&quot;reduction&quot;: 0.6" in ex.status.value


def test_a_view_drawn_late_gets_the_current_rows(fresh):
    """The race of issue 13: a chart view still drawing (Vega-Embed) when answers arrive,
    as in a *Run All*, or a second view made later. A view's page side reads the widget's
    state once its chart is drawn, and the state (what a page that joins late receives in
    the widget's state message) holds the current rows, not those the chart was made with."""
    ex = fresh
    made_with = {
        name: json.dumps(v.spec["datasets"], sort_keys=True) for name, v in ex.views.items()
    }
    ex.controls["reduction"].value = 0.6
    ex.controls["reduction"].value = 0.5
    for name, view in ex.views.items():
        state = view.get_state()
        assert json.dumps(state["datasets"], sort_keys=True) != made_with[name], name
        assert state["datasets"] == {
            f"{name}_{t}": json_rows(df) for t, df in ex.chart_data()[name].items()
        }
        assert state["signals"] == {f"{name}_title": ex.chart_titles()[name]}
    # The page side applies the state after the embed and at every change (not an event
    # it can miss while drawing).
    from m100model.widgets import _LIVE_CHART_JS

    assert "await apply();  // the rows and titles the model holds now" in _LIVE_CHART_JS
    assert _LIVE_CHART_JS.index("model.on(name, fn)") < _LIVE_CHART_JS.index("await embed();")


def test_a_new_display_shows_the_same_chart_widgets(fresh):
    ex = fresh
    ex.controls["reduction"].value = 0.6
    views = dict(ex.views)
    bundle = ex._repr_mimebundle_()
    assert ex.views == views and all(v in ex.widget.children for v in views.values())
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_target_year_slider_moves_the_path(fresh):
    ex = fresh
    ex.controls["target_year"].value = 2035
    em = ex.result.emissions.set_index("year")
    assert em.at[2035, "target_kt"] == pytest.approx(ex.data.base_kt["suceava"] * 0.55)
    assert ex.key_figures()["target_year"] == 2035


def test_envelope_slider_closes_an_instrument(fresh):
    ex = fresh
    used = ex.result.investment.groupby("instrument")["meur"].sum()
    assert used.get("municipal_budget", 0.0) > 1.0
    ex.controls["instrument"].value = "municipal_budget"
    ex.controls["envelope"].value = 0.0
    used = ex.result.investment.groupby("instrument")["meur"].sum()
    assert used.get("municipal_budget", 0.0) == pytest.approx(0.0, abs=1e-6)
    assert "municipal_budget" not in set(chart_rows(ex.views["investment"], "instrument"))
    # Each instrument keeps its own setting.
    ex.controls["instrument"].value = "green_bond"
    assert ex.controls["envelope"].value == 1.0
    ex.controls["instrument"].value = "municipal_budget"
    assert ex.controls["envelope"].value == 0.0


def test_discount_rate_changes_cost_and_macc(fresh):
    ex = fresh
    npv, curve = ex.result.npv_meur, chart_rows(ex.views["macc"], "cost_eur_per_t")
    ex.controls["discount_rate"].value = 0.08
    assert ex.solver.model.disc[2030].value == pytest.approx(1.08**-5)
    assert ex.result.npv_meur != pytest.approx(npv)
    assert chart_rows(ex.views["macc"], "cost_eur_per_t") != curve


def test_grid_slider_sets_electricity_intensity(fresh):
    ex = fresh
    d = ex.data
    k = electricity_pools(d)[0]
    on_path = float(d.pool_intensity.at[k, 2040])
    ex.controls["grid_speed"].value = 0.0
    frozen = float(d.pool_intensity.at[k, 2040])
    assert frozen > on_path
    assert frozen == pytest.approx(float(d.pool_intensity.at[k, 2025]))
    assert ex.solver.model.intensity[k, 2040].value == pytest.approx(frozen)
    # A frozen grid leaves more emissions for the projects to remove.
    assert ex.result.emissions["baseline_kt"].iloc[-1] > 0
    ex.controls["grid_speed"].value = 1.0
    assert float(d.pool_intensity.at[k, 2040]) == pytest.approx(on_path)


def test_json_rows_are_altairs_rows_and_valid_json():
    import altair as alt
    import numpy as np
    import pandas as pd

    df = pd.DataFrame(
        {
            "year": [2030, 2031, 2032],
            "kt": [1.5, np.nan, np.inf],
            "name": ["a", None, "c"],
            "built": [True, False, True],
            "n": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    rows = json_rows(df)
    assert rows == alt.utils.data.to_values(df)["values"]
    assert rows[1] == {"year": 2031, "kt": None, "name": None, "built": False, "n": None}
    assert rows[2]["kt"] is None
    json.dumps(rows, allow_nan=False)  # what the kernel's message packer requires
    plain = df.drop(columns="n")
    assert json_rows(plain) == alt.utils.data.to_values(plain)["values"]


def test_grid_intensities_is_pure():
    from m100model.portfolio.data import assemble
    from m100model.scenario import load_scenario
    from m100model.tables import data_dir

    d = assemble(load_scenario(data_dir() / "scenarios" / "workshop.yaml"))
    base = d.pool_intensity.copy()
    same = grid_intensities(d, base, "necp", 1.0)
    for (k, t), v in same.items():
        assert v == pytest.approx(float(base.at[k, t]))
    double = grid_intensities(d, base, "necp", 2.0)
    assert all(v >= 0 for v in double.values())


def test_price_slider_changes_energy_cost(fresh):
    ex = fresh
    npv = ex.result.npv_meur
    ex.controls["price_factor"].value = 2.0
    k = ex.data.pool_price.index[ex.data.pool_price.iloc[:, 0] > 0][0]
    t = ex.data.years[-1]
    base = ex.city_model.base_price.at[k, t]
    assert ex.solver.model.price[k, t].value == pytest.approx(base * 2.0)
    # Savings on energy bills are worth more: the net present cost falls.
    assert ex.result.npv_meur < npv


def test_city_switch_builds_and_caches_a_model(fresh):
    ex = fresh
    ex.controls["reduction"].value = 0.5
    views = dict(ex.views)
    ex.controls["city"].value = "resita"
    assert list(ex.result.emissions["group"].unique()) == ["resita"]
    assert ex.views == views  # the same chart widgets: new titles and data
    for name, title in ex.chart_titles().items():
        assert title.startswith("Resita: ") and chart_title(ex.views[name]) == title
    em = ex.result.emissions.set_index("year")
    assert em.at[2040, "target_kt"] == pytest.approx(ex.data.base_kt["resita"] * 0.5)
    ex.controls["city"].value = "suceava"
    assert list(ex.result.emissions["group"].unique()) == ["suceava"]
    assert set(ex._models) == {"suceava", "resita"}


def test_response_time(fresh, capsys):
    """Set a slider, get new chart data: the explorer's answer time (printed for the record).
    Without an event loop (as here) the shadow prices are read at once, after the charts; in
    a notebook they are read after the cell, so the answer is the kernel's part alone."""
    ex = fresh
    times, answers, solves = [], [], []
    for value in (0.5, 0.55, 0.6, 0.5, 0.45):
        t0 = time.perf_counter()
        ex.controls["reduction"].value = value
        times.append(time.perf_counter() - t0)
        answers.append(ex.timing.total_s)
        solves.append(ex.timing.solve_s)
    median = statistics.median(times)
    with capsys.disabled():
        print(
            f"\nexplorer response, reduction slider -> new chart data: median "
            f"{statistics.median(answers) * 1000:.0f} ms (HiGHS re-solve "
            f"{statistics.median(solves) * 1000:.0f} ms, read-out "
            f"{ex.timing.extract_s * 1000:.0f} ms, chart rows {ex.timing.charts_s * 1000:.0f} ms); "
            f"with the shadow prices {median * 1000:.0f} ms"
        )
    assert ex.timing.solve_s < 0.5
    assert median < 3.0  # generous: CI machines are shared


def test_every_control_label_is_shown_whole(explorer):
    """Issue 13: fixed label widths cut "Reduction below the base year", "Grid decarbonisation
    (necp pace)" and long funding-instrument names short. Labels take their natural width
    and drop-downs the width of their longest option (the browser test measures the page)."""
    for name, ctrl in explorer.controls.items():
        assert ctrl.style.description_width == "initial", name
    for name in ("city", "instrument"):
        assert explorer.controls[name].layout.width == "max-content"
    # The line under the envelope names the instrument in full.
    explorer.controls["instrument"].value = "municipal_budget"
    assert "Municipal budget (own capital spending)" in explorer.envelope_label.value


def test_displays_say_run_the_cell_in_text(explorer, tmp_path):
    """Issue 13: a saved notebook opened without a kernel (GitHub, a viewer without widgets)
    shows the output's text form: a note to run the cell, not ipywidgets' repr of the
    widget tree."""
    import shutil

    from m100model.widgets import TeamForm

    example = data_dir().parent / "notebooks" / "workshop" / "example_session"
    shutil.copytree(example, tmp_path / "s", ignore=shutil.ignore_patterns("results"))
    for thing in (
        explorer,
        InventoryExplorer("suceava", offline=False),
        TeamForm(tmp_path / "s", "transport_operator", 1),
    ):
        data = thing._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in data
        assert "run this cell" in data["text/plain"] and "Box(" not in data["text/plain"]
        assert "run this cell" in data["text/html"]


def test_saved_notebooks_store_no_widget_repr():
    """The stored outputs of the notebooks (as `make notebooks` writes them) show no raw
    ``VBox(children=...`` text."""
    root = data_dir().parent / "notebooks"
    offenders = []
    for path in sorted(root.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            for out in cell.get("outputs", []):
                text = "".join(out.get("data", {}).get("text/plain", []))
                if text.startswith(("VBox(", "HBox(", "Box(")):
                    offenders.append(f"{path.relative_to(root)} cell {i}")
    assert not offenders, offenders


def test_debouncer_makes_one_call_per_burst():
    calls = []
    deb = Debouncer(lambda: calls.append(time.perf_counter()), wait_s=0.05)

    async def burst():
        for _ in range(5):
            deb()
            await asyncio.sleep(0.005)
        assert calls == []  # still waiting
        await asyncio.sleep(0.15)

    asyncio.run(burst())
    assert len(calls) == 1
    # Without a running event loop (a script, a test) the call is made at once.
    deb()
    assert len(calls) == 2
    deb.flush()  # nothing pending
    assert len(calls) == 2


def test_debouncer_runs_calls_from_other_threads_on_its_loop():
    """JupyterLab sends widget messages to a kernel subshell: their thread hands the call to
    the loop of the thread that made the debouncer, which makes it once."""
    calls = []

    async def main():
        deb = Debouncer(lambda: calls.append(threading.get_ident()), wait_s=0.02)
        senders = [threading.Thread(target=deb) for _ in range(4)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        await asyncio.sleep(0.2)
        return threading.get_ident()

    home = asyncio.run(main())
    assert calls == [home]


def test_coalescer_answers_the_first_call_and_once_after_a_busy_one():
    calls = []

    def fn():
        calls.append(len(calls))
        if len(calls) == 1:
            for _ in range(3):  # changes that come while the first call runs
                co()

    async def main():
        co()
        co()  # joins the scheduled call
        await asyncio.sleep(0.1)

    co = Coalescer(fn, wait_s=0.01)
    asyncio.run(main())
    assert calls == [0, 1]  # one for the burst, one for the changes made meanwhile


def test_debounced_explorer_solves_after_the_burst():
    ex = ScenarioExplorer(cities=["suceava"], debounce_s=0.05, coalesce=False, offline=False)
    solves = len(ex.solver.stats.history)

    async def drag():
        for v in (0.5, 0.52, 0.55, 0.6):
            ex.controls["reduction"].value = v
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.3)

    asyncio.run(drag())
    assert len(ex.solver.stats.history) == solves + 1
    assert ex.result.emissions.set_index("year").at[2040, "target_kt"] == pytest.approx(
        ex.data.base_kt["suceava"] * 0.4
    )


def test_explorer_coalesces_changes_from_another_thread():
    """As in JupyterLab: the explorer is made in a cell (on the kernel's loop) and slider
    messages arrive on a subshell thread. A quick drag makes one solve, on the loop's
    thread, for the last position."""

    async def main():
        ex = ScenarioExplorer(cities=["suceava"], offline=False)
        threads = []
        update = ex._debounced.fn
        ex._debounced.fn = lambda: (threads.append(threading.get_ident()), update())

        def drag():
            for v in (0.5, 0.55, 0.6):
                ex.controls["reduction"].value = v

        sender = threading.Thread(target=drag)
        sender.start()
        sender.join()
        for _ in range(100):
            await asyncio.sleep(0.05)
            if ex.answers:
                break
        return ex, threads, threading.get_ident()

    ex, threads, home = asyncio.run(main())
    assert threads == [home]
    assert ex.answers == 1
    assert ex.result.emissions.set_index("year").at[2040, "target_kt"] == pytest.approx(
        ex.data.base_kt["suceava"] * 0.4
    )


def test_inventory_explorer_recomputes():
    ie = InventoryExplorer("suceava", offline=False)
    ar5 = ie.inventory.basic_tco2e
    ie.controls["gwp"].value = "AR6"
    assert ie.inventory.gwp_set == "AR6"
    assert ie.inventory.basic_tco2e != pytest.approx(ar5)
    assert "AR6" in ie.view.spec["title"]
    ie.controls["grid_method"].value = "residual_mix"
    assert ie.inventory.grid_method == "residual_mix"
    assert sum(chart_rows(ie.view, "tco2e")) == pytest.approx(ie.inventory.total_tco2e)


def test_team_form_writes_a_valid_choice_file(tmp_path):
    import shutil

    from m100model.widgets import TeamForm
    from m100model.workshop import WorkshopSession

    example = data_dir().parent / "notebooks" / "workshop" / "example_session"
    folder = tmp_path / "session"
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns("results"))
    # An existing file is loaded into the form.
    form = TeamForm(folder, "transport_operator", 2)
    tick, share, by = form.rows["mob_ebus"]
    assert tick.value and share.value == pytest.approx(0.5) and by.value == 2031
    # A new round: tick two programmes, apply to one instrument, save by the button.
    form = TeamForm(folder, "transport_operator", 3)
    assert not any(t.value for t, _, _ in form.rows.values())
    form.rows["mob_ebus"][0].value = True
    form.rows["mob_ebus"][1].value = 0.75
    form.rows["mob_ebus"][2].value = 2032
    form.rows["mob_cycle"][0].value = True
    form.funding["eib_loan"].value = True
    form.note.value = "buses and bikes"
    form.button.click()
    assert "saved" in form.status.value
    session = WorkshopSession(folder)
    choices, missing = session.read_round(3)
    assert [c.team for c in choices] == ["transport_operator"]
    c = choices[0]
    assert [(p.archetype, p.share, p.by) for p in c.projects] == [
        ("mob_ebus", 0.75, 2032),
        ("mob_cycle", 1.0, None),
    ]
    assert c.funding == ["eib_loan"]
    assert len(missing) == 6


def test_live_chart_module_is_small_and_vega_is_state():
    """anywidget gives a widget's ES module 2 s to load and drops every message to a widget
    that was late (issue 13: a chart ignored every update on a busy page). The chart's
    module is a few kB; the Vega bundle travels as state that the page imports once, when
    it first draws, and offline it is inlined (no CDN)."""
    import altair as alt

    from m100model.widgets import LiveChart

    LiveChart.enable_offline()
    chart = alt.Chart(alt.NamedData("t"), title="t").mark_bar().encode(x="a:Q")
    view = LiveChart(chart.properties(datasets={"t": [{"a": 1}]}))
    state = view.get_state()
    assert len(state["_esm"]) < 10_000
    assert len(state["_vega_js"]) > 100_000 and "vegaEmbed" in state["_vega_js"]
    assert state["_vega_url"] == "" and "https://" not in state["_esm"]
    assert state["datasets"] == {"t": [{"a": 1}]} and state["revision"] == 0
    assert view.show({"t": [{"a": 2}]}, {}) and view.revision == 1
    assert not view.show({"t": [{"a": 2}]}, {}) and view.revision == 1
