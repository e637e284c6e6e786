"""Generate the example household under examples/households/smith/ from the real price history.

Every lot is a purchase at the real closing price of its date, adjusted for the splits since then
(solver.splits), as in examples/make_accounts.py; every recorded sale's loss is computed from the
lot's basis and that day's real close. As of 2020-03-23, the low of the 2020 crash: lots bought since
2017 are at a loss, and purchases of the last 30 days are inside the wash-sale window. Run:

    .venv/bin/python examples/make_household.py

* smith-joint (taxable): $400,000 in the 150 largest S&P 500 names (cap-weighted) on 2015-01-02, then
  $15,000 every quarter over the ten names most underweight against the index that day, and two
  $20,000 "buy the dip" purchases on 2020-03-02 and 2020-03-16 the same way. On 2020-03-09 it sold its
  2019 lot with the largest loss that day (recorded in transactions.csv).
* smith-ira (traditional IRA): a $300,000 rollover into the 50 largest names on 2012-01-03; on
  2020-03-16 it bought $10,000 each of the three names in which the joint account has its largest
  losses: a harvest of those names in the joint account now would be a wash sale whose loss is lost
  for good (Rev. Rul. 2008-5).
* smith-roth (Roth IRA): a $100,000 Roth conversion into the 40 largest names on 2015-01-02, then each
  January's contribution 2016–2020 ($5,500, then $6,000 from 2019) in AAPL, MSFT and AMZN. (No index
  ETF: today's engine does not look through an ETF held in an account, so its tracking error would
  count VOO as cash; see docs/households.md.)
* smith-brokerage (held away, taxable): the spouse's account at another firm: $8,000 in each of twelve
  large names on 2016-07-01; on 2020-03-12 it sold half of its position with the largest loss that day,
  and on 2020-03-18 it bought $10,000 of the name (another than the one it sold) in which the joint
  account has its fourth largest loss or, that being the one sold, its next.

The generator is deterministic; rerunning it gives the same files.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pandas as pd
from make_accounts import buy, quarter_starts, write_tables

from market.index import index_weights
from market.prices import load_prices
from solver.lots import Lot
from solver.splits import apply_splits

AS_OF = date(2020, 3, 23)
HERE = Path(__file__).parent / "households" / "smith"
CENTS = Decimal("0.01")
BROKERAGE_NAMES = ("AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "BA", "DIS", "KO", "WFC", "CVX", "SLB")


def underweight_buys(lots: list[Lot], on: date, dollars: float, prefix: str) -> None:
    """Spread `dollars` over the ten names most underweight against the index on `on`."""
    prices = load_prices()
    weights, close = index_weights(on), prices.close_on(on)
    held = pd.Series(dtype=float)
    for lot in apply_splits(lots, lots[0].acquired, on, prices):  # today's shares
        held[lot.ticker] = held.get(lot.ticker, 0.0) + float(lot.shares) * close.get(lot.ticker, 0.0)
    gap = (weights * (held.sum() + dollars) - held.reindex(weights.index, fill_value=0.0)).nlargest(10)
    for ticker, amount in (gap / gap.sum() * dollars).items():
        buy(ticker, on, float(amount), close[ticker], lots, prefix)


def cap_weighted(on: date, count: int, dollars: float, prefix: str) -> list[Lot]:
    lots: list[Lot] = []
    top = index_weights(on).nlargest(count)
    close = load_prices().close_on(on)
    for ticker, weight in (top / top.sum()).items():
        buy(ticker, on, dollars * weight, close[ticker], lots, prefix)
    return lots


def loss(lot: Lot, on: date) -> Decimal:
    """The lot's unrealized gain per its split-adjusted shares on `on` (negative: a loss)."""
    prices = load_prices()
    (now,) = apply_splits([lot], lot.acquired, on, prices)
    return now.shares * (Decimal(repr(float(prices.close_on(on)[lot.ticker]))) - now.basis_per_share)


def sale(lot: Lot, on: date, fraction: Decimal = Decimal(1)) -> dict[str, str]:
    """A recorded sale of `fraction` of the lot on `on`, at that day's close."""
    prices = load_prices()
    (now,) = apply_splits([lot], lot.acquired, on, prices)
    shares = (now.shares * fraction).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    price = Decimal(repr(float(prices.close_on(on)[lot.ticker])))
    gain = (shares * (price - now.basis_per_share)).quantize(CENTS, rounding=ROUND_HALF_EVEN)
    return {"date": on.isoformat(), "ticker": lot.ticker, "action": "sell", "shares": str(shares),
            "price": f"{price:.2f}", "realized_gain": str(gain)}


def bought(lots: list[Lot], on: date) -> list[dict[str, str]]:
    """The recorded buys of `on` (the lots of that day)."""
    return [{"date": on.isoformat(), "ticker": lot.ticker, "action": "buy", "shares": str(lot.shares),
             "price": f"{lot.basis_per_share:.2f}", "realized_gain": ""}
            for lot in lots if lot.acquired == on]


