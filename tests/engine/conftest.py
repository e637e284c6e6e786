"""The Smith household (examples/households/smith), loaded once for every household test; and small
simulations on real data: a 30-name legacy account bought at real closes in 2017–2019,
tracking an equal-weighted model of its own names, simulated quarterly from mid-2019 to the autumn
of 2020 (a tax-year roll, the COVID drawdown, AAPL's 4:1 split on 2020-08-31) and daily from late
February to the end of March 2020. Built in a temporary folder from the shipped price history,
deterministically."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest

from engine import SimulationResult, load_spec, simulate
from market.prices import load_prices
from solver.household import Household
from solver.household_files import load_household
from tests.solver.conftest import legacy_account, market  # noqa: F401 - fixtures, by name

SMITH = Path(__file__).resolve().parents[2] / "examples" / "households" / "smith" / "household.yaml"


@pytest.fixture(scope="session")
def smith() -> Household:
    return load_household(SMITH)


NAMES = ("AAPL", "MSFT", "JPM", "JNJ", "XOM", "PG", "KO", "PFE", "INTC", "CSCO", "WMT", "HD", "MRK",
         "CVX", "BAC", "WFC", "T", "VZ", "DIS", "MCD", "IBM", "ORCL", "PEP", "ABT", "MMM", "HON", "UNH",
         "AMGN", "LLY", "BA")
BOUGHT = (date(2017, 6, 30), date(2018, 6, 29), date(2018, 12, 31), date(2019, 5, 31))
START = date(2019, 6, 28)
POLICY = """policy "Legacy 30, simulated"
layer account

target model "model.csv"
restrict buying outside target
harvest losses over 5% and $200
wash sale window 30 days
trading minimum trade $100
preferences balanced
"""


def write_account(folder: Path, *, start: date = START, cash: str = "5000.00", tax: str = "") -> Path:
    """account.yaml, lots.csv (each name bought for $2,000 on each date in BOUGHT, 4-decimal shares,
    split-adjusted to `start`), model.csv (equal weights) and policy.tailor in `folder`."""
    from solver.lots import Lot
    from solver.splits import apply_splits

    history = load_prices()
    folder.mkdir(parents=True, exist_ok=True)
    lots = []
    for day in BOUGHT:
        closes = history.close_on(day, NAMES)
        for ticker in NAMES:
            price = Decimal(repr(float(closes[ticker]))).quantize(Decimal("0.0001"))
            shares = (Decimal(2000) / price).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
            lots.append(Lot(lot_id=f"L{len(lots) + 1:04d}", ticker=ticker, acquired=day, shares=shares,
                            basis_per_share=price))
    lots = apply_splits(lots, BOUGHT[-1], start)
    rows = ["lot_id,ticker,acquired,shares,basis_per_share"]
    rows += [f"{lot.lot_id},{lot.ticker},{lot.acquired},{lot.shares},{lot.basis_per_share}" for lot in lots]
    (folder / "lots.csv").write_text("\n".join(rows) + "\n")
    (folder / "model.csv").write_text("ticker,weight\n" + "".join(f"{t},{1 / len(NAMES)!r}\n" for t in NAMES))
    (folder / "policy.tailor").write_text(POLICY)
    (folder / "account.yaml").write_text(f"account: legacy30\ntype: taxable\nas_of: {start}\ncash: {cash}\n"
                                         f"lots: lots.csv\n{tax}")
    return folder / "account.yaml"


def write_spec(folder: Path, body: str) -> Path:
    path = folder / "spec.yaml"
    path.write_text(body)
    return path


QUARTERLY = f"""start: {START}
end: 2020-09-30
cadence: quarterly
policy: policy.tailor
account: account.yaml
cash_flows:
  - deposit: 3000
    every: quarter
    from: 2019-09-15
tax:
  paid_from: cash
costs:
  spread_bp: 5
  fee: 1.00
"""


@pytest.fixture(scope="session")
def quarterly(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulationResult, Path]:
    """Six quarterly steps; the account starts the year with $20,000 of short-term losses realized."""
    folder = tmp_path_factory.mktemp("quarterly")
    write_account(folder, tax="tax:\n  realized_short_term_ytd: -20000\n")
    result = simulate(load_spec(write_spec(folder, QUARTERLY)), out=folder / "out")
    return result, folder / "out"


DAILY = """start: 2020-02-20
end: 2020-03-31
cadence: daily
policy: policy.tailor
account: account.yaml
fast_path: bands
"""


@pytest.fixture(scope="session")
def daily(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    folder = tmp_path_factory.mktemp("daily")
    write_account(folder, start=date(2020, 2, 20))
    return simulate(load_spec(write_spec(folder, DAILY)))
