"""Stock splits applied to tax lots: shares × ratio, basis per share ÷ ratio, acquisition date kept.

Ratios come from the price history as floats with noise (AAPL's 7:1 is stored as 7.000007), so
each is snapped to the simple fraction it stands for (7, 3/2, 1/7, 1/20 …) before any arithmetic.
Shares stay exact when the ratio allows (a forward split of whole shares); a reverse split can leave
a fraction, which is kept to 6 decimal places (half-even; brokers pay cash in lieu of fractions) —
except a dust lot that would round to zero shares, which keeps its exact size.
The lot's total cost basis never changes: the new basis per share is the old total divided by the
new share count, at 50 significant digits, so `cost_basis` agrees with the old one to the cent and
to within 1e-40 dollars.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from core.diagnostics import TailorError, error
from market.prices import PriceHistory, load_prices
from solver.lots import Lot

SHARE_PLACES = Decimal("0.000001")


def split_ratio(value: float) -> Fraction:
    """The exact ratio a stored split factor stands for (7.000007 → 7, 1.499999 → 3/2)."""
    snapped = Fraction(value).limit_denominator(1000)
    if snapped <= 0 or abs(float(snapped) / value - 1.0) > 1e-5:
        raise TailorError(error("D104", f"split factor {value!r} is not a recognisable ratio"))
    return snapped


def apply_split(lot: Lot, ratio: Fraction) -> Lot:
    """The lot after one split of `ratio` new shares per old share."""
    with localcontext() as exact:
        exact.prec = 50
        exact_shares = lot.shares * Decimal(ratio.numerator) / Decimal(ratio.denominator)
        shares = exact_shares.quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)
        if shares == 0:  # a dust lot below a millionth of a share keeps its exact size and basis
            shares = exact_shares
        basis_per_share = lot.cost_basis / shares
        return lot.model_copy(update={"shares": _plain(shares), "basis_per_share": _plain(basis_per_share)})


def _plain(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (2800, not 2.8E+3)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def apply_splits(lots: Iterable[Lot], start: date, end: date,
                 prices: PriceHistory | None = None) -> list[Lot]:
    """Lots adjusted for every split effective after the close of `start` up to `end` inclusive.

    A split applies to a lot only if the lot was acquired before the split's date (a purchase on or
    after the ex-date is already in post-split shares).
    """
    prices = prices or load_prices()
    lots = list(lots)
    events = prices.splits_between(start, end)
    events = events[events["ticker"].isin({lot.ticker for lot in lots})]
    by_ticker: dict[str, list[tuple[date, Fraction]]] = {}
    for day, ticker, value in zip(events["date"], events["ticker"], events["ratio"], strict=True):
        by_ticker.setdefault(ticker, []).append((day, split_ratio(float(value))))
    adjusted = []
    for lot in lots:
        # One combined ratio per lot: shares and basis are rounded once, not once per split.
        ratio = Fraction(1)
        for day, each in by_ticker.get(lot.ticker, ()):
            if lot.acquired < day:
                ratio *= each
        adjusted.append(lot if ratio == 1 else apply_split(lot, ratio))
    return adjusted
