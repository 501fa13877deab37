"""Responsiveness of the ``m100`` command line, as ratios to ``python -c "import pandas"``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cli.py [--repeat N]

Prints one JSON document. Each figure is the median of ``repeat`` fresh processes; in every
round the reference (``import pandas``) and the three commands run one after the other, so
a noisy machine slows them alike and the ratios stay comparable:

- ``help_ratio``: ``m100 --help``;
- ``bad_ratio``: ``m100 run bad.yaml`` on a scenario with an unknown city (refused, exit 2);
- ``workshop_ratio``: ``m100 run data/scenarios/workshop.yaml --out <tmp> --force``, end to
  end (solve and every output file).

The raw medians are given in seconds (``import_pandas_s``, ``help_s``, ``bad_s``,
``workshop_s``). The first round is a warm-up (disk cache, Vega bundle cache) and not
counted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BAD_SCENARIO = "name: bad\ncities: [gotham]\n"


def _m100() -> list[str]:
    exe = BIN / "m100"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "m100model.cli"]


def _time(cmd: list[str], *, expect: int = 0) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if proc.returncode != expect:
        raise RuntimeError(
            f"{' '.join(cmd)}: exit code {proc.returncode}, expected {expect}\n{proc.stderr}"
        )
    return secs


def run(repeat: int = 5) -> dict:
    """Median times (seconds) and ratios to ``import pandas`` over ``repeat`` rounds."""
    m100 = _m100()
    times: dict[str, list[float]] = {"import_pandas": [], "help": [], "bad": [], "workshop": []}
    with tempfile.TemporaryDirectory(prefix="m100-bench-") as tmp:
        bad = Path(tmp) / "bad.yaml"
        bad.write_text(BAD_SCENARIO, encoding="utf-8")
        out = Path(tmp) / "workshop"
        commands = {
            "import_pandas": ([sys.executable, "-c", "import pandas"], 0),
            "help": ([*m100, "--help"], 0),
            "bad": ([*m100, "run", str(bad)], 2),
            "workshop": (
                [*m100, "run", "data/scenarios/workshop.yaml", "--out", str(out), "--force"],
                0,
            ),
        }
        for round_ in range(repeat + 1):
            for key, (cmd, expect) in commands.items():
                secs = _time(cmd, expect=expect)
                if round_:  # round 0 warms the disk and the Vega bundle cache
                    times[key].append(secs)
    med = {k: statistics.median(v) for k, v in times.items()}
    ref = med["import_pandas"]
    return {
        "help_ratio": round(med["help"] / ref, 3),
        "bad_ratio": round(med["bad"] / ref, 3),
        "workshop_ratio": round(med["workshop"] / ref, 3),
        "import_pandas_s": round(ref, 3),
        "help_s": round(med["help"], 3),
        "bad_s": round(med["bad"], 3),
        "workshop_s": round(med["workshop"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args()
    os.chdir(ROOT)
    print(json.dumps(run(args.repeat), indent=2))


if __name__ == "__main__":
    main()
