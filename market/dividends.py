"""Trailing dividend yields from the price history's `dividend_amount`: the input of asset location
(solver/asset_location.py), which needs a name's yield without a policy rule asking for it.

A name's yield on a date is its trailing-twelve-month dividend per share over its close: the payouts
with ex-dates in the 365 days up to and including the date, each divided by the splits booked after
it up to the date (a dividend paid before a 4:1 split counts a quarter per share of today), over the
date's close. A payout of half the previous close or more is a distribution (a spin-off), not income,
as the simulation reads it (engine/actions.py). The `dividend yield` rule reads yields the same way
(compiler/rules/dividend_yield.py calls this function), and so does a household's asset location in
the model (solver/model.py); the verifier computes its own in exact decimals.
The ETFs yield 0 here: the data records no dividends for them (market/etfs.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

WINDOW_DAYS = 365
DISTRIBUTION_SHARE = 0.5  # a payout of this share of the previous close or more is not income


def trailing_dividend_yield(as_of: date, closes: pd.Series) -> pd.Series:
    """Each ticker of `closes` (its price on `as_of`) with its trailing-twelve-month yield, as a
    fraction; 0 for a name the history does not price. The history must cover the twelve months."""
    import numpy as np  # here, not above: the rule kinds read this module's constants at start-up
    import pandas as pd

    from market.errors import date_outside
    from market.prices import load_prices

    history = load_prices()
    first_day = as_of - timedelta(days=WINDOW_DAYS - 1)
    if first_day <= history.first or as_of > history.last:  # a payout's previous close too
        raise date_outside("dividend history (twelve months before the date)",
                           as_of if as_of > history.last else first_day, history.first, history.last)
    tickers = list(closes.index)
    columns = history.close.columns.get_indexer(tickers)
    found = columns >= 0
    start = int(history.dates.searchsorted(np.datetime64(first_day)))
    end = history.row_on(as_of) + 1
    paid = np.nan_to_num(history.dividends.to_numpy()[start:end, columns[found]])
    factors = np.nan_to_num(history.split_factors.to_numpy()[start:end, columns[found]], nan=1.0)
    previous = history.close.to_numpy()[start - 1:end - 1, columns[found]] / factors
    income = paid < DISTRIBUTION_SHARE * np.nan_to_num(previous, nan=np.inf)
    from_row_on = np.cumprod(factors[::-1], axis=0)[::-1]  # row r: the product of the factors r … end
    later_splits = np.vstack([from_row_on[1:], np.ones((1, factors.shape[1]))])
    per_share = (np.where(income, paid, 0.0) / later_splits).sum(axis=0)
    yields = np.zeros(len(tickers))
    yields[found] = per_share / closes.to_numpy(dtype=float)[found]
    return pd.Series(np.nan_to_num(yields), index=closes.index, name="dividend_yield")
