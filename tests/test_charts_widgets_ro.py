"""The charts and the explorers' widgets in Romanian (issue 15): every chart type and every
widget built with ``lang="ro"`` on the kit's data shows Romanian titles, legends, labels and
messages (in strict mode, ``M100_I18N_STRICT=1``, a text without a translation is an error),
the labels that come from the data (CPD themes, GPC sectors and sub-sectors, funding
sources, programmes, cities) have their Romanian, and ``lang="en"`` gives the English charts
and widgets as they were."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from analysis_instances import grid_spec, hand_instance

from m100model import charts, i18n
from m100model.analysis.alternatives import near_optimal
from m100model.analysis.ensemble import get_evaluator, model_payload, run_ensemble, sample_costs
from m100model.analysis.macc import compare_with_optimum, macc
from m100model.analysis.monitoring import (
    _INDICATOR_UNITS,
    EFFECT_NAMES,
    decompose_inventories,
    planned_by_sector,
    track_progress,
    transition_indicators,
)
from m100model.analysis.tradeoffs import pareto_front, tornado
from m100model.cities import load_cities
from m100model.inventory import bundled_inventories, gpc_reference, load_inventory
from m100model.pathways import baseline, target_path
from m100model.portfolio.results import extract
from m100model.projects import THEME_NAMES, load_archetypes, load_instruments
from m100model.scenario import load_scenario
from m100model.tables import data_dir
from m100model.widgets import InventoryExplorer, ScenarioExplorer, TeamForm

SCENARIO = data_dir() / "scenarios" / "workshop.yaml"
EXAMPLE_SESSION = data_dir().parent / "notebooks" / "workshop" / "example_session"


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    """Every text shown in Romanian must have its translation."""
    monkeypatch.setenv("M100_I18N_STRICT", "1")
    yield
    i18n._SESSION.clear()


def _ro(text: str) -> str:
    return i18n.tr(text, "ro")


# ---------------------------------------------------------------------------------------
# The data's labels
# ---------------------------------------------------------------------------------------
def test_every_label_of_the_data_has_its_romanian():
    """The label sets the charts translate are exactly the values in the data files, and
    each has a Romanian translation (a value added to the data fails here until it has)."""
    ref = gpc_reference()
    short = {charts.short_instrument_name(str(n)) for n in load_instruments()["name"]}
    sets = {
        "themes": (set(charts.THEME_LABELS), set(THEME_NAMES.values())),
        "GPC sectors": (set(charts.GPC_SECTOR_LABELS), set(ref["sector_name"])),
        # "Other scope 3" is a sector and a sub-sector: one label
        "GPC sub-sectors": (
            set(charts.GPC_SUBSECTOR_LABELS) | set(charts.GPC_SECTOR_LABELS),
            set(ref["subsector_name"]) | set(charts.GPC_SECTOR_LABELS),
        ),
        "funding sources": (set(charts.FUNDING_SOURCE_LABELS), short),
        "LMDI effects": (set(charts.EFFECT_LABELS), {*EFFECT_NAMES.values(), "Total change"}),
        # the units that are words (symbols such as km stay as they are)
        "indicator units": (
            set(charts.UNIT_LABELS),
            set(_INDICATOR_UNITS.values()) - {"m2", "km", "MWp", "GWh"},
        ),
    }
    for name, (marked, data) in sets.items():
        assert marked == data, (name, marked ^ data)
    labels = [
        *charts.THEME_LABELS,
        *charts.GPC_SECTOR_LABELS,
        *charts.GPC_SUBSECTOR_LABELS,
        *charts.FUNDING_SOURCE_LABELS,
        *charts.MONITORING_LABELS,
        *charts.EFFECT_LABELS,
        *charts.UNIT_LABELS,
    ]
    for text in labels:
        assert _ro(text) != text, text  # (strict mode: raises if it has none)
    # Programmes, instruments and cities carry their Romanian names in the data.
    for table, column in (
        (load_archetypes(), "name_ro"),
        (load_instruments(), "name_ro"),
        (load_cities(), "city_ro"),
    ):
        assert table[column].notna().all() and (table[column].str.strip() != "").all()
    assert charts.programme_names(["Urban street trees"]) == ["Urban street trees"]
    with i18n.use_language("ro"):
        assert charts.programme_names(["Urban street trees"]) == ["Arbori de aliniament în oraș"]
        with pytest.raises(i18n.MissingTranslation):
            charts.programme_names(["A programme nobody wrote"])


def test_theme_and_funding_colours_are_the_same_in_both_languages():
    en_theme, en_fund = charts.theme_colours(), charts.funding_colours()
    with i18n.use_language("ro"):
        ro_theme, ro_fund = charts.theme_colours(), charts.funding_colours()
        names = charts.funding_source_names()
    assert list(ro_theme.values()) == list(en_theme.values())
    assert list(ro_fund.values()) == list(en_fund.values())
    assert ro_theme["Mobilitate durabilă"] == en_theme["Sustainable mobility"]
    assert names["municipal_budget"] == _ro("Municipal budget (own capital spending)")
    assert charts.funding_source_names()["municipal_budget"].startswith("Municipal budget")


# ---------------------------------------------------------------------------------------
# Every chart type, on the kit's data
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chart_inputs(tmp_path_factory):
    """The inputs of every chart type, from the kit's bundled data (the workshop scenario,
    Cluj-Napoca's and Suceava's inventories, the example workshop session)."""
    from m100model.workshop import WorkshopSession

    scn = load_scenario(SCENARIO)
    ev = get_evaluator(model_payload(scenario=scn))
    ev.base()
    ev.solver.solve(duals=False)
    result = extract(ev.solver)
    curve = compare_with_optimum(macc(ev.solver.data, scn.discount_rate), result.portfolio)
    plan = planned_by_sector(ev.solver)
    indicators = transition_indicators(ev.solver)
    alternatives = near_optimal(ev.solver, n=1, slack=0.1)
    front = pareto_front(ev.solver, against="emissions", points=3)
    sensitivity = tornado(ev, year=2030)
    inv = load_inventory(bundled_inventories()["cluj_napoca"])
    years = list(range(inv.year, 2051))
    path = target_path(inv.basic_tco2e, inv.year, years, kind="net_zero", year=2030, reduction=0.8)
    suceava = load_inventory(data_dir() / "inventories" / "suceava_2021.csv")
    later = load_inventory(data_dir() / "inventories" / "monitoring" / "suceava_2027.csv")
    ensemble = run_ensemble(
        data=hand_instance(), spec=grid_spec(4), scheduler="serial", progress=False
    )
    folder = tmp_path_factory.mktemp("session") / "s"
    shutil.copytree(EXAMPLE_SESSION, folder, ignore=shutil.ignore_patterns("results"))
    round1 = WorkshopSession(folder).run_round(1, save=False)
    return {
        "inventory": (inv.by_subsector(),),
        "pathway": (result.emissions, result.wedges),
        "investment": (result.investment,),
        "macc": (curve,),
        "programme_comparison": (round1.comparison,),
        "baseline": (baseline(inv, years), pd.DataFrame({"year": years, "target_kt": path / 1e3})),
        "target_probability": (ensemble.target_probability(),),
        "cost_distribution": (sample_costs(ensemble.records),),
        "robustness": (ensemble.selection_frequency(),),
        "regret": (ensemble.regret(),),
        "alternatives": (alternatives.by_theme,),
        "pareto": (front,),
        "tornado": (sensitivity,),
        "monitoring": (track_progress(later, plan),),
        "lmdi": (decompose_inventories(suceava, later).totals(),),
        "indicators": (indicators,),
    }


# One English axis, legend or tooltip title of each chart and its Romanian.
EXPECTED = {
    "inventory": ["GPC sub-sector", "Emissions (t CO2e per year)", "Scope"],
    "pathway": ["Year", "Emissions (kt CO2e per year)", "Abatement by theme"],
    "investment": ["Investment (M EUR per year)", "Funding source"],
    "macc": ["Abatement potential (kt CO2e per year, cumulative)", "Share built in the optimum"],
    "programme_comparison": ["Share of the city's maximum deployment"],
    "baseline": ["Baseline by GPC sector", "target kt"],
    "target_probability": ["Probability of meeting the target", "Portfolio"],
    "cost_distribution": ["Net present cost (M EUR)", "Samples"],
    "robustness": ["Share of samples in which it is chosen", "mean share of maximum"],
    "regret": ["Maximum regret (M EUR, with shortfall penalty)", "Minimum-regret choice"],
    "alternatives": ["Investment (M EUR, whole horizon)", "Theme"],
    "pareto": ["Cumulative emissions (kt CO2e over the model years)"],
    "tornado": ["Optimal net present cost (M EUR)", "at low value"],
    "monitoring": ["Gap: actual minus planned (kt CO2e)", "GPC sector"],
    "lmdi": ["Change in emissions (kt CO2e)"],
    "indicators": ["Year"],
}
# The data columns whose values are labels a reader sees, by chart.
LABEL_COLUMNS = {
    "inventory": ["label", "scope", "subsector_name"],
    "pathway": ["theme_name", "series"],
    "investment": ["source"],
    "macc": ["name"],
    "programme_comparison": ["name", "theme", "series"],
    "baseline": ["sector", "series"],
    "alternatives": ["theme_name"],
    "monitoring": ["sector_name", "status"],
    "lmdi": ["effect_name", "kind"],
    "indicators": ["unit"],
}


def _draw(name, inputs, **kw):
    return getattr(charts, f"{name}_chart")(*inputs, "A title the caller gives", **kw)


def _texts(spec) -> set[str]:
    """The titles, legend labels and scale domains of a chart's spec."""
    out: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "labelExpr") and isinstance(value, str):
                    out.add(value)
                elif key == "domain" and isinstance(value, list):
                    out.update(v for v in value if isinstance(v, str))
                elif key != "datasets":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return out


