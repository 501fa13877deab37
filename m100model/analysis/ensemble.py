"""Uncertainty ensembles: how robust is a portfolio, and how robust is each choice in it?

For every sample of the uncertain inputs (:mod:`m100model.analysis.uncertainty`) the model
is solved in two ways:

1. **Fixed portfolio** (``plan:<name>``): the projects and their schedule are those of a
   candidate plan (by default the least-cost portfolio at the scenario's own values, plus
   any near-optimal alternatives); only the financing, offsets and the shortfall adapt. This
   answers *with what probability does the plan meet each year's target, and what does it
   cost?*
2. **Re-optimised** (``reoptimised``): the model chooses the least-cost portfolio for that
   sample. Over the ensemble, how often each project is chosen measures the robustness of
   each choice.

With several candidate plans, :func:`regret_table` gives the minimum-regret choice: the
regret of candidate :math:`c` in sample :math:`s` is
:math:`R_{c,s} = V_{c,s} - \\min_{c'} V_{c',s}`, with :math:`V` the net present cost
including the shortfall penalty; the minimax-regret candidate minimises
:math:`\\max_s R_{c,s}`.

The samples run on Dask: a local cluster of processes by default (two workers, one thread
each; each HiGHS solve uses one thread), or an existing cluster given by its scheduler
address. Each worker builds the model once and keeps it (a worker-side cache keyed by the
model inputs), then for each sample changes the mutable parameters and re-solves. Every
finished sample is appended to ``samples.jsonl`` and flushed to disk at once, so a crash
loses no finished sample, and a rerun with the same settings skips the samples already done.
The tables and charts beside the samples are written as a set (:func:`write_tables`):
``summary.json`` is removed first and put back last, so a folder holding it holds the tables
of the same run, and a folder without it holds an ensemble still to finish (rerun it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from m100model.analysis.uncertainty import Perturbation, draw
from m100model.errors import InputError
from m100model.portfolio.data import PortfolioData, assemble
from m100model.portfolio.solve import PortfolioSolver, require_plan
from m100model.scenario import Scenario, SolverSpec, UncertaintySpec
from m100model.tables import display_path

TOL_KT = 1e-4  # a target counts as met when the shortfall is below 0.1 t CO2e
SHARE_TOL = 1e-6
SAMPLES_FILE = "samples.jsonl"
MANIFEST_FILE = "ensemble.json"
MODES = ("both", "fixed", "reoptimise")

Plan = dict[str, dict[int, float]]  # project -> {year: units commissioned}


# ---------------------------------------------------------------------------------------
# One model, many samples
# ---------------------------------------------------------------------------------------
class Evaluator:
    """A portfolio model built once, re-solved for each sample of the uncertain inputs.

    Parameters
    ----------
    data
        Assembled model inputs (copied: the evaluator changes its own copy).
    spec
        The uncertain inputs.
    discount_rate
        The scenario's discount rate.
    solver_spec
        HiGHS options; ``threads`` is forced to 1 (parallelism is across processes).
    source
        The scenario file, for error messages.
    """

    def __init__(
        self,
        data: PortfolioData,
        spec: UncertaintySpec,
        discount_rate: float,
        solver_spec: SolverSpec | None = None,
        source: str = "<scenario>",
    ) -> None:
        data = pickle.loads(pickle.dumps(data))
        self.perturbation = Perturbation(data, spec, discount_rate, source)
        opts = (solver_spec or SolverSpec()).model_copy(update={"threads": 1})
        self.solver = PortfolioSolver(data, opts)
        self.data = data
        self.spec = spec
        self.solver.solve(duals=False)
        self.start = self.solver.basis()  # where every sample's solves start

    # -- parameters ------------------------------------------------------------------------
    def apply(self, values: dict[str, float]) -> None:
        """Set the model to one draw (inputs not given stay at their base values)."""
        self.solver.set_parameters(**self.perturbation.parameters(values))

    def base(self) -> None:
        self.apply({})

    # -- solving ---------------------------------------------------------------------------
    def optimise(self) -> dict:
        """Least-cost portfolio at the current parameters: a run record with ``built``."""
        self.solver.solve(duals=False)
        rec = self._record()
        rec["built"] = self._built()
        return rec

    def plan(self) -> Plan:
        """The schedule of the last solution (units commissioned by project and year)."""
        out: Plan = {}
        for (p, t), v in self.solver.values("x").items():
            if v > 1e-9:
                out.setdefault(p, {})[int(t)] = float(v)
        return out

    def evaluate_plan(self, plan: Plan) -> dict:
        """Fix the projects to ``plan`` and solve for the rest (financing, offsets,
        shortfall) at the current parameters."""
        bounds = self.solver.model_bounds("x")
        fixed = {}
        for (p, t), (lo, up) in bounds.items():
            fixed[p, t] = min(max(plan.get(p, {}).get(int(t), 0.0), lo), up)
        self.solver.bound("x", lower=fixed, upper=fixed)
        try:
            self.solver.solve(duals=False)
            return self._record()
        finally:
            self.solver.unbound("x")

    def _record(self) -> dict:
        """The last solve as a run record. ``cost_meur`` is the net present cost of the
        portfolio (what the money does); ``penalty_meur`` prices the shortfall against the
        targets (a signal, not a cost anyone pays); ``short_kt`` is the shortfall by group
        and year (the smallest the candidates allow). ``limit`` names a limit that stopped
        the solve (its plan may not be the best)."""
        s, d = self.solver.stats, self.data
        ok = s.status in ("optimal", "feasible")
        rec: dict = {"status": s.status}
        if s.limit:
            rec["limit"] = s.limit
        if not ok:
            return rec
        shortfall = self.solver.shortfall
        short = {g: [float(shortfall.get((g, t), 0.0)) for t in d.years] for g in d.groups}
        budget_short = {g: float(shortfall.get((g, None), 0.0)) for g in d.groups}
        total_short = sum(sum(v) for v in short.values()) + sum(budget_short.values())
        penalty = self.solver.penalty_meur()
        cost = float(s.objective)
        em = self.solver.values("emissions")
        rec.update(
            cost_meur=round(cost, 6),
            penalty_meur=round(penalty, 6),
            cost_with_penalty_meur=round(cost + penalty, 6),
            shortfall_kt=round(float(total_short), 6),
            emissions_kt={
                g: [round(sum(em[c, t] for c in members), 6) for t in d.years]
                for g, members in d.groups.items()
            },
            short_kt={g: [round(v, 6) for v in vals] for g, vals in short.items()},
        )
        if d.budget_kt:
            rec["budget_short_kt"] = {g: round(v, 6) for g, v in budget_short.items()}
        return rec

    def _built(self) -> dict[str, float]:
        """Peak active units of each project built, as a share of its maximum."""
        pr = self.data.projects
        peak: dict[str, float] = {}
        for (p, _t), v in self.solver.values("n").items():
            peak[p] = max(peak.get(p, 0.0), v)
        return {
            p: round(v / float(pr.at[p, "max_units"]), 6) for p, v in peak.items() if v > SHARE_TOL
        }

    def run_sample(
        self, sample_id: int, values: dict[str, float], plans: dict[str, Plan], reoptimise: bool
    ) -> dict:
        """One sample: every plan fixed, then (if asked) re-optimised."""
        t0 = time.perf_counter()
        rec: dict = {
            "sample_id": int(sample_id),
            "inputs": {k: float(v) for k, v in values.items()},
        }
        try:
            self.apply(values)
            # Every solve of a sample starts from the base solution's basis, so a sample's
            # answer does not depend on which samples a worker solved before it.
            runs = {}
            for name, plan in plans.items():
                self.solver.warm_start(self.start)
                runs[f"plan:{name}"] = self.evaluate_plan(plan)
            if reoptimise:
                self.solver.warm_start(self.start)
                runs["reoptimised"] = self.optimise()
            rec["runs"] = runs
            rec["status"] = "done"
        except Exception as exc:  # recorded, so that one bad sample does not stop the run
            rec["status"] = "error"
            rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["seconds"] = round(time.perf_counter() - t0, 4)
        return rec


# ---------------------------------------------------------------------------------------
# Worker side: one evaluator per model and thread, kept between tasks
# ---------------------------------------------------------------------------------------
_CACHE: dict[tuple[str, int], Evaluator] = {}
_CACHE_LOCK = threading.Lock()


def model_payload(
    *,
    scenario: Scenario | None = None,
    data: PortfolioData | None = None,
    spec: UncertaintySpec | None = None,
    source: str = "<scenario>",
) -> dict:
    """What a worker needs to build the model: the scenario (assembled on the worker, from
    its own copy of the kit's data) or ready-made :class:`PortfolioData`, and a key."""
    if scenario is None and data is None:
        raise ValueError("give a scenario or data")
    spec = spec or (scenario.uncertainty if scenario is not None else None)
    if spec is None:
        raise InputError(source, "the scenario has no uncertain inputs", field="uncertainty")
    discount = scenario.discount_rate if scenario is not None else data.discount_rate
    solver = scenario.solver if scenario is not None else SolverSpec()
    h = hashlib.sha256()
    if scenario is not None:
        h.update(json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode())
    else:
        h.update(pickle.dumps(data))
    h.update(json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode())
    return dict(
        key=h.hexdigest()[:16],
        scenario=scenario,
        data=data if scenario is None else None,
        spec=spec,
        discount_rate=discount,
        solver=solver,
        source=source,
    )


def get_evaluator(payload: dict) -> Evaluator:
    """The evaluator of this process and thread for a model payload (built on first use)."""
    key = (payload["key"], threading.get_ident())
    with _CACHE_LOCK:
        ev = _CACHE.get(key)
        if ev is None:
            for other in [k for k in _CACHE if k[0] != payload["key"]]:
                del _CACHE[other]  # keep one model per thread
    if ev is None:
        data = payload["data"]
        if data is None:
            data = assemble(payload["scenario"])
        ev = Evaluator(
            data, payload["spec"], payload["discount_rate"], payload["solver"], payload["source"]
        )
        with _CACHE_LOCK:
            _CACHE[key] = ev
    return ev


def evaluate_sample(
    payload: dict,
    sample_id: int,
    values: dict[str, float],
    plans: dict[str, Plan],
    reoptimise: bool,
) -> dict:
    """The task run on a worker: one sample on the worker's cached model."""
    return get_evaluator(payload).run_sample(sample_id, values, plans, reoptimise)


# ---------------------------------------------------------------------------------------
# Running an ensemble
# ---------------------------------------------------------------------------------------
@dataclass
class EnsembleResult:
    """Finished samples and what they say."""

    records: list[dict]
    manifest: dict
    out_dir: Path | None = None
    timing: dict = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return list(self.manifest["years"])

    def inputs(self) -> pd.DataFrame:
        """The sampled inputs of the finished samples."""
        return pd.DataFrame(
            [{"sample_id": r["sample_id"], **r["inputs"]} for r in self.records]
        ).sort_values("sample_id", ignore_index=True)

    def target_probability(self) -> pd.DataFrame:
        return target_probability(self.records, self.manifest)

    def cost_distribution(self) -> pd.DataFrame:
        return cost_distribution(self.records)

    def selection_frequency(self) -> pd.DataFrame:
        return selection_frequency(self.records, self.manifest)

    def regret(self) -> pd.DataFrame:
        return regret_table(self.records)

    def summary(self) -> dict:
        return ensemble_summary(self)


def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_samples(path: Path) -> list[dict]:
    """Finished samples from a ``samples.jsonl``. A damaged last line (a crash while writing)
    is cut off the file; a damaged line elsewhere is an error."""
    if not path.exists():
        return []
    parts = path.read_bytes().split(b"\n")
    records, offset = [], 0
    for i, line in enumerate(parts):
        end = offset + len(line) + (1 if i < len(parts) - 1 else 0)
        if line.strip():
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or "sample_id" not in rec:
                    raise ValueError("not a sample record")
            except ValueError:
                if b"".join(parts[i + 1 :]).strip():
                    raise InputError(
                        display_path(path), "damaged sample record", row=i + 1
                    ) from None
                with path.open("r+b") as f:  # the last write was interrupted: cut it off
                    f.truncate(offset)
                break
            records.append(rec)
        offset = end
    by_id = {int(r["sample_id"]): r for r in records}
    return [by_id[k] for k in sorted(by_id)]


def _local_cluster(n_workers: int):
    from dask.distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        # The scheduler's HTTP server (routes, no dashboard without bokeh) takes a free port
        # rather than 8787, which another cluster on the machine may hold.
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )


