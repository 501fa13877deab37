"""The ``m100`` command line.

Bad input ends with one line on standard error naming file, row and column, and exit code 2;
nothing is written in that case.

Only light modules are imported at the top: each command imports what it needs (pandas,
pint, Pyomo, Altair, ...) when it runs, after its input has been checked, so that ``--help``
answers at once and a bad scenario is refused in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from m100model.errors import InputError, one_line, pydantic_message
from m100model.io import (
    OutputExistsError,
    OutputNotWritableError,
    RendererUnavailableError,
    check_renderer,
    check_writable,
    finite,
    tidy,
    write_csv,
    write_json,
    write_results_dir,
)

if TYPE_CHECKING:
    from m100model.inventory import Inventory

# m100model.factors.DEFAULT_GRID_METHOD, spelt out so that the option's default costs no
# import of pandas and pint (tests/test_cli_speed.py checks that the two agree).
DEFAULT_GRID_METHOD = "production_mix"
# Bounds of the numeric options (a typo such as --samples 100000000 is refused at once).
MAX_SAMPLES = 100_000  # as the scenario's uncertainty.samples
MAX_WORKERS = 64
MAX_ALTERNATIVES = 50
MAX_POINTS = 100


class _Program(typer.Typer):
    """The command line. Calling it (``app()``: the ``m100`` script, ``python -m
    m100model.cli``) runs one command in a process that ends with it; typer's test runner
    invokes the commands without this call, in a process that goes on."""

    as_program = False

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.as_program = True
        return super().__call__(*args, **kwargs)

    def command(self, *args: object, **kwargs: object) -> Callable:
        """As typer's, with one more guarantee for every command: bad input found anywhere
        (an :class:`InputError`, or an output folder that exists or cannot be written)
        ends with one line on standard error and exit code 2, never a traceback."""
        register = super().command(*args, **kwargs)

        def decorator(func: Callable) -> Callable:
            @functools.wraps(func)
            def guarded(*a: object, **kw: object) -> object:
                try:
                    return func(*a, **kw)
                except (
                    InputError,
                    OutputExistsError,
                    OutputNotWritableError,
                    RendererUnavailableError,
                ) as exc:
                    raise _bad_input(str(exc)) from None

            register(guarded)
            return func

        return decorator


app = _Program(
    help="M100 course kit: GHG inventories, pathways and cost-optimal project portfolios "
    "for Romanian climate-neutral cities.\n\n"
    "Environment: M100_DATA (the data folder instead of the bundled data/), M100_ASSESSMENT "
    "(the self-assessment folder), M100_CACHE_DIR (the cache folder; default "
    "~/.cache/m100).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",  # a docstring's lines flow into one paragraph
)


def _console(*, stderr: bool = False) -> Console:
    """A console that wraps at the terminal's width, and not at all when the output goes to
    a file or a pipe (a log, another program)."""
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=10_000 if wide else None)


out = _console()


def _version(value: bool) -> None:
    if value:
        from m100model import __version__

        typer.echo(f"m100 {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """M100 course kit command line."""


err = _console(stderr=True)


class GWPSet(StrEnum):
    AR5 = "AR5"
    AR6 = "AR6"
    AR4 = "AR4"


class Perspective(StrEnum):
    city = "city"
    society = "society"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _normalised(path: Path | None) -> Path | None:
    """An output folder as the file system will see it ("missing/../v" is "v"), and with
    what a killed run left there put right (its previous results back in place, its hidden
    temporary folders removed: :func:`m100model.io.tidy`), so that the check for an existing
    folder and the write agree."""
    if path is None:
        return None
    path = Path(os.path.normpath(path))
    tidy(path)
    return path


def _echo_json(data: object, **kwargs: object) -> None:
    """JSON on standard output; numbers that are not finite as null (valid JSON)."""
    typer.echo(json.dumps(finite(data), indent=2, ensure_ascii=False, allow_nan=False, **kwargs))


def _t(value: object) -> str:
    """A user's text (a path, a name from a file) as rich prints it: one line, no markup."""
    return escape(one_line(str(value)))


