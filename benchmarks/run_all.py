"""``make bench``: every benchmark of the kit, one JSON document.

Writes ``benchmarks/results/latest.json`` (and a dated copy) and prints it. Times are
measured on a shared machine: the figures that matter are the ratios to HiGHS alone or to
``python -c "import pandas"`` measured in the same run. Tests never assert times.

    .venv/bin/python benchmarks/run_all.py [--quick]

``--quick`` runs fewer repetitions and the national instance only up to 80 towns;
``--only NAME ...`` runs those benchmarks and keeps the other figures of the last run (each
entry says when it was measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--skip", nargs="*", default=[], help="benchmarks to leave out (their last figures stay)"
    )
    parser.add_argument(
        "--only", nargs="*", default=[], help="run only these and keep the others' figures"
    )
    args = parser.parse_args()
    import bench_cli
    import bench_ensemble
    import bench_explorer
    import bench_portfolio

    quick = args.quick
    steps = {
        "workshop": lambda: bench_portfolio.run_workshop(11 if quick else 31),
        "m100": lambda: bench_portfolio.run_m100(1),
        "cli": lambda: bench_cli.run(3 if quick else 5),
        "explorer": lambda: bench_explorer.run(7 if quick else 15),
        "ensemble": lambda: bench_ensemble.run(48 if quick else 96),
        "national": lambda: bench_portfolio.run_national(
            (40, 80) if quick else (40, 80, 160, 320), 900.0
        ),
    }
    out = ROOT / "benchmarks" / "results"
    previous = {}
    # --only and --skip keep the other benchmarks' last figures (each entry is dated).
    if (args.only or args.skip) and (out / "latest.json").exists():
        previous = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    doc: dict = {
        **previous,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": dict(
            cpus=os.cpu_count(),
            python=platform.python_version(),
            platform=platform.platform(),
            load_average=os.getloadavg(),
        ),
        "note": "shared machine: compare the ratios, not the seconds",
    }
    for name, step in steps.items():
        if name in args.skip or (args.only and name not in args.only):
            continue
        t0 = time.perf_counter()
        try:
            doc[name] = step()
        except Exception as exc:  # one failing benchmark does not hide the others
            doc[name] = {"error": f"{type(exc).__name__}: {exc}"}
        doc[name]["bench_wall_s"] = round(time.perf_counter() - t0, 1)
        doc[name]["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        print(json.dumps({name: doc[name]}), file=sys.stderr, flush=True)
    text = json.dumps(doc, indent=2)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(text + "\n", encoding="utf-8")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"bench-{stamp}.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
