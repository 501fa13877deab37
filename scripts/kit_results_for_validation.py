"""Write data/validation/kit_results.csv from a run of the M100 scenario.

    m100 run data/scenarios/m100_2035.yaml --out results/m100_2035
    python scripts/kit_results_for_validation.py results/m100_2035

The table holds, per city, the target year's baseline, modelled and target emissions and the
investment the least-cost plan spends up to that year, by field of action, with the
fingerprint of the inputs (data, scenario, model formulation) it was computed from; the book's
validation page sets it beside the published Climate City Contracts, and
tests/test_validation.py fails when the inputs change and the table was not computed again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from m100model.validation import KIT_SCENARIO, kit_results_path, kit_results_table


def main(folder: str) -> None:
    results = Path(folder)
    summary = json.loads((results / "summary.json").read_text(encoding="utf-8"))
    if not summary["scenario"].startswith(KIT_SCENARIO):
        sys.exit(f"{results}: a run of {summary['scenario']}, expected {KIT_SCENARIO}")
    if summary.get("stopped_on_limit"):
        sys.exit(f"{results}: the run stopped on a limit; solve it to the end first")
    table = kit_results_table(summary, pd.read_csv(results / "deployment.csv"))
    out = kit_results_path()
    table.to_csv(out, index=False, lineterminator="\n")
    print(f"wrote {out} ({len(table)} rows)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else f"results/{KIT_SCENARIO}")