def _run_dask(
    payload: dict,
    pending: list[tuple[int, dict]],
    plans: dict[str, Plan],
    reoptimise: bool,
    scheduler: str,
    n_workers: int,
    on_result: Callable[[dict], None],
) -> dict:
    from dask.distributed import Client, as_completed

    t0 = time.perf_counter()
    cluster = _local_cluster(n_workers) if scheduler == "local" else None
    client = Client(cluster) if cluster is not None else Client(scheduler, timeout="30s")
    info = {"workers": len(client.scheduler_info(n_workers=-1)["workers"])}
    try:
        [model] = client.scatter([payload], broadcast=True, hash=False)
        [plan_future] = client.scatter([plans], broadcast=True, hash=False)
        info["startup_s"] = time.perf_counter() - t0
        futures = [
            client.submit(
                evaluate_sample,
                model,
                sid,
                values,
                plan_future,
                reoptimise,
                key=f"m100-sample-{payload['key']}-{sid}",
                pure=False,
            )
            for sid, values in pending
        ]
        for fut in as_completed(futures):
            rec = fut.result()
            fut.release()
            on_result(rec)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return info


def run_ensemble(
    scenario: Scenario | None = None,
    *,
    data: PortfolioData | None = None,
    spec: UncertaintySpec | None = None,
    source: str = "<scenario>",
    out_dir: str | Path | None = None,
    samples: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    mode: str = "both",
    alternatives: int = 0,
    slack: float = 0.1,
    scheduler: str | None = "local",
    n_workers: int = 2,
    progress: bool = True,
    force: bool = False,
    on_record: Callable[[dict], None] | None = None,
) -> EnsembleResult:
    """Run (or resume) an ensemble.

    Parameters
    ----------
    scenario, data
        A validated scenario (assembled on each worker), or ready-made model inputs.
    spec
        The uncertain inputs (default: the scenario's ``uncertainty:`` section).
    out_dir
        Where ``ensemble.json`` (settings, candidate plans, targets) and ``samples.jsonl``
        (one line per finished sample) go. If it holds a run with the same settings, the run
        resumes: finished samples are kept and skipped. ``None`` keeps everything in memory.
    samples, seed, method
        Override the spec's sample size, seed and ``lhs``/``sobol``.
    mode
        ``both`` (default), ``fixed`` (candidate plans only) or ``reoptimise``.
    alternatives, slack
        Also evaluate this many near-optimal alternatives (within ``slack`` of the least
        cost; see :mod:`m100model.analysis.alternatives`) as candidate plans.
    scheduler
        ``"local"`` (a local Dask cluster of ``n_workers`` processes), ``"serial"`` (this
        process, no Dask) or the address of a Dask scheduler (``tcp://host:8786``).
    on_record
        Called with each finished sample after it is on disk.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    payload = model_payload(scenario=scenario, data=data, spec=spec, source=source)
    spec = payload["spec"]
    table = draw(spec, samples=samples, seed=seed, method=method)
    n = len(table)
    settings = dict(
        model=payload["key"],
        samples=n,
        seed=spec.seed if seed is None else seed,
        method=method or spec.method,
        mode=mode,
        alternatives=alternatives,
        slack=slack,
    )
    key = _digest(settings)
    out = Path(out_dir) if out_dir is not None else None
    manifest: dict | None = None
    done: dict[int, dict] = {}
    if out is not None:
        mpath = out / MANIFEST_FILE
        if out.exists() and not out.is_dir():
            raise InputError(display_path(out), "is a file; expected a results folder")
        if out.exists() and force:  # start again: the whole folder, as run --force replaces it
            shutil.rmtree(out)
        if mpath.exists():
            try:
                manifest = json.loads(mpath.read_text(encoding="utf-8"))
            except ValueError:
                raise InputError(display_path(mpath), "not a valid ensemble manifest") from None
            if manifest.get("key") != key:
                raise InputError(
                    display_path(mpath),
                    "holds an ensemble with other settings (scenario, samples, seed, method, "
                    "mode or alternatives); use --force to start again or another --out",
                )
            done = {int(r["sample_id"]): r for r in read_samples(out / SAMPLES_FILE)}
        elif out.exists() and any(out.iterdir()):
            raise InputError(
                display_path(out), "exists and holds no ensemble; use --force or another --out"
            )
    t_start = time.perf_counter()
    driver: Evaluator | None = None
    if manifest is None:
        driver = get_evaluator(payload)
        driver.base()
        manifest = _prepare(driver, settings, key, spec, alternatives, slack, mode)
        manifest["scenario"] = scenario.name if scenario is not None else "<data>"
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            tmp = out / (MANIFEST_FILE + ".tmp")
            tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            tmp.replace(out / MANIFEST_FILE)
    plans = {name: _plan_from_json(p) for name, p in manifest["plans"].items()}
    reoptimise = mode in ("both", "reoptimise")
    names = [c for c in table.columns if c != "sample_id"]
    values_of = {
        int(row[0]): dict(zip(names, map(float, row[1:]), strict=True))
        for row in table.itertuples(index=False, name=None)
    }
    pending = [(sid, values_of[sid]) for sid in sorted(values_of) if sid not in done]

    from tqdm.auto import tqdm  # a widget in a notebook, a text bar in a terminal

    bar = tqdm(
        total=n,
        initial=len(done),
        desc="ensemble",
        unit="sample",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    sink = (out / SAMPLES_FILE).open("a", encoding="utf-8") if out is not None else None
    new = 0

    def on_result(rec: dict) -> None:
        nonlocal new
        if sink is not None:
            sink.write(json.dumps(rec, separators=(",", ":")) + "\n")
            sink.flush()
            os.fsync(sink.fileno())
        done[int(rec["sample_id"])] = rec
        new += 1
        bar.update(1)
        if on_record is not None:
            on_record(rec)

    t_sampling = time.perf_counter()
    info: dict = {}
    try:
        if pending:
            if scheduler in (None, "serial"):
                ev = driver or get_evaluator(payload)
                info["startup_s"] = 0.0
                for sid, values in pending:
                    on_result(ev.run_sample(sid, values, plans, reoptimise))
                info["workers"] = 1
            else:
                info = _run_dask(
                    payload, pending, plans, reoptimise, scheduler, n_workers, on_result
                )
    finally:
        bar.close()
        if sink is not None:
            sink.close()
    t_end = time.perf_counter()
    sampling = t_end - t_sampling - info.get("startup_s", 0.0)
    timing = dict(
        scheduler=scheduler or "serial",
        workers=info.get("workers", 1),
        new_samples=new,
        resumed_samples=n - len(pending),
        total_s=round(t_end - t_start, 3),
        startup_s=round(info.get("startup_s", 0.0), 3),
        sampling_s=round(sampling, 3),
        samples_per_s=round(new / sampling, 4) if new and sampling > 0 else None,
    )
    records = [done[k] for k in sorted(done)]
    return EnsembleResult(records=records, manifest=manifest, out_dir=out, timing=timing)


def _plan_from_json(plan: dict) -> Plan:
    return {p: {int(t): float(v) for t, v in years.items()} for p, years in plan.items()}


def _prepare(
    ev: Evaluator,
    settings: dict,
    key: str,
    spec: UncertaintySpec,
    alternatives: int,
    slack: float,
    mode: str,
) -> dict:
    """Solve at the base values for the candidate plans; the run's manifest."""
    d = ev.data
    plans: dict[str, Plan] = {}
    ev.solver.warm_start(ev.start)  # as every sample: the answer must not depend on history
    base = ev.optimise()
    require_plan(ev.solver, ev.perturbation.source)
    if mode != "reoptimise":
        plans["optimum"] = ev.plan()
        if alternatives:
            from m100model.analysis.alternatives import near_optimal

            alt = near_optimal(ev.solver, n=alternatives, slack=slack)
            for name, plan in alt.plans.items():
                if name != "optimum":
                    plans[name] = plan
            ev.base()
    return dict(
        version=1,
        key=key,
        settings=settings,
        inputs=[
            dict(name=i.name, kind=i.kind, distribution=i.distribution.model_dump(mode="json"))
            for i in spec.inputs
        ],
        years=list(d.years),
        groups={g: list(m) for g, m in d.groups.items()},
        targets_kt={g: [d.target_kt.get((g, t)) for t in d.years] for g in d.groups},
        base={k: v for k, v in base.items() if k != "built"},
        base_built=base["built"],
        plans={
            name: {p: {str(t): v for t, v in ys.items()} for p, ys in plan.items()}
            for name, plan in plans.items()
        },
    )


