"""Explanation overhead against the plain solve, and elastic-mode time on infeasible policies.

    .venv/bin/python benchmarks/bench_explain.py [--repeat 3]

Feasible cases: the S&P 500 benchmark account (2,000 lots) under shipped client policies — time of
`plan` (build, hand-off, solve, verify) against `explain` split into its parts: the fixed-integer LP
(fork of the solved HiGHS model + re-solve with duals), the reasons for every trade and kept lot,
and the rule prices (one warm re-solve per binding rule). Infeasible cases: elastic mode — the
conflict search (deletion filter, several conflicts) plus per-rule relaxations and the weighted
nearest plan. Medians of `--repeat` runs; prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from pathlib import Path

from compiler.check import compile_policy
from engine.explain import conflict
from engine.explain.costs import rule_costs
from engine.explain.forces import Forces
from engine.explain.reasons import ReasonBuilder
from engine.explain.workbench import Workbench
from engine.rebalance import plan
from solver.account_files import load_account
from solver.market import Market

ROOT = Path(__file__).resolve().parents[1]
FEASIBLE = [
    ("policies/clients/gift_appreciated.tailor", "sp500_2000"),
    ("policies/clients/zero_gains.tailor", "sp500_2000"),
    ("policies/clients/gift_appreciated.tailor", "sp500_10000"),
]
INFEASIBLE = [
    ("policies/examples/cap_versus_budget.tailor", "legacy_jpm"),
    ("benchmarks/policies/tight_tracking_low_turnover.tailor", "sp500_2000"),
]


def timed(fn, *args):  # a stopwatch around any call
    started = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - started


def feasible(policy_name: str, account_name: str, market: Market, repeat: int) -> dict[str, float]:
    policy = compile_policy(str(ROOT / policy_name))
    account = load_account(f"examples/accounts/{account_name}/account.yaml")
    runs: dict[str, list[float]] = {k: [] for k in ("plan", "lp", "reasons", "costs", "explain")}
    counts = {}
    for _ in range(repeat):
        solved, seconds = timed(plan, account, policy, market)
        runs["plan"].append(seconds)
        bench, t_bench = timed(
            Workbench, solved.model, solved.solution.compiled, solved.solution.x, solved.provenance
        )
        base, t_lp = timed(bench.solve)
        runs["lp"].append(t_bench + t_lp)
        started = time.perf_counter()
        builder = ReasonBuilder(Forces(bench, base), solved.outcome, solved.provenance)
        trades, kept = builder.trades(), builder.kept()
        runs["reasons"].append(time.perf_counter() - started)
        costs, t_costs = timed(rule_costs, bench, base, builder.forces.cols, policy, solved.outcome)
        runs["costs"].append(t_costs)
        runs["explain"].append(runs["lp"][-1] + runs["reasons"][-1] + t_costs)
        counts = {
            "trades": len(trades),
            "kept": len(kept),
            "binding": sum(c.binding for c in costs),
            "status": solved.result.solve.status,
        }
    return {k: statistics.median(v) for k, v in runs.items()} | counts


def infeasible(policy_name: str, account_name: str, market: Market, repeat: int) -> dict[str, float]:
    policy = compile_policy(str(ROOT / policy_name))
    account = load_account(f"examples/accounts/{account_name}/account.yaml")
    plans, conflicts, found = [], [], None
    for _ in range(repeat):
        solved, seconds = timed(plan, account, policy, market)
        if solved.result.solve.status != "infeasible":  # (a conflict search needs a proven conflict)
            raise SystemExit(f"{policy_name} on {account_name} is no longer infeasible "
                             f"({solved.result.solve.status}): pick a policy that conflicts")
        plans.append(seconds)
        found, seconds = timed(conflict, solved, policy)
        conflicts.append(seconds)
    return {
        "plan": statistics.median(plans),
        "elastic": statistics.median(conflicts),
        "conflicts": 1 + len(found.also),
        "rules": " + ".join(found.rules),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.chdir(ROOT)
    market = Market.load(date(2021, 4, 21))
    print(
        "| policy | account | status | plan | explain | overhead | LP with duals | reasons | rule prices "
        "| trades | kept | binding rules |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for policy_name, account_name in FEASIBLE:
        r = feasible(policy_name, account_name, market, args.repeat)
        print(
            f"| {policy_name} | {account_name} | {r['status']} | {r['plan']:.2f} s "
            f"| {r['explain']:.2f} s | {r['explain'] / r['plan']:.0%} | {r['lp']:.2f} s "
            f"| {r['reasons']:.2f} s | {r['costs']:.2f} s | {r['trades']} | {r['kept']} | {r['binding']} |",
            flush=True,
        )
    print()
    print("| policy | account | plan (infeasible) | elastic mode | conflicts found | first conflict |")
    print("|---|---|---|---|---|---|")
    for policy_name, account_name in INFEASIBLE:
        r = infeasible(policy_name, account_name, market, args.repeat)
        print(
            f"| {policy_name} | {account_name} | {r['plan']:.2f} s | {r['elastic']:.2f} s "
            f"| {r['conflicts']} | {r['rules']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
