"""Tax lots: the unit of cost basis and holding period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

# The smallest share quantity traded or reported: fractional shares to 6 decimal places.
SHARE_STEP = Decimal("0.000001")


class Lot(BaseModel):
    """Shares of one security bought on one date at one cost basis per share."""

    model_config = ConfigDict(frozen=True)

    lot_id: str
    ticker: str
    acquired: date
    shares: Decimal
    basis_per_share: Decimal

    @property
    def cost_basis(self) -> Decimal:
        return self.shares * self.basis_per_share


class Trade(BaseModel):
    """One order line: a sale from one lot, a purchase of one ticker (which opens a new lot), or a gift
    of shares from one lot (they leave the account in kind: no cash, no realized gain)."""

    model_config = ConfigDict(frozen=True)

    action: Literal["sell", "buy", "gift"]
    ticker: str
    shares: Decimal
    price: Decimal
    lot_id: str | None = None
    acquired: date | None = None
    basis_per_share: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        return self.shares * self.price
