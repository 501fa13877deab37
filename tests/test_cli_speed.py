"""Responsiveness of the command line, by what it does rather than how long it takes: what
``import m100model.cli`` and a refused scenario import, that the scenario checks run before
any data are assembled, and the on-disk cache of the report's Vega bundle.

Times are measured by ``benchmarks/bench_cli.py``, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from m100model.errors import InputError
from m100model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "altair",
    "dask",
    "highspy",
    "openpyxl",
    "pandas",
    "pint",
    "pyomo",
    "scipy",
    "tqdm",
    "vl_convert",
)


def _python(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _loaded(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; it must end by printing a JSON document, to which
    the heavy modules then imported are added under ``heavy``."""
    proc = _python(
        textwrap.dedent(code)
        + f"\nimport json, sys\nprint(json.dumps(dict(result, heavy=[m for m in {HEAVY!r} "
        "if m in sys.modules])))",
        *args,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_cli_imports_no_heavy_library():
    got = _loaded("import json\nimport m100model.cli\nresult = {}")
    assert got["heavy"] == []


def test_the_package_imports_its_api_on_first_use():
    got = _loaded(
        """
        import json
        import m100model
        before = 'load_inventory' in vars(m100model)
        from m100model import Inventory, InputError, load_inventory
        result = dict(before=before, name=load_inventory.__module__, all=m100model.__all__)
        """
    )
    assert got["before"] is False and got["name"] == "m100model.inventory"
    assert "pandas" in got["heavy"]  # imported when asked for, not before
    with pytest.raises(AttributeError):
        import m100model

        m100model.no_such_name  # noqa: B018


def test_help_exits_0():
    proc = subprocess.run(
        [sys.executable, "-m", "m100model.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "run" in proc.stdout and "inventory" in proc.stdout


def test_default_grid_method_matches_the_library():
    from m100model import cli
    from m100model.factors import DEFAULT_GRID_METHOD

    assert cli.DEFAULT_GRID_METHOD == DEFAULT_GRID_METHOD


BAD_CITY_WITH_UNCERTAINTY = """\
name: bad
cities: [gotham]
uncertainty:
  inputs:
    - {name: capex, kind: capex, distribution: {name: uniform, loc: 0.9, scale: 0.2}}
"""


def test_a_bad_scenario_is_refused_before_any_heavy_import(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CITY_WITH_UNCERTAINTY, encoding="utf-8")
    out = tmp_path / "out"
    got = _loaded(
        """
        import json, sys
        from typer.testing import CliRunner
        from m100model.cli import app
        r = CliRunner().invoke(app, ["run", sys.argv[1], "--out", sys.argv[2]])
        result = dict(code=r.exit_code, err=r.stderr)
        """,
        str(path),
        str(out),
    )
    assert got["code"] == 2
    assert "bad.yaml" in got["err"] and "field 'cities'" in got["err"]
    assert "unknown city 'gotham'" in got["err"]
    assert "\n" not in got["err"].strip()
    # Even the uncertainty section's distributions (scipy.stats) wait for the cheap checks.
    assert got["heavy"] == []
    assert not out.exists()


def test_a_good_scenario_validates_without_pandas():
    got = _loaded(
        """
        import json
        from m100model.scenario import load_scenario
        scn = load_scenario("data/scenarios/cluj_napoca_2030.yaml")
        result = dict(name=scn.name)
        """
    )
    assert got["name"] == "cluj_napoca_2030" and got["heavy"] == []


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        (
            "inventories: {resita: data/inventories/nowhere.csv}\n",
            "inventories.resita",
            "file not found",
        ),
        ("grid_scenario: fantasy\n", "grid_scenario", "unknown grid trajectory 'fantasy'"),
        ("grid_method: guesswork\n", "grid_method", "unknown grid-factor method 'guesswork'"),
        (
            "grid_method: transmission_distribution_losses\n",
            "grid_method",
            "unknown grid-factor method",
        ),
        (
            "instrument_overrides: {money_tree: {enabled: false}}\n",
            "instrument_overrides",
            "unknown instrument 'money_tree'",
        ),
    ],
)
def test_references_to_bundled_data_are_checked(tmp_path, extra, field, words):
    path = _scenario(tmp_path, "name: x\ncities: [resita]\n" + extra)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.field == field, str(info.value)
    assert words in info.value.message
    from m100model.cli import app

    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"field '{field}'" in result.stderr and "s.yaml" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_inventory_given_in_the_scenario_is_accepted(tmp_path):
    path = _scenario(
        tmp_path,
        "name: x\ncities: [resita]\ninventories: {resita: data/inventories/resita_2021.csv}\n",
    )
    scn = load_scenario(path)
    assert scn.inventory_path("resita").is_file()


def test_the_distributions_are_still_checked(tmp_path):
    path = _scenario(
        tmp_path,
        "name: x\ncities: [resita]\nuncertainty:\n  inputs:\n"
        "    - {name: g, kind: grid_factor, distribution: {name: nope}}\n",
    )
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.field == "uncertainty.inputs.0.distribution"
    assert "not a continuous distribution" in info.value.message


def test_units_import_pint_without_scipy_or_dask():
    got = _loaded(
        """
        import sys
        from m100model.units import ureg
        before = sorted(m for m in ("scipy", "dask") if m in sys.modules)
        # pint's uses of scipy (scipy.optimize) and dask still work, imported when needed.
        preferred = str((5 * ureg.kWh).to_preferred([ureg.W, ureg.s]))
        import dask
        import dask.array as da
        lazy = ureg.Quantity(da.ones(3), "m")
        result = dict(
            before=before,
            preferred=preferred,
            computed=str(lazy.compute()),
            collection=[dask.is_dask_collection(lazy), dask.is_dask_collection(3 * ureg.m)],
        )
        """
    )
    assert got["before"] == []
    assert got["preferred"] == "18000000.0 second * watt"
    assert got["computed"] == "[1.0 1.0 1.0] meter"
    assert got["collection"] == [True, False]


def test_distribution_checks_are_remembered(tmp_path):
    """The first validation of the workshop scenario computes its distributions' ranges with
    scipy.stats and keeps them; the next needs no scipy. A damaged file is ignored and
    rewritten."""
    code = """
        import sys
        from m100model.scenario import load_scenario
        scn = load_scenario("data/scenarios/workshop.yaml")
        result = dict(inputs=len(scn.uncertainty.inputs), scipy="scipy.stats" in sys.modules)
        """
    env = {"M100_CACHE_DIR": str(tmp_path)}
    runs = []
    for damage in (None, None, "{not json", '{"[\\"triang\\"]": "nonsense"}', None):
        if damage is not None:
            [path] = tmp_path.glob("distribution-ranges-*.json")
            path.write_text(damage, encoding="utf-8")
        proc = _python(textwrap.dedent(code) + "\nimport json\nprint(json.dumps(result))", env=env)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert all(r["inputs"] == 9 for r in runs)
    assert [r["scipy"] for r in runs] == [True, False, True, True, False]
    [path] = tmp_path.glob("distribution-ranges-*.json")
    kept = json.loads(path.read_text(encoding="utf-8")).values()
    assert len([v for v in kept if isinstance(v, list)]) == 8  # two inputs share one


def test_garbage_collector_in_a_program_and_in_a_host(monkeypatch):
    """`m100 run` as the program leaves the heap frozen for a fast exit; run in a host (the
    test runner) it restores the collector (checked end to end below, after two runs)."""
    import gc

    from m100model import cli

    threshold = gc.get_threshold()
    assert cli.app.as_program is False  # the test runner never calls app()
    with cli._lean_gc() as freeze:
        assert gc.get_threshold()[0] >= 10_000
        freeze()
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
    monkeypatch.setattr(cli.app, "as_program", True)
    try:
        with cli._lean_gc():
            pass
        assert gc.get_threshold() == threshold and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_altair_for_a_command_leaves_out_notebook_packages():
    got = _loaded(
        """
        import sys
        from m100model import cli
        cli.app.as_program = True  # as when the m100 script calls app()
        cli._import_altair()
        import altair as alt
        left_out = sorted(m for m in ("rfc3987_syntax", "anywidget") if m in sys.modules)
        spec = alt.Chart(alt.Data(values=[{"x": 1}])).mark_bar().encode(x="x:Q").to_dict()
        import jsonschema
        from altair.utils.schemapi import SchemaValidationError
        try:  # specs are still validated against the Vega-Lite schema
            alt.Chart(alt.Data(values=[])).mark_bar().properties(width="wide").to_dict()
            validated = False
        except (SchemaValidationError, jsonschema.ValidationError):
            validated = True
        import anywidget  # importable again afterwards
        result = dict(left_out=left_out, mark=spec["mark"]["type"], validated=validated)
        """
    )
    assert got["left_out"] == [] and got["mark"] == "bar" and got["validated"] is True


# ---------------------------------------------------------------------------------------
# The Vega bundle cache
# ---------------------------------------------------------------------------------------
FAKE_BUNDLE = "/* fake vega bundle */ window.vegaEmbed = function () {};\n"


@pytest.fixture
def bundle_builds(tmp_path, monkeypatch):
    """A cache folder of our own and a stand-in for vl-convert's (slow) bundler that counts
    its calls."""
    import vl_convert

    calls = []

    def fake_bundle(*args, **kwargs):
        calls.append((args, kwargs))
        return FAKE_BUNDLE

    monkeypatch.setenv("M100_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(vl_convert, "javascript_bundle", fake_bundle)
    return calls


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    from m100model.io import cache_dir

    monkeypatch.setenv("M100_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("M100_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "m100"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "m100"


def test_the_bundle_is_built_once_and_then_read(bundle_builds):
    from m100model.report import vega_bundle, vega_bundle_path

    assert vega_bundle() == FAKE_BUNDLE
    path = vega_bundle_path()
    assert len(bundle_builds) == 1 and path.is_file()
    assert "vl-convert" in path.name and path.parent == Path(os.environ["M100_CACHE_DIR"])
    before = path.stat()
    assert vega_bundle() == FAKE_BUNDLE
    after = path.stat()
    assert len(bundle_builds) == 1  # not built again
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "",  # empty
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: text.replace("vegaEmbed", "vegaEmbeb"),  # altered
        lambda text: text.split("\n", 1)[1],  # header lost
        lambda text: text.replace("sha256 ", "sha256 0", 1),  # header garbled
    ],
    ids=["empty", "truncated", "altered", "no-header", "bad-header"],
)
def test_a_damaged_cache_file_is_rebuilt(bundle_builds, damage):
    from m100model.report import vega_bundle, vega_bundle_path

    vega_bundle()
    path = vega_bundle_path()
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert vega_bundle() == FAKE_BUNDLE
    assert len(bundle_builds) == 2
    assert vega_bundle() == FAKE_BUNDLE  # repaired: read, not built, the third time
    assert len(bundle_builds) == 2


def test_the_cache_is_keyed_by_the_vl_convert_version(bundle_builds, monkeypatch):
    from m100model import report

    report.vega_bundle()
    first = report.vega_bundle_path()
    monkeypatch.setattr(report, "_vl_convert_version", lambda: "99.0")
    assert report.vega_bundle() == FAKE_BUNDLE
    assert len(bundle_builds) == 2 and report.vega_bundle_path() != first
    assert "99.0" in report.vega_bundle_path().name


def test_an_unwritable_cache_still_gives_the_bundle(bundle_builds, monkeypatch, tmp_path):
    from m100model.report import vega_bundle

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("M100_CACHE_DIR", str(blocker / "cache"))
    assert vega_bundle() == FAKE_BUNDLE
    assert vega_bundle() == FAKE_BUNDLE
    assert len(bundle_builds) == 2  # built each time, no error


SMALL = """
name: small
cities: [resita]
first_year: 2025
horizon: 2030
target: {kind: reduction, year: 2030, reduction: 0.05}
archetypes: [en_led, gov_energy_mgmt]
indivisible: false
tickets: false
"""


def test_a_second_report_reuses_the_cached_bundle(bundle_builds, tmp_path):
    import gc

    from m100model.cli import app
    from m100model.report import vega_bundle_path

    path = _scenario(tmp_path, SMALL)
    runner = CliRunner()
    threshold = gc.get_threshold()
    first = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.stderr
    cached = vega_bundle_path().stat()
    second = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "b")])
    assert second.exit_code == 0, second.stderr
    assert len(bundle_builds) == 1
    again = vega_bundle_path().stat()
    assert (again.st_ino, again.st_mtime_ns) == (cached.st_ino, cached.st_mtime_ns)
    for folder in ("a", "b"):  # the page inlines the bundle: it works offline
        page = (tmp_path / folder / "report.html").read_text(encoding="utf-8")
        assert FAKE_BUNDLE.strip() in page and "<script src=" not in page
    # `m100 run` tunes the garbage collector while it works and leaves it as it found it.
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0


