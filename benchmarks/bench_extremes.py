"""Extreme policies: does every feasible one get a verified plan, and every infeasible one a proof?

    .venv/bin/python benchmarks/bench_extremes.py [--time-limit 60] [--filter SUBSTRING] [--json OUT]

The benchmark set (bench_set.py) runs the shipped policies; this runs the corners an advisor reaches
by tightening them. Each case extends `policies/models/direct_index.tailor` with three rules —
tracking within 0.05% or 0.5%, a $0 budget of net gains, tax or long-term gains per year, and a $100
or $2,000 minimum trade, in fractional or whole shares — on three example accounts as of 2021-04-21:
`sp500_2000` (2,000 lots), `legacy_jpm` (a concentrated position) and `index_2012` (570 lots, $12,000
of long-term gains already realized this year, so every budget here is already spent): 72 cases.

Each case ends in one of: a verified plan (`optimal` or `feasible`), a proof that the policy has no
plan (`infeasible`), or a failure — a plan the verifier refuses, or no plan and no proof (a work or
time limit). Failures are what the anytime solve promises never to give (issue 8); they are listed
by name. Printed: each case, then the counts, and the time of the plans and of the proofs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_set import machine, spread

from compiler.check import compile_policy
from core.diagnostics import TailorError
from engine.rebalance import RebalanceOptions, plan
from solver.account_files import load_account
from solver.market import Market

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ("sp500_2000", "legacy_jpm", "index_2012")
TRACKING = ("0.05%", "0.5%")
BUDGETS = ("net gains $0", "tax $0", "long-term gains $0")
MINIMUMS = ("$100", "$2,000")
SHARES = ("", " whole shares")


def case_name(account_name: str, rule_values: tuple[str, ...]) -> str:
    tracking, budget, minimum, shares = rule_values
    return f"{account_name} · TE {tracking} · {budget} · {minimum}{shares}"


def policy_text(tracking: str, budget: str, minimum: str, shares: str) -> str:
    return (f'policy "extreme"\nlayer account\nextends "{ROOT}/policies/models/direct_index.tailor"\n\n'
            f"rule tight-tracking: tracking error at most {tracking}\n"
            f"rule spent-budget: budget {budget} per year\n"
            f"rule firm-trading: trading minimum trade {minimum}{shares}\n")


def outcome(status: str, verified: bool) -> str:
    """plan | proof | failure (module docstring)."""
    if status in ("optimal", "feasible"):
        return "plan" if verified else "failure"
    return "proof" if status == "infeasible" else "failure"


def run_case(account_name: str, rule_values: tuple[str, ...], folder: Path,
             time_limit: float) -> dict[str, Any]:
    name = case_name(account_name, rule_values)
    path = folder / "extreme.tailor"
    path.write_text(policy_text(*rule_values))
    started = time.perf_counter()
    try:
        account = load_account(ROOT / "examples" / "accounts" / account_name / "account.yaml")
        result = plan(account, compile_policy(path), Market.load(account.as_of),
                      RebalanceOptions(time_limit=time_limit)).result
    except TailorError as error:
        return {"case": name, "status": "error", "stop": None, "verified": False, "outcome": "failure",
                "time": time.perf_counter() - started, "gap": None, "problem": error.diagnostics[0].message}
    solve = result.solve
    return {"case": name, "status": solve.status, "stop": solve.stop, "verified": result.verified,
            "outcome": outcome(solve.status, result.verified), "time": time.perf_counter() - started,
            "gap": solve.mip_gap, "problem": "; ".join(f"{v.code} {v.message}" for v in result.violations)}


def line(row: dict[str, Any]) -> str:
    gap = f"{row['gap']:.4%}" if row["gap"] is not None else "–"
    return (f"{row['case']:<64} {row['status']:<10} {row['stop'] or '–':<12} {row['outcome']:<8} "
            f"{row['time']:7.2f}s {gap:>9} {row['problem'][:60]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--filter", default="", help="only cases whose name contains this")
    parser.add_argument("--json", type=Path, help="write the per-case rows here")
    args = parser.parse_args()
    info = machine()
    print(f"machine: {info['platform']} {info['machine']}, {info['cpus']} CPUs, python {info['python']}, "
          f"highspy {info['highspy']}; load average before: {os.getloadavg()}")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for account_name, *values in itertools.product(ACCOUNTS, TRACKING, BUDGETS, MINIMUMS, SHARES):
            if args.filter in case_name(account_name, tuple(values)):
                rows.append(run_case(account_name, tuple(values), Path(folder), args.time_limit))
                print(line(rows[-1]), flush=True)
    counts = Counter(r["outcome"] for r in rows)
    print(f"\ncases: {len(rows)}; verified plans {counts['plan']}, proofs of no plan {counts['proof']}, "
          f"failures {counts['failure']}")
    print("statuses: " + ", ".join(f"{s} {n}" for s, n in Counter(r["status"] for r in rows).most_common()))
    for kind in ("plan", "proof"):
        print(f"time of the {kind}s: {spread([r['time'] for r in rows if r['outcome'] == kind], unit='s')}")
    for row in rows:
        if row["outcome"] == "failure":
            print(f"  failure: {row['case']}: {row['status']} ({row['stop']}) {row['problem']}")
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "time_limit": args.time_limit, "rows": rows},
                                        indent=1, default=str))


if __name__ == "__main__":
    main()