def _labels(spec, columns) -> set[str]:
    rows = [r for rows in spec.get("datasets", {}).values() for r in rows]
    return {r[c] for r in rows for c in columns if isinstance(r.get(c), str)}


ENGLISH = {m for m in i18n.catalogue("ro") if i18n.catalogue("ro")[m] != m}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_chart_in_romanian(chart_inputs, name):
    inputs = chart_inputs[name]
    ro = _draw(name, inputs, lang="ro").to_dict()
    texts = _texts(ro)
    for english in EXPECTED[name]:
        assert _ro(english) in texts, (english, sorted(texts))
        assert english not in texts
    # No English left: no title, legend entry or label of the data is an English text the
    # catalogues translate (identifiers such as project ids and units' symbols stay).
    labels = _labels(ro, LABEL_COLUMNS.get(name, []))
    assert not (texts | labels) & ENGLISH, sorted((texts | labels) & ENGLISH)
    if name in LABEL_COLUMNS:
        assert labels, name
    # Romanian numbers: decimal comma, thousands dot.
    assert ro["config"]["locale"]["number"]["decimal"] == ","
    assert ro["config"]["locale"]["number"]["thousands"] == "."
    assert ro["title"] == "A title the caller gives" or ro["title"]["text"] == (
        "A title the caller gives"
    )
    # English: the chart as it was (the same spec as without lang; English titles).
    en = _draw(name, inputs, lang="en").to_dict()
    assert en == _draw(name, inputs).to_dict()
    assert "locale" not in en.get("config", {})
    for english in EXPECTED[name]:
        assert english in _texts(en)