# ---------------------------------------------------------------------------------------
# What the samples say
# ---------------------------------------------------------------------------------------
def _ok(run: dict | None) -> bool:
    return run is not None and run.get("status") in ("optimal", "feasible")


def _met(run: dict | None) -> bool:
    """Every target met (a run without a solution meets none)."""
    return (
        _ok(run)
        and all(v <= TOL_KT for vals in run["short_kt"].values() for v in vals)
        and all(v <= TOL_KT for v in run.get("budget_short_kt", {}).values())
    )


def run_names(records: list[dict]) -> list[str]:
    names: list[str] = []
    for r in records:
        for name in r.get("runs", {}):
            if name not in names:
                names.append(name)
    return names


def target_probability(records: list[dict], manifest: dict) -> pd.DataFrame:
    """Probability of meeting each year's target, by run (fixed plan or re-optimised) and
    target group, with quantiles of the emissions. A sample where a plan cannot be carried
    out at all (no feasible financing) counts as not meeting the target. The group ``all``
    asks that every group meets its target."""
    years = manifest["years"]
    groups = list(manifest["groups"])
    rows = []
    n = len(records)
    for name in run_names(records):
        runs = [r.get("runs", {}).get(name) for r in records]
        met_all = np.ones((n, len(years)), dtype=bool)
        for g in groups:
            em = np.full((n, len(years)), np.nan)
            met = np.zeros((n, len(years)), dtype=bool)
            for i, run in enumerate(runs):
                if _ok(run):
                    em[i] = run["emissions_kt"][g]
                    met[i] = np.asarray(run["short_kt"][g]) <= TOL_KT
            met_all &= met
            q = (
                np.nanquantile(em, [0.05, 0.5, 0.95], axis=0)
                if np.isfinite(em).any()
                else np.full((3, len(years)), np.nan)
            )
            for j, t in enumerate(years):
                rows.append(
                    dict(
                        run=name,
                        group=g,
                        year=t,
                        target_kt=manifest["targets_kt"][g][j],
                        p_met=float(met[:, j].mean()) if n else np.nan,
                        emissions_p05_kt=q[0, j],
                        emissions_p50_kt=q[1, j],
                        emissions_p95_kt=q[2, j],
                    )
                )
        if len(groups) > 1:
            for j, t in enumerate(years):
                rows.append(
                    dict(
                        run=name,
                        group="all",
                        year=t,
                        target_kt=np.nan,
                        p_met=float(met_all[:, j].mean()) if n else np.nan,
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "run",
            "group",
            "year",
            "target_kt",
            "p_met",
            "emissions_p05_kt",
            "emissions_p50_kt",
            "emissions_p95_kt",
        ],
    )


