"""Household timings, in CPU seconds of this process (`time.process_time`): loading the shipped
household (examples/households/smith), the verifier's cross-account wash-sale check on a heavy day
(the 10,000-lot benchmark account selling every lot at a loss while an IRA holding its first 2,000
lots buys one share of every name), and with --sleeves the sleeve baseline on the shipped household.

    .venv/bin/python benchmarks/bench_household.py [--sleeves]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.account_files import load_account  # noqa: E402
from solver.household import Household, HouseholdAccount  # noqa: E402
from solver.household_files import load_household  # noqa: E402
from solver.lots import Trade  # noqa: E402
from solver.verify_household import household_wash_sales  # noqa: E402

SMITH = ROOT / "examples" / "households" / "smith" / "household.yaml"
T = TypeVar("T")


def cpu(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median CPU seconds of `repeat` runs, and the last run's value."""
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        value = action()
        runs.append(time.process_time() - started)
    return statistics.median(runs), value


def heavy_day() -> tuple[Household, dict[str, list[Trade]]]:
    joint = load_account(ROOT / "examples" / "accounts" / "sp500_10000" / "account.yaml")
    ira = joint.model_copy(update={"account_id": "ira", "account_type": "ira", "lots": joint.lots[:2000]})
    household = Household(household_id="bench", as_of=joint.as_of, policy="none", accounts=(  # type: ignore[arg-type]
        HouseholdAccount(name=joint.account_id, kind="taxable", account=joint),
        HouseholdAccount(name="ira", kind="traditional_ira", account=ira)))
    sells = [Trade(action="sell", ticker=lot.ticker, shares=lot.shares, price=lot.basis_per_share / 2,
                   lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share)
             for lot in joint.lots]
    buys = [Trade(action="buy", ticker=t, shares=Decimal(1), price=Decimal(10))
            for t in sorted({lot.ticker for lot in joint.lots})]
    return household, {joint.account_id: sells, "ira": buys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sleeves", action="store_true", help="also time the sleeve baseline (~80 s)")
    args = parser.parse_args()
    seconds, smith = cpu(lambda: load_household(SMITH), 5)
    lots = sum(len(m.account.lots) for m in smith.accounts)
    print(f"load the shipped household ({len(smith.accounts)} accounts, {lots} lots): {seconds:.3f} s")
    household, trades = heavy_day()
    seconds, matches = cpu(lambda: household_wash_sales(household, trades), 5)
    print(f"cross-account wash sales: {len(trades['sp500_10000'])} loss sales, {len(trades['ira'])} buys, "
          f"{len(matches)} matches: {seconds:.3f} s")
    if args.sleeves:
        from engine.household import run_sleeves
        from solver.market import Market

        market = Market.load(smith.as_of)
        seconds, _ = cpu(lambda: run_sleeves(smith, market), 1)
        print(f"sleeve baseline on the shipped household (default gap): {seconds:.1f} s")


if __name__ == "__main__":
    main()
