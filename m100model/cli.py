"""The ``m100`` command line.

Bad input ends with one line on standard error naming file, row and column, and exit code 2;
nothing is written in that case.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from m100model.cities import city_name
from m100model.errors import InputError
from m100model.factors import DEFAULT_GRID_METHOD
from m100model.inventory import Inventory, load_inventory
from m100model.io import OutputExistsError, write_csv, write_json, write_results_dir

app = typer.Typer(
    help="M100 course kit: GHG inventories, pathways and cost-optimal project portfolios "
    "for Romanian climate-neutral cities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()


@app.callback()
def main() -> None:
    """M100 course kit command line."""


err = Console(stderr=True)


class GWPSet(StrEnum):
    AR5 = "AR5"
    AR6 = "AR6"
    AR4 = "AR4"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _bad_input(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _fmt(value: float) -> str:
    return (
        "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"
    )


def render_gpc_table(inv: Inventory) -> Table:
    """The GPC reporting table as a rich table (scope cells show tCO2e or a notation key)."""
    label = (
        " [bold yellow](ILLUSTRATIVE data, not a published inventory)[/]"
        if inv.illustrative
        else ""
    )
    table = Table(
        title=f"GPC inventory: {city_name(inv.city)} {inv.year}{label}\n"
        f"[dim]t CO2e, GWP {inv.gwp_set}, grid factor: {inv.grid_method}[/]",
        title_justify="left",
        show_footer=False,
    )
    table.add_column("Ref")
    table.add_column("Sub-sector")
    for scope in (1, 2, 3):
        table.add_column(f"Scope {scope}", justify="right")
    gpc = inv.gpc_table()
    for row in gpc.itertuples():
        cells = []
        for scope in (1, 2, 3):
            value, key = getattr(row, f"scope_{scope}_tco2e"), getattr(row, f"scope_{scope}_key")
            text = _fmt(value)
            if isinstance(key, str):
                text = f"{text} ({key})" if text else key
            cells.append(text)
        if any(cells):
            table.add_row(row.subsector, row.subsector_name, *cells)
    return table


def _print_totals(inv: Inventory) -> None:
    totals = Table.grid(padding=(0, 2))
    totals.add_column()
    totals.add_column(justify="right")
    totals.add_row("BASIC total", f"{inv.basic_tco2e:,.0f} t CO2e")
    totals.add_row("BASIC+ total", f"{inv.basic_plus_tco2e:,.0f} t CO2e")
    totals.add_row("Territorial (scope 1) total", f"{inv.territorial_tco2e:,.0f} t CO2e")
    totals.add_row("Biogenic CO2 (memo, not in totals)", f"{inv.biogenic_co2_t:,.0f} t CO2")
    out.print(totals)
    if not inv.gaps.empty:
        out.print(
            "[bold red]Gaps[/] (BASIC sub-sectors with neither data nor a notation key): "
            + ", ".join(inv.gaps["gpc_ref"])
        )
    else:
        out.print("[green]No gaps:[/] every BASIC sub-sector has data or a notation key.")


@app.command()
def inventory(
    file: Annotated[Path, typer.Argument(help="Activity data, CSV or Excel (.xlsx).")],
    gwp: Annotated[GWPSet, typer.Option(help="GWP-100 set.")] = GWPSet.AR5,
    grid_method: Annotated[
        str,
        typer.Option(
            help="Grid electricity factor series (production_mix, residual_mix, life_cycle, "
            "ember, ifi_operating_margin, ifi_combined_margin)."
        ),
    ] = DEFAULT_GRID_METHOD,
    format: Annotated[Format, typer.Option("--format", help="What to print.")] = Format.table,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write summary.json, "
            "emissions.csv, gpc_table.csv and com_view.csv into this folder.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
) -> None:
    """Compute a city's GHG inventory (GPC BASIC/BASIC+ and the Covenant of Mayors view)."""
    if out_dir is not None and out_dir.exists() and not force:
        raise _bad_input(f"{out_dir} exists; use --force to replace it")
    try:
        inv = load_inventory(file, gwp=gwp.value, grid_method=grid_method)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    summary = inv.summary()
    if out_dir is not None:

        def fill(folder: Path) -> None:
            write_json(folder / "summary.json", summary)
            write_csv(folder / "emissions.csv", inv.emissions)
            write_csv(folder / "gpc_table.csv", inv.gpc_table())
            write_csv(folder / "com_view.csv", inv.com_view())

        try:
            write_results_dir(out_dir, fill, force=force)
        except OutputExistsError as exc:
            raise _bad_input(str(exc)) from None
    if format is Format.json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    elif format is Format.csv:
        typer.echo(inv.gpc_table().to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        out.print(render_gpc_table(inv))
        _print_totals(inv)
        if out_dir is not None:
            out.print(f"Written to [bold]{out_dir}[/]")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see data/scenarios/).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: results/<scenario name>)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
) -> None:
    """Solve a scenario: the least-cost portfolio of projects that meets the targets, with its
    investment plan, shadow prices and a report (summary.json, report.html, Excel, CSVs)."""
    from m100model.report import run_scenario, write_outputs
    from m100model.scenario import load_scenario

    try:
        scn = load_scenario(scenario)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    target = out_dir or Path("results") / scn.name
    if target.exists() and not force:
        raise _bad_input(f"{target} exists; use --force to replace it")
    with out.status(
        f"Solving {scn.name} ({len(scn.cities)} cities, {scn.first_year}-{scn.horizon}) ..."
    ):
        try:
            result = run_scenario(scn)
        except InputError as exc:
            raise _bad_input(str(exc)) from None
    info: dict = {}

    def fill(folder: Path) -> None:
        info.update(write_outputs(result, folder))

    try:
        write_results_dir(target, fill, force=force)
    except OutputExistsError as exc:
        raise _bad_input(str(exc)) from None
    _print_run(info, result.result.stats, target)


