"""Throughput of uncertainty ensembles: samples per second for the workshop scenario, in
this process (serial) and on a local Dask cluster of two worker processes (one thread each).

Each sample re-solves the model twice (the least-cost plan kept fixed, then re-optimised)
after changing all nine uncertain inputs of ``data/scenarios/workshop.yaml`` (parameter
changes written into the compiled model: no recompile). Two rates are reported: over the
whole sampling phase (including each worker building its model once) and in steady state
(from the first finished sample to the last).

Prints one JSON document and saves it to ``benchmarks/results/ensemble-<date>.json``.

    .venv/bin/python benchmarks/bench_ensemble.py --samples 48
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(scheduler: str, samples: int, workers: int) -> dict:
    from m100model.analysis.ensemble import run_ensemble
    from m100model.scenario import load_scenario

    scn = load_scenario(ROOT / "data" / "scenarios" / "workshop.yaml")
    stamps: list[float] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        res = run_ensemble(
            scn,
            out_dir=Path(tmp) / "ens",
            samples=samples,
            scheduler=scheduler,
            n_workers=workers,
            progress=False,
            on_record=lambda _: stamps.append(time.perf_counter()),
        )
    total = time.perf_counter() - t0
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else None
    seconds = [r["seconds"] for r in res.records]
    return dict(
        scheduler=scheduler,
        workers=res.timing["workers"],
        samples=len(res.records),
        errors=sum(r.get("status") == "error" for r in res.records),
        wall_s=round(total, 2),
        startup_s=res.timing["startup_s"],
        sampling_s=res.timing["sampling_s"],
        samples_per_s=res.timing["samples_per_s"],
        steady_samples_per_s=round(steady, 3) if steady else None,
        seconds_per_sample_in_worker=round(sum(seconds) / len(seconds), 3),
    )


def run(samples: int = 96, workers: int = 2) -> dict:
    """The local-cluster rate (``samples_per_s`` over the sampling phase, after the workers
    have started; ``steady_samples_per_s`` from the first finished sample to the last)."""
    return measure("local", samples, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    results = [
        measure("serial", args.samples, 1),
        measure("local", args.samples, args.workers),
    ]
    doc = {
        "benchmark": "ensemble",
        "scenario": "data/scenarios/workshop.yaml",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": dict(
            cpus=os.cpu_count(), python=platform.python_version(), platform=platform.platform()
        ),
        "note": "the machine may be shared: load from other processes lowers the rates",
        "results": results,
    }
    if results[0]["steady_samples_per_s"] and results[1]["steady_samples_per_s"]:
        doc["speedup_steady"] = round(
            results[1]["steady_samples_per_s"] / results[0]["steady_samples_per_s"], 2
        )
    text = json.dumps(doc, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ensemble-{dt.date.today().isoformat()}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