def test_romanian_labels_keep_their_colours_and_order(chart_inputs):
    """The data's labels are translated before drawing, so colours that follow the sorted
    labels (scopes, GPC sectors, LMDI's driver and total) stay with the same thing."""
    lmdi = _draw("lmdi", chart_inputs["lmdi"], lang="ro").to_dict()
    scale = lmdi["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        _ro("Driver"): charts.OKABE_ITO[4],
        _ro("Total change"): "#000000",
    }
    base_en = _draw("baseline", chart_inputs["baseline"]).to_dict()
    base_ro = _draw("baseline", chart_inputs["baseline"], lang="ro").to_dict()
    sectors = sorted(_labels(base_en, ["sector"]))
    ro_scale = base_ro["layer"][0]["encoding"]["color"]["scale"]
    assert ro_scale["domain"] == [_ro(s) for s in sectors]
    assert (
        ro_scale["range"][: len(sectors)]
        == base_en["layer"][0]["encoding"]["color"]["scale"]["range"][: len(sectors)]
    )
    regret = _draw("regret", chart_inputs["regret"], lang="ro").to_dict()
    assert regret["encoding"]["color"]["legend"]["labelExpr"] == 'datum.value ? "da" : "nu"'


def test_the_session_language_draws_romanian_and_lang_overrides_it(chart_inputs):
    inputs = chart_inputs["pathway"]
    i18n.set_language("ro")
    assert _draw("pathway", inputs).to_dict() == _draw("pathway", inputs, lang="ro").to_dict()
    en = _draw("pathway", inputs, lang="en").to_dict()
    assert "Abatement by theme" in _texts(en)
    i18n.set_language("en")


def test_romanian_chart_renders_offline_with_romanian_numbers(chart_inputs):
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(_draw("inventory", chart_inputs["inventory"], lang="ro").to_dict())
    assert "Subsector GPC" in svg and "Domeniul 1" in svg
    assert "100.000" in svg and "100,000" not in svg  # the axis' thousands