def _bad_input(message: str) -> typer.Exit:
    """One line on standard error (the user's text in it escaped: no line break, no rich
    markup), and exit code 2."""
    err.print(f"[bold red]error:[/] {_t(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def city_name(city_id: str) -> str:
    from m100model.cities import city_name

    return city_name(city_id)


def load_inventory(*args, **kwargs) -> Inventory:
    from m100model.inventory import load_inventory

    return load_inventory(*args, **kwargs)


@contextlib.contextmanager
def _lean_gc() -> Iterator[Callable[[], None]]:
    """Less work for the garbage collector while a command builds and writes a big model.

    Within the block, collections of the youngest generation start after 10,000 new objects
    instead of 700, and the function given moves every object alive at that moment out of
    the collector's reach (``gc.freeze``). The modules imported, and once solved the model
    (kept until the outputs are written), stay alive to the end of the command anyway; full
    collections would walk all of them again and again while the next steps allocate. On
    the workshop scenario the collector's time falls from about 0.8 s to 0.15 s.

    In a process that ends with the command (see :class:`_Program`) everything is frozen at
    the end and stays so: the interpreter's exit then does not walk the heap again (0.6 s
    on the workshop scenario). Elsewhere (the test runner, a notebook) the threshold is
    restored and the objects are handed back to the collector at the end (a host that froze
    objects of its own keeps them frozen)."""
    import gc

    threshold = gc.get_threshold()
    mine = gc.get_freeze_count() == 0
    gc.set_threshold(max(threshold[0], 10_000), *threshold[1:])
    try:
        yield gc.freeze
    finally:
        gc.set_threshold(*threshold)
        if app.as_program:
            gc.freeze()
        elif mine:
            gc.unfreeze()


# Optional packages Altair's import pulls in that a command never uses. ``rfc3987_syntax``:
# jsonschema loads it, when installed, for the ``iri`` formats and it compiles a Lark grammar
# at import (1.5-2 s here); the Vega-Lite schema has no such format (only ``uri``,
# ``uri-reference`` and ``color-hex``). ``anywidget`` (with ipywidgets and IPython, about
# 0.15 s): Altair's JupyterChart, a notebook widget.
_NOT_FOR_COMMANDS = ("rfc3987_syntax", "anywidget")


def _import_altair() -> None:
    """Import Altair; in a process that ends with the command (see :class:`_Program`),
    without the packages of ``_NOT_FOR_COMMANDS``: Altair and jsonschema then do without
    them (no IRI format checker, a JupyterChart that says anywidget is missing). Anywhere
    else (the test runner, a notebook) Altair is imported as it is."""
    from m100model.imports import hidden_modules

    hidden = list(_NOT_FOR_COMMANDS) if app.as_program and "altair" not in sys.modules else []
    with hidden_modules(hidden):
        import altair  # noqa: F401


def _fmt(value: float) -> str:
    return (
        "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"
    )


def render_gpc_table(inv: Inventory, name: str | None = None) -> Table:
    """The GPC reporting table as a rich table (scope cells show tCO2e or a notation key),
    titled with the city's ``name`` (default: the kit's name for the inventory's city)."""
    label = (
        " [bold yellow](ILLUSTRATIVE data, not a published inventory)[/]"
        if inv.illustrative
        else ""
    )
    table = Table(
        title=f"GPC inventory: {_t(name or city_name(inv.city))} {inv.year}{label}\n"
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


def _details(inv: Inventory, file: Path, city_details: Path | None):
    """The inventory's city as --city-details gives it, else the workbook's own sheet 'city'
    when it is filled in, else None (one of the kit's cities, or not given)."""
    from m100model.cities import read_city_details

    if city_details is not None:
        details = {c.city_id: c for c in read_city_details(city_details)}
        if inv.city not in details:
            raise InputError(
                _shown(city_details), f"has no row for the inventory's city '{inv.city}'"
            )
        return details[inv.city]
    if file.suffix.lower() in (".xlsx", ".xlsm"):
        with contextlib.suppress(InputError):  # no sheet 'city', or not filled in yet
            return {c.city_id: c for c in read_city_details(file)}.get(inv.city)
    return None


def _plausibility(inv: Inventory, details) -> list[str]:
    """Plausibility warnings, with the population of the city's details, else the kit's."""
    from m100model.plausibility import population_of, warnings

    population = float(details.population) if details is not None else population_of(inv.city)
    return warnings(inv, population)


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
    city_details: Annotated[
        Path | None,
        typer.Option(
            help="City details (CSV, or a workbook with a sheet 'city') giving the population "
            "for the plausibility checks; a workbook's own sheet 'city' is used by default."
        ),
    ] = None,
) -> None:
    """Compute a city's GHG inventory (GPC BASIC/BASIC+ and the Covenant of Mayors view),
    with warnings where a figure is far from what a city is likely to have."""
    out_dir = _normalised(out_dir)
    if out_dir is not None and out_dir.exists() and not force:
        raise _bad_input(f"{out_dir} exists; use --force to replace it")
    if out_dir is not None:
        check_writable(out_dir)
    try:
        inv = load_inventory(file, gwp=gwp.value, grid_method=grid_method)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    try:
        details = _details(inv, file, city_details)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    inv.warnings = _plausibility(inv, details)
    for w in inv.warnings:
        err.print(f"[yellow]warning:[/] {_t(w)}", highlight=False, soft_wrap=True)
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
        _echo_json(summary)
    elif format is Format.csv:
        typer.echo(inv.gpc_table().to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        out.print(render_gpc_table(inv, details.city if details is not None else None))
        _print_totals(inv)
        if out_dir is not None:
            out.print(f"Written to [bold]{_t(out_dir)}[/]")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see data/scenarios/).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: `results/<scenario name>`)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
    perspective: Annotated[
        Perspective | None,
        typer.Option(
            help="Whose costs count, instead of the scenario's: city (the city's money; grants "
            "lower its cost) or society (all costs and all payers, owners' capital included). "
            "The results go to `results/<scenario name>_<perspective>`."
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print summary.json to standard output instead of tables."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Also print HiGHS's log.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Solve a scenario: the least-cost portfolio of projects that meets the targets, with its
    investment plan, shadow prices and a report (summary.json, report.html, Excel, CSVs).
    While it solves, the elapsed time and, for a mixed-integer model, HiGHS's gap and bound."""
    if quiet or as_json:
        out.quiet = True
    info: dict = {}
    with _lean_gc() as freeze:
        scn = _load_scenario_or_exit(scenario)
        if perspective is not None and perspective.value != scn.perspective:
            scn = scn.model_copy(
                update={"perspective": perspective.value, "name": f"{scn.name}_{perspective.value}"}
            )
        target = _normalised(out_dir or Path("results") / scn.name)
        if target.exists() and not force:
            raise _bad_input(f"{target} exists; use --force to replace it")
        check_writable(target)
        from m100model.report import run_scenario, vega_bundle_path, write_outputs

        if not vega_bundle_path().exists():  # the report's charts will need vl-convert
            check_renderer()

        freeze()  # the modules
        with _solving(
            f"Solving {scn.name} ({len(scn.cities)} cities, {scn.first_year}-{scn.horizon})",
            verbose=verbose,
        ):
            result = run_scenario(scn, _shown(scenario))
        freeze()  # the solved model
        if not quiet:
            for w in result.data.warnings:
                err.print(f"[yellow]warning:[/] {_t(w)}", highlight=False, soft_wrap=True)
        _import_altair()

        def fill(folder: Path) -> None:
            info.update(write_outputs(result, folder))

        try:
            write_results_dir(target, fill, force=force)
        except OutputExistsError as exc:
            raise _bad_input(str(exc)) from None
    if as_json:
        _echo_json(info)
    else:
        _print_run(info, result.result.stats, target)


@contextlib.contextmanager
def _solving(title: str, *, verbose: bool = False) -> Iterator[None]:
    """A line that shows the elapsed time and, for a mixed-integer model, HiGHS's relative
    gap and bounds as it reports them (nothing when output is not a terminal or is quiet;
    with ``verbose``, HiGHS's own log instead)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from m100model.portfolio.solve import observe

    if verbose or out.quiet or not out.is_terminal:
        with observe(verbose=verbose):
            yield
        return
    with Progress(
        SpinnerColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=out,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{title} ...", total=None)

        name = title.split(" (")[0].removeprefix("Solving ")

        def report(p: dict) -> None:
            # Objective values include the shortfall penalty (M EUR), as HiGHS sees them.
            # Before HiGHS has a plan there is no gap to show (it reports infinities).
            if math.isfinite(p["gap"]) and math.isfinite(p["primal"]):
                parts = [f"gap {p['gap']:.1%}", f"plan {p['primal']:,.0f}"]
            else:
                parts = ["no plan yet"]
            if math.isfinite(p["dual"]):
                parts.append(f"bound {p['dual']:,.0f}")
            parts.append(f"{p['nodes']:,} nodes")
            rest = ", ".join(parts)
            # The line stays under 80 columns (spinner and elapsed time take 11): a long
            # scenario name is shortened rather than the time cut.
            room = 80 - 12 - len(rest) - 2
            shown = name if len(name) <= room else name[: max(room - 1, 8)] + "\u2026"
            bar.update(task, description=f"{shown}: {rest}")

        with observe(report):
            yield


def _print_cities(by_city: dict) -> None:
    """Each city (target group) in its target year: met or not, and at what price (a dash
    where a city misses its target in any year: its price means nothing)."""
    out.print("Each city in its target year (kt CO2e; implied carbon price in EUR/t)")
    table = Table()
    for col in ("City", "Year", "Modelled", "Target", "Met", "Price"):
        table.add_column(col, justify="left" if col in ("City", "Met") else "right")
    levelised = withheld = False
    for g, c in by_city.items():
        price, basis = c["carbon_price_eur_per_t"], c["price_basis"] or ""
        if not c["met"] or c["years_missed"] or price is None:
            shown = "-"
            withheld = True
        else:
            shown = f"{price:,.0f}" + (" *" if basis.startswith("flat") else "")
            levelised |= basis.startswith("flat")
        missed = c["years_missed"]
        table.add_row(
            _t(c.get("city_name") or city_name(g)),
            str(c["target_year"]),
            f"{c['emissions_kt']:,.1f}",
            f"{c['target_kt']:,.1f}",
            ("[green]yes[/]" if c["met"] else "[red]no[/]")
            + (f", missed {_years(missed)}" if missed else ""),
            shown,
        )
    out.print(table)
    if levelised:
        out.print(
            "* levelised over the flat stretch of the target from that year on: with the same "
            "cap year after year only the discounted sum of the yearly prices is determined."
        )
    if withheld:
        out.print(
            "- no carbon price where a city misses its target in any year: the model's price "
            "there only echoes the penalty for missing it."
        )


def _years(years: list[int]) -> str:
    """Years as runs: 2026-2029, 2031."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _print_run(info: dict, stats: dict, target: Path) -> None:
    met = "[green]all targets met[/]" if info["targets_met"] else "[red]targets missed[/]"
    out.print(
        f"[bold]{info['scenario']}[/]: {info['status']}, {met}; net present cost "
        f"{info['npv_meur']:,.1f} M EUR ({info['perspective']} perspective; shortfall "
        f"penalty {info['shortfall_penalty_meur']:,.1f} M EUR)"
    )
    quality = info.get("data_quality_detail") or {}
    label = str(info.get("data_quality", ""))
    headline, _, rest = label.partition(": ")
    out.print(
        (
            f"[yellow]{_t(headline)}[/]"
            if quality.get("illustrative")
            else f"[bold]{_t(headline)}[/]"
        )
        + (f": {_t(rest)}" if rest else "")
    )
    if stats.get("limit"):
        gap = stats.get("gap_meur")
        out.print(
            f"[red bold]Stopped on the {stats['limit']}[/]: the plan "
            + (
                f"may cost up to {gap:,.1f} M EUR more than the best possible"
                if gap is not None and math.isfinite(gap)
                else "is not proven near the best possible"
            )
            + " (raise solver.time_limit in the scenario to search longer)."
        )
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
    # A city that misses its target in any year has no meaningful price, so neither has the
    # highest price across cities: a dash (each city's own price is in the next table).
    missing = sum(1 for g in info["by_group"].values() if g["shortfall_kt"])
    for y in [y for y in years if y % 5 == 0 or y == years[0]]:
        price = info["shadow_price_eur_per_t"].get(y)
        short = sum(1 for g in info["by_group"].values() if g["shortfall_kt"].get(y))
        table.add_row(
            str(y),
            f"{info['baseline_kt'][y]:,.1f}",
            f"{info['emissions_kt'][y]:,.1f}",
            f"{info['target_kt'][y]:,.1f}" if info["target_kt"].get(y) is not None else "",
            "out of reach"
            if short
            else ("-" if missing else ("" if price is None else f"{price:,.0f}")),
            str(short) if short else "",
        )
    out.print(table)
    if missing:
        out.print(
            f"- no scenario-wide carbon price: {missing} of {len(info['by_group'])} cities miss "
            "their target in some year."
        )
    _print_cities(info["by_city_in_target_year"])
    invest = Table(title="Investment plan (M EUR, all years)", title_justify="left")
    invest.add_column("Funding source")
    invest.add_column("M EUR", justify="right")
    names = info.get("funding_sources", {})
    for s, by_year in sorted(info["investment_meur"].items(), key=lambda kv: -sum(kv[1].values())):
        invest.add_row(_t(names.get(s, {}).get("name", s)), f"{sum(by_year.values()):,.1f}")
    out.print(invest)
    if info.get("totals_note"):
        out.print(_t(info["totals_note"]))
    out.print(
        f"{len(info['selected_projects'])} projects selected; "
        f"{sum(b['selected'] for b in info['bundles'])} of {len(info['bundles'])} bundles."
    )
    for d in info["diagnosis"]:
        held = d.get("held_back_by") or ", ".join(d.get("limits", []))
        out.print(
            f"[red]Short[/] {_t(d.get('city_name') or city_name(d['group']))}: {d['years']}, "
            f"worst {d['worst_year']} by {d['worst_shortfall_kt']:,.1f} kt"
            + (f"; held back by {_t(held)}" if held else "")
        )
    gap = stats.get("gap_meur")
    out.print(
        f"[dim]build {stats['build_s']:.2f} s, compile {stats.get('compile_s', 0.0):.2f} s, "
        f"solve {stats['solve_s']:.2f} s, prices {stats['dual_s']:.2f} s; "
        f"{stats['variables']} variables, {stats['integer_variables']} integer"
        + (
            f"; proven within {gap:,.2f} M EUR of the least cost"
            if stats["integer_variables"] and gap is not None and math.isfinite(gap)
            else ""
        )
        + "[/]"
    )
    out.print(
        f"Written to [bold]{_t(target)}[/]: summary.json, report.html, investment_plan.xlsx, CSVs"
    )


# ---------------------------------------------------------------------------------------
# Decision analysis: ensembles, alternatives, trade-offs, monitoring
# ---------------------------------------------------------------------------------------
def _load_scenario_or_exit(path: Path):
    from m100model.scenario import load_scenario

    try:
        return load_scenario(path)
    except InputError as exc:
        raise _bad_input(str(exc)) from None


def _shown(path: Path) -> str:
    from m100model.tables import display_path

    return display_path(path)


def _solved(scn, source: Path, *, solve: bool = True):
    from m100model.portfolio.data import assemble
    from m100model.portfolio.solve import PortfolioSolver, require_plan

    solver = PortfolioSolver(assemble(scn), scn.solver)
    if solve:
        solver.solve(duals=False)
        require_plan(solver, _shown(source))
    return solver


def _rich_table(df, title: str, *, digits: int = 2, max_rows: int = 40) -> Table:
    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(_t(col), justify="right" if df[col].dtype.kind in "fi" else "left")
    for row in df.head(max_rows).itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if math.isnan(v) else f"{v:,.{digits}f}")
            else:
                cells.append(_t(v))
        table.add_row(*cells)
    return table


def _analysis_out(out_dir: Path | None, default: Path, force: bool, *, charts: bool = True) -> Path:
    """The output folder of an analysis, checked before any work: not there (or --force),
    writable, and (when it will hold charts) a process in which charts can be drawn."""
    if charts:
        check_renderer()
    target = _normalised(out_dir or default)
    if target.exists() and not force:
        raise _bad_input(f"{target} exists; use --force to replace it")
    return check_writable(target)


def _write_analysis(target: Path, force: bool, fill) -> None:
    try:
        write_results_dir(target, fill, force=force)
    except OutputExistsError as exc:
        raise _bad_input(str(exc)) from None


def _charts():
    """m100model.charts, with Altair imported the fast way (see _import_altair)."""
    _import_altair()
    from m100model import charts

    return charts


def _save_chart(chart, path: Path) -> None:
    _charts().to_svg(chart, str(path))


@app.command()
def ensemble(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with an uncertainty: section.")],
    samples: Annotated[
        int | None, typer.Option(help="Number of samples (default: the scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    method: Annotated[
        str | None, typer.Option(help="lhs or sobol (default: the scenario's).")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="both, fixed (the plan only) or reoptimise (per sample).")
    ] = "both",
    alternatives: Annotated[
        int, typer.Option(help="Also evaluate this many near-optimal alternatives as candidates.")
    ] = 0,
    slack: Annotated[float, typer.Option(help="Cost slack of the alternatives (0.1 = 10%).")] = 0.1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of an existing Dask scheduler (default: a local cluster)."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Workers of the local cluster.")] = 2,
    serial: Annotated[bool, typer.Option(help="Run in this process, without Dask.")] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: `results/<scenario>_ensemble`)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Start again in an existing folder.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Uncertainty ensemble: the probability that the least-cost plan meets each year's
    target, the distribution of its cost, how often each project is chosen when re-optimised
    per sample, and the minimum-regret choice among candidate plans. Samples stream to
    samples.jsonl; a rerun with the same settings resumes."""
    from m100model.analysis.ensemble import run_ensemble, sample_costs, write_tables
    from m100model.tables import display_path

    scn = _load_scenario_or_exit(scenario)
    if scn.uncertainty is None:
        raise _bad_input(
            f"{display_path(scenario)}, field 'uncertainty': missing (required for an ensemble)"
        )
    if mode not in ("both", "fixed", "reoptimise"):
        raise _bad_input(f"--mode: expected both, fixed or reoptimise, got '{mode}'")
    if method is not None and method not in ("lhs", "sobol"):
        raise _bad_input(f"--method: expected lhs or sobol, got '{method}'")
    if samples is not None and not 1 <= samples <= MAX_SAMPLES:
        raise _bad_input(f"--samples: expected 1 to {MAX_SAMPLES:,}, got {samples:,}")
    if seed is not None and not 0 <= seed < 2**32:
        raise _bad_input(f"--seed: expected 0 to {2**32 - 1:,}, got {seed:,}")
    if not 0 <= alternatives <= MAX_ALTERNATIVES:
        raise _bad_input(f"--alternatives: expected 0 to {MAX_ALTERNATIVES}, got {alternatives}")
    if not 0 <= slack <= 10:
        raise _bad_input("--slack: must lie in [0, 10]")
    if not 1 <= workers <= MAX_WORKERS:
        raise _bad_input(f"--workers: expected 1 to {MAX_WORKERS}, got {workers}")
    check_renderer()
    target = check_writable(_normalised(out_dir or Path("results") / f"{scn.name}_ensemble"))
    where = "serial" if serial else (scheduler or "local")
    try:
        res = run_ensemble(
            scn,
            source=display_path(scenario),
            out_dir=target,
            samples=samples,
            seed=seed,
            method=method,
            mode=mode,
            alternatives=alternatives,
            slack=slack,
            scheduler=where,
            n_workers=workers,
            progress=progress,
            force=force,
        )
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    charts = _charts()
    prob = res.target_probability()
    freq = res.selection_frequency()
    figures = {
        "cost_distribution.svg": charts.cost_distribution_chart(
            sample_costs(res.records), f"{scn.name}: cost over samples"
        )
    }
    if not prob.empty:
        figures["target_probability.svg"] = charts.target_probability_chart(
            prob, f"{scn.name}: probability of meeting the target"
        )
    if not freq.empty:
        figures["project_frequency.svg"] = charts.robustness_chart(
            freq, f"{scn.name}: how often each project is chosen"
        )
    info = write_tables(
        res,
        target,
        charts={name: functools.partial(_save_chart, chart) for name, chart in figures.items()},
    )
    t = res.timing
    out.print(
        f"[bold]{scn.name}[/]: {info['finished']} of {info['samples']} samples "
        f"({t['new_samples']} new, {t['resumed_samples']} resumed) on {t['scheduler']} "
        f"({t['workers']} workers); {t['samples_per_s'] or 0:.2f} samples/s"
    )
    p = info["p_target_met_by_year_plan"]
    if p:
        shown = {y: v for y, v in p.items() if y % 5 == 0 or y == min(p)}
        out.print(
            "P(least-cost plan meets the target): "
            + ", ".join(f"{y} {v:.0%}" for y, v in shown.items() if v is not None)
        )
    cost = res.cost_distribution()
    cols = ["run", "solved", "cost_mean_meur", "cost_p05_meur", "cost_p95_meur", "p_all_met"]
    out.print(_rich_table(cost[[c for c in cols if c in cost]], "Net present cost (M EUR)"))
    regret = res.regret()
    if len(regret) > 1:
        out.print(_rich_table(regret, "Candidate plans (with shortfall penalty)"))
    out.print(_rich_table(freq.head(15), "Projects chosen when re-optimised (top 15)"))
    if info["errors"]:
        out.print(f"[red]{info['errors']} samples failed[/]: {_t(info['first_error'])}")
    out.print(f"Written to [bold]{_t(target)}[/]")


@app.command()
def alternatives(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    n: Annotated[int, typer.Option("--n", help="Number of alternatives.")] = 4,
    slack: Annotated[
        float, typer.Option(help="Cost slack (0.1 = within 10% of the least cost).")
    ] = 0.1,
    metric: Annotated[
        str, typer.Option(help="Differ in: projects (selection) or themes (investment).")
    ] = "projects",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Results folder.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
) -> None:
    """Near-optimal alternatives (MGA): portfolios within the cost slack of the least cost,
    each as different as possible from those before it."""
    from m100model.analysis.alternatives import near_optimal

    scn = _load_scenario_or_exit(scenario)
    if metric not in ("projects", "themes"):
        raise _bad_input(f"--metric: expected projects or themes, got '{metric}'")
    if not 0 <= slack <= 10:
        raise _bad_input("--slack: must lie in [0, 10]")
    if not 1 <= n <= MAX_ALTERNATIVES:
        raise _bad_input(f"--n: expected 1 to {MAX_ALTERNATIVES}, got {n}")
    target = _analysis_out(out_dir, Path("results") / f"{scn.name}_alternatives", force)
    with out.status(f"Solving {scn.name} and {n} alternatives ..."):
        res = near_optimal(
            _solved(scn, scenario, solve=False),
            n=n,
            slack=slack,
            metric=metric,
            source=_shown(scenario),
        )

    def fill(folder: Path) -> None:
        charts = _charts()

        write_csv(folder / "alternatives.csv", res.table)
        write_csv(folder / "investment_by_theme.csv", res.by_theme)
        write_csv(folder / "project_shares.csv", res.shares.reset_index())
        write_json(
            folder / "summary.json",
            dict(
                scenario=scn.name,
                least_cost_meur=res.optimum_meur,
                slack=slack,
                metric=metric,
                notes=res.notes,
                portfolios=res.table.to_dict("records"),
            ),
        )
        _save_chart(
            charts.alternatives_chart(res.by_theme, f"{scn.name}: near-optimal alternatives"),
            folder / "alternatives.svg",
        )

    _write_analysis(target, force, fill)
    out.print(
        _rich_table(
            res.table[["portfolio", "npv_meur", "cost_increase_pct", "investment_meur", "jobs"]],
            f"{scn.name}: portfolios within {slack:.0%} of the least cost",
        )
    )
    for note in res.notes:
        out.print(f"[yellow]{_t(note)}[/]")
    out.print(f"Written to [bold]{_t(target)}[/]")


@app.command()
def pareto(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    against: Annotated[str, typer.Option(help="emissions (cumulative) or jobs.")] = "emissions",
    points: Annotated[int, typer.Option(help="Points on the front.")] = 6,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Results folder.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
) -> None:
    """Pareto front of the net present cost against cumulative emissions or jobs
    (epsilon constraint)."""
    from m100model.analysis.tradeoffs import pareto_front

    scn = _load_scenario_or_exit(scenario)
    if against not in ("emissions", "jobs"):
        raise _bad_input(f"--against: expected emissions or jobs, got '{against}'")
    if not 2 <= points <= MAX_POINTS:
        raise _bad_input(f"--points: expected 2 to {MAX_POINTS}, got {points}")
    target = _analysis_out(out_dir, Path("results") / f"{scn.name}_pareto_{against}", force)
    with out.status(f"Tracing the front of {scn.name} ..."):
        front = pareto_front(
            _solved(scn, scenario, solve=False),
            against=against,
            points=points,
            source=_shown(scenario),
        )

    def fill(folder: Path) -> None:
        charts = _charts()

        write_csv(folder / "pareto.csv", front)
        _save_chart(
            charts.pareto_chart(front, f"{scn.name}: cost against {against}"),
            folder / "pareto.svg",
        )

    _write_analysis(target, force, fill)
    shown = front[["point", "status", "cost_meur", "cumulative_emissions_kt", "jobs"]]
    out.print(_rich_table(shown, f"{scn.name}: Pareto front (cost against {against})"))
    out.print(f"Written to [bold]{_t(target)}[/]")


@app.command()
def tornado(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with an uncertainty: section.")],
    year: Annotated[int | None, typer.Option(help="Year of the emissions (default 2030).")] = None,
    low: Annotated[float, typer.Option(help="Low quantile of each input.")] = 0.1,
    high: Annotated[float, typer.Option(help="High quantile of each input.")] = 0.9,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Results folder.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
) -> None:
    """One-at-a-time sensitivity (tornado) of the optimal cost and of one year's emissions
    to each uncertain input."""
    from m100model.analysis.ensemble import get_evaluator, model_payload
    from m100model.analysis.tradeoffs import tornado as run_tornado
    from m100model.tables import display_path

    scn = _load_scenario_or_exit(scenario)
    if scn.uncertainty is None:
        raise _bad_input(f"{display_path(scenario)}, field 'uncertainty': missing (required)")
    if not 0 < low < high < 1:
        raise _bad_input("--low and --high: need 0 < low < high < 1")
    if year is not None and not scn.first_year <= year <= scn.horizon:
        raise _bad_input(f"--year: {year} is outside {scn.first_year}-{scn.horizon}")
    target = _analysis_out(out_dir, Path("results") / f"{scn.name}_tornado", force)
    with out.status(f"Sensitivity of {scn.name} ({len(scn.uncertainty.inputs)} inputs) ..."):
        try:
            ev = get_evaluator(model_payload(scenario=scn, source=display_path(scenario)))
        except InputError as exc:
            raise _bad_input(str(exc)) from None
        table = run_tornado(ev, year=year, low=low, high=high)

    def fill(folder: Path) -> None:
        charts = _charts()

        write_csv(folder / "tornado.csv", table)
        _save_chart(
            charts.tornado_chart(table, f"{scn.name}: sensitivity of the optimal cost"),
            folder / "tornado_cost.svg",
        )
        _save_chart(
            charts.tornado_chart(
                table,
                f"{scn.name}: sensitivity of {int(table['year'].iloc[0])} emissions (plan fixed)",
                measure="plan_emissions",
            ),
            folder / "tornado_emissions.svg",
        )

    _write_analysis(target, force, fill)
    cols = ["input", "low_value", "high_value", "cost_low_meur", "cost_high_meur"]
    cols += ["plan_emissions_low_kt", "plan_emissions_high_kt"]
    out.print(_rich_table(table[cols], f"{scn.name}: one-at-a-time sensitivity"))
    stopped = table[table["stopped"] != ""]
    if not stopped.empty:
        out.print(
            f"[red bold]Stopped on a limit[/] ({_t(', '.join(sorted(set(stopped['stopped']))))}) "
            f"in the runs of {_t(', '.join(stopped['input']))}: their figures may not be the "
            "least cost, or are missing (raise solver.time_limit in the scenario)."
        )
    out.print(f"Written to [bold]{_t(target)}[/]")


@app.command()
def monitor(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (the plan).")],
    inventory_file: Annotated[
        Path, typer.Argument(help="Monitoring inventory of a later year (CSV or Excel).")
    ],
    tolerance: Annotated[
        float, typer.Option(help="Allowed excess over the plan (0.05 = 5%).")
    ] = 0.0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Results folder.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
) -> None:
    """Is the city on track? A monitoring inventory against the planned pathway by GPC
    sector, with the gap in kt, and the transition indicators of the plan."""
    from m100model.analysis.monitoring import (
        planned_by_sector,
        track_progress,
        transition_indicators,
    )

    scn = _load_scenario_or_exit(scenario)
    if not 0 <= tolerance < 1:
        raise _bad_input("--tolerance: must lie in [0, 1)")
    try:
        inv = load_inventory(inventory_file, gwp=scn.gwp, grid_method=scn.grid_method)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    target = _analysis_out(out_dir, Path("results") / f"{scn.name}_monitor_{inv.year}", force)
    with out.status(f"Solving {scn.name} ..."):
        solver = _solved(scn, scenario)
        try:
            progress = track_progress(inv, planned_by_sector(solver), tolerance=tolerance)
        except InputError as exc:
            raise _bad_input(str(exc)) from None
        indicators = transition_indicators(solver)

    def fill(folder: Path) -> None:
        charts = _charts()

        write_csv(folder / "progress.csv", progress)
        write_csv(folder / "indicators.csv", indicators)
        _save_chart(
            charts.monitoring_chart(progress, f"{inv.city} {inv.year} against the plan"),
            folder / "progress.svg",
        )
        _save_chart(
            charts.indicators_chart(indicators, f"{scn.name}: transition indicators"),
            folder / "indicators.svg",
        )

    _write_analysis(target, force, fill)
    shown = progress[["sector", "planned_kt", "actual_kt", "gap_kt", "status"]]
    out.print(
        _rich_table(
            shown, f"{_t(inv.city)} {inv.year}: monitoring inventory against the plan (kt CO2e)"
        )
    )
    if inv.illustrative:
        out.print("[yellow]Illustrative data[/]: the monitoring inventory is an exercise file.")
    ind = indicators[indicators["year"] == inv.year][["indicator", "value", "unit"]]
    out.print(_rich_table(ind, f"Transition indicators planned for {inv.year}", digits=3))
    out.print(f"Written to [bold]{_t(target)}[/]")


@app.command()
def decompose(
    base: Annotated[Path, typer.Argument(help="Earlier inventory (CSV or Excel).")],
    later: Annotated[Path, typer.Argument(help="Later inventory (CSV or Excel).")],
    activity_0: Annotated[
        float | None, typer.Option(help="Activity of the earlier state (default: population).")
    ] = None,
    activity_1: Annotated[
        float | None, typer.Option(help="Activity of the later state (default: population).")
    ] = None,
    gwp: Annotated[GWPSet, typer.Option(help="GWP-100 set.")] = GWPSet.AR5,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
) -> None:
    """Explain the change in BASIC emissions between two inventories with the additive LMDI
    method: activity, structure, energy intensity and emission-factor effects (kt CO2e)."""
    from m100model.analysis.monitoring import decompose_inventories

    for name, value in (("--activity-0", activity_0), ("--activity-1", activity_1)):
        if value is not None and not value > 0:
            raise _bad_input(f"{name}: must be positive")
    try:
        inv0 = load_inventory(base, gwp=gwp.value)
        inv1 = load_inventory(later, gwp=gwp.value)
        dec = decompose_inventories(inv0, inv1, activity_0=activity_0, activity_1=activity_1)
    except InputError as exc:
        raise _bad_input(str(exc)) from None
    _print_decomposition(dec, format)


@app.command("decompose-plan")
def decompose_plan(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    from_year: Annotated[
        int | None, typer.Option(help="Earlier year (default: first year).")
    ] = None,
    to_year: Annotated[
        int | None, typer.Option(help="Later year (default: target year or 2030).")
    ] = None,
    against_baseline: Annotated[
        bool, typer.Option(help="Compare the plan with the baseline (no projects) instead.")
    ] = False,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
) -> None:
    """LMDI decomposition of a solved plan: between two years, or (--against-baseline) what
    the projects change against the baseline in one year."""
    from m100model.analysis.monitoring import decompose_pathway

    scn = _load_scenario_or_exit(scenario)
    y1 = (
        to_year
        or scn.target.year
        or (2030 if scn.first_year <= 2030 <= scn.horizon else scn.horizon)
    )
    y0 = y1 if against_baseline else (from_year or scn.first_year)
    for name, y in (("--from-year", y0), ("--to-year", y1)):
        if not scn.first_year <= y <= scn.horizon:
            raise _bad_input(f"{name}: {y} is outside {scn.first_year}-{scn.horizon}")
    with out.status(f"Solving {scn.name} ..."):
        dec = decompose_pathway(_solved(scn, scenario), y0, y1, baseline_0=against_baseline)
    _print_decomposition(dec, format)


def _print_decomposition(dec, format: Format) -> None:
    totals = dec.totals()
    if format is Format.json:
        _echo_json(
            dict(
                base=dec.label_0,
                later=dec.label_1,
                activity_0=dec.activity_0,
                activity_1=dec.activity_1,
                effects_kt={r.effect: round(r.kt, 6) for r in totals.itertuples()},
                by_sector=dec.by_sector().round(6).to_dict("records"),
            )
        )
    elif format is Format.csv:
        typer.echo(dec.rows.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        out.print(
            _rich_table(
                totals.drop(columns=["effect"]),
                f"LMDI: {dec.label_0} -> {dec.label_1} (kt CO2e)",
                digits=3,
            )
        )
        out.print(_rich_table(dec.by_sector(), "By GPC sector (kt CO2e)", digits=3))


class Lang(StrEnum):
    en = "en"
    ro = "ro"


LANG_HELP = (
    "Language of what the trainer reads: en or ro (default: the M100_LANG environment "
    "variable, else English)."
)


def _print_warnings(warnings: list[str]) -> None:
    """The warnings of a cohort's summary on standard error (in the current language)."""
    from m100model.i18n import _

    label = _("warning:")
    for w in warnings:
        err.print(f"[yellow]{label}[/] {_t(w)}", highlight=False, soft_wrap=True)


