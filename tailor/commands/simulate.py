"""`tailor simulate` — step an account through the 1999–2021 price history under a policy.

    tailor simulate SPEC --out DIR [--resume] [--steps N]

SPEC is a simulation spec (YAML; docs/simulate.md): start, end, cadence, the starting account, the
policy, cash flows, tax and cost settings, the fast path. DIR receives periods.csv/.parquet,
trades.csv/.parquet, events.csv, years.csv and simulation.json (timings.json holds the run's
timings, the only file that depends on the machine). A run that stops early — a day without a plan
under `on_infeasible: stop`, or an error — still writes everything it computed and a checkpoint;
`--resume` continues it. Exit 0 when the run completes (or pauses after --steps), 1 when it stops,
3 when it stopped on an internal error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from core.diagnostics import TailorError, error

if TYPE_CHECKING:
    from rich.console import Console

    from engine.records import SimulationResult


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("simulate", help="simulate an account through the price history",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("spec", metavar="SPEC", help="simulation spec (YAML, see docs/simulate.md)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the tables and simulation.json")
    parser.add_argument("--resume", action="store_true", help="continue the unfinished run saved in DIR")
    parser.add_argument("--steps", type=int, metavar="N", help="pause after N steps (continue with --resume)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> Path:
    from tailor.commands.rebalance import check_out_dir

    out = check_out_dir(args.out)
    if args.steps is not None and args.steps < 1:
        raise TailorError(error("M103", f"--steps {args.steps}: give a positive number of steps"))
    if not args.resume and (out / "checkpoint.json").is_file():
        raise TailorError(error("M121", f"{out} holds an unfinished simulation (checkpoint.json)", None,
                                "continue it with --resume, or choose another folder (or remove the "
                                "checkpoint) to start over"))
    return out


def _summary(result: SimulationResult, console: Console) -> None:
    from rich.table import Table

    from solver.tax import money_text

    table = Table(title=f"{result.account_id} under {result.policy_name}: {result.status}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    s = result.summary
    done = f"{len(result.periods):,} of {result.steps_planned:,}"
    table.add_row("steps", done)
    if s is not None:
        table.add_row("solved / skipped / no plan", f"{s.solved:,} / {s.skipped:,} / {s.without_plan:,}")
        table.add_row("value", f"{money_text(s.start_value)} → {money_text(s.end_value)}")
        table.add_row("deposits / withdrawals", f"{money_text(s.deposits)} / {money_text(s.withdrawals)}")
        table.add_row("return (index)", f"{s.total_return:.2%} ({s.index_total_return:.2%})")
        table.add_row("annualised (index)", f"{s.annualised_return:.2%} ({s.annualised_index_return:.2%})")
        table.add_row("tracking difference / realized TE", f"{s.annualised_tracking_difference:+.2%} / "
                      f"{s.realized_tracking_error:.2%}")
        table.add_row("realized short / long",
                      f"{money_text(s.realized_short_term)} / {money_text(s.realized_long_term)}")
        table.add_row("losses harvested", money_text(s.harvested))
        table.add_row("dividends / costs", f"{money_text(s.dividends)} / {money_text(s.costs)}")
        table.add_row("tax accrued / paid from cash", f"{money_text(s.tax)} / {money_text(s.tax_paid)}")
    skipped = ", ".join(f"{name} {count:,}" for name, count in result.screens.items())
    table.add_row("screens (steps each did not pass)", skipped or "-")
    table.add_row("seconds", f"{result.timings.get('total', 0):.1f}")
    console.print(table)
    for trouble in result.troubles[:10]:
        why = f" — {trouble.explanation}" if trouble.explanation else ""
        console.print(f"[yellow]{trouble.date} (step {trouble.step}) {trouble.code}[/yellow] "
                      f"{trouble.message}{why} [{trouble.action}]")
    if len(result.troubles) > 10:
        console.print(f"… and {len(result.troubles) - 10} more days without a plan "
                      "(simulation.json lists all)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from engine.run import Progress as Step
    from engine.run import simulate
    from engine.spec_yaml import load_spec

    out = _check(args)
    spec = load_spec(args.spec)
    console = Console(stderr=True)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                   console=console, disable=args.quiet)
    counts: dict[str, int] = {}
    with bar:
        task = bar.add_task("preparing", total=None, status="")

        def advance(step: Step) -> None:
            counts[step.status] = counts.get(step.status, 0) + 1
            bar.update(task, completed=step.done, total=step.total, description=str(step.day),
                       status=" ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        result = simulate(spec, out=out, resume=args.resume, max_steps=args.steps, progress=advance)
    printer = Console()
    _summary(result, printer)
    printer.print(f"wrote {out}/ (periods, trades, events, years, simulation.json)")
    if result.status != "stopped":
        return 0
    last = result.troubles[-1]
    if last.code == "M140":
        printer.print(f"stopped on {last.date}: {last.message}; the steps before it are written")
        return 3
    why = f"{last.explanation} " if last.explanation else ""
    raise TailorError(error(last.code, f"the simulation stopped on {last.date} (step {last.step}): "
                            f"{last.message}", None, f"{why}{len(result.periods)} steps are written to {out} "
                            "with a checkpoint (`--resume` continues from it)"))