def test_book_chart_message_in_romanian(chart_inputs):
    chart = _draw("lmdi", chart_inputs["lmdi"])
    assert "vega-bundle.js did not load" in charts.show(chart)._repr_html_()
    with i18n.use_language("ro"):
        page = charts.show(chart)._repr_html_()
    assert json.dumps(_ro("Chart not drawn: vega-bundle.js did not load."), ensure_ascii=False) in (
        page
    )


def test_a_chart_drawn_on_a_romanian_page_gets_romanian_numbers():
    """A book page draws some charts itself (alt.Chart, then charts.show): in the Romanian
    edition they get the decimal comma and thousands dot and the wider label limits too, the
    legend still below the plot; in English the spec is as before (no locale)."""
    import altair as alt
    import vl_convert as vlc

    df = pd.DataFrame({"year": ["2025", "2030"], "t": [200000.0, 1234.5], "s": ["a", "b"]})
    chart = alt.Chart(df).mark_bar().encode(x="year:O", y="t:Q", color="s:N")
    en = charts.show(chart).spec
    assert "locale" not in en["config"]
    assert en["config"]["legend"] == {"orient": "bottom", "columns": 2}
    with i18n.use_language("ro"):
        ro = charts.show(chart).spec
    assert ro["config"]["locale"]["number"] == {
        "decimal": ",",
        "thousands": ".",
        "grouping": [3],
        "currency": ["", " EUR"],
    }
    assert ro["config"]["legend"]["orient"] == "bottom"
    assert ro["config"]["legend"]["labelLimit"] == 260
    assert ro["config"]["axis"]["labelLimit"] == 220
    svg = vlc.vegalite_to_svg(ro)
    assert "200.000" in svg and "200,000" not in svg


def test_a_configured_romanian_chart_keeps_its_config_in_the_book(chart_inputs):
    """A chart function's Romanian chart is configured already: the book keeps its locale and
    label limits and adds the legend's place."""
    chart = _draw("lmdi", chart_inputs["lmdi"], lang="ro")
    spec = charts.show(chart).spec
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["legend"]["titleLimit"] == 260


# ---------------------------------------------------------------------------------------
# The widgets
# ---------------------------------------------------------------------------------------
def _widget_texts(widget) -> list[str]:
    out = []
    for attr in ("description", "value", "placeholder"):
        value = getattr(widget, attr, None)
        if isinstance(value, str) and value.strip("\u200b "):
            out.append(value)
    out.extend(str(o) for o in getattr(widget, "_options_labels", ()) or ())
    for child in getattr(widget, "children", ()):
        out.extend(_widget_texts(child))
    return out


@pytest.fixture(scope="module")
def explorer_ro():
    return ScenarioExplorer(
        SCENARIO, cities=["suceava", "resita"], debounce_s=0, offline=False, lang="ro"
    )


def test_scenario_explorer_in_romanian(explorer_ro, monkeypatch):
    ex = explorer_ro
    c = ex.controls
    assert c["city"].description == "Oraș"
    assert c["target_year"].description == "Anul-țintă"
    assert c["reduction"].description == _ro("Reduction below the base year")
    assert c["grid_speed"].description == "Decarbonizarea rețelei (ritmul necp)"
    assert [label for label, _v in c["city"].options] == ["Suceava", "Reșița"]
    assert (
        dict((v, k) for k, v in c["instrument"].options)["municipal_budget"]
        == (load_instruments().at["municipal_budget", "name_ro"])
    )
    texts = " ".join(_widget_texts(ex.widget))
    assert "Exploratorul de scenarii" in texts and "Date ilustrative" in texts
    assert "cost actualizat net" in ex.status.value and "M EUR pe an" in ex.envelope_label.value
    assert "net present cost" not in ex.status.value
    assert "run this cell" not in ex._repr_mimebundle_()["text/plain"]
    # The charts: Romanian titles, axes and rows; they stay Romanian after a control moves,
    # which runs outside any language block (as a widget callback does).
    assert ex.views["pathway"].signals["pathway_title"].startswith("Suceava: emisiile")
    for name, view in ex.views.items():
        assert view.spec["config"]["locale"]["number"]["decimal"] == ",", name
        assert view._error_text == "Eroare la desenarea graficului:"
    assert _ro("Abatement by theme") in _texts(ex.views["pathway"].spec)
    assert _ro("Funding source") in _texts(ex.views["investment"].spec)
    c["reduction"].value = 0.6
    c["city"].value = "resita"
    rows = [r for ds in ex.views["pathway"].datasets.values() for r in ds]
    assert {r["theme_name"] for r in rows if "theme_name" in r} >= {_ro("Remaining emissions")}
    assert {r["series"] for r in rows if "series" in r} == {
        _ro("Baseline (no new projects)"),
        _ro("Target path"),
    }
    sources = {r["source"] for ds in ex.views["investment"].datasets.values() for r in ds}
    assert sources and sources <= set(charts.funding_colours()) | {
        _ro(s) for s in charts.FUNDING_SOURCE_LABELS
    }
    assert ex.views["investment"].signals["investment_title"].startswith("Reșița: planul")
    assert "deficit" in ex.status.value or "țintă atinsă" in ex.status.value
    # Numbers the Romanian way in the status line.
    k = ex.key_figures()
    assert f"în {k['target_year']}: " in ex.status.value
    assert i18n.number(k["npv_meur"], ",.1f", "ro") in ex.status.value
    assert "răspuns în" in ex.status.value
    charts_ro = ex.make_charts()
    assert _ro("Investment (M EUR per year)") in _texts(charts_ro["investment"].to_dict())


