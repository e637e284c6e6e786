"""`tailor explain` — why each trade, what each rule costs, and which rules conflict.

    tailor explain --policy policies/clients/gift_appreciated.tailor \\
                   --account examples/accounts/index_2012/account.yaml [--as-of 2021-04-21]
                   [--market SNAPSHOT] [--target model.csv] [--format text|json] [--relax] [--out DIR]

Rebalances like `tailor rebalance`, then explains the plan from the model: the rules and objective
terms behind every trade, overweight lots kept and why, each rule's binding status and price. When
no trades satisfy the policy, names the smallest set of rules that cannot hold together and how much
each must give; `--relax` then also shows the nearest feasible plan (and writes it with --out).
JSON output follows the schema `tailor.explanation/1`. Exit 0 when the plan was explained. The
as-of date, the market snapshot, the account's target and --out are taken and checked as by
`tailor rebalance`. --time-limit bounds the rebalance, then the conflict search (and `--relax`'s
nearest plan) each again: its work limits decide, and what the clock cuts short says "undecided".
"""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    from tailor.commands.rebalance import (
        AS_OF_HELP,
        DECISION_LOG_HELP,
        MARKET_HELP,
        TARGET_HELP,
        add_solve_options,
    )

    parser = subparsers.add_parser(
        "explain",
        help="explain a rebalance: reasons, rule prices, conflicts",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--policy", required=True, metavar="P", help="policy file (.tailor or .yaml)")
    parser.add_argument("--account", required=True, metavar="A", help="account.yaml")
    parser.add_argument("--as-of", metavar="DATE", help=AS_OF_HELP)
    parser.add_argument("--market", metavar="SNAPSHOT", help=MARKET_HELP)
    parser.add_argument("--target", metavar="FILE", help=TARGET_HELP)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="rich tables (text, default) or JSON (schema tailor.explanation/1)",
    )
    parser.add_argument(
        "--relax",
        action="store_true",
        help="when the policy cannot be met, also show the nearest feasible plan",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write explanation.json here (and, with --relax, the relaxed trades.csv and result.json)",
    )
    add_solve_options(parser, highs_log=False)
    parser.add_argument("--decision-log", metavar="URL", help=DECISION_LOG_HELP)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.explain import explain, relaxed_plan
    from engine.explain.render import print_rich
    from engine.rebalance import RebalanceOptions, plan
    from solver.outputs import render_summary, trades_csv, write_atomic
    from tailor.commands.rebalance import check_options, check_out_dir, commit, failure, load_inputs
    from tailor.decision_log.record import record_command
    from tailor.decision_log.store import DecisionLog

    check_options(args)
    out = check_out_dir(args.out) if args.out else None  # before the solve: a typo costs nothing
    log = DecisionLog(args.decision_log)
    policy, account, market = load_inputs(args, {})
    options = RebalanceOptions(time_limit=args.time_limit, mip_gap=args.gap)
    solved = plan(account, policy, market, options)
    record_command(log, "explain", vars(args), solved.result,
                   failure(solved.result, account, policy, args.time_limit), options)
    # The explanation's own clock, behind its work limits: --time-limit again, from here.
    explanation = explain(solved, policy, time.perf_counter() + args.time_limit)
    console = Console(file=sys.stdout)
    if args.format == "json":
        sys.stdout.write(explanation.to_json())
    else:
        print_rich(explanation, console)
    if out is not None:
        write_atomic(out / "explanation.json", explanation.to_json())
    if args.relax and explanation.conflict is not None:
        relaxed = relaxed_plan(solved, policy, time.perf_counter() + args.time_limit)
        if relaxed is None:  # never an unverified plan in its place
            console.print("No nearest plan: none was found that the verifier confirms keeps every rule "
                          "but the conflicting ones. Change one of the rules named above.")
            return 0
        if args.format == "text":
            console.print("[bold]Nearest feasible plan[/bold]: verified against every rule except "
                          f"{', '.join(relaxed.verified_except)}, which it gives up:")
            render_summary(relaxed, console)
            for v in relaxed.violations:
                console.print(f"  gives up {v.rule_id}: {v.message}")
        if out is not None:
            commit(out, {"trades.csv": trades_csv(relaxed), "result.json": relaxed.to_json()})
    return 0
