"""Index targets: the S&P 500 as of a date (cap- or equal-weighted), user model files, ETF look-through.

Cap weights. The shipped data has current market caps (reference/sp500_financials_2026.csv) but no
historical share counts, so a past cap is today's cap scaled by the price ratio:
    cap_t = cap_now × (close_t / S(t → now)) / price_now
where S(t → now) multiplies every split after t (the price history up to 2021-04-21, then
reference/splits_after_2021.csv), putting close_t on today's share basis. Share counts are assumed
constant, so buybacks, issuance, mergers and spin-offs since t are ignored. Fallbacks, in order,
for a member without a usable current cap: the cap of its renamed successor
(reference/ticker_successors.csv, FB → META); a cap implied by its SPY weight (Aug 2025) times the
median cap-per-weight of names that have both; otherwise the median cap of the other members on
that date (also used when today's price implies a move of more than 25-fold since 2021, a sign the
row mixes dates). `market_caps(as_of)` reports which source each name used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.diagnostics import TailorError, error
from core.paths import data_dir
from market.etfs import SP500_ETFS, is_index_etf
from market.master import load_master, normalise_ticker
from market.prices import load_prices

SCHEMES = ("cap", "equal")
MAX_GROWTH = 25.0


@cache
def _current_caps() -> pd.DataFrame:
    """Ticker → cap_now, price_now, source (today's share basis), before any date is chosen."""
    ref = data_dir() / "reference"
    fin = pd.read_csv(ref / "sp500_financials_2026.csv")
    fin = fin.set_index(fin["Symbol"].map(normalise_ticker).rename("ticker"))
    fin = fin[["Market Cap", "Price"]].set_axis(["cap", "price"], axis=1)
    fin["source"] = np.where(fin["cap"].notna(), "financials", "")
    spy = pd.read_csv(ref / "spy_weights_2025.csv")
    spy_weight = spy.set_index(spy["Ticker"].map(normalise_ticker))["Weight"]
    both = fin.index[fin["cap"].notna()].intersection(spy_weight.index)
    cap_per_weight = float((fin.loc[both, "cap"] / spy_weight[both]).median())
    from_spy = fin["cap"].isna() & fin.index.isin(spy_weight.index)
    fin.loc[from_spy, "cap"] = spy_weight.reindex(fin.index[from_spy]) * cap_per_weight
    fin.loc[from_spy, "source"] = "spy_weight"
    _split_company_caps_between_share_classes(fin, spy_weight, ref)
    usable = fin[fin["cap"].notna() & fin["price"].notna()].copy()
    successors = pd.read_csv(ref / "ticker_successors.csv").set_index("old")["new"]
    for old, new in successors.items():
        if new in usable.index and old not in usable.index:
            usable.loc[old] = [usable.at[new, "cap"], usable.at[new, "price"], f"successor {new}"]
    return usable


def _split_company_caps_between_share_classes(fin: pd.DataFrame, spy_weight: pd.Series, ref: Path) -> None:
    """The financials file gives each share class (GOOGL and GOOG) the whole company's cap; share it
    out by SPY weight (equally without one) so the company is not counted twice."""
    members = pd.read_csv(ref / "sp500_constituents_2026.csv", dtype={"CIK": str})
    members["ticker"] = members["Symbol"].map(normalise_ticker)
    for _, group in members[members["CIK"].duplicated(keep=False)].groupby("CIK"):
        tickers = [t for t in group["ticker"] if t in fin.index]
        shares = spy_weight.reindex(tickers).fillna(1.0 / len(tickers))
        company_cap = fin.loc[tickers, "cap"].max()
        fin.loc[tickers, "cap"] = company_cap * (shares / shares.sum()).to_numpy()


@cache
def _splits_after_history() -> pd.Series:
    """Ticker → product of split ratios after the price history ends."""
    table = pd.read_csv(data_dir() / "reference" / "splits_after_2021.csv")
    return table.groupby("ticker")["ratio"].prod()


def index_members(as_of: date) -> tuple[str, ...]:
    """S&P 500 members on `as_of` that have a price on the last trading day on or before it."""
    prices = load_prices()
    row = prices.row_on(as_of)
    priced = prices.close.iloc[row]
    members = [t for t in load_master().members_on(as_of) if t in priced.index and np.isfinite(priced[t])]
    return tuple(sorted(members))


def market_caps(as_of: date) -> pd.DataFrame:
    """Estimated market cap (dollars) of each member on `as_of`, with the source of the estimate."""
    prices = load_prices()
    row = prices.row_on(as_of)
    members = list(index_members(as_of))
    after_history = _splits_after_history().reindex(members).fillna(1.0).to_numpy()
    later_splits = np.nanprod(prices.split_factors.iloc[row + 1:][members].to_numpy(), axis=0) * after_history
    current = _current_caps().reindex(members)
    price_now = current["price"].to_numpy()
    caps = current["cap"].to_numpy() * (prices.close.iloc[row][members].to_numpy() / later_splits) / price_now
    source = current["source"].fillna("").to_numpy(dtype=object)
    # A current price that implies a 25-fold move since 2021 is a stale or mismatched row, not growth.
    growth = price_now * after_history / prices.close_on(prices.last)[members].to_numpy()
    implausible = np.isfinite(growth) & ((growth < 1 / MAX_GROWTH) | (growth > MAX_GROWTH))
    caps[implausible] = np.nan
    missing = ~np.isfinite(caps)
    caps[missing] = np.median(caps[~missing])
    source[missing] = "median"
    return pd.DataFrame({"cap": caps, "source": source}, index=pd.Index(members, name="ticker"))


def index_weights(as_of: date, scheme: str = "cap") -> pd.Series:
    """Weights (summing to 1) of the S&P 500 members on `as_of`, cap- or equal-weighted."""
    if scheme not in SCHEMES:
        raise TailorError(error("D103", f"unknown weighting scheme {scheme!r}",
                                hint=f"use one of: {', '.join(SCHEMES)}"))
    if scheme == "equal":
        members = index_members(as_of)
        weights = pd.Series(1.0 / len(members), index=pd.Index(members, name="ticker"))
    else:
        caps = market_caps(as_of)["cap"]
        weights = caps / caps.sum()
    return weights.rename("weight")


def look_through(weights: pd.Series, index: pd.Series) -> pd.Series:
    """Effective weights: each name's own weight plus, for every S&P 500 ETF position, the ETF's weight
    times the name's weight in `index` (the S&P 500's weights on the date, summing to 1); the ETFs
    drop out. Linear, so it looks through active weights as well as holdings. The one definition every
    tracking error reads (`solver.market.Market.look_through`)."""
    etfs = [t for t in weights.index if is_index_etf(t)]
    if not etfs:
        return weights.rename("weight")
    etf_total = float(weights[etfs].sum())
    combined = weights.drop(etfs).add(index * etf_total, fill_value=0.0)
    return combined.sort_index().rename("weight")


def renormalise(weights: pd.Series, exclude: Iterable[str]) -> pd.Series:
    """Drop `exclude` and scale the rest back to the original total (exclusions renormalise)."""
    excluded = set(exclude)
    kept = weights[~weights.index.isin(excluded)]
    if kept.sum() <= 0:
        raise TailorError(error("D108", "the exclusions remove every name with a positive weight",
                                hint="exclude fewer names, or choose another target"))
    return (kept * (weights.sum() / kept.sum())).rename("weight")


MAX_MODEL_BYTES = 1_000_000


def model_weights(path: str | Path) -> pd.Series:
    """A user model file: CSV with header `ticker,weight`; weights as fractions or with a % sign.

    Tickers must be in the security master or be S&P 500 ETFs (SPY, IVV, VOO), each listed once;
    weights must be non-negative and sum to 1 (100%). Every problem is reported with file:line:col.
    """
    from market.model_file import read_model_file

    return read_model_file(str(path), known=set(load_master().tickers) | set(SP500_ETFS),
                           max_bytes=MAX_MODEL_BYTES)

