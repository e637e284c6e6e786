"""Generate the benchmark set of accounts (issue 8): realistic client accounts built from the real
price history, the measuring stick for the solve.

    .venv/bin/python benchmarks/accounts.py          # writes benchmarks/accounts/ (git-ignored)

`benchmarks/bench_set.py` runs it when the folder is missing or was written by another version of
this file. Every lot is a purchase at the real close of its date, split-adjusted to the as-of date
(solver.splits), so basis, gains and holding periods are what a client would have. Kinds:

* direct_index — an initial amount, then monthly or quarterly contributions into the S&P 500 members
  of the day, spread over every member cap-weighted or over the N most underweight names. Some
  accounts also have a loss harvest 5–20 days before the as-of date (the sales are in
  transactions.csv with their realized gain; the sold lots are gone from lots.csv, the proceeds
  reinvested that day) and a deposit a few days before it, so lots sit inside the wash-sale window.
* legacy — one stock bought every quarter for years (20–40% of the account) beside 20–40 large names.
* transition — 30–100 names tilted to a few sectors, to be moved into the index.

The data's survivorship (only April-2021 S&P 500 members have prices) caps the names an early account
can hold: about 280 members are priced in 2008, 340 in 2013, 500 in 2021. A held name without a
close on the as-of trading day cannot be traded: its lots are dropped and their value at the last
close added to cash. Deterministic (fixed seeds); the manifest lists each account with its as-of
date, kind and the policies it is benchmarked under.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from account_specs import LEGACY_THREE_YEAR, SPECS, STEP_UP_LOTS, DirectIndex, Legacy, Spec, Transition

from market.index import index_weights
from market.master import load_master
from market.prices import load_prices
from solver.lots import Lot
from solver.splits import apply_splits
from solver.tax import WASH_SALE_DAYS, is_long_term

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "accounts"
MANIFEST = OUT / "manifest.json"
SHARE = Decimal("0.0001")  # purchases in fractional shares to 4 places, as brokers' direct indexing does
PRICE = Decimal("0.0001")  # a sale price as a trade confirmation shows it
CENT = Decimal("0.01")
GENERATOR_FILES = ("accounts.py", "account_specs.py")


# ---------------------------------------------------------------- market helpers (cached per date)

@cache
def trading_day(on: date, after: bool = True) -> date:
    """The first trading day on or after `on` (or the last on or before it)."""
    dates = load_prices().dates
    position = dates.searchsorted(pd.Timestamp(on), side="left" if after else "right")
    return dates[position if after else position - 1].date()


@cache
def day_close(on: date) -> pd.Series:
    """Raw closes on the trading day `on` itself: NaN where a ticker did not trade that day."""
    prices = load_prices()
    return prices.close.iloc[prices.row_on(on)]


@cache
def members(on: date) -> pd.Series:
    """S&P 500 cap weights on `on`; cached because the accounts share contribution dates."""
    return index_weights(on)


@cache
def cumulative_splits() -> pd.DataFrame:
    """Product of every split up to each date, per ticker: the splits between two dates are a ratio
    of two rows (far faster than listing the events each time)."""
    return load_prices().split_factors.fillna(1.0).cumprod()


def splits(start: date, end: date) -> pd.Series:
    """Shares after `end` per share held at the close of `start`, per ticker."""
    table, prices = cumulative_splits(), load_prices()
    return table.iloc[prices.row_on(end)] / table.iloc[prices.row_on(start)]


def schedule(start: date, end: date, every: Literal["month", "quarter"]) -> list[date]:
    """First trading day of each month (or calendar quarter) from `start` up to `end`."""
    months = pd.date_range(pd.Timestamp(start.year, start.month, 1), pd.Timestamp(end), freq="MS")
    days = [trading_day(m.date()) for m in months if every == "month" or m.month in (1, 4, 7, 10)]
    return [day for day in days if start <= day <= end]


def price_decimal(value: float) -> Decimal:
    """A close as the decimal it prints as (23.45, not the binary float's 23.449999…)."""
    return Decimal(repr(float(value)))


# ---------------------------------------------------------------- the lots of one account

class Book:
    """The lots bought so far and each ticker's share count on the last date seen, kept split-adjusted
    as time passes (so that "most underweight" is judged in that day's shares and prices)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.lots: list[Lot] = []
        self.held: dict[str, float] = defaultdict(float)
        self.on: date | None = None
        self.count = 0

    def advance(self, on: date) -> None:
        if self.on is not None and on > self.on:
            ratio = splits(self.on, on)
            for ticker, each in ratio[ratio != 1.0].items():
                if ticker in self.held:
                    self.held[str(ticker)] *= float(each)
        self.on = on

    def buy(self, ticker: str, on: date, dollars: float, price: float) -> None:
        shares = (Decimal(repr(float(dollars))) / price_decimal(price)).quantize(SHARE, ROUND_HALF_EVEN)
        if shares > 0:
            self.count += 1
            self.lots.append(Lot(lot_id=f"{self.prefix}-{self.count:05d}", ticker=ticker, acquired=on,
                                 shares=shares, basis_per_share=price_decimal(price)))
            self.held[ticker] += float(shares)

    def value(self, close: pd.Series) -> pd.Series:
        held = pd.Series(self.held, dtype=float)
        return (held * close.reindex(held.index)).fillna(0.0)

    def contribute(self, on: date, amount: float, underweight: int | None, blocked: set[str]) -> None:
        """Invest `amount` on `on` over every member cap-weighted, or over the `underweight` names most
        below their index weight; `blocked` names (harvested at a loss) are not bought back."""
        self.advance(on)
        weights = members(on)
        close = day_close(on)
        weights = weights[~weights.index.isin(blocked)]
        if underweight is None or not self.lots:
            dollars = weights / weights.sum() * amount
        else:
            value = self.value(close)
            gap = weights * (value.sum() + amount) - value.reindex(weights.index, fill_value=0.0)
            gap = gap[gap > 0].nlargest(underweight)
            dollars = gap / gap.sum() * amount
        for ticker, spend in dollars.items():
            self.buy(str(ticker), on, float(spend), float(close[ticker]))


@dataclass
class Harvest:
    """Loss sales shortly before the as-of date: transactions.csv rows and what they realized."""

    on: date | None = None
    rows: list[dict[str, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    proceeds: float = 0.0
    short_term: Decimal = Decimal(0)
    long_term: Decimal = Decimal(0)


def harvest(book: Book, on: date, names: int) -> Harvest:
    """Sell the loss lots of the `names` tickers with the largest unrealized loss on `on`, skipping
    tickers bought in the 30 days before (the sale would be a wash sale)."""
    book.advance(on)
    close = day_close(on)
    current = apply_splits(book.lots, book.lots[0].acquired, on, load_prices())
    recent = {lot.ticker for lot in current if (on - lot.acquired).days <= WASH_SALE_DAYS}
    losses: dict[str, float] = defaultdict(float)
    for lot in current:
        price = close.get(lot.ticker, np.nan)
        if lot.ticker not in recent and np.isfinite(price) and price < float(lot.basis_per_share):
            losses[lot.ticker] += float(lot.shares) * (float(lot.basis_per_share) - price)
    done = Harvest(on=on, names=set(sorted(losses, key=lambda t: (-losses[t], t))[:names]))
    sold = set()
    for lot in current:
        if lot.ticker not in done.names:
            continue
        price = price_decimal(close[lot.ticker]).quantize(PRICE)
        if price >= lot.basis_per_share:
            continue  # a gain lot of a harvested name stays
        gain = (lot.shares * (price - lot.basis_per_share)).quantize(CENT, ROUND_HALF_EVEN)
        if is_long_term(lot.acquired, on):
            done.long_term += gain
        else:
            done.short_term += gain
        done.rows.append({"date": on.isoformat(), "ticker": lot.ticker, "action": "sell",
                          "shares": f"{lot.shares:f}", "price": f"{price:f}", "realized_gain": f"{gain:f}"})
        done.proceeds += float(lot.shares * price)
        sold.add(lot.lot_id)
        book.held[lot.ticker] -= float(lot.shares)
    book.lots = [lot for lot in book.lots if lot.lot_id not in sold]
    return done


def direct_index(spec: Spec, plan: DirectIndex) -> tuple[Book, Harvest]:
    book = Book("DI")
    periodic = schedule(plan.start, spec.as_of, plan.every)
    # (day, order, event): on one day the harvest comes first, then that day's contribution, so the
    # contribution can leave the harvested names alone.
    events: list[tuple[date, int, str]] = [(day, 1, "periodic") for day in periodic]
    if plan.harvest_days:
        events.append((trading_day(spec.as_of - timedelta(plan.harvest_days), after=False), 0, "harvest"))
    if plan.deposit_days:
        events.append((trading_day(spec.as_of - timedelta(plan.deposit_days), after=False), 2, "deposit"))
    done = Harvest()
    for day, _, event in sorted(events):
        if event == "harvest":
            done = harvest(book, day, plan.harvest_names)
            book.contribute(day, done.proceeds, 20, done.names)  # the proceeds buy other names that day
        elif event == "deposit":
            book.contribute(day, plan.deposit, plan.underweight or 40, done.names)
        else:
            first = day == periodic[0]
            book.contribute(day, plan.initial if first else plan.contribution,
                            None if first else plan.underweight, done.names)
    return book, done


def priced_between(ticker: str, days: list[date]) -> list[date]:
    return [day for day in days if np.isfinite(day_close(day).get(ticker, np.nan))]


def growth(ticker: str, bought: date, as_of: date) -> float:
    """Value on `as_of` of $1 of `ticker` bought at the close of `bought` (splits included)."""
    return float(splits(bought, as_of)[ticker]) * float(day_close(as_of)[ticker] / day_close(bought)[ticker])


def legacy(spec: Spec, plan: Legacy, rng: np.random.Generator) -> Book:
    quarters = schedule(plan.since, spec.as_of - timedelta(365), "quarter")
    today = day_close(spec.as_of)
    middle = quarters[len(quarters) // 2]
    large = [str(t) for t in members(middle).nlargest(90).index
             if t != plan.ticker and np.isfinite(today.get(t, np.nan))]
    orders: list[tuple[date, str, float]] = []
    for ticker in rng.choice(large, size=plan.others, replace=False):
        days = priced_between(str(ticker), quarters)
        for day in rng.choice(days, size=min(len(days), int(rng.integers(2, 6))), replace=False):
            orders.append((day, str(ticker), float(rng.integers(5, 30)) * 1000))
    value: dict[str, float] = defaultdict(float)
    for day, ticker, dollars in orders:
        value[ticker] += dollars * growth(ticker, day, spec.as_of)
    # A lucky early buy (Apple in 2003) would make a second concentrated position: each other name is
    # held to three times the median one.
    ceiling = 3 * float(np.median(list(value.values())))
    orders = [(day, ticker, dollars * min(1.0, ceiling / value[ticker])) for day, ticker, dollars in orders]
    others = sum(min(worth, ceiling) for worth in value.values())
    # The employee plan buys the same dollars every quarter; scale them so the stock ends at its share.
    plan_days = priced_between(plan.ticker, quarters)
    per_dollar = sum(growth(plan.ticker, day, spec.as_of) for day in plan_days)
    each = plan.share / (1 - plan.share) * others / per_dollar
    orders += [(day, plan.ticker, each) for day in plan_days]
    return fill(Book("LEG"), orders)


def transition(spec: Spec, plan: Transition, rng: np.random.Generator) -> Book:
    months = schedule(plan.since, spec.as_of - timedelta(60), "month")
    today = day_close(spec.as_of)
    master = load_master()
    names = [str(t) for t in members(months[0]).index if np.isfinite(today.get(t, np.nan))]
    odds = np.array([3.0 if master.resolve(t).sector in plan.sectors else 1.0 for t in names])
    orders: list[tuple[date, str, float]] = []
    for ticker in rng.choice(names, size=plan.names, replace=False, p=odds / odds.sum()):
        days = priced_between(str(ticker), months)
        for day in rng.choice(days, size=int(rng.integers(1, 4)), replace=False):
            orders.append((day, str(ticker), float(rng.integers(5, 40)) * 1000))
    return fill(Book("TR"), orders)


def fill(book: Book, orders: list[tuple[date, str, float]]) -> Book:
    """Buy the orders in date order, so that lot ids number the lots by acquisition."""
    for day, ticker, dollars in sorted(orders):
        book.buy(ticker, day, dollars, float(day_close(day)[ticker]))
    return book


def build(spec: Spec) -> tuple[list[Lot], Decimal, Harvest]:
    rng = np.random.default_rng(spec.seed)
    done = Harvest()
    if isinstance(spec.build, DirectIndex):
        book, done = direct_index(spec, spec.build)
    elif isinstance(spec.build, Legacy):
        book = legacy(spec, spec.build, rng)
    else:
        book = transition(spec, spec.build, rng)
    prices = load_prices()
    lots = apply_splits(book.lots, book.lots[0].acquired, spec.as_of, prices)
    today, last = day_close(spec.as_of), prices.close_on(spec.as_of)
    priced = {lot.lot_id: bool(np.isfinite(today.get(lot.ticker, np.nan))) for lot in lots}
    kept = [lot for lot in lots if priced[lot.lot_id]]
    # Names gone before the as-of date: their value at the last close is cash (a cash merger, say).
    gone = sum(float(lot.shares) * float(last[lot.ticker]) for lot in lots if not priced[lot.lot_id])
    invested = sum(float(lot.shares) * float(today[lot.ticker]) for lot in kept)
    cash = Decimal(repr(invested * spec.cash_share + gone)).quantize(CENT, ROUND_HALF_EVEN)
    return kept, cash, done


# ---------------------------------------------------------------- files

def write(spec: Spec, lots: list[Lot], cash: Decimal, done: Harvest, out: Path = OUT) -> dict[str, object]:
    """Write the account's files under `out`; return its manifest row."""
    ids = {lot.lot_id for lot in lots}
    if LEGACY_THREE_YEAR in spec.policies and not ids.issuperset(STEP_UP_LOTS):
        raise SystemExit(f"{spec.name}: {LEGACY_THREE_YEAR} needs lots {', '.join(STEP_UP_LOTS)}")
    folder = out / spec.name
    folder.mkdir(parents=True)
    with (folder / "lots.csv").open("w", newline="") as lots_file:
        writer = csv.writer(lots_file, lineterminator="\n")
        writer.writerow(["lot_id", "ticker", "acquired", "shares", "basis_per_share"])
        for lot in lots:
            basis = lot.basis_per_share.quantize(Decimal("0.000001"), ROUND_HALF_EVEN).normalize()
            writer.writerow([lot.lot_id, lot.ticker, lot.acquired, f"{lot.shares:f}", f"{basis:f}"])
    # Losses harvested this tax year are part of the year-to-date figures.
    this_year = done.on is not None and done.on.year == spec.as_of.year
    short = Decimal(spec.ytd[0]) + (done.short_term if this_year else 0)
    long = Decimal(spec.ytd[1]) + (done.long_term if this_year else 0)
    text = (f"# {spec.about}\n# Generated by benchmarks/accounts.py from real closing prices; as of "
            f"{spec.as_of}.\naccount: {spec.name}\n"
            f"type: taxable\ncash: {cash}\nlots: lots.csv\n")
    if done.rows:
        text += "transactions: transactions.csv\n"
        with (folder / "transactions.csv").open("w", newline="") as transactions_file:
            writer = csv.DictWriter(transactions_file, fieldnames=list(done.rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(done.rows)
    text += (f"tax:\n  short_term_rate: {spec.rates[0]}\n  long_term_rate: {spec.rates[1]}\n"
             f"  realized_short_term_ytd: {short}\n  realized_long_term_ytd: {long}\n"
             "  carryforward_short_term: 0\n  carryforward_long_term: 0\n")
    (folder / "account.yaml").write_text(text)
    today = day_close(spec.as_of)
    value = pd.Series([float(lot.shares) * float(today[lot.ticker]) for lot in lots])
    by_name = value.groupby([lot.ticker for lot in lots]).sum()
    window = spec.as_of - timedelta(WASH_SALE_DAYS)
    return {"name": spec.name, "kind": spec.kind, "as_of": spec.as_of.isoformat(),
            "account": f"{spec.name}/account.yaml", "policies": list(spec.policies), "about": spec.about,
            "lots": len(lots), "names": len(by_name), "value": round(float(value.sum()) + float(cash)),
            "cash": str(cash), "largest": f"{by_name.idxmax()} {by_name.max() / value.sum():.1%}",
            "lots_in_wash_window": sum(lot.acquired > window for lot in lots), "loss_sales": len(done.rows)}


def source_hash() -> str:
    """Ties the generated folder to the generator and the specifications: bench_set.py regenerates
    when either changed."""
    digest = hashlib.sha256()
    for name in GENERATOR_FILES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def main() -> None:
    started = time.perf_counter()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    rows = []
    for spec in SPECS:
        row = write(spec, *build(spec))
        rows.append(row)
        print(f"{row['name']:<18} {row['kind']:<13} {row['as_of']} {row['lots']:>6} lots {row['names']:>4} "
              f"names ${row['value']:>12,}  largest {row['largest']:<11} "
              f"in wash window {row['lots_in_wash_window']:>4} loss sales {row['loss_sales']:>3}")
    MANIFEST.write_text(json.dumps({"generator": source_hash(), "accounts": rows}, indent=2) + "\n")
    print(f"{len(rows)} accounts, {sum(len(r['policies']) for r in rows)} cases, in "
          f"{time.perf_counter() - started:.1f}s → {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
