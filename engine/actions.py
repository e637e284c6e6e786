"""Corporate actions between two steps, applied to the simulated lots and cash as the data records them.

For each trading day after the last step up to this one, in date order:

* **splits** (the repaired `split_factors`, so the glitches `tailor data info` lists are already
  fixed): every lot's shares × ratio, basis per share ÷ ratio (`solver.splits.apply_split`);
* **cash dividends** (`dividend_amount`, per share held at that day's open, i.e. after the last
  step's trades): shares × amount, credited to the cent;
* **distributions** — a recorded amount of at least half the previous close (a spin-off or a
  share-class distribution: GOOGL's GOOG shares on 2014-04-03, ABT's AbbVie on 2013-01-02) or one
  the day's price cannot have paid (below). The data gives the value of what was distributed, not
  the shares, so the simulation receives it as cash, as if the distributed shares were sold on the
  ex-date: the lot's basis is split between what it keeps and what left by value (as for a tax-free
  spin-off), and the sale of the part that left realizes its gain with the lot's holding period.

A payout of at least 10% of the previous close must show in the price. One that exceeds the day's
price fall by more than 10% of the previous close is not what holders received: value would appear
from nothing (KSU 2000-07-13 records 181.00 against a 93.75 close that fell by 87.50; SO 2001-04-03
and RTX 2020-04-03 book a spin-off twice, as a split factor and as a payout). Such an amount is
replaced by the price fall (the day's value kept), and the event says so: 12 payouts in the
history. Smaller payouts are credited as recorded, whatever the day's price did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

import numpy as np

from engine.ledger import BASIS_DIGITS, ZERO, Ledger
from market.prices import PriceHistory
from solver.lots import Lot
from solver.splits import apply_split, split_ratio
from solver.tax import is_long_term, to_cents

DISTRIBUTION_SHARE = 0.5  # of the previous close: market.price_checks's bound on a credible dividend
LARGE = 0.10  # of the previous close: a payout this large must show in the price, within this much


@dataclass(frozen=True)
class Event:
    """One corporate action on a held name (or a held name leaving the index)."""

    day: date
    ticker: str
    kind: str  # split | dividend | distribution | left_index
    shares: Decimal  # shares held when it happened (after the split, for a split)
    per_share: Decimal  # ratio for a split; cash per share credited otherwise
    amount: Decimal  # cash credited, cents
    realized_gain: Decimal  # a distribution's gain (exact)
    note: str = ""


@dataclass(frozen=True)
class Actions:
    ledger: Ledger
    events: tuple[Event, ...]
    dividends: Decimal
    distributions: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _distribute(lots: list[Lot], ticker: str, per_share: Decimal, close: Decimal, day: date,
                taxable: bool) -> tuple[list[Lot], Decimal, Decimal]:
    """Split each lot's basis by value between the shares kept (close) and what left (per_share), and
    realize the gain of what left. Returns the lots and the short- and long-term gains."""
    st = lt = ZERO
    out = []
    with localcontext() as exact:
        exact.prec = BASIS_DIGITS
        kept = close / (close + per_share)
        for lot in lots:
            if lot.ticker != ticker:
                out.append(lot)
                continue
            left_basis = lot.cost_basis * (1 - kept)
            gain = lot.shares * per_share - left_basis
            out.append(lot.model_copy(update={"basis_per_share": lot.basis_per_share * kept}))
            if taxable and is_long_term(lot.held_since, day):
                lt += gain
            elif taxable:
                st += gain
    return out, st, lt


def _shares_by_ticker(lots: list[Lot]) -> dict[str, Decimal]:
    """Shares held per ticker, summed in lot order (as a sum over the ticker's lots would)."""
    found: dict[str, Decimal] = {}
    for lot in lots:
        found[lot.ticker] = found.get(lot.ticker, ZERO) + lot.shares
    return found


def apply_actions(ledger: Ledger, history: PriceHistory, after: date, upto: date, taxable: bool) -> Actions:
    """Apply the actions of trading days in (`after`, `upto`] to the ledger's lots and cash."""
    held = ledger.shares()
    if not held or upto <= after:
        return Actions(ledger, (), ZERO, ZERO, ZERO, ZERO)
    first, last = history.row_on(after) + 1, history.row_on(upto)
    names = history.close.columns  # (each `close` is a new frame: built once here, not per ticker)
    columns = [names.get_loc(t) for t in sorted(held)]
    splits = np.nan_to_num(history.split_factors.to_numpy()[first:last + 1, columns], nan=1.0)
    cash_out = history.dividends.to_numpy()[first:last + 1, columns]
    rows, cols = np.nonzero((splits != 1.0) | (np.nan_to_num(cash_out) > 0))
    lots, cash = list(ledger.lots), ledger.cash
    shares_of = _shares_by_ticker(lots)  # (kept up to date through splits: one scan of the lots per split)
    events: list[Event] = []
    dividends = distributions = st = lt = ZERO
    closes = history.close.to_numpy()
    for r, c in sorted(zip(rows.tolist(), cols.tolist(), strict=True)):
        row, ticker = first + r, names[columns[c]]
        day = history.dates[row].date()
        ratio = split_ratio(float(splits[r, c])) if splits[r, c] != 1.0 else None
        if ratio is not None:
            lots = [apply_split(lot, ratio) if lot.ticker == ticker else lot for lot in lots]
            shares_of[ticker] = shares = sum((lot.shares for lot in lots if lot.ticker == ticker), ZERO)
            exact = Decimal(ratio.numerator) / Decimal(ratio.denominator)
            events.append(Event(day, ticker, "split", shares, exact.quantize(Decimal("0.000001")), ZERO, ZERO,
                                f"{ratio.numerator}:{ratio.denominator}"))
        recorded = float(np.nan_to_num(cash_out[r, c]))
        if recorded <= 0:
            continue
        shares = shares_of.get(ticker, ZERO)
        previous = float(closes[row - 1, columns[c]]) / (float(ratio) if ratio else 1.0)  # in today's shares
        close = float(closes[row, columns[c]])
        drop = previous - close
        per_share, note = _decimal(recorded), ""
        if recorded >= LARGE * previous and recorded > drop + LARGE * previous:
            per_share = _decimal(round(max(drop, 0.0), 6))
            note = (f"recorded {recorded:g} per share, but the close fell only {max(drop, 0.0):.4f} from "
                    f"{previous:.4f}: credited the fall")
        amount = to_cents(shares * per_share)
        cash += amount
        if recorded < DISTRIBUTION_SHARE * previous and not note:
            dividends += amount
            events.append(Event(day, ticker, "dividend", shares, per_share, amount, ZERO))
            continue
        lots, gain_st, gain_lt = _distribute(lots, ticker, per_share, _decimal(close), day, taxable)
        st, lt, distributions = st + gain_st, lt + gain_lt, distributions + amount
        events.append(Event(day, ticker, "distribution", shares, per_share, amount, gain_st + gain_lt,
                            note or "received as cash: the distributed shares are treated as sold on the "
                            "ex-date, the basis split by value"))
    new = ledger.model_copy(update={
        "lots": tuple(lots), "cash": cash, "dividends": ledger.dividends + dividends,
        "realized_short_term": ledger.realized_short_term + st,
        "realized_long_term": ledger.realized_long_term + lt})
    return Actions(new, tuple(events), dividends, distributions, st, lt)
