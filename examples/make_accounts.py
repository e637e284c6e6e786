"""Generate the example accounts under examples/accounts/ from the real price history.

Every lot is a purchase at the real closing price of its date, adjusted for the splits since then
(solver.splits), so basis and holding periods are what a real client would have. Run:

    .venv/bin/python examples/make_accounts.py

Accounts (as of 2021-04-21, the last day of price history, which each account.yaml states as `as_of`):
* index_2012     — bought the 200 largest S&P 500 names (cap-weighted) in January 2012 with
                   $250,000, then added $20,000 every quarter, spread over the ten names most
                   underweight against the index that day.
* legacy_jpm     — a long-time JPMorgan employee: JPM bought every year since 2004 (employee plan),
                   plus 29 other large names bought on a few dates each since 2003.
* sp500_2000, sp500_10000 — benchmark accounts: every index member bought cap-weighted on evenly
                   spaced dates 2012–2021 until the account has exactly 2,000 or 10,000 lots.
The generator is deterministic (fixed seed); rerunning it gives the same files.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from market.index import index_weights
from market.prices import load_prices
from solver.lots import Lot
from solver.splits import apply_splits

AS_OF = date(2021, 4, 21)
HERE = Path(__file__).parent / "accounts"
SHARE = Decimal("0.0001")
TAX = """tax:
  short_term_rate: 0.37
  long_term_rate: 0.20
  realized_short_term_ytd: {st}
  realized_long_term_ytd: {lt}
  carryforward_short_term: 0
  carryforward_long_term: 0
