"""The kit's top-level Python interface: ``m100model.run("scenario.yaml")``.

>>> import m100model
>>> result = m100model.run("data/scenarios/workshop.yaml")  # doctest: +SKIP
>>> result.emissions.head()  # tidy tables
>>> result.to_iamc()  # pyam-compatible frame
>>> result.write("results/workshop", force=True)  # what `m100 run` writes
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from m100model.report import RunOutput
    from m100model.scenario import Scenario


@dataclass
class Result:
    """A solved scenario: tidy tables (one row per observation, plain column names), the
    summary that ``m100 run`` writes, and the IAMC table."""

    output: RunOutput

    @property
    def scenario(self) -> Scenario:
        return self.output.scenario

    @property
    def status(self) -> str:
        """``optimal``, or ``feasible`` when a limit stopped the search (see ``limit``)."""
        return self.output.result.stats["status"]

    @property
    def limit(self) -> str | None:
        """The solver limit that stopped the search, if one did: the plan may not be the
        least-cost one."""
        return self.output.result.stats.get("limit") or None

    @property
    def emissions(self) -> pd.DataFrame:
        """Emissions by target group and year: baseline, modelled, target, shortfall (kt)."""
        return self.output.result.emissions

    @property
    def investment(self) -> pd.DataFrame:
        """Money by project, instrument, city and year (M EUR)."""
        return self.output.result.investment

    @property
    def portfolio(self) -> pd.DataFrame:
        """The projects chosen: units, start years, capex, abatement."""
        return self.output.result.portfolio

    @property
    def carbon_prices(self) -> pd.DataFrame:
        """Implied carbon prices (shadow prices of the targets) by group and year."""
        return self.output.result.shadow_carbon

    @property
    def warnings(self) -> list[str]:
        """Plausibility warnings about the inventories (see :mod:`m100model.plausibility`)."""
        return list(self.output.data.warnings)

    def summary(self) -> dict:
        """The key figures, as in ``summary.json``."""
        from m100model.report import summary

        return summary(self.output)

    def to_iamc(self) -> pd.DataFrame:
        """The results in the IAMC format (``model, scenario, region, variable, unit, year,
        value``), ready for ``pyam.IamDataFrame``."""
        from m100model.report import iamc_table

        return iamc_table(self.output)

    def write(self, folder: str | Path, *, force: bool = False) -> Path:
        """Write what ``m100 run`` writes into ``folder`` (whole or not at all)."""
        from m100model.io import write_results_dir
        from m100model.report import write_outputs

        return write_results_dir(folder, lambda f: write_outputs(self.output, f), force=force)


def run(
    scenario: str | Path | Scenario,
    *,
    progress: Callable[[dict], None] | None = None,
    verbose: bool = False,
) -> Result:
    """Solve a scenario (a YAML file or a :class:`~m100model.scenario.Scenario`).

    ``progress`` is called while a mixed-integer model is solved with HiGHS's relative
    ``gap``, its ``primal`` and ``dual`` bounds and ``nodes`` (see
    :func:`m100model.portfolio.solve.observe`); ``verbose`` prints HiGHS's log. Bad input
    raises :class:`~m100model.errors.InputError`."""
    from m100model.portfolio.solve import observe
    from m100model.report import run_scenario
    from m100model.scenario import Scenario, load_scenario
    from m100model.tables import display_path

    if isinstance(scenario, Scenario):
        scn, source = scenario, f"scenario '{scenario.name}'"
    else:
        scn, source = load_scenario(scenario), display_path(Path(scenario))
    with observe(progress, verbose=verbose):
        return Result(run_scenario(scn, source))
