"""`tailor rebalance` — rebalance one account under a policy: verified lot-level trades.

    tailor rebalance --policy policies/clients/faith_esg_family.tailor
                     --account examples/accounts/index_2012/account.yaml
                     [--as-of 2021-04-21] [--out out/esg] [--time-limit 60] [--gap 0.001]

Prints a summary table. With --out, writes DIR/trades.csv and DIR/result.json (schema
tailor.result/1), atomically. Trades that fail the independent verifier are never written: the
command prints why and exits 1. Exit 1 also when no trades satisfy the policy.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from policy_lang.diagnostics import Diagnostic, TailorError, error

DEFAULT_AS_OF = "2021-04-21"


def register(subparsers: argparse._SubParsersAction) -> None:
    from solver.solve import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT

    parser = subparsers.add_parser("rebalance", help="rebalance an account under a policy",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--policy", required=True, metavar="P", help="policy file (.tailor or .yaml)")
    parser.add_argument("--account", required=True, metavar="A", help="account.yaml (see docs/solver.md)")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, metavar="DATE",
                        help=f"trade date, YYYY-MM-DD (default {DEFAULT_AS_OF}, the last day of price data)")
    parser.add_argument("--out", metavar="DIR", help="write trades.csv and result.json here")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                        help=f"solver time limit in seconds (default {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--gap", type=float, default=DEFAULT_MIP_GAP, metavar="G",
                        help=f"relative MIP gap to prove (default {DEFAULT_MIP_GAP:g} = 0.1%%)")
    parser.add_argument("--log", action="store_true", help="show the HiGHS log")
    parser.set_defaults(run=run)


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TailorError(error("A111", f"--as-of: {text!r} is not a date",
                                hint="write YYYY-MM-DD")) from None


def _refusal(result: object) -> list[Diagnostic]:
    return [error(v.code, f"trade check failed: {v.message}" + (f" (rule {v.rule_id})" if v.rule_id else ""),
                  v.span, "the trades were not written; please report this as a bug")
            for v in result.violations]


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from compiler.check import compile_policy
    from solver.account_files import load_account
    from solver.market import Market
    from solver.outputs import render_summary, write_result
    from solver.rebalance import RebalanceOptions, plan

    if args.time_limit <= 0 or not 0 <= args.gap < 1:
        raise TailorError(error("A112", "--time-limit must be positive and --gap in [0, 1)"))
    as_of = _as_of(args.as_of)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    policy = compile_policy(args.policy)
    timings["policy"] = time.perf_counter() - started
    started = time.perf_counter()
    account = load_account(args.account)
    market = Market.load(as_of)
    timings["data"] = time.perf_counter() - started
    outcome = plan(account, policy, market, RebalanceOptions(time_limit=args.time_limit, mip_gap=args.gap,
                                                             log=args.log))
    timings.update(outcome.timings)
    result = outcome.result
    console = Console()
    render_summary(result, console, timings)
    if result.summary is None and result.solve.status == "time_limit":
        raise TailorError(error("S102", f"no plan found for {account.account_id} within the time limit of "
                                f"{args.time_limit:g} s (policy {', '.join(policy.sources)})", None,
                                "raise --time-limit, or relax the rules that need binaries (minimum trade, "
                                "whole shares, position limits)"))
    if result.summary is None:
        raise TailorError(error("S101", f"no trades satisfy the policy {', '.join(policy.sources)} "
                                f"for {account.account_id} (solver status: {result.solve.status})", None,
                                "`tailor explain` with the same arguments names the rules that conflict "
                                "and how far each must give"))
    if not result.verified:
        raise TailorError(_refusal(result))
    if args.out:
        for path in write_result(result, Path(args.out)):
            console.print(f"wrote {path}")
    return 0
