"""Uncertainty ensembles: sampling, a hand-checkable case, Dask, resume, bad input."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import yaml
from analysis_instances import P_REOPT_ALL, hand_instance, p_plan
from analysis_instances import grid_spec as spec_of
from typer.testing import CliRunner

from m100model.analysis.ensemble import SAMPLES_FILE, read_samples, run_ensemble
from m100model.analysis.uncertainty import Perturbation, draw
from m100model.cli import app
from m100model.errors import InputError
from m100model.scenario import UncertaintySpec, load_scenario
from m100model.tables import data_dir

N = 30


def test_draw_is_reproducible_and_stratified() -> None:
    spec = spec_of(N)
    a, b = draw(spec), draw(spec)
    assert a.equals(b)
    assert not a.equals(draw(spec, seed=8))
    u = (a["grid"].to_numpy() - 0.8) / 0.6  # back to probabilities
    # Latin hypercube: exactly one sample in each of the N strata of [0, 1)
    assert sorted(np.floor(u * N).astype(int)) == list(range(N))
    sobol = draw(spec, samples=5, method="sobol")  # not a power of two: no warning
    assert len(sobol) == 5 and sobol["grid"].between(0.8, 1.4).all()


def test_probability_of_meeting_the_target_matches_the_closed_form() -> None:
    res = run_ensemble(data=hand_instance(), spec=spec_of(N), scheduler="serial", progress=False)
    assert len(res.records) == N
    prob = res.target_probability().set_index(["run", "year"])
    for year in (2025, 2026):
        # LHS puts one sample in each 1/N stratum: the estimate is within 1/N of the truth.
        assert abs(prob.at[("plan:optimum", year), "p_met"] - p_plan(year)) <= 1 / N
    cost = res.cost_distribution().set_index("run")
    assert abs(cost.at["reoptimised", "p_all_met"] - P_REOPT_ALL) <= 1 / N
    assert cost.at["plan:optimum", "p_all_met"] == pytest.approx(1 / 3, abs=1 / N)
    # The plan is fixed and only the grid factor varies: its cost never changes ...
    assert cost.at["plan:optimum", "cost_std_meur"] == pytest.approx(0.0, abs=1e-9)
    # ... and its emissions scale with the factor (median of U(0.8, 1.4) is 1.1).
    assert prob.at[("plan:optimum", 2026), "emissions_p50_kt"] == pytest.approx(22.0, rel=0.02)
    freq = res.selection_frequency()
    assert freq.loc[0, "project_id"] == "c:saver" and freq.loc[0, "frequency"] == 1.0


def test_two_worker_local_cluster_gives_the_serial_answers(tmp_path) -> None:
    spec = spec_of(6)
    serial = run_ensemble(data=hand_instance(), spec=spec, scheduler="serial", progress=False)
    dask = run_ensemble(
        data=hand_instance(),
        spec=spec,
        scheduler="local",
        n_workers=2,
        out_dir=tmp_path / "ens",
        progress=False,
    )
    assert dask.timing["workers"] == 2
    assert [r["sample_id"] for r in dask.records] == list(range(6))
    for a, b in zip(serial.records, dask.records, strict=True):
        assert a["inputs"] == b["inputs"]
        for run in ("plan:optimum", "reoptimised"):
            assert a["runs"][run]["cost_meur"] == pytest.approx(b["runs"][run]["cost_meur"])
            assert a["runs"][run]["short_kt"] == b["runs"][run]["short_kt"]
    assert len(read_samples(tmp_path / "ens" / SAMPLES_FILE)) == 6


class _Crash(Exception):
    pass


def test_resume_after_an_interrupted_run_loses_nothing(tmp_path) -> None:
    spec = spec_of(8)
    out = tmp_path / "ens"
    seen: list[int] = []

    def crash_after_three(rec: dict) -> None:
        seen.append(rec["sample_id"])
        if len(seen) == 3:
            raise _Crash

    with pytest.raises(_Crash):
        run_ensemble(
            data=hand_instance(),
            spec=spec,
            scheduler="serial",
            out_dir=out,
            progress=False,
            on_record=crash_after_three,
        )
    path = out / SAMPLES_FILE
    assert len(path.read_text().splitlines()) == 3  # every finished sample is on disk
    with path.open("a") as f:
        f.write('{"sample_id": 5, "inputs": {"gr')  # a write cut short by the crash
    res = run_ensemble(
        data=hand_instance(), spec=spec, scheduler="serial", out_dir=out, progress=False
    )
    assert res.timing["resumed_samples"] == 3 and res.timing["new_samples"] == 5
    ids = [json.loads(line)["sample_id"] for line in path.read_text().splitlines()]
    assert sorted(ids) == list(range(8))  # each sample once, none lost, none twice
    whole = run_ensemble(data=hand_instance(), spec=spec, scheduler="serial", progress=False)
    for a, b in zip(whole.records, res.records, strict=True):
        assert a["runs"]["reoptimised"]["cost_meur"] == pytest.approx(
            b["runs"]["reoptimised"]["cost_meur"]
        )
    # Other settings in the same folder: refused, not mixed.
    with pytest.raises(InputError, match="other settings"):
        run_ensemble(
            data=hand_instance(),
            spec=spec,
            seed=99,
            scheduler="serial",
            out_dir=out,
            progress=False,
        )


def test_an_input_that_matches_nothing_names_its_field() -> None:
    spec = UncertaintySpec.model_validate(
        dict(
            inputs=[
                dict(
                    name="coal",
                    kind="emission_factor",
                    fuels=["lignite"],
                    distribution=dict(name="uniform", loc=0.9, scale=0.2),
                )
            ]
        )
    )
    with pytest.raises(InputError) as err:
        Perturbation(hand_instance(), spec, 0.04, "s.yaml")
    assert err.value.field == "uncertainty.inputs.0" and "s.yaml" in str(err.value)


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        (
            [dict(name="g", kind="grid_factor", distribution=dict(name="nope"))],
            "uncertainty.inputs.0.distribution",
            "not a continuous distribution",
        ),
        (
            [dict(name="g", kind="grid_factor", distribution=dict(name="norm", loc=0, scale=1))],
            "uncertainty.inputs.0",
            "must not be negative",
        ),
        (
            [dict(name="g", kind="capex", themes=["space"], distribution=dict(name="uniform"))],
            "uncertainty.inputs.0",
            "unknown theme",
        ),
    ],
)
def test_bad_uncertainty_sections_name_file_and_field(tmp_path, inputs, field, words) -> None:
    raw = yaml.safe_load((data_dir() / "scenarios" / "workshop.yaml").read_text())
    raw["uncertainty"] = dict(inputs=inputs)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert err.value.field == field and words in err.value.message
    assert "bad.yaml" in str(err.value)
    result = CliRunner().invoke(app, ["ensemble", str(path), "--serial"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and field in result.stderr


def test_cli_ensemble_needs_an_uncertainty_section() -> None:
    path = data_dir() / "scenarios" / "cluj_napoca_2030.yaml"
    result = CliRunner().invoke(app, ["ensemble", str(path), "--serial"])
    assert result.exit_code == 2
    assert "uncertainty" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_sample_does_not_depend_on_the_samples_solved_before_it() -> None:
    """Workers take samples in any order: each sample's answers (costs, emissions, which
    projects the re-optimised portfolio builds) are the same whichever came before."""
    from m100model.analysis.ensemble import Evaluator
    from m100model.portfolio.data import assemble

    scn = load_scenario(data_dir() / "scenarios" / "workshop.yaml")
    data = assemble(scn)
    table = draw(scn.uncertainty, samples=6, seed=11)
    names = [c for c in table.columns if c != "sample_id"]
    samples = [
        (int(r[0]), dict(zip(names, map(float, r[1:]), strict=True)))
        for r in table.itertuples(index=False)
    ]
    answers = []
    for order in (samples, samples[::-1]):
        ev = Evaluator(data, scn.uncertainty, scn.discount_rate, scn.solver)
        ev.optimise()
        plans = {"optimum": ev.plan()}
        out = {}
        for sid, values in order:
            rec = ev.run_sample(sid, values, plans, True)
            rec.pop("seconds")
            out[sid] = rec
        answers.append(out)
    compared = 0
    for sid, _ in samples:
        a, b = answers[0][sid], answers[1][sid]
        assert a["status"] == b["status"] == "done"
        for run in a["runs"]:
            ra, rb = a["runs"][run], b["runs"][run]
            assert ra["status"] == rb["status"]
            if "cost_meur" not in ra:  # a fixed plan that cannot be financed in this sample
                continue
            compared += 1
            assert ra["cost_meur"] == pytest.approx(rb["cost_meur"], rel=1e-9, abs=1e-6)
            assert ra.get("built") == rb.get("built")
            for g in ra["emissions_kt"]:
                assert np.allclose(ra["emissions_kt"][g], rb["emissions_kt"][g], atol=1e-6)
    assert compared >= 8


# ---------------------------------------------------------------------------------------
# Issue 12: nothing lost, nothing mixed, and a resumed ensemble is the uninterrupted one
# ---------------------------------------------------------------------------------------
WORKSHOP = data_dir() / "scenarios" / "workshop.yaml"


class _Kill(Exception):
    pass


def _without_timing(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "seconds"}


def test_a_resumed_ensemble_equals_an_uninterrupted_one(tmp_path) -> None:
    """Samples, chosen projects and summary alike: the workshop model is degenerate (many
    portfolios cost the same), so this fails if a solve depends on what the process solved
    before (the evaluator is kept between runs)."""
    scn = load_scenario(WORKSHOP)
    whole = run_ensemble(scn, out_dir=tmp_path / "a", samples=6, scheduler="serial", progress=False)
    seen: list[dict] = []

    def kill_after_two(rec: dict) -> None:
        seen.append(rec)
        if len(seen) == 2:
            raise _Kill

    with pytest.raises(_Kill):
        run_ensemble(
            scn,
            out_dir=tmp_path / "b",
            samples=6,
            scheduler="serial",
            progress=False,
            on_record=kill_after_two,
        )
    resumed = run_ensemble(
        scn, out_dir=tmp_path / "b", samples=6, scheduler="serial", progress=False
    )
    assert resumed.timing["resumed_samples"] == 2
    assert [_without_timing(r) for r in resumed.records] == [
        _without_timing(r) for r in whole.records
    ]
    a, b = whole.summary(), resumed.summary()
    a.pop("timing"), b.pop("timing")
    assert a == b


def test_force_on_a_finished_ensemble_starts_it_again(tmp_path) -> None:
    out = tmp_path / "ens"
    args = ["ensemble", str(WORKSHOP), "--serial", "--no-progress", "--mode", "fixed"]
    first = CliRunner().invoke(app, [*args, "--samples", "2", "--out", str(out)])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, [*args, "--samples", "3", "--out", str(out), "--force"])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["finished"] == 3
    assert len((out / SAMPLES_FILE).read_text().splitlines()) == 3
    # Without --force, other settings are refused and nothing is touched.
    before = sorted(p.name for p in out.iterdir())
    refused = CliRunner().invoke(app, [*args, "--samples", "4", "--out", str(out)])
    assert refused.exit_code == 2 and "other settings" in refused.output
    assert sorted(p.name for p in out.iterdir()) == before


def test_tables_and_charts_are_written_as_one_set(tmp_path, monkeypatch) -> None:
    from m100model.analysis import ensemble

    res = run_ensemble(data=hand_instance(), spec=spec_of(4), scheduler="serial", progress=False)
    folder = tmp_path / "ens"
    ensemble.write_tables(res, folder, charts={"cost_distribution.svg": _svg("one")})
    summary = (folder / "summary.json").read_text()

    def broken(path) -> None:
        raise _Kill

    # A failure while the set is prepared: the previous set stays whole.
    with pytest.raises(_Kill):
        ensemble.write_tables(res, folder, charts={"cost_distribution.svg": broken})
    assert (folder / "summary.json").read_text() == summary
    assert (folder / "cost_distribution.svg").read_text() == "one"
    assert not list(folder.glob(".tables.*"))
    # A kill while the files are moved into place: no summary, so no mixed set passes for one.
    moved: list[str] = []
    real = os.replace

    def killed_midway(src, dst) -> None:
        if len(moved) == 3:
            raise _Kill
        moved.append(str(dst))
        real(src, dst)

    monkeypatch.setattr(ensemble.os, "replace", killed_midway)
    with pytest.raises(_Kill):
        ensemble.write_tables(res, folder, charts={"cost_distribution.svg": _svg("two")})
    assert not (folder / "summary.json").exists()
    monkeypatch.setattr(ensemble.os, "replace", real)
    ensemble.write_tables(res, folder)  # the rerun completes the set, stale chart removed
    assert (folder / "summary.json").exists()
    assert not (folder / "cost_distribution.svg").exists()


def _svg(text: str):
    def write(path) -> None:
        path.write_text(text)

    return write


def test_the_ensemble_shows_its_progress(capsys) -> None:
    """run_ensemble(progress=True) shows a tqdm bar (a widget in a notebook, text on standard
    error elsewhere) that counts the samples to the end; progress=False shows nothing."""
    spec = spec_of(6)
    run_ensemble(data=hand_instance(), spec=spec, scheduler="serial", progress=True)
    bar = capsys.readouterr().err
    assert "ensemble" in bar and "6/6" in bar and "sample" in bar
    run_ensemble(data=hand_instance(), spec=spec, scheduler="serial", progress=False)
    assert capsys.readouterr().err == ""