def cost_distribution(records: list[dict]) -> pd.DataFrame:
    """Distribution of the net present cost by run: ``cost`` is the money (capex, opex,
    energy, finance, offsets, less grants and salvage), ``cost_with_penalty`` adds the priced
    shortfall; ``p_all_met`` is the share of samples meeting every target."""
    rows = []
    for name in run_names(records):
        runs = [r.get("runs", {}).get(name) for r in records]
        ok = [x for x in runs if _ok(x)]
        cost = np.array([x["cost_meur"] for x in ok], dtype=float)
        npv = np.array([x["cost_with_penalty_meur"] for x in ok], dtype=float)
        met = [_met(x) for x in runs]
        stats = dict(run=name, samples=len(runs), solved=len(ok))
        for label, arr in (("cost", cost), ("cost_with_penalty", npv)):
            if len(arr):
                stats.update(
                    {
                        f"{label}_mean_meur": float(arr.mean()),
                        f"{label}_std_meur": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
                        f"{label}_p05_meur": float(np.quantile(arr, 0.05)),
                        f"{label}_p50_meur": float(np.quantile(arr, 0.5)),
                        f"{label}_p95_meur": float(np.quantile(arr, 0.95)),
                    }
                )
        stats["p_all_met"] = float(np.mean(met)) if met else np.nan
        rows.append(stats)
    return pd.DataFrame(rows)


