"""The market on each step of a simulation, built for thousands of consecutive days.

`Market.load(day)` takes ~55 ms (20 ms of it forward-filling the whole close history, 25 ms the cap
weights) and builds a new risk model for every date (~0.6 s): fine for one rebalance, 2.5 minutes of
a 2,500-day simulation before anything is solved. `Days` gives the same market faster:

* prices: the last close on or before the day (delisted names keep theirs), kept up to date as the
  simulation walks forward, not re-filled from 1999 on every step;
* benchmarks: computed only when a rule asks for one (`LazyBenchmarks`); the cap weights are
  `market.index.index_weights(day, "cap")` with the later-split products precomputed once
  (`CapWeights`; equal within 1e-12, tested);
* the risk model of the period's first step (`risk_model: monthly` or `quarterly`), or of every step
  (`each_step`): a factor model estimated on two years of returns changes little within a month, and
  each estimate costs 0.1–0.6 s once (then it is read from the cache). A step on which a stock is
  first priced starts a new model for the rest of its period: every priced name must be covered, or
  the target the optimiser tracks would differ from the index (the verifier refuses that, V201).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date

import numpy as np
import pandas as pd

from market.index import MAX_GROWTH, index_members, index_weights
from market.prices import PriceHistory
from market.risk import RiskModel
from market.risk_build import risk_model
from solver.market import Market


class CapWeights:
    """`index_weights(day, "cap")` in O(members) per day: the same estimate (today's cap scaled back by
    the split-adjusted price ratio, the same fallbacks), with the product of every later split and
    the per-ticker constants computed once for the whole history."""

    def __init__(self, history: PriceHistory, members: Callable[[date], tuple[str, ...]] = index_members):
        # The data layer's own cached inputs: the current caps and the splits after the history ends.
        from market.index import _current_caps, _splits_after_history

        self.history, self.members = history, members
        tickers = list(history.close.columns)
        self.column = {t: i for i, t in enumerate(tickers)}
        factors = np.nan_to_num(history.split_factors.to_numpy(), nan=1.0)
        after = _splits_after_history().reindex(tickers).fillna(1.0).to_numpy()
        # later[r] = product of the split factors of rows after r, then of the splits after 2021.
        suffix = np.cumprod(factors[::-1], axis=0)[::-1]
        self.later = np.vstack([suffix[1:], np.ones((1, len(tickers)))]) * after
        current = _current_caps().reindex(tickers)
        self.cap_now = current["cap"].to_numpy()
        self.price_now = current["price"].to_numpy()
        growth = self.price_now * after / history.close_on(history.last).reindex(tickers).to_numpy()
        self.implausible = np.isfinite(growth) & ((growth < 1 / MAX_GROWTH) | (growth > MAX_GROWTH))

    def on(self, day: date) -> pd.Series:
        members = list(self.members(day))
        cols = np.array([self.column[t] for t in members], dtype=int)
        row = self.history.row_on(day)
        close = self.history.close.to_numpy()[row, cols]
        caps = self.cap_now[cols] * (close / self.later[row, cols]) / self.price_now[cols]
        caps[self.implausible[cols]] = np.nan
        missing = ~np.isfinite(caps)
        caps[missing] = np.median(caps[~missing])
        return pd.Series(caps / caps.sum(), index=pd.Index(members, name="ticker"), name="weight")


class LazyBenchmarks(Mapping[str, pd.Series]):
    """The benchmarks of one day, each computed when first read. Pickled as the plain mapping (every
    benchmark computed), so a Market shipped to another process carries no arrays of the history."""

    NAMES = ("sp500", "sp500_equal")

    def __init__(self, day: date, caps: CapWeights):
        self.day, self._caps, self._found = day, caps, {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self.NAMES:
            raise KeyError(name)
        if name not in self._found:
            self._found[name] = (self._caps.on(self.day) if name == "sp500"
                                 else index_weights(self.day, "equal"))
        return self._found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)

    def __reduce__(self) -> tuple[type, tuple[dict[str, pd.Series]]]:
        return dict, ({name: self[name] for name in self.NAMES},)


class _LastValues:
    """The last finite value of each column on or before a row, kept up to date walking forward."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.last = np.full(values.shape[1], np.nan)
        self.row = -1

    def on(self, row: int) -> np.ndarray:
        if row < self.row:  # walking back (a resumed run starts over): fill from the beginning
            self.last, self.row = np.full(self.values.shape[1], np.nan), -1
        for values in self.values[self.row + 1: row + 1]:
            self.last = np.where(np.isfinite(values), values, self.last)
        self.row = max(self.row, row)
        return self.last