def _print_run(info: dict, stats: dict, target: Path) -> None:
    met = "[green]all targets met[/]" if info["targets_met"] else "[red]targets missed[/]"
    out.print(
        f"[bold]{info['scenario']}[/]: {info['status']}, {met}; net present cost "
        f"{info['npv_meur']:,.1f} M EUR ({info['perspective']} perspective; shortfall "
        f"penalty {info['shortfall_penalty_meur']:,.1f} M EUR)"
    )
    out.print("[yellow]Illustrative data[/]: derived city inventories, partly unsourced costs.")
    table = Table(title="Emissions against target (kt CO2e, scenario total)", title_justify="left")
    for col in (
        "Year",
        "Baseline",
        "Modelled",
        "Target",
        "Implied carbon price (EUR/t)",
        "Cities short",
    ):
        table.add_column(col, justify="right")
    years = sorted(info["emissions_kt"])
    for y in [y for y in years if y % 5 == 0 or y == years[0]]:
        price = info["shadow_price_eur_per_t"].get(y)
        short = sum(1 for g in info["by_group"].values() if g["shortfall_kt"].get(y))
        if short:
            price = None  # the dual is the penalty: the target is out of reach that year
        table.add_row(
            str(y),
            f"{info['baseline_kt'][y]:,.1f}",
            f"{info['emissions_kt'][y]:,.1f}",
            f"{info['target_kt'][y]:,.1f}" if info["target_kt"].get(y) is not None else "",
            "out of reach" if short else f"{price:,.0f}",
            str(short) if short else "",
        )
    out.print(table)
    invest = Table(title="Investment plan (M EUR, all years)", title_justify="left")
    invest.add_column("Funding source")
    invest.add_column("M EUR", justify="right")
    for s, by_year in sorted(info["investment_meur"].items(), key=lambda kv: -sum(kv[1].values())):
        invest.add_row(s, f"{sum(by_year.values()):,.1f}")
    out.print(invest)
    out.print(
        f"{len(info['selected_projects'])} projects selected; "
        f"{sum(b['selected'] for b in info['bundles'])} of {len(info['bundles'])} bundles."
    )
    for d in info["diagnosis"]:
        out.print(
            f"[red]Short[/] {city_name(d['group'])}: {d['years']}, worst "
            f"{d['worst_year']} by {d['worst_shortfall_kt']:,.1f} kt"
        )
    out.print(
        f"[dim]build {stats['build_s']:.2f} s, solve {stats['solve_s']:.2f} s, duals "
        f"{stats['dual_s']:.2f} s; {stats['variables']} variables, "
        f"{stats['integer_variables']} integer[/]"
    )
    out.print(
        f"Written to [bold]{target}[/]: summary.json, report.html, investment_plan.xlsx, CSVs"
    )


if __name__ == "__main__":  # pragma: no cover
    app()