"""


def quarter_starts(first: date, last: date) -> list[date]:
    days = load_prices().dates
    out = []
    for year in range(first.year, last.year + 1):
        for month in (1, 4, 7, 10):
            start = pd.Timestamp(year, month, 1)
            on = days[days >= start]
            if len(on) and on[0].date() <= last and on[0].date() >= first:
                out.append(on[0].date())
    return out


def buy(ticker: str, on: date, dollars: float, price: float, lots: list[Lot], prefix: str) -> None:
    shares = Decimal(repr(float(dollars))) / Decimal(repr(float(price)))
    shares = shares.quantize(SHARE, rounding=ROUND_HALF_EVEN)
    if shares > 0:
        lots.append(Lot(lot_id=f"{prefix}-{len(lots) + 1:05d}", ticker=ticker, acquired=on, shares=shares,
                        basis_per_share=Decimal(repr(float(price)))))


def index_2012() -> list[Lot]:
    prices = load_prices()
    lots: list[Lot] = []
    for k, on in enumerate(quarter_starts(date(2012, 1, 1), AS_OF)):
        weights = index_weights(on)
        close = prices.close_on(on)
        if k == 0:
            top = weights.nlargest(200)
            for ticker, w in (top / top.sum()).items():
                buy(ticker, on, 250_000 * w, close[ticker], lots, "IDX")
        else:
            # Value holdings in today's shares: split-adjust the lots to this date first.
            current = apply_splits(lots, lots[0].acquired, on, prices)
            value = pd.Series(dtype=float)
            for lot in current:
                worth = float(lot.shares) * close.get(lot.ticker, 0.0)
                value[lot.ticker] = value.get(lot.ticker, 0.0) + worth
            total = value.sum() + 20_000
            gap = (weights * total - value.reindex(weights.index, fill_value=0.0)).nlargest(10)
            for ticker, dollars in (gap / gap.sum() * 20_000).items():
                buy(ticker, on, float(dollars), close[ticker], lots, "IDX")
    return apply_splits(lots, lots[0].acquired, AS_OF, prices)


def legacy_jpm() -> list[Lot]:
    prices = load_prices()
    rng = np.random.default_rng(7)
    lots: list[Lot] = []
    for year in range(2004, 2022):
        on = quarter_starts(date(year, 1, 1), date(year, 3, 31))[0]
        buy("JPM", on, 40_000, prices.close_on(on)["JPM"], lots, "LEG")
    others = ["AAPL", "MSFT", "JNJ", "PG", "KO", "PEP", "XOM", "CVX", "WMT", "HD", "MCD", "DIS", "IBM",
              "INTC", "CSCO", "PFE", "MRK", "T", "VZ", "GE", "MMM", "CAT", "BA", "MO", "PM", "UNH", "ORCL",
              "AMGN", "NKE"]
    days = quarter_starts(date(2003, 1, 1), date(2019, 12, 31))
    for ticker in others:
        for on in sorted(rng.choice(days, size=int(rng.integers(2, 6)), replace=False)):
            close = prices.close_on(on)
            if ticker in close.index and np.isfinite(close[ticker]):
                buy(ticker, on, float(rng.integers(5, 25)) * 1000, close[ticker], lots, "LEG")
    return apply_splits(lots, lots[0].acquired, AS_OF, prices)


def benchmark(count: int) -> list[Lot]:
    prices = load_prices()
    days = quarter_starts(date(2012, 1, 1), AS_OF)
    lots: list[Lot] = []
    dates = [days[int(i)] for i in np.linspace(0, len(days) - 1, max(2, count // 450 + 1))]
    while len(lots) < count:
        for on in dates:
            weights = index_weights(on)
            close = prices.close_on(on)
            for ticker, w in weights.sort_values(ascending=False).items():
                if len(lots) >= count:
                    break
                buy(ticker, on, 1_000_000 * w, close[ticker], lots, f"B{count}")
            if len(lots) >= count:
                break
    return apply_splits(lots, lots[0].acquired, AS_OF, prices)


def write_tables(folder: Path, lots: list[Lot], transactions: list[dict[str, str]] | None) -> None:
    """An account's lots.csv (basis to 6 places) and, when it has any, transactions.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lots.csv").open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["lot_id", "ticker", "acquired", "shares", "basis_per_share"])
        for lot in lots:
            basis = lot.basis_per_share.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).normalize()
            writer.writerow([lot.lot_id, lot.ticker, lot.acquired.isoformat(), lot.shares, f"{basis:f}"])
    if transactions:
        with (folder / "transactions.csv").open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(transactions[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(transactions)


def write(name: str, lots: list[Lot], cash: Decimal, header: str, ytd: tuple[int, int] = (0, 0),
          transactions: list[dict[str, str]] | None = None) -> None:
    folder = HERE / name
    write_tables(folder, lots, transactions)
    text = f"# {header}\n# Generated by examples/make_accounts.py from real closing prices.\n"
    # No `household:`: each example is a household of one, so no other account's trades count.
    text += f"account: {name}\ntype: taxable\n"
    text += f"as_of: {AS_OF.isoformat()}  # the date the lots and cash are as of\n"
    text += f"cash: {cash}\nlots: lots.csv\n"
    if transactions:
        text += "transactions: transactions.csv\n"
    (folder / "account.yaml").write_text(text + TAX.format(st=ytd[0], lt=ytd[1]))
    print(f"{name}: {len(lots)} lots")


def main() -> None:
    write("index_2012", index_2012(), Decimal("15000.00"),
          "S&P 500 client since January 2012, adding $20,000 every quarter", ytd=(0, 12000))
    close = load_prices().close_on(date(2021, 4, 5))
    write("legacy_jpm", legacy_jpm(), Decimal("25000.00"),
          "Legacy portfolio of 30 names with a concentrated JPMorgan position", ytd=(3500, 20000),
          transactions=[{"date": "2021-04-05", "ticker": "INTC", "action": "sell", "shares": "120",
                         "price": f"{close['INTC']:.2f}", "realized_gain": "-850.00"}])
    write("sp500_2000", benchmark(2000), Decimal("20000.00"), "Benchmark: S&P 500 account with 2,000 lots")
    write("sp500_10000", benchmark(10000), Decimal("100000.00"),
          "Benchmark: S&P 500 account with 10,000 lots")


if __name__ == "__main__":
    main()
