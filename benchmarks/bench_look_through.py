"""ETF look-through and the household endpoint: what they cost on the shipped Smith household.

    .venv/bin/python benchmarks/bench_look_through.py [--repeat 3]

* `household`: the one model (`plan_household`: build, hand-off, solve, verify; CPU seconds of this
  process, medians) on examples/households/smith as shipped (stocks only: no look-through) and with
  its IRA and Roth in VOO of the same value (the ETF looked through to ~500 constituents), both
  toward `target sp500` at a 1% gap;
* `tracking error`: the verifier's tracking error of the Roth, in stocks and in VOO (µs per call);
* `endpoint`: `POST /v1/household` on the shipped household (its files and policies sent in the
  body, a 1% gap), through Starlette's test client: wall-clock latency per request, medians.

(The rebalance benchmark, `bench_rebalance.py --full-only`, holds no ETF: its model is unchanged.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from engine.household_plan import plan_household
from engine.rebalance import RebalanceOptions
from solver.account import Account
from solver.household import Household
from solver.household_files import load_household
from solver.lots import Lot
from solver.market import Market
from solver.verify import tracking_error
from tailor.service.app import ServiceSettings, create_app

ROOT = Path(__file__).resolve().parents[1]
SMITH = ROOT / "examples" / "households" / "smith"
POLICIES = ("households/smith.tailor", "models/direct_index.tailor", "firm/default.tailor")
OPTIONS = RebalanceOptions(mip_gap=0.01)


def in_voo(account: Account, market: Market) -> Account:
    """The account's stocks as VOO of the same value, its cash kept, no recorded trades of the stocks."""
    value = sum((lot.shares * market.price(lot.ticker) for lot in account.lots), Decimal(0))
    shares = (value / market.price("VOO")).quantize(Decimal("0.000001"))
    lot = Lot(lot_id=f"{account.account_id}-VOO", ticker="VOO", acquired=date(2018, 6, 1), shares=shares,
              basis_per_share=Decimal("230.00"))
    return account.model_copy(update={"lots": (lot,), "transactions": (), "lot_spans": {}})


def with_voo(household: Household, market: Market) -> Household:
    members = tuple(m.model_copy(update={"account": in_voo(m.account, market)})
                    if m.kind in ("traditional_ira", "roth") else m for m in household.accounts)
    return household.model_copy(update={"accounts": members})


def cpu(work, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.process_time()
        out = work()
        times.append(time.process_time() - started)
    return statistics.median(times), out


def request() -> dict:
    """The shipped household as a request: its files, and its policies side by side in policies/."""
    files = {"household.yaml": (SMITH / "household.yaml").read_text().replace(
        "../../../policies/households/smith.tailor", "policies/smith.tailor")}
    for folder in ("joint", "ira", "roth", "brokerage"):
        files |= {f"{folder}/{p.name}": p.read_text() for p in sorted((SMITH / folder).iterdir())}
    for name in POLICIES:
        text = (ROOT / "policies" / name).read_text()
        for other in POLICIES:
            text = text.replace(f'"../{other}"', f'"{Path(other).name}"')
        files[f"policies/{Path(name).name}"] = text
    return {"household": {"files": files, "main": "household.yaml"}, "mode": "household",
            "options": {"gap": 0.01}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    print(f"load average before: {os.getloadavg()}")
    smith = load_household(SMITH / "household.yaml")
    market = Market.load(smith.as_of)
    print(f"\nhousehold mode, CPU seconds, medians of {repeat}")
    cases = (("smith (stocks)", smith), ("smith, IRA and Roth in VOO", with_voo(smith, market)))
    for name, household in cases:
        seconds, found = cpu(lambda h=household: plan_household(h, market, OPTIONS), repeat)
        result, summary = found.plan.result, found.summary
        print(f"  {name:28} {seconds:6.2f} s  {result.solve.status:8} verified={result.verified}  "
              f"universe {len(found.plan.model.data.tickers)}  trades {len(result.trades)}  "
              f"TE {summary.tracking_error_before:.2%} -> {summary.tracking_error_after:.2%}  "
              f"looked through {result.summary.looked_through}")
    target = {t: float(w) for t, w in market.target("sp500").items()}
    roth = smith.member("smith-roth").account
    for name, account in (("Roth in stocks", roth), ("Roth in VOO", in_voo(roth, market))):
        held = {lot.ticker: lot.shares for lot in account.lots}
        calls = 200
        started = time.process_time()
        for _ in range(calls):
            te = tracking_error(market, held, account.cash, target)
        print(f"  verifier TE, {name:15} {te:7.2%}  {(time.process_time() - started) / calls * 1e6:8.0f} µs")
    client = TestClient(create_app(ServiceSettings(time_limit=120)), raise_server_exceptions=False)
    body = request()
    latencies = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.post("/v1/household", json=body)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()["status"] == "verified", response.text[:300]
    print(f"\nPOST /v1/household (smith, gap 1%): median {statistics.median(latencies):.2f} s, "
          f"min {min(latencies):.2f} s, max {max(latencies):.2f} s over {repeat}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
