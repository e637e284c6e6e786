"""`tailor transition` — a transition analysis: ways of moving a legacy account to its target, side by
side, simulated through the price history (docs/transition.md).

    tailor transition --account ACCOUNT --out DIR [--start DATE] [--years N] [--cadence annual]
                      [--policy BASE] [--no-immediate] [--over N]... [--tax-budget $X]...
                      [--scenario NAME=POLICY]... [--tracking-weight W] [--legacy-names K] [--quiet]

Generated scenarios (immediate, over 3 and 5 years by default, a tax budget per `--tax-budget`) are
BASE (default: tailor's defaults without credit for harvested losses) with its transition rule
replaced and its tracking weight set to W (20: move about as fast as the transition rule allows);
each `--scenario` is compared as written. The account is replayed from --start (default: its own
date) for --years (default 5). DIR receives
transition.html, summary.csv, years.csv, steps.csv and start/ (the replayed account).
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from core.diagnostics import TailorError, error

if TYPE_CHECKING:
    from engine.transition import TransitionRequest

CADENCES = ("daily", "weekly", "monthly", "quarterly", "annual")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("transition", description=__doc__.splitlines()[0],
                                   help="compare ways of moving a legacy account to its target")
    parser.add_argument("--account", required=True, metavar="ACCOUNT",
                        help="account.yaml of the legacy account")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the HTML report and the CSV")
    parser.add_argument("--start", metavar="DATE", help="the day the transitions start (default: the "
                        "account's as_of); the account is replayed from its lots held that day")
    parser.add_argument("--years", default="5", metavar="N", help="years simulated (default 5)")
    parser.add_argument("--cadence", default="annual", metavar="CADENCE",
                        help="rebalance cadence: " + ", ".join(CADENCES) + " (default annual)")
    parser.add_argument("--policy", metavar="BASE", help="policy the generated scenarios start from "
                        "(default: tailor's defaults, target sp500, no credit for harvested losses)")
    parser.add_argument("--no-immediate", action="store_true", help="leave out the immediate scenario")
    parser.add_argument("--over", action="append", metavar="N", help="a scenario over N years (repeat; "
                        "default 3 and 5)")
    parser.add_argument("--tax-budget", action="append", metavar="$X", help="a scenario within a tax budget "
                        "of $X per year (repeat)")
    parser.add_argument("--scenario", action="append", metavar="NAME=POLICY", help="a policy file compared "
                        "as written, under NAME (repeat)")
    parser.add_argument("--tracking-weight", default="20", metavar="W", help="tracking weight of the "
                        "generated scenarios (default 20); `base` keeps the base policy's")
    parser.add_argument("--legacy-names", default="8", metavar="K", help="legacy names drawn in the weights "
                        "chart (default 8)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(run=run)


def _whole(text: str, option: str, low: int, high: int) -> int:
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise TailorError(error("M152", f"{option} {text!r}: give a whole number from {low} to {high}"))
    return int(text)


def _money(text: str) -> Decimal:
    from core.diagnostics import Span
    from policy_lang.ast import Unit
    from policy_lang.quantities import parse_quantity

    try:
        quantity = parse_quantity(text if text.lstrip().startswith("$") else f"${text.strip()}",
                                  Span.point("--tax-budget", 1, 1, 1))
    except TailorError:
        quantity = None
    if quantity is None or quantity.unit is not Unit.USD or quantity.value <= 0:
        raise TailorError(error("M152", f"--tax-budget {text!r}: give a positive amount of dollars",
                                hint="e.g. --tax-budget 25000 or --tax-budget '$25k'"))
    return quantity.value.quantize(Decimal("0.01"))


def _scenario(text: str, taken: set[str]) -> tuple[str, str]:
    name, _, path = text.partition("=")
    name, path = name.strip(), path.strip()
    if not name or not path:
        raise TailorError(error("M152", f"--scenario {text!r}: write NAME=POLICY",
                                hint="e.g. --scenario \"advisor=policies/clients/legacy_three_year.tailor\""))
    if name in taken:
        raise TailorError(error("M152", f"--scenario {text!r}: a scenario is already called {name!r}",
                                hint="give each scenario its own name"))
    if not Path(path).is_file():
        raise TailorError(error("M101", f"--scenario {name}: policy file {path} not found",
                                hint="give the path of a .tailor or .yaml policy"))
    taken.add(name)
    return name, path


def request_from(args: argparse.Namespace) -> TransitionRequest:
    """Every option checked and turned into the request, before anything is simulated."""
    from engine.transition import TransitionRequest
    from tailor.commands.rebalance import parse_as_of

    if args.cadence not in CADENCES:
        from core.suggest import did_you_mean

        raise TailorError(error("M152", f"--cadence {args.cadence!r} is not a cadence",
                                hint=did_you_mean(args.cadence, CADENCES) or "use one of: "
                                + ", ".join(CADENCES)))
    if args.policy is not None and not Path(args.policy).is_file():
        raise TailorError(error("M101", f"--policy: policy file {args.policy} not found"))
    start = parse_as_of(args.start) if args.start is not None else None
    over = tuple(dict.fromkeys(_whole(n, "--over", 1, 30) for n in args.over)) if args.over else (3, 5)
    budgets = tuple(dict.fromkeys(_money(x) for x in args.tax_budget or ()))
    taken = {"immediate", *(f"over {n} years" for n in over)}
    policies = tuple(_scenario(text, taken) for text in args.scenario or ())
    weight = None if args.tracking_weight.strip() == "base" else _weight(args.tracking_weight)
    scenarios = (not args.no_immediate) + len(over) + len(budgets) + len(policies)
    if scenarios == 0:
        raise TailorError(error("M152", "--no-immediate with no other scenario leaves nothing to compare",
                                hint="add --over N, --tax-budget $X or --scenario NAME=POLICY"))
    return TransitionRequest(account=args.account, start=start, years=_whole(args.years, "--years", 1, 21),
                             cadence=args.cadence, policy=args.policy, immediate=not args.no_immediate,
                             over=over, tax_budgets=budgets, policies=policies, tracking_weight=weight,
                             legacy_names=_whole(args.legacy_names, "--legacy-names", 1, 30))


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 10_000:
        raise TailorError(error("M152", f"--tracking-weight {text!r}: give a number above 0 and at most "
                                "10000, or `base`"))
    return value


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.run import Progress
    from engine.transition import transition_report
    from engine.transition_output import summary_rows, write_report
    from solver.tax import money_text
    from tailor.commands.rebalance import check_out_dir

    out = check_out_dir(args.out)
    request = request_from(args)
    console = Console(stderr=True, quiet=args.quiet)

    def seen(name: str, step: Progress) -> None:
        console.print(f"{name}: {step.day} ({step.done}/{step.total}) {step.status}", highlight=False)
    report = transition_report(request, folder=out, progress=seen)
    write_report(report, out)
    printer = Console()
    printer.print(f"{report.account_id} from {report.start} to {report.end}, worth "
                  f"{money_text(report.start_value)}; selling it all on {report.start}: tax "
                  f"{money_text(report.liquidation_tax)}", highlight=False)
    for row in summary_rows(report):
        printer.print(f"  {row[0]}: tax {money_text(row[2])} ({float(row[3]):.2%}), tracking error "
                      f"{float(row[5] or 0):.2%}, legacy lots left {float(row[6] or 0):.1%}", highlight=False)
    for note in report.notes:
        printer.print(f"[yellow]{note}[/yellow]")
    printer.print(f"wrote {out}/transition.html, summary.csv, years.csv, steps.csv ({report.seconds:.0f} s)")
    return 0