def selection_frequency(records: list[dict], manifest: dict) -> pd.DataFrame:
    """How often each project is chosen when the portfolio is re-optimised per sample, its
    mean share of its maximum deployment, and its share in the least-cost portfolio at the
    scenario's own values."""
    runs = [r.get("runs", {}).get("reoptimised") for r in records]
    ok = [x for x in runs if _ok(x)]
    base = manifest.get("base_built", {})
    projects = sorted({p for x in ok for p in x["built"]} | set(base))
    rows = []
    for p in projects:
        shares = np.array([x["built"].get(p, 0.0) for x in ok], dtype=float)
        rows.append(
            dict(
                project_id=p,
                frequency=float((shares > SHARE_TOL).mean()) if len(ok) else np.nan,
                mean_share=float(shares.mean()) if len(ok) else np.nan,
                base_share=float(base.get(p, 0.0)),
            )
        )
    out = pd.DataFrame(rows, columns=["project_id", "frequency", "mean_share", "base_share"])
    return out.sort_values(["frequency", "mean_share"], ascending=False, ignore_index=True)


def regret_table(records: list[dict]) -> pd.DataFrame:
    """Candidate plans compared across the samples where every candidate could be carried
    out: mean and 95th percentile of the net present cost (with the shortfall penalty),
    probability of meeting every target, maximum and mean regret against the best candidate
    of each sample, and mean regret against the re-optimised (hindsight) portfolio.
    ``minimax_regret`` marks the minimum-regret choice; ``robust`` the candidate most likely
    to meet every target (ties: lower mean cost)."""
    names = [n for n in run_names(records) if n.startswith("plan:")]
    cols = [
        "candidate",
        "samples",
        "cost_mean_meur",
        "cost_p95_meur",
        "p_all_met",
        "max_regret_meur",
        "mean_regret_meur",
        "mean_regret_vs_hindsight_meur",
        "minimax_regret",
        "robust",
    ]
    if not names:
        return pd.DataFrame(columns=cols)
    usable = [r for r in records if all(_ok(r.get("runs", {}).get(n)) for n in names)]
    v = np.array(
        [[r["runs"][n]["cost_with_penalty_meur"] for n in names] for r in usable], dtype=float
    )
    v = v.reshape(len(usable), len(names))
    regret = v - v.min(axis=1, keepdims=True) if len(usable) else v
    hind = np.array(
        [
            r["runs"]["reoptimised"]["cost_with_penalty_meur"]
            if _ok(r["runs"].get("reoptimised"))
            else np.nan
            for r in usable
        ],
        dtype=float,
    )
    met = np.array(
        [[_met(r.get("runs", {}).get(n)) for n in names] for r in records],
        dtype=bool,
    ).reshape(len(records), len(names))
    rows = []
    for j, name in enumerate(names):
        col = v[:, j]
        rows.append(
            dict(
                candidate=name.removeprefix("plan:"),
                samples=len(usable),
                cost_mean_meur=float(col.mean()) if len(col) else np.nan,
                cost_p95_meur=float(np.quantile(col, 0.95)) if len(col) else np.nan,
                p_all_met=float(met[:, j].mean()) if len(records) else np.nan,
                max_regret_meur=float(regret[:, j].max()) if len(col) else np.nan,
                mean_regret_meur=float(regret[:, j].mean()) if len(col) else np.nan,
                mean_regret_vs_hindsight_meur=(
                    float(np.nanmean(col - hind)) if np.isfinite(hind).any() else np.nan
                ),
            )
        )
    out = pd.DataFrame(rows)
    out["minimax_regret"] = False
    out["robust"] = False
    if len(usable):
        out.loc[out["max_regret_meur"].idxmin(), "minimax_regret"] = True
        best = out.sort_values(["p_all_met", "cost_mean_meur"], ascending=[False, True]).index[0]
        out.loc[best, "robust"] = True
    return out[cols]