def _display_table(df, title: str, *, digits: int = 2, max_rows: int = 40) -> Table:
    """A table of the trainer's summary as :func:`_rich_table` draws it, with the numbers
    in the current language's notation (Romanian "1.234,5")."""
    from m100model.i18n import number

    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(_t(col), justify="right" if df[col].dtype.kind in "fi" else "left")
    for row in df.head(max_rows).itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if math.isnan(v) else number(v, f",.{digits}f"))
            else:
                cells.append(_t(v))
        table.add_row(*cells)
    return table


@app.command()
def assess(
    folder: Annotated[
        Path, typer.Argument(help="Folder of participants' submissions (one JSON file each).")
    ],
    module: Annotated[
        str | None, typer.Option(help="Only this module (mrv, mobility, buildings, ...).")
    ] = None,
    format: Annotated[Format, typer.Option(help="Output format.")] = Format.table,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Also write the tables as CSV to this folder.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing output folder.")] = False,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang",
            help=LANG_HELP[:-1] + ": the printed summary's titles, headers, module titles and "
            "warnings. The CSV and JSON columns and ids stay English: they are data.",
        ),
    ] = None,
) -> None:
    """Summarise a cohort's self-assessments (before and after each module): per
    participant, per question and per statement, as in the CPD evaluation framework."""
    from m100model.assessment import collect
    from m100model.i18n import language, use_language

    with use_language(lang.value if lang else None):
        try:
            cohort = collect(folder, modules=[module] if module else None)
        except InputError as exc:
            raise _bad_input(str(exc)) from None
        tables = {
            "by_participant": cohort.by_participant(),
            "by_question": cohort.by_question(),
            "by_statement": cohort.by_statement(),
        }
        if out_dir is not None:
            target = _analysis_out(out_dir, out_dir, force, charts=False)

            def fill(folder_out: Path) -> None:
                for name, df in tables.items():
                    write_csv(folder_out / f"{name}.csv", df)
                write_json(folder_out / "summary.json", cohort.summary())

            _write_analysis(target, force, fill)
        _print_warnings(cohort.warnings)
        if format is Format.json:
            _echo_json(cohort.summary(), default=str)
            return
        if format is Format.csv:
            for name, df in tables.items():
                typer.echo(f"# {name}")
                typer.echo(df.to_csv(index=False, lineterminator="\n"), nl=False)
            return
        out.print(cohort.headline(_t(folder)))
        if language() != "en":
            out.print(_t(cohort.module_titles()))
        for shown in cohort.display_tables():
            out.print(_display_table(shown.table, shown.title, digits=shown.digits, max_rows=500))
        for line in cohort.advice():
            out.print(line)
        if out_dir is not None:
            from m100model.i18n import _

            out.print(_("Written to [bold]{folder}[/]").format(folder=_t(out_dir)))


