"""`tailor rebalance` — rebalance one account under a policy: verified lot-level trades.

    tailor rebalance --policy policies/clients/faith_esg_family.tailor
                     --account examples/accounts/index_2012/account.yaml
                     [--as-of 2021-04-21] [--market SNAPSHOT] [--target model.csv] [--out out/esg]
                     [--time-limit 60] [--gap 0.001]

The as-of date is the account's `as_of` or --as-of; never a default (A113 when neither is given,
A114 when they differ). --market prices the account from the caller's market snapshot (a folder
with snapshot.yaml, docs/data.md) instead of the bundled history: the date is then the snapshot's,
and the account's `as_of` and --as-of must agree with it (D115).
--target (or `target:` in account.yaml) replaces the policy's benchmark with
the account's own model. Prints a summary table. With --out, writes DIR/trades.csv and
DIR/result.json (schema tailor.result/1); --out is checked before anything is solved (A118). Trades
that fail the independent verifier are never written: the command prints why and exits 1. Exit 1
also when no trades satisfy the policy or none were found in time; with --out, result.json then
records the status, the diagnostics and the timings, and no trades.csv is left in DIR.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import TYPE_CHECKING

from core.diagnostics import TailorError, error, render
from tailor.api.outputs import check_out_dir, commit, failed_result_json, failure

if TYPE_CHECKING:
    from compiler.ir import CompiledPolicy
    from solver.account import Account
    from solver.market import Market
    from solver.result import RebalanceResult

AS_OF_HELP = ("trade date, YYYY-MM-DD; default: the account's `as_of` (one of the two is required; "
              "given both, they must agree)")
MARKET_HELP = ("a market snapshot (folder with snapshot.yaml: prices on its as_of date, optional index "
               "weights and securities; docs/data.md) to price the account instead of the bundled "
               "1999-2021 history")
DECISION_LOG_HELP = ("where the decision is recorded: a database URL (sqlite:///…, postgresql+psycopg://…) "
                     "or a SQLite file; default $TAILOR_DECISION_LOG, else "
                     "~/.local/share/tailor/decisions.db")
TARGET_HELP = ("the account's target model, a ticker,weight CSV: replaces the policy's benchmark (tilts "
               "still apply; refused by a locked target rule); default: account.yaml's `target`")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rebalance", help="rebalance an account under a policy",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--policy", required=True, metavar="P", help="policy file (.tailor or .yaml)")
    parser.add_argument("--account", required=True, metavar="A", help="account.yaml (see docs/solver.md)")
    parser.add_argument("--as-of", metavar="DATE", help=AS_OF_HELP)
    parser.add_argument("--market", metavar="SNAPSHOT", help=MARKET_HELP)
    parser.add_argument("--target", metavar="FILE", help=TARGET_HELP)
    parser.add_argument("--out", metavar="DIR", help="write trades.csv and result.json here")
    add_solve_options(parser)
    parser.add_argument("--decision-log", metavar="URL", help=DECISION_LOG_HELP)
    parser.set_defaults(run=run)


def add_solve_options(parser: argparse.ArgumentParser, *, each: str = "", highs_log: bool = True) -> None:
    """The search's settings every command that solves takes: --time-limit and --gap (`each`: " per
    account" for commands of several), and --log."""
    from solver.defaults import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT

    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                        help=f"solver time limit{each} in seconds (default {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--gap", type=float, default=DEFAULT_MIP_GAP, metavar="G",
                        help=f"relative MIP gap to prove{each} (default {DEFAULT_MIP_GAP:g} = 0.1%%)")
    if highs_log:
        parser.add_argument("--log", action="store_true", help="show the HiGHS log")


# ---- inputs shared by the commands that take an account (rebalance, explain) ------------------------
def parse_as_of(text: str | None) -> date | None:
    """--as-of as a date (None when not given); anything but YYYY-MM-DD is A111."""
    from core.dates import parse_date

    if text is None:
        return None
    found = parse_date(text)
    if found is None:
        raise TailorError(error("A111", f"--as-of: {text!r} is not a date",
                                hint="write YYYY-MM-DD, e.g. --as-of 2021-04-21"))
    return found


def check_options(args: argparse.Namespace) -> None:
    if args.time_limit <= 0 or not 0 <= args.gap < 1:
        raise TailorError(error("A112", "--time-limit must be positive and --gap in [0, 1)"))


def load_inputs(args: argparse.Namespace,
                timings: dict[str, float]) -> tuple[CompiledPolicy, Account, Market]:
    """Policy, account (with --target) and the market on the account's date (--as-of or `as_of`), or
    the market snapshot's (--market): its securities join the master the policy is checked against."""
    from compiler.check import compile_policy
    from compiler.inputs import check_account
    from market.snapshot import load_snapshot
    from solver.account_files import load_account
    from solver.market import Market
    from solver.snapshot_checks import resolve_snapshot_as_of
    from tailor.api.inputs import bundled_market

    given = parse_as_of(args.as_of)
    started = time.perf_counter()
    snapshot = load_snapshot(args.market) if args.market else None  # its problems before any solve
    reading = time.perf_counter() - started
    started = time.perf_counter()
    policy = compile_policy(args.policy, master=snapshot.master if snapshot else None)
    timings["policy"] = time.perf_counter() - started
    started = time.perf_counter() - reading  # the snapshot's reading counts as data loading
    account = load_account(args.account, target=args.target)
    check_account(policy, account)  # A117, A132, A133 now, not after the market has loaded
    if snapshot is not None:
        resolve_snapshot_as_of(account, snapshot, given)  # D115 before the risk model is loaded
        market = Market.from_snapshot(snapshot)
    else:
        market = bundled_market(account, given)
    timings["data"] = time.perf_counter() - started
    for note in market.notes():  # a weekend's close (D109), a risk model older than the prices (D117)
        print(render(note), file=sys.stderr)
    return policy, account, market


def with_timings(result: RebalanceResult, timings: dict[str, float]) -> RebalanceResult:
    """The result with the command's stage timings (policy and data loading, then the engine's)."""
    if "timings" not in type(result).model_fields:  # a result without the field: failed runs add it
        return result
    return result.model_copy(update={"timings": {k: round(v, 3) for k, v in timings.items()}})


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.rebalance import RebalanceOptions, plan
    from solver.outputs import render_summary, trades_csv
    from tailor.decision_log.record import record_command
    from tailor.decision_log.store import DecisionLog

    check_options(args)
    out = check_out_dir(args.out) if args.out else None
    log = DecisionLog(args.decision_log)  # a log that cannot be written stops the run before the solve
    timings: dict[str, float] = {}
    policy, account, market = load_inputs(args, timings)
    options = RebalanceOptions(time_limit=args.time_limit, mip_gap=args.gap, log=args.log)
    outcome = plan(account, policy, market, options)
    timings.update(outcome.timings)
    result = with_timings(outcome.result, timings)
    console = Console()
    render_summary(result, console, timings)
    problems = failure(result, account, policy, args.time_limit)
    record_command(log, "rebalance", vars(args), result, problems, options)
    if out is not None:
        files = ({"trades.csv": None, "result.json": failed_result_json(result, problems, timings)}
                 if problems else {"trades.csv": trades_csv(result), "result.json": result.to_json()})
        for path in commit(out, files):
            console.print(f"wrote {path}")
    if problems:
        raise TailorError(problems)
    return 0