def ensemble_summary(res: EnsembleResult) -> dict:
    """Key figures as plain JSON types."""
    man = res.manifest
    prob = res.target_probability()
    cost = res.cost_distribution()
    freq = res.selection_frequency()
    regret = res.regret()

    def clean(x: object) -> object:
        if isinstance(x, float | np.floating):
            return None if not np.isfinite(x) else round(float(x), 4)
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.bool_):
            return bool(x)
        return x

    def records_of(df: pd.DataFrame) -> list[dict]:
        return [{k: clean(v) for k, v in row.items()} for row in df.to_dict("records")]

    groups = list(man["groups"])
    main_group = "all" if len(groups) > 1 else groups[0]
    p_plan = prob[(prob["run"] == "plan:optimum") & (prob["group"] == main_group)]
    errors = [r for r in res.records if r.get("status") == "error"]
    return {
        "scenario": man.get("scenario"),
        "samples": man["settings"]["samples"],
        "finished": len(res.records),
        "errors": len(errors),
        "first_error": errors[0]["error"] if errors else None,
        "method": man["settings"]["method"],
        "seed": man["settings"]["seed"],
        "mode": man["settings"]["mode"],
        "inputs": man["inputs"],
        "base_cost_meur": clean(man["base"].get("cost_meur")),
        "p_target_met_by_year_plan": {int(r.year): clean(r.p_met) for r in p_plan.itertuples()},
        "cost": records_of(cost),
        "project_frequency": records_of(freq),
        "candidates": records_of(regret),
        "timing": res.timing,
        "data_quality": "illustrative: derived city inventories and partly unsourced costs",
    }


