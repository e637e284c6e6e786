"""Households (issue 14): one model against the sleeves, and the one model's speed.

    .venv/bin/python benchmarks/bench_household_modes.py compare [--gap 0.001]
    .venv/bin/python benchmarks/bench_household_modes.py speed [--repeat 3]

`compare` runs the shipped household (examples/households/smith, as of the 2020-03-23 low) in both
modes of `tailor household` and prints the household's figures side by side: tax this year, loss
carried forward and its value, losses disallowed across accounts (and lost for good in an IRA or a
Roth), tracking error against the household target, turnover, trades, and CPU seconds.

`speed` times the one model (`plan` over the accounts: build, hand-off, solve, verify; CPU seconds,
medians) on the issue's sizes: 3 accounts with 2,000 lots in all (the shipped 2,000-lot S&P 500 account's
lots dealt in turn to a joint taxable account, a traditional IRA and a Roth) and 4 accounts with 10,000
lots (the 10,000-lot account's, dealt to those and a second taxable account, held away), both as of
2021-04-21, after a long rally; and the hard case, the shipped Smith household at the 2020-03-23 low
(490 lots, losses to harvest in most names, recent buys in the IRA). All under the Smith household's
policy; HiGHS runs on one thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from decimal import Decimal
from pathlib import Path

from compiler.check import compile_policy
from engine.household import run_sleeves
from engine.household_plan import plan_household
from engine.household_summary import HouseholdSummary
from engine.rebalance import RebalanceOptions, plan
from solver.account import Account
from solver.account_files import load_account
from solver.household_files import load_household
from solver.household_view import HouseholdTerms
from solver.market import Market

ROOT = Path(__file__).resolve().parents[1]
SMITH = ROOT / "examples" / "households" / "smith" / "household.yaml"
POLICY = ROOT / "policies" / "households" / "smith.tailor"


def _row(name: str, summary: HouseholdSummary, trades: int, cpu: float) -> list[str]:
    tax = summary.household_tax
    return [name, f"{tax.tax:,.0f}", f"{tax.carried_forward:,.0f} ({tax.carried_value:,.0f})",
            f"{summary.loss_disallowed_across_accounts:,.0f} ({summary.loss_lost_for_good:,.0f})",
            f"{summary.tracking_error_before:.2%} → {summary.tracking_error_after:.2%}",
            f"{summary.turnover:.1%}", str(trades), f"{cpu:.1f}"]


def compare(gap: float) -> None:
    household = load_household(SMITH)
    market = Market.load(household.as_of)
    options = RebalanceOptions(mip_gap=gap)
    started = time.process_time()
    one = plan_household(household, market, options)
    one_cpu = time.process_time() - started
    started = time.process_time()
    sleeves = run_sleeves(household, market, options)
    sleeves_cpu = time.process_time() - started
    assert one.summary is not None, "household mode found no verified plan"
    header = ["mode", "tax this year $", "loss carried forward $ (value)",
              "loss disallowed across accounts $ (lost for good)", "tracking error", "turnover", "trades",
              "CPU s"]
    rows = [_row("household (one model)", one.summary, len(one.plan.result.trades), one_cpu),
            _row("sleeves (account by account)", sleeves.summary,
                 sum(line.sells + line.buys for line in sleeves.summary.accounts), sleeves_cpu)]
    solve = one.plan.result.solve
    print(f"{household.household_id} as of {household.as_of}, gap {gap:g}; statuses: household "
          f"{solve.status} (proven gap {solve.mip_gap:.2%}), sleeves "
          + ", ".join(f"{line.name} {line.status}" for line in sleeves.summary.accounts if line.status))
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def dealt(source: str, kinds: list[tuple[str, str]]) -> tuple[list[Account], frozenset[str]]:
    """The source account's lots dealt in turn to accounts of the given (id, type); a type `held_away`
    is a taxable account never traded. Cash split evenly."""
    account = load_account(ROOT / "examples" / "accounts" / source / "account.yaml")
    count = len(kinds)
    accounts = [account.model_copy(update={
        "account_id": name, "account_type": "taxable" if kind == "held_away" else kind,
        "household_id": "bench", "household_transactions": (), "lot_spans": {},
        "lots": account.lots[k::count], "cash": (account.cash / count).quantize(Decimal("0.01"))})
        for k, (name, kind) in enumerate(kinds)]
    return accounts, frozenset(name for name, kind in kinds if kind == "held_away")


def speed(repeat: int) -> None:
    policy = compile_policy(POLICY)
    three = [("joint", "taxable"), ("ira", "ira"), ("roth", "roth")]
    cases = {"3 accounts, 2,000 lots": ("sp500_2000", three),
             "4 accounts, 10,000 lots": ("sp500_10000", [*three, ("away", "held_away")])}
    print(f"load average before: {os.getloadavg()}")
    print("| household | lots | CPU s (median) | build | hand-off | solve (wall) | status | gap | "
          "LP solves | lazy groups on |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    smith = load_household(SMITH)
    households = {name: dealt(source, kinds) for name, (source, kinds) in cases.items()}
    households["the Smiths at the 2020-03-23 low, 4 accounts"] = (
        [member.account for member in smith.accounts],
        frozenset(m.account.account_id for m in smith.accounts if not m.tradable))
    for name, (accounts, away) in households.items():
        market = Market.load(accounts[0].as_of)
        times, found = [], None
        for _ in range(repeat):
            started = time.process_time()
            found = plan(accounts, policy, market, RebalanceOptions(), HouseholdTerms(held_away=away))
            times.append(time.process_time() - started)
        assert found is not None and found.result.verified, f"{name}: no verified plan"
        s, t = found.result.solve, found.result.timings
        print(f"| {name} | {sum(len(a.lots) for a in accounts):,} | {statistics.median(times):.2f} | "
              f"{t['build']:.2f} | {t['handoff']:.2f} | {t['solve']:.2f} | {s.status} | "
              f"{s.mip_gap:.4%} | {s.lp_solves} | {s.lazy_groups_on}/{s.lazy_groups} |")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    compared = sub.add_parser("compare")
    compared.add_argument("--gap", type=float, default=0.001)
    timed = sub.add_parser("speed")
    timed.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    compare(args.gap) if args.what == "compare" else speed(args.repeat)


if __name__ == "__main__":
    main()