def test_scipy_results_are_kept_per_scipy_version(tmp_path, monkeypatch) -> None:
    """A result stored by one process is read back by the next (a fresh instance), from a
    file named for the installed scipy; an unreadable file counts as empty and is replaced."""
    from importlib.metadata import version

    from m100model.io import ScipyResults

    monkeypatch.setenv("M100_CACHE_DIR", str(tmp_path))
    first = ScipyResults("demo-v1")
    assert first.path == tmp_path / f"demo-v1-scipy-{version('scipy')}.json"
    first.store("a", [1.0, 2.0])
    assert ScipyResults("demo-v1").known() == {"a": [1.0, 2.0]}
    first.path.write_text("{not json", encoding="utf-8")
    broken = ScipyResults("demo-v1")
    assert broken.known() == {}
    broken.store("b", 3.0)
    assert ScipyResults("demo-v1").known() == {"b": 3.0}


def test_fleet_scales_come_from_the_cache(tmp_path, monkeypatch) -> None:
    """The second calibration of the same fleet reads the stored scale (equal to brentq's)."""
    import m100model.fleet as fleet

    monkeypatch.setenv("M100_CACHE_DIR", str(tmp_path))
    args = (3.0, 16.9, 0.3, 12, 50)
    solved = fleet._solve_scale(*args)
    assert fleet.calibrate_scale(*args) == solved
    monkeypatch.setattr(fleet, "_solve_scale", lambda *a: pytest.fail("recomputed"))
    assert fleet.calibrate_scale(*args) == solved
    assert any(tmp_path.glob("fleet-weibull-scales-v1-scipy-*.json"))
