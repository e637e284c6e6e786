"""A small, real market for solver tests, computed from the shared price history.

Used until (and independently of) `solver.data`: prices on the as-of date, cap weights from the
2025 SPY holdings restricted to names priced on the as-of date, and a statistical risk model (principal
components of one year of daily returns). Loaded once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from solver.market import Market

SHARED = Path("/work/shared/data")
AS_OF = date(2021, 4, 21)


@dataclass(frozen=True)
class StatisticalRiskModel:
    tickers: tuple[str, ...]
    exposures: np.ndarray
    factor_cov: np.ndarray
    specific_var: np.ndarray

    def tracking_error(self, active: pd.Series) -> float:
        a = active.reindex(list(self.tickers)).fillna(0.0).to_numpy()
        f = self.exposures.T @ a
        return float(np.sqrt(f @ self.factor_cov @ f + self.specific_var @ (a * a)))


@cache
def price_frame() -> pd.DataFrame:
    return pd.read_parquet(SHARED / "market/sp500_daily_1999_2021.parquet")


@cache
def market(as_of: date = AS_OF, factors: int = 8) -> Market:
    frame = price_frame()
    # The last close on or before the as-of date (VAR's history ends a few days early).
    upto = frame[frame.date <= pd.Timestamp(as_of)]
    prices = upto.groupby("ticker").close.last().sort_index()
    window = frame[(frame.date > pd.Timestamp(as_of) - pd.Timedelta(days=365))
                   & (frame.date <= pd.Timestamp(as_of))]
    returns = window.pivot(index="date", columns="ticker", values="adjusted_close").pct_change().iloc[1:]
    returns = returns.loc[:, returns.notna().mean() > 0.9].fillna(0.0).clip(-0.5, 0.5)
    returns = returns[[t for t in returns.columns if t in prices.index]]
    centred = (returns - returns.mean()).to_numpy()
    u, sing, vt = np.linalg.svd(centred, full_matrices=False)
    exposures = vt[:factors].T
    factor_returns = centred @ exposures
    factor_cov = np.cov(factor_returns, rowvar=False) * 252
    residual = centred - factor_returns @ exposures.T
    specific = residual.var(axis=0) * 252
    risk = StatisticalRiskModel(tuple(returns.columns), exposures, factor_cov, specific)
    spy = pd.read_csv(SHARED / "reference/spy_weights_2025.csv").set_index("Ticker")["Weight"]
    caps = spy.reindex(prices.index).dropna()
    caps = caps[caps.index.isin(risk.tickers)]
    universe = caps.index
    cap_weights = (caps / caps.sum()).sort_index()
    equal = pd.Series(1.0 / len(universe), index=universe).sort_index()
    return Market(as_of=as_of, prices=prices[prices.index.isin(risk.tickers)], risk=risk,
                  benchmarks={"sp500": cap_weights, "sp500_equal": equal},
                  known_tickers=frozenset(frame.ticker.unique()))
