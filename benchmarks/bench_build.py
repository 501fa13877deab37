"""Time to make the portfolio model: assemble the data, build the Pyomo model, compile it
to the parametric standard form.

Run from the repository root::

    .venv/bin/python benchmarks/bench_build.py [--repeat N] [--only workshop|m100]

Prints one JSON document: for the workshop scenario and the 13-city M100 scenario, the
median over ``repeat`` fresh processes (3 by default) of ``assemble_s``, ``build_s`` and
``compile_s`` (wall clock) and of the same steps' process CPU time (``*_cpu_s``, less
sensitive to other jobs on a shared machine), with the model's size. ``collect_s`` is one
full garbage collection right after compiling: the collector's pass over the new model,
which building and compiling leave for later (they pause the collector).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "workshop": ROOT / "data" / "scenarios" / "workshop.yaml",
    "m100": ROOT / "data" / "scenarios" / "m100_2035.yaml",
}
STEPS = ("assemble", "build", "compile", "collect")


def _once(case: str) -> dict:
    """One round in this process: each step's wall and CPU seconds."""
    sys.path.insert(0, str(ROOT))
    from m100model.portfolio.build import build_model
    from m100model.portfolio.compile import compile_model
    from m100model.portfolio.data import assemble
    from m100model.scenario import load_scenario

    out: dict = {}

    def timed(step: str, f, *args):
        w, c = time.perf_counter(), time.process_time()
        result = f(*args)
        out[f"{step}_s"] = time.perf_counter() - w
        out[f"{step}_cpu_s"] = time.process_time() - c
        return result

    data = timed("assemble", lambda: assemble(load_scenario(SCENARIOS[case])))
    model = timed("build", build_model, data)
    sf = timed("compile", compile_model, model)
    timed("collect", gc.collect)
    out.update(n_cols=sf.n_cols, n_rows=sf.n_rows, n_nonzeros=int(sf.a_start[-1]))
    return out


def run_case(case: str, repeat: int = 3) -> dict:
    """Medians over ``repeat`` fresh processes (imports and caches as in a first run)."""
    rounds = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, __file__, "--once", case],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        rounds.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    out = {k: rounds[0][k] for k in ("n_cols", "n_rows", "n_nonzeros")}
    for step in STEPS:
        for suffix in ("_s", "_cpu_s"):
            key = step + suffix
            out[key] = round(statistics.median(r[key] for r in rounds), 3)
    out["build_compile_s"] = round(out["build_s"] + out["compile_s"], 3)
    out["build_compile_cpu_s"] = round(out["build_cpu_s"] + out["compile_cpu_s"], 3)
    out["rounds"] = [{k: round(r[k], 3) for k in r if k.endswith("_s")} for r in rounds]
    return out


def run(repeat: int = 3, only: list[str] | None = None) -> dict:
    """Assemble, build and compile times of the workshop and M100 scenarios."""
    doc: dict = {"repeat": repeat, "load_average": os.getloadavg()}
    for case in only or list(SCENARIOS):
        doc[case] = run_case(case, repeat)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=list(SCENARIOS), action="append")
    parser.add_argument("--once", choices=list(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        print(json.dumps(_once(args.once)))
        return
    print(json.dumps(run(args.repeat, args.only), indent=2))


if __name__ == "__main__":
    main()