# What write_tables writes beside the samples (and removes when a run no longer makes it).
TABLE_FILES = (
    "inputs.csv",
    "target_probability.csv",
    "cost_distribution.csv",
    "project_frequency.csv",
    "candidates.csv",
    "sample_costs.csv",
)
CHART_FILES = ("target_probability.svg", "cost_distribution.svg", "project_frequency.svg")
SUMMARY_FILE = "summary.json"


def write_tables(
    res: EnsembleResult,
    folder: Path,
    charts: dict[str, Callable[[Path], None]] | None = None,
) -> dict:
    """Write the summary, the tables and the charts (``{file name: writer(path)}``) beside
    the samples, as one set: all are written into a temporary folder first; then
    ``summary.json`` is removed, the others moved into place (files of an earlier run that
    this one does not make are removed), and ``summary.json`` moved in last. A kill at any
    moment leaves either the complete set of one run with its summary, or no summary."""
    from m100model.io import write_csv, write_json

    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".tables.*"):  # left by a killed writer
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".tables.", dir=folder))
    try:
        info = res.summary()
        write_csv(staging / "inputs.csv", res.inputs())
        write_csv(staging / "target_probability.csv", res.target_probability())
        write_csv(staging / "cost_distribution.csv", res.cost_distribution())
        write_csv(staging / "project_frequency.csv", res.selection_frequency())
        write_csv(staging / "candidates.csv", res.regret())
        write_csv(staging / "sample_costs.csv", sample_costs(res.records))
        for name, writer in (charts or {}).items():
            if name not in CHART_FILES:
                raise ValueError(f"unknown chart file {name!r} (expected one of {CHART_FILES})")
            writer(staging / name)
        write_json(staging / SUMMARY_FILE, info)
        (folder / SUMMARY_FILE).unlink(missing_ok=True)
        for name in TABLE_FILES + CHART_FILES:
            if (staging / name).exists():
                os.replace(staging / name, folder / name)
            else:
                (folder / name).unlink(missing_ok=True)
        os.replace(staging / SUMMARY_FILE, folder / SUMMARY_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return info


def sample_costs(records: list[dict]) -> pd.DataFrame:
    """One row per sample and run: status, cost, NPV, total shortfall."""
    rows = []
    for r in records:
        for name, run in r.get("runs", {}).items():
            rows.append(
                dict(
                    sample_id=r["sample_id"],
                    run=name,
                    status=run.get("status"),
                    cost_meur=run.get("cost_meur"),
                    penalty_meur=run.get("penalty_meur"),
                    shortfall_kt=run.get("shortfall_kt"),
                )
            )
    return pd.DataFrame(
        rows,
        columns=["sample_id", "run", "status", "cost_meur", "penalty_meur", "shortfall_kt"],
    )