@app.command()
def certificates(
    folder: Annotated[
        Path, typer.Argument(help="Folder of participants' submissions (one JSON file each).")
    ],
    trainer: Annotated[
        str | None, typer.Option(help="The trainer's name, printed on every certificate.")
    ] = None,
    organisation: Annotated[
        str | None, typer.Option(help="The organisation that ran the course.")
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="Date of issue, YYYY-MM-DD (default: today).")
    ] = None,
    names: Annotated[
        Path | None,
        typer.Option(
            help="CSV or Excel table with columns participant,name: the names to print "
            "(default: the participant codes)."
        ),
    ] = None,
    module: Annotated[
        str | None, typer.Option(help="Only this module (mrv, mobility, buildings, ...).")
    ] = None,
    pass_score: Annotated[
        float,
        typer.Option(help="Share of the quiz after a module to answer right (0.5 = 50%)."),
    ] = 0.5,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write (default: results/certificates)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing output folder.")] = False,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang",
            help=LANG_HELP[:-1] + ": the certificates, index.html (dates as '2 decembrie "
            "2026', the bank's Romanian module titles, CPD = DPC) and the lines printed. The "
            "columns of certificates.csv stay English: they are data.",
        ),
    ] = None,
) -> None:
    """Certificates of completion for a cohort: one printable HTML page per participant who
    completed a module (self-assessment before and after it, and at least --pass-score of
    its quiz right after it), with the module's CPD hours, the date, the trainer and the
    organisation, plus index.html and certificates.csv. A certificate is not a professional
    body's accreditation unless that body has accredited the course."""
    from m100model.i18n import use_language

    with use_language(lang.value if lang else None):
        _certificates(
            folder, trainer, organisation, date, names, module, pass_score, out_dir, force
        )


