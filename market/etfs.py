"""S&P 500 index ETFs: models may hold them; tailor looks through them to the index.

The shipped data has no ETF prices, so an ETF's price is derived from the S&P 500 index level
(data/market/sp500_index_daily_1990_2022.csv.gz): close = index level / divisor, from the fund's
inception. The divisors put the series near the funds' real prices (SPY and IVV trade near a tenth
of the index, VOO near an eleventh). The index level is a *price* index, so the derived series
carries no dividends: an ETF's total return here understates the fund's by its yield (~1.5–2%/yr).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class IndexEtf(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticker: str
    name: str
    inception: date
    divisor: float


SP500_ETFS: dict[str, IndexEtf] = {etf.ticker: etf for etf in (
    IndexEtf(ticker="SPY", name="SPDR S&P 500 ETF Trust", inception=date(1993, 1, 22), divisor=10.0),
    IndexEtf(ticker="IVV", name="iShares Core S&P 500 ETF", inception=date(2000, 5, 15), divisor=10.0),
    IndexEtf(ticker="VOO", name="Vanguard S&P 500 ETF", inception=date(2010, 9, 7), divisor=11.0),
)}


def is_index_etf(ticker: str) -> bool:
    return ticker in SP500_ETFS