class Days:
    """Markets for increasing step days; `market(day, risk_day)` with the day its risk model is
    estimated on (see `risk_days`)."""

    def __init__(self, history: PriceHistory, known: frozenset[str]):
        self.history = history
        self.caps = CapWeights(history, self.members)
        self._members: dict[date, tuple[str, ...]] = {}
        self.known = known
        self.tickers = np.array(history.close.columns)
        self.stocks = frozenset(history.stocks)
        self._closes = _LastValues(history.close.to_numpy())
        self._adjusted = _LastValues(history.adjusted_close.to_numpy())
        self._risk: tuple[date, RiskModel] | None = None  # the current period's model

    def members(self, day: date) -> tuple[str, ...]:
        """`index_members(day)`, kept for the last few days asked (each step asks for two)."""
        if day not in self._members:
            if len(self._members) > 4:
                self._members.pop(next(iter(self._members)))
            self._members[day] = index_members(day)
        return self._members[day]

    def _series(self, last: np.ndarray, day: date) -> pd.Series:
        priced = np.isfinite(last)
        index = pd.Index(self.tickers[priced], name="ticker")
        return pd.Series(last[priced], index=index, name=day).sort_index()

    def closes(self, day: date) -> pd.Series:
        """The last close of every priced ticker on or before `day`, as `PriceHistory.close_on(day)`."""
        return self._series(self._closes.on(self.history.row_on(day)), day)

    def adjusted(self, day: date) -> pd.Series:
        """The last adjusted close (dividends and splits, repaired) on or before `day`."""
        return self._series(self._adjusted.on(self.history.row_on(day)), day)

    def market(self, day: date, risk_day: date) -> Market:
        prices = self.closes(day)
        if self._risk is None or self._risk[0] != risk_day:
            self._risk = (risk_day, risk_model(risk_day))
        risk = self._risk[1]
        if not self.stocks.intersection(prices.index) <= set(risk.tickers):
            # A name priced before but not on the model's day (a gap in its prices): this day gets
            # its own model, which covers every name priced today.
            risk = risk_model(day)
        return Market(as_of=day, prices=prices, risk=risk, benchmarks=LazyBenchmarks(day, self.caps),
                      known_tickers=self.known | frozenset(prices.index),
                      priced_as_of=self.history.trading_day_on(day))


def risk_days(steps: list[date], refresh: str, history: PriceHistory) -> dict[date, date]:
    """The day whose risk model each step uses: itself (`each_step`), or the first step of its month or
    quarter — or the latest step of the period on which a stock was first priced, since a model must
    cover every priced name (the target the optimiser tracks would otherwise differ from the index).
    A pure function of the steps and the data, so a resumed run uses the same models."""
    if refresh == "each_step":
        return {day: day for day in steps}
    values = history.close[list(history.stocks)].to_numpy()
    listed = np.sort(np.argmax(np.isfinite(values), axis=0))  # each stock's first priced row

    def period(day: date) -> tuple[int, int]:
        return day.year, day.month if refresh == "monthly" else (day.month - 1) // 3
    found: dict[date, date] = {}
    current: date | None = None
    for day in steps:
        if current is not None and period(current) == period(day):
            since, row = history.row_on(current), history.row_on(day)
            if np.searchsorted(listed, row, side="right") > np.searchsorted(listed, since, side="right"):
                current = day
        else:
            current = day
        found[day] = current
    return found