def test_explorer_keeps_the_language_it_was_made_in():
    """A widget made while the session is Romanian stays Romanian; ``lang="en"`` is English
    whatever the session says."""
    i18n.set_language("ro")
    ie = InventoryExplorer("suceava", offline=False)
    ie_en = InventoryExplorer("suceava", offline=False, lang="en")
    i18n.set_language("en")
    ie.controls["gwp"].value = "AR6"
    assert ie.controls["grid_method"].description == "Factorul rețelei"
    assert "total teritorial" in ie.summary.value and "," in ie.summary.value
    assert ie.view.spec["title"].startswith("Suceava 2021: inventar GPC, AR6")
    assert _ro("GPC sub-sector") in _texts(ie.view.spec)
    labels = _labels(ie.view.spec, ["scope", "label"])
    assert "Domeniul 1" in labels and "I.1 Clădiri rezidențiale" in labels
    assert [label for label, _v in ie.controls["city"].options][:2] == ["Alba Iulia", "Bistrița"]
    assert "Exploratorul de inventare" in ie._repr_mimebundle_()["text/plain"]
    ie_en.controls["gwp"].value = "AR6"
    assert ie_en.controls["grid_method"].description == "Grid factor"
    assert "territorial" in ie_en.summary.value
    assert "Scope 1" in _labels(ie_en.view.spec, ["scope"])
    assert "Inventory explorer: run this cell" in ie_en._repr_mimebundle_()["text/plain"]


def test_team_form_in_romanian(tmp_path):
    from m100model.workshop import WorkshopSession

    folder = tmp_path / "s"
    shutil.copytree(EXAMPLE_SESSION, folder, ignore=shutil.ignore_patterns("results"))
    form = TeamForm(folder, "finance", 3, lang="ro")
    texts = _widget_texts(form.widget)
    joined = " ".join(texts)
    assert "runda 3" in joined and "<b>Programe</b>" in joined
    assert "Instrumentele de finanțare la care aplicăm" in joined
    tick, share, by = form.rows["mob_ebus"]
    assert tick.description.startswith("Autobuz electric în locul unui autobuz diesel (mob_ebus)")
    assert share.description == "pondere" and by.description == "gata până în"
    assert by.options[0] == ("anul-țintă", 0)
    assert form.funding["eib_loan"].description == (
        f"{load_instruments().at['eib_loan', 'name_ro']} (eib_loan)"
    )
    assert form.note.placeholder == "O propoziție pentru discuția de bilanț"
    assert form.button.description == "Salvați"
    assert "(nou)" in form.status.value
    assert "Formularul de alegeri al echipei" in form._repr_mimebundle_()["text/plain"]
    tick.value = True
    form.button.click()  # a widget callback: outside any language block
    assert "salvat round_3/finance.yaml (programe alese: 1)" in form.status.value
    # The file it writes is the same as in English: ids, not names.
    choices, _missing = WorkshopSession(folder).read_round(3)
    assert [p.archetype for p in choices[0].projects] == ["mob_ebus"]
    with pytest.raises(ValueError, match="nu face parte din această sesiune"):
        TeamForm(folder, "nobody", 3, lang="ro")


def test_widgets_in_english_are_as_they_were(tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(EXAMPLE_SESSION, folder, ignore=shutil.ignore_patterns("results"))
    form = TeamForm(folder, "finance", 1, lang="en")
    joined = " ".join(_widget_texts(form.widget))
    assert "<b>Finance department</b>, round 1:" in joined
    assert "(* programmes your role champions)" in joined
    assert form.button.description == "Save" and form.rows["mob_ebus"][1].description == "share"
    assert "The team's choice form: run this cell" in form._repr_mimebundle_()["text/plain"]
