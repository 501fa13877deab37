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


if __name__ == "__main__":  # pragma: no cover
    app()