def _certificates(
    folder: Path,
    trainer: str | None,
    organisation: str | None,
    date: str | None,
    names: Path | None,
    module: str | None,
    pass_score: float,
    out_dir: Path | None,
    force: bool,
) -> None:
    """``m100 certificates`` in the current language."""
    if not 0 < pass_score <= 1:
        raise _bad_input(f"--pass-score: expected a share in (0, 1], got {pass_score:g}")
    from m100model.assessment import collect
    from m100model.certificate import (
        check_date,
        clean_text,
        completions,
        issue,
        read_names,
        write_certificates,
    )
    from m100model.i18n import _, number

    trainer = clean_text(trainer, "--trainer")
    organisation = clean_text(organisation, "--organisation")
    issued = check_date(date) if date is not None else None
    people = read_names(names) if names is not None else {}
    target = _analysis_out(out_dir, Path("results") / "certificates", force, charts=False)
    cohort = collect(folder, modules=[module] if module else None)
    _print_warnings(cohort.warnings)
    certs = issue(
        cohort,
        trainer=trainer,
        organisation=organisation,
        date=issued,
        names=people,
        pass_score=pass_score,
    )
    if not certs:
        raise _bad_input(
            f"{_shown(folder)}: no participant completed a module (self-assessment before and "
            f"after it, at least {pass_score:.0%} of its quiz right after it); nothing written"
        )
    if people:
        nameless = [c.participant for c in certs if c.participant not in people]
        if nameless:
            template = (
                _(
                    "no name in {file} for {codes} and more; their certificates show the "
                    "participant code"
                )
                if len(nameless) > 5
                else _(
                    "no name in {file} for {codes}; their certificates show the participant code"
                )
            )
            _print_warnings([template.format(file=_shown(names), codes=", ".join(nameless[:5]))])
    _write_analysis(target, force, lambda where: write_certificates(where, certs))
    done = completions(cohort, pass_score=pass_score)
    not_done = done[~done["completed"]]
    for r in not_done.itertuples():
        out.print(
            _("not completed: {participant} {module} ({why})").format(
                participant=_t(r.participant), module=_t(r.module), why=_t(r.why_not)
            )
        )
    n = len(certs)
    template = (
        _(
            "{n} certificate written to [bold]{folder}[/] ({completions} module completions, "
            "{hours} CPD hours in all)"
        )
        if n == 1
        else _(
            "{n} certificates written to [bold]{folder}[/] ({completions} module completions, "
            "{hours} CPD hours in all)"
        )
    )
    out.print(
        template.format(
            n=n,
            folder=_t(target),
            completions=sum(len(c.modules) for c in certs),
            hours=number(sum(c.hours for c in certs), "g"),
        )
    )


