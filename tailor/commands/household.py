"""`tailor household` — rebalance a household (household.yaml, docs/households.md).

    tailor household examples/households/smith/household.yaml --mode household|sleeves [--out DIR]
                     [--time-limit 60] [--gap 0.001]

`--mode household` rebalances every account in one model under the household policy: one target, tax
paid only where a sale realizes it, each account paying for its own buys, no wash sale across
accounts (engine/household_plan.py); with --out, DIR/result.json and DIR/trades.csv (each trade
naming its account) beside DIR/household.json and household.csv. `--mode sleeves` rebalances each
tradable account on its own toward the household target (the sleeve baseline), then judges the
household as one: the combined tracking error, the tax with every cross-account wash sale counted,
the turnover and the losses those wash sales disallow or lose for good; with --out,
DIR/<account>/result.json and trades.csv for each account with a verified plan, then household.json
(schema tailor.household/1) and household.csv. Each folder is replaced as one unit. Exit 1 when there
is no verified plan (result.json records why).
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

from core.diagnostics import Diagnostic, TailorError, error, render
from tailor.api.outputs import check_out_dir, commit, failed_result_json, failure

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from engine.household import SleeveRun
    from engine.household_summary import HouseholdSummary
    from engine.rebalance import RebalanceOptions
    from solver.household import Household
    from solver.market import Market
    from tailor.decision_log.store import DecisionLog

MODES = ("sleeves", "household")


def register(subparsers: argparse._SubParsersAction) -> None:
    from tailor.commands.rebalance import DECISION_LOG_HELP, add_solve_options

    parser = subparsers.add_parser("household", help="rebalance a household of accounts",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("household", metavar="PATH", help="household.yaml (docs/households.md)")
    parser.add_argument("--mode", required=True, choices=MODES,
                        help="sleeves: each account on its own toward the household target; household: one "
                        "model for every account under the household policy")
    parser.add_argument("--out", metavar="DIR", help="write each account's results and household.json here")
    add_solve_options(parser, each=" per account")
    parser.add_argument("--decision-log", metavar="URL", help=DECISION_LOG_HELP)
    parser.add_argument("--explain", action="store_true",
                        help="household mode: why each trade, and why each overweight lot was kept "
                        "(naming the accounts a wash sale across accounts involves); with --out, "
                        "explanation.json too")
    parser.set_defaults(run=run)


KIND_LABELS = {"taxable": "taxable", "traditional_ira": "trad. IRA", "roth": "Roth", "held_away": "held away"}


def _dollars(amount: Decimal) -> str:
    """Whole dollars for the table (household.json and household.csv keep the cents)."""
    return f"${amount:,.0f}".replace("$-", "-$")


def _change(before: float, after: float) -> str:
    return f"{before * 100:.2f}→{after:.2%}"


def render_household(summary: HouseholdSummary, console: Console) -> None:
    from rich import box
    from rich.table import Table

    table = Table(title=f"Household {summary.household_id} as of {summary.as_of}: {summary.mode}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    # Narrow enough for 80 columns: TE is the tracking error against the household target, before →
    # after; sold, the turnover (value sold over value); trades, sells/buys.
    for column in ("account", "type", "value", "tax", "TE", "sold", "trades"):
        table.add_column(column, no_wrap=True, justify="left" if column in ("account", "type") else "right")
    for line in summary.accounts:
        te = _change(line.tracking_error_before, line.tracking_error_after)
        table.add_row(line.name, KIND_LABELS[line.kind], _dollars(line.value_before),
                      _dollars(line.estimated_tax), te, f"{line.turnover:.1%}", f"{line.sells}/{line.buys}")
    tax = summary.household_tax
    table.add_row("household", "", _dollars(summary.value_before), _dollars(tax.tax),
                  _change(summary.tracking_error_before, summary.tracking_error_after),
                  f"{summary.turnover:.1%}", "", style="bold")
    console.print(table)
    plans = ", ".join(f"{line.name} {line.status}" for line in summary.accounts if line.status is not None)
    console.print(f"TE: tracking error against the household target; sold: turnover; trades: sells/buys. "
                  f"Policy {summary.policy_name}; plans: {plans}"
                  + ("" if summary.complete else " [red](an account has no verified plan)[/red]"))
    planned = summary.as_planned
    console.print(f"tax with every wash sale of the household: {_dollars(tax.tax)} this year, "
                  f"{_dollars(tax.carried_forward)} of loss carried forward (worth "
                  f"{_dollars(tax.carried_value)}); the accounts' plans claim {_dollars(planned.tax)} and "
                  f"{_dollars(planned.carried_forward)} (worth {_dollars(planned.carried_value)})")
    console.print(f"wash sales across accounts: {len(summary.wash_sales)} matches, "
                  f"{_dollars(summary.loss_disallowed_across_accounts)} of loss disallowed, "
                  f"{_dollars(summary.loss_lost_for_good)} of it lost for good (replacements in an IRA or "
                  "a Roth)")


def _write(folder: Path, run: SleeveRun, problems: dict[str, list[Diagnostic]], console: Console) -> None:
    """Each account's folder first, then the household's files: household.json names what is there."""
    from solver.outputs import trades_csv

    for sleeve in run.sleeves:
        result = sleeve.result
        if result is None:
            continue
        found = problems.get(sleeve.member.name, [])
        files = ({"trades.csv": None, "result.json": failed_result_json(result, found, {})} if found
                 else {"trades.csv": trades_csv(result), "result.json": result.to_json()})
        commit(folder / sleeve.member.name, files)
    summary = run.summary
    for path in commit(folder, {"household.csv": summary.to_csv(), "household.json": summary.to_json()}):
        console.print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.household import run_sleeves
    from engine.rebalance import RebalanceOptions
    from solver.household_files import load_household
    from solver.market import Market
    from tailor.decision_log.record import record_decisions
    from tailor.decision_log.store import DecisionLog

    if args.time_limit <= 0 or not 0 <= args.gap < 1:
        raise TailorError(error("A112", "--time-limit must be positive and --gap in [0, 1)"))
    out = check_out_dir(args.out) if args.out else None
    log = DecisionLog(args.decision_log)  # a log that cannot be written stops the run before the solve
    household = load_household(args.household)
    market = Market.load(household.as_of)
    for note in market.notes():
        print(render(note), file=sys.stderr)
    options = RebalanceOptions(time_limit=args.time_limit, mip_gap=args.gap, log=args.log)
    if args.mode == "household":
        return _one_model(household, market, options, out, args, log)
    if args.explain:
        raise TailorError(error("A144", "--explain is for --mode household: the sleeves are explained one "
                                "account at a time", None, "run `tailor explain` on an account, or use "
                                "--mode household --explain"))
    sleeves = run_sleeves(household, market, options)
    problems = {s.member.name: failure(s.result, s.member.account, s.policy, args.time_limit)
                for s in sleeves.sleeves if s.result is not None and s.policy is not None}
    record_decisions(log, "household", vars(args), [
        (s.result, problems[s.member.name], s.member.account.source)
        for s in sleeves.sleeves if s.result is not None and s.policy is not None], options)
    console = Console()
    render_household(sleeves.summary, console)
    if out is not None:
        _write(out, sleeves, problems, console)
    found = [d for diagnostics in problems.values() for d in diagnostics]
    if found:
        raise TailorError(found)
    return 0


def _one_model(household: Household, market: Market, options: RebalanceOptions, out: Path | None,
               args: argparse.Namespace, log: DecisionLog) -> int:
    """`--mode household`: one model for every account; its result.json and trades.csv (each trade
    naming its account) and the household's figures beside them; one decision in the log."""
    from rich.console import Console

    from engine.explain import explain
    from engine.explain.render import print_rich
    from engine.household_plan import plan_household
    from solver.outputs import render_summary, trades_csv
    from tailor.decision_log.record import record_decisions

    found = plan_household(household, market, options)
    result = found.plan.result
    problems = failure(result, found.plan.model.data.account, found.policy, args.time_limit,
                       explained_by="`tailor household … --mode household --explain`")
    record_decisions(log, "household", vars(args), [(result, problems, household.source)], options)
    console = Console()
    render_summary(result, console)
    if found.summary is not None:
        render_household(found.summary, console)
    explanation = explain(found.plan, found.policy) if args.explain else None
    if explanation is not None:
        print_rich(explanation, console)
    if out is not None:
        files: dict[str, str | None] = {"trades.csv": None, "household.csv": None, "household.json": None,
                                        "result.json": failed_result_json(result, problems, {})} if problems \
            else {"trades.csv": trades_csv(result), "household.csv": found.summary.to_csv(),
                  "household.json": found.summary.to_json(), "result.json": result.to_json()}
        if explanation is not None:
            files = {"explanation.json": explanation.to_json(), **files}
        for path in commit(out, files):
            console.print(f"wrote {path}")
    if problems:
        raise TailorError(problems)
    return 0