def largest_losses(lots: list[Lot], on: date) -> list[str]:
    """Tickers by their lots' total unrealized loss on `on`, largest first."""
    by_ticker: dict[str, Decimal] = {}
    for lot in lots:
        by_ticker[lot.ticker] = by_ticker.get(lot.ticker, Decimal(0)) + loss(lot, on)
    return [t for t, amount in sorted(by_ticker.items(), key=lambda item: item[1]) if amount < 0]


def joint() -> tuple[list[Lot], list[dict[str, str]]]:
    lots = cap_weighted(date(2015, 1, 2), 150, 400_000, "JNT")
    for on in quarter_starts(date(2015, 4, 1), AS_OF):
        underweight_buys(lots, on, 15_000, "JNT")
    for on in (date(2020, 3, 2), date(2020, 3, 16)):
        underweight_buys(lots, on, 20_000, "JNT")
    dipped = {lot.ticker for lot in lots if lot.acquired >= date(2020, 3, 1)}
    candidates = [lot for lot in lots if lot.acquired.year == 2019 and lot.ticker not in dipped]
    sold = min(candidates, key=lambda lot: (loss(lot, date(2020, 3, 9)), lot.lot_id))
    lots.remove(sold)
    trades = [*bought(lots, date(2020, 3, 2)), sale(sold, date(2020, 3, 9)), *bought(lots, date(2020, 3, 16))]
    return lots, trades


def ira(losers: list[str]) -> tuple[list[Lot], list[dict[str, str]]]:
    lots = cap_weighted(date(2012, 1, 3), 50, 300_000, "IRA")
    on = date(2020, 3, 16)
    close = load_prices().close_on(on)
    for ticker in losers[:3]:
        buy(ticker, on, 10_000, close[ticker], lots, "IRA")
    return lots, bought(lots, on)


def roth() -> list[Lot]:
    prices = load_prices()
    lots = cap_weighted(date(2015, 1, 2), 40, 100_000, "ROTH")  # a Roth conversion
    for year in range(2016, 2021):
        on = quarter_starts(date(year, 1, 1), date(year, 3, 31))[0]
        for ticker in ("AAPL", "MSFT", "AMZN"):
            buy(ticker, on, (6_000 if year >= 2019 else 5_500) / 3, prices.close_on(on)[ticker], lots, "ROTH")
    return lots


def brokerage(losers: list[str]) -> tuple[list[Lot], list[dict[str, str]]]:
    prices = load_prices()
    first = date(2016, 7, 1)
    close = prices.close_on(first)
    lots: list[Lot] = []
    for ticker in BROKERAGE_NAMES:
        buy(ticker, first, 8_000, close[ticker], lots, "AWAY")
    sold_on, bought_on = date(2020, 3, 12), date(2020, 3, 18)
    worst = min(lots, key=lambda lot: (loss(lot, sold_on), lot.lot_id))
    trade = sale(worst, sold_on, Decimal("0.5"))
    half = (worst.shares / 2).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    lots[lots.index(worst)] = worst.model_copy(update={"shares": worst.shares - half})
    bought_name = next(t for t in losers[3:] if t != worst.ticker)  # not a wash sale of its own sale
    buy(bought_name, bought_on, 10_000, prices.close_on(bought_on)[bought_name], lots, "AWAY")
    return lots, [trade, *bought(lots, bought_on)]


def write(name: str, folder: str, kind: str, lots: list[Lot], cash: str, header: str,
          trades: list[dict[str, str]], tax: str = "") -> None:
    path = HERE / folder
    lots = apply_splits(lots, min(lot.acquired for lot in lots), AS_OF, load_prices())
    write_tables(path, lots, trades)
    text = (f"# {header}\n# Generated by examples/make_household.py from real closing prices.\n"
            f"account: {name}\nhousehold: smith\ntype: {kind}\nas_of: {AS_OF.isoformat()}\n"
            f"cash: {cash}\nlots: lots.csv\n")
    if trades:
        text += "transactions: transactions.csv\n"
    (path / "account.yaml").write_text(text + tax)
    print(f"{name}: {len(lots)} lots, {len(trades)} recent trades")


def main() -> None:
    joint_lots, joint_trades = joint()
    losers = largest_losses(joint_lots, AS_OF)
    write("smith-joint", "joint", "taxable", joint_lots, "30000.00",
          "The Smiths' joint taxable account: an S&P 500 direct index bought quarterly since 2015",
          joint_trades,
          "tax:\n  short_term_rate: 0.37\n  long_term_rate: 0.20\n  realized_long_term_ytd: 8000\n")
    ira_lots, ira_trades = ira(losers)
    write("smith-ira", "ira", "ira", ira_lots, "12000.00", "A traditional IRA: a 2012 rollover into 50 names",
          ira_trades)
    write("smith-roth", "roth", "roth", roth(), "1000.00",
          "A Roth IRA: a 2015 conversion into 40 names, then yearly contributions in three", [])
    away_lots, away_trades = brokerage(losers)
    write("smith-brokerage", "brokerage", "taxable", away_lots, "0.00",
          "The spouse's brokerage account at another firm (held away: counted, never traded)", away_trades)


if __name__ == "__main__":
    main()