@app.command("new-city")
def new_city(
    name: Annotated[str, typer.Argument(help="The city's name, e.g. 'Târgu Mureș'.")],
    folder: Annotated[
        Path | None, typer.Option("--folder", help="Folder to write (default: `./<city id>`).")
    ] = None,
    city_id: Annotated[
        str | None,
        typer.Option("--id", help="The city's id (default: from the name, e.g. targu_mures)."),
    ] = None,
    year: Annotated[int, typer.Option(help="The inventory year.")] = 2022,
    target_year: Annotated[int, typer.Option(help="Year of the climate-neutrality target.")] = 2035,
    group: Annotated[
        str, typer.Option(help="eu_mission, m100_mirror or a group of your own.")
    ] = "other",
    force: Annotated[bool, typer.Option(help="Replace an existing folder.")] = False,
) -> None:
    """Start your own city: an activity-data workbook (drop-down lists, a sheet for the city
    details) and CSV, and a starter scenario that points at them."""
    from pydantic import ValidationError

    from m100model.cities import CityDetails
    from m100model.templates import slug, write_city_template

    cid = city_id or slug(name)
    try:
        CityDetails.model_validate(
            dict(
                city_id=cid,
                city=name,
                target_year=target_year,
                population=1,
                population_source="-",
                group=group,
            )
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        option = {"city_id": "--id", "city": "NAME", "target_year": "--target-year"}
        raise _bad_input(f"{option.get(field, '--' + field)}: {pydantic_message(err)}") from None
    if not 1990 <= year <= 2100:
        raise _bad_input(f"--year: expected 1990 to 2100, got {year}")
    target = _normalised(folder or Path(cid))
    if target.exists() and not force:
        raise _bad_input(f"{target} exists; use --force to replace it")
    files: dict = {}

    def fill(where: Path) -> None:
        made = write_city_template(
            where, cid, name, year=year, target_year=target_year, group=group
        )
        files.update({k: target / p.name for k, p in made.items()})

    write_results_dir(check_writable(target), fill, force=force)
    out.print(f"Written to [bold]{_t(target)}[/] for {_t(name)} (id {cid}):")
    out.print(
        f"  {_t(files['workbook'])}: your inventory (sheet 'activity', one NE row per BASIC "
        "sub-sector to replace with data) and the city details (sheet 'city')"
    )
    out.print(f"  {_t(files['activity_csv'])}, {_t(files['city_csv'])}: the same as CSV")
    out.print(f"  {_t(files['scenario'])}: a starter scenario that points at the workbook")
    out.print("Next: fill in the workbook, then")
    out.print(f"  m100 inventory {_t(files['workbook'])}")
    out.print(f"  m100 run {_t(files['scenario'])}")


if __name__ == "__main__":  # pragma: no cover
    app()
