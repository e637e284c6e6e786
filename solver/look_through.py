"""ETF look-through as a linear map over a model's universe: effective weights e = M·w.

An S&P 500 ETF (SPY, IVV, VOO) held is measured as the stocks it holds: name j's effective weight is
its own weight plus Σ_etf (the ETF's weight × j's index weight on the as-of date), and an ETF's own
effective weight is 0 (`Market.look_through`, the one definition; the verifier applies it to its
exact holdings). Every column of M is that function applied to one unit position, so the model's
tracking error is the verifier's, exactly: its factor rows read the weights through Mᵀ·loadings and
its specific tangents the effective weight of each name (solver/tracking.py). With no ETF in the
universe M is the identity and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from market.etfs import is_index_etf
from solver.market import Market


def universe(held: set[str], market: Market) -> list[str]:
    """A rebalance's universe: every held name, every priced name the risk model covers, and — when
    an ETF is held — every constituent of the index it is looked through to (each needs its own
    effective weight, priced or not by the risk model)."""
    names = held | (set(market.prices.index) & set(market.risk.tickers))
    if any(is_index_etf(t) for t in held):
        constituents = market.look_through(pd.Series({t: 1.0 for t in held if is_index_etf(t)})).index
        names |= set(constituents)  # priced: the bundled index's members are, a snapshot's must be (D114)
    return sorted(names)


@dataclass(frozen=True)
class LookThrough:
    """M = I − Σ_etf eₑeₑᵀ + Σ_etf shareₑ·eₑᵀ over the universe: `etfs` are the universe positions of
    the ETFs, `share[:, k]` the effective weights of one unit of the k-th (its index's weights)."""

    etfs: np.ndarray
    share: np.ndarray  # n × len(etfs)

    @classmethod
    def of(cls, tickers: list[str], market: Market) -> LookThrough:
        etfs = [i for i, t in enumerate(tickers) if is_index_etf(t)]
        if not etfs:
            return cls.identity(len(tickers))
        # `universe` holds every constituent, so no part of an ETF falls outside the reindexing.
        columns = [market.look_through(pd.Series({tickers[e]: 1.0})) for e in etfs]
        share = np.column_stack([column.reindex(tickers, fill_value=0.0).to_numpy(dtype=float)
                                 for column in columns])
        return cls(etfs=np.array(etfs, dtype=np.int64), share=share)

    @classmethod
    def identity(cls, n: int) -> LookThrough:
        return cls(etfs=np.zeros(0, dtype=np.int64), share=np.zeros((n, 0)))

    @property
    def counted(self) -> np.ndarray:
        """Which names have an effective weight of their own (not an ETF looked through)."""
        mask = np.ones(self.share.shape[0], dtype=bool)
        mask[self.etfs] = False
        return mask

    def effective(self, weights: np.ndarray) -> np.ndarray:
        """M·w: the ETFs' weights moved onto their constituents (works on active weights too)."""
        if not len(self.etfs):
            return weights
        out = weights.copy()
        out[self.etfs] = 0.0
        return out + self.share @ weights[self.etfs]

    def transpose(self, values: np.ndarray) -> np.ndarray:
        """Mᵀ·v (v a vector or an n × k matrix): what a unit of each held name contributes to
        `values` of the effective names — an ETF's row is its constituents' index-weighted sum."""
        if not len(self.etfs):
            return values
        out = values.copy()
        out[self.etfs] = self.share.T @ values
        return out
