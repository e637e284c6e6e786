"""Tax lots: the unit of cost basis and holding period."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from solver.money import CENT

# The smallest share quantity traded or reported: fractional shares to 6 decimal places.
SHARE_STEP = Decimal("0.000001")


class Lot(BaseModel):
    """Shares of one security bought on one date at one cost basis per share.

    `acquired` is the purchase date: it decides whether the lot's shares replace a loss sale within
    the wash-sale window. `holding_period_start` is set when a wash sale tacked the loss shares'
    holding period onto these shares (§1223(3)): long or short term counts from it (`held_since`).
    The account's lots table may give it (column `holding_period_start`, never after `acquired`:
    A134); a simulation sets it when it applies a plan's basis adjustments (engine/ledger.py)."""

    model_config = ConfigDict(frozen=True)

    lot_id: str
    ticker: str
    acquired: date
    shares: Decimal
    basis_per_share: Decimal
    holding_period_start: date | None = None

    @property
    def cost_basis(self) -> Decimal:
        return self.shares * self.basis_per_share

    @property
    def held_since(self) -> date:
        """The day the holding period starts: long or short term is counted from it."""
        return self.holding_period_start or self.acquired


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
    account: str | None = None  # in a household, the account that trades; None: the one account

    @property
    def amount(self) -> Decimal:
        """What the trade settles for: shares × price, to the cent (half-even). Cash moves by it, and
        a sale's gain is reckoned from it less the shares' basis, also to the cent: each lot's proceeds
        and basis as a broker's Form 1099-B lists them, so each line adds up and every total is the
        sum of its lines."""
        return (self.shares * self.price).quantize(CENT, rounding=ROUND_HALF_EVEN)
