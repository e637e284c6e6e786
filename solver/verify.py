"""The independent verifier: re-applies trades to the lots with exact decimals and checks them.

Written without the optimiser: no Pyomo, nothing from the model, and not the optimiser's tax rules
(`solver.tax`) — the law it applies is its own reading of the rule texts (`solver.verify_law`). It
starts from the inputs both sides share (the account, the market's prices, target data and risk
model) and the trade list, rebuilds holdings, cash and realized gains by each lot's holding period,
then checks the accounting invariants here and every rule of the policy through its kind's `verify`,
which re-derives the rule's meaning from its IR without the helpers its lowering uses.
`tests/verify/` holds both to that. Money is compared at the cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from core.diagnostics import Span
from market.etfs import is_index_etf
from solver.account import Account
from solver.lots import SHARE_STEP, Trade
from solver.market import Market
from solver.verify_law import WASH_SALE_DAYS, added_tax, cents, held_more_than_one_year, in_wash_sale_period
from solver.verify_wash import WashMatch, wash_matches

WEIGHT_TOLERANCE = 1e-6  # weights move by ~1e-9 when shares are snapped to 6 places
TE_TOLERANCE = 1e-4  # a tracking-error limit holds on the exact figure within one basis point


class Violation(BaseModel):
    """A broken rule or invariant: what, which rule (if any), where it was written."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    rule_id: str | None = None
    span: Span | None = None


@dataclass(frozen=True)
class LotSale:
    trade: Trade
    gain: Decimal  # the amount realized less the lot's basis: a loss when negative
    long_term: bool
    basis: Decimal  # of the shares sold, to the cent (gain = amount − basis)
    disallowed: Decimal = Decimal(0)  # of a loss, what a wash sale disallows (positive)

    @property
    def realized(self) -> Decimal:
        """The gain the return reports: a wash sale's disallowed loss is not realized."""
        return self.gain + self.disallowed


@dataclass(frozen=True)
class Outcome:
    """Everything a rule's verifier (and explanation) needs, in exact decimals."""

    account: Account
    market: Market
    as_of: date
    prices: dict[str, Decimal]
    target: dict[str, float]
    sales: tuple[LotSale, ...]
    buys: tuple[Trade, ...]
    shares_before: dict[str, Decimal]
    shares_after: dict[str, Decimal]
    lot_remaining: dict[str, Decimal]
    cash_before: Decimal
    cash_flow: Decimal
    cash_after: Decimal
    value_before: Decimal
    value_after: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal
    estimated_tax: Decimal
    tracking_error_before: float
    tracking_error_after: float
    problems: tuple[Violation, ...] = ()
    groups: dict[str, str] = field(default_factory=dict)
    gifts: tuple[LotSale, ...] = ()  # shares given away in kind; `gain` is the unrealized gain they carry
    wash_matches: tuple[WashMatch, ...] = ()  # loss shares sold matched with replacement shares
    # Cash that arrives other than by the policy's own flow: in a household, what an account receives
    # from the others (negative: gives them), and for the household, its accounts' own flows.
    cash_moved: Decimal = Decimal(0)

    # -- helpers for rule verifiers --------------------------------------------------------------
    def weight_after(self, tickers: Iterable[str]) -> Decimal:
        if self.value_after <= 0:
            return Decimal(0)
        value = sum((self.shares_after.get(t, Decimal(0)) * self.prices.get(t, Decimal(0))
                     for t in set(tickers)), Decimal(0))
        return value / self.value_after

    def weight_before(self, tickers: Iterable[str]) -> Decimal:
        value = sum((self.shares_before.get(t, Decimal(0)) * self.prices.get(t, Decimal(0))
                     for t in set(tickers)), Decimal(0))
        return value / self.value_before if self.value_before > 0 else Decimal(0)

    def target_of(self, tickers: Iterable[str]) -> float:
        return sum(self.target.get(t, 0.0) for t in set(tickers))

    def bought(self, tickers: Iterable[str] | None = None) -> list[Trade]:
        wanted = None if tickers is None else set(tickers)
        return [t for t in self.buys if wanted is None or t.ticker in wanted]

    def sold(self, tickers: Iterable[str] | None = None) -> list[LotSale]:
        wanted = None if tickers is None else set(tickers)
        return [s for s in self.sales if wanted is None or s.trade.ticker in wanted]

    @property
    def trades(self) -> list[Trade]:
        """The plan's trades: its sales, buys and gifts."""
        return [*(s.trade for s in self.sales), *self.buys, *(g.trade for g in self.gifts)]

    @property
    def looked_through(self) -> tuple[str, ...]:
        """The S&P 500 ETFs held before or after, or targeted: the tracking errors count them as the
        index's constituents."""
        named = {*self.shares_before, *self.shares_after, *self.target}
        return tuple(sorted(t for t in named if is_index_etf(t)))

    @property
    def turnover(self) -> Decimal:
        """Value sold / account value before trading: the one meaning of turnover (the `trading …
        max turnover` rule, its check and `summary.turnover`). Buys and gifts do not count."""
        sold = sum((s.trade.amount for s in self.sales), Decimal(0))
        return sold / self.value_before if self.value_before > 0 else Decimal(0)

    @property
    def ytd_short_term(self) -> Decimal:
        return self.account.tax.realized_short_term_ytd + self.realized_short_term

    @property
    def ytd_long_term(self) -> Decimal:
        return self.account.tax.realized_long_term_ytd + self.realized_long_term

    def is_recent(self, on: date, days: int) -> bool:
        """Up to the as-of date, and within the wash-sale period of a sale on it."""
        return on <= self.as_of and in_wash_sale_period(self.as_of, on, days)

    def recent_purchases(self, days: int = WASH_SALE_DAYS) -> list[tuple[str, date]]:
        """Buys within `days` before the as-of date: recorded transactions and recently opened lots."""
        found = [(t.ticker, t.on) for t in self.account.transactions
                 if t.action == "buy" and self.is_recent(t.on, days)]
        found += [(lot.ticker, lot.acquired) for lot in self.account.lots
                  if self.is_recent(lot.acquired, days)]
        return found

    def recent_loss_sales(self, days: int = WASH_SALE_DAYS) -> list[tuple[str, date]]:
        return [(t.ticker, t.on) for t in self.account.transactions
                if t.action == "sell" and t.realized_gain < 0 and self.is_recent(t.on, days)]


def tracking_error(market: Market, shares: dict[str, Decimal], cash: Decimal,
                    target: dict[str, float]) -> float:
    """Ex-ante tracking error by its definition, √(aᵀ(X F Xᵀ + D) a), on the risk model's own arrays
    (not the optimiser's diagonalised form, nor the risk model's methods). A name the model does not
    cover (e.g. VAR, whose prices stop before the as-of date) counts with no factor exposure and the
    model's largest specific variance: the convention stated in docs/solver.md. An S&P 500 ETF held or
    targeted is measured as the index's constituents (`Market.look_through`, on both sides)."""
    values = {t: float(s * market.price(t)) for t, s in shares.items() if s > 0}
    total = sum(values.values()) + float(cash)
    weights = {t: v / total for t, v in values.items()}
    if any(is_index_etf(t) for t in (*weights, *target)):
        weights, target = (market.look_through(pd.Series(side, dtype=float)).to_dict()
                           for side in (weights, target))
    active = {t: weights.get(t, 0.0) - target.get(t, 0.0) for t in sorted(set(weights) | set(target))}
    risk = market.risk
    row = {t: k for k, t in enumerate(risk.tickers)}
    covered = [t for t in active if t in row]
    a = np.array([active[t] for t in covered], dtype=float)
    specific = np.asarray(risk.specific_var, dtype=float)
    exposure = np.asarray(risk.exposures, dtype=float)[[row[t] for t in covered]].T @ a
    variance = float(exposure @ np.asarray(risk.factor_cov, dtype=float) @ exposure)
    variance += float(specific[[row[t] for t in covered]] @ (a * a))
    variance += float(specific.max()) * sum(w * w for t, w in active.items() if t not in row)
    return float(np.sqrt(max(variance, 0.0)))


def build_outcome(account: Account, market: Market, trades: list[Trade], target: dict[str, float],
                  cash_flow: Decimal = Decimal(0), untaxed: frozenset[str] = frozenset(),
                  cash_moved: Decimal = Decimal(0)) -> Outcome:
    """Apply `trades` to `account` at the market's prices; record what does not add up. `untaxed`:
    lots of a household's IRAs and Roths inside a merged `account` (solver/household_view.py): their
    sales realize no gain a return sees, so none a rule or the tax could count (0), and no loss to wash.
    `cash_moved`: cash arriving besides the policy's `cash_flow` (Outcome.cash_moved)."""
    problems: list[Violation] = []
    prices = {t: market.price(t) for t in sorted({lot.ticker for lot in account.lots}
                                                 | {t.ticker for t in trades} | set(target))
              if t in market.prices.index}
    lots = {lot.lot_id: lot for lot in account.lots}
    remaining = {lot.lot_id: lot.shares for lot in account.lots}
    before: dict[str, Decimal] = defaultdict(Decimal)
    for lot in account.lots:
        before[lot.ticker] += lot.shares
    after = defaultdict(Decimal, before)
    cash = account.cash + cash_flow + cash_moved
    sales, buys, gifts = [], [], []
    for trade in trades:
        if trade.shares <= 0 or trade.shares != trade.shares.quantize(SHARE_STEP):
            problems.append(Violation(code="V104", message=f"{trade.action} {trade.ticker}: "
                                      f"{trade.shares} shares is not a positive multiple of {SHARE_STEP}"))
        if trade.ticker not in prices or trade.price != prices[trade.ticker]:
            problems.append(Violation(code="V103", message=f"{trade.ticker}: trade price {trade.price} "
                                      f"is not the as-of price {prices.get(trade.ticker)}"))
            continue
        if trade.action in ("sell", "gift"):
            lot = lots.get(trade.lot_id or "")
            if lot is None or lot.ticker != trade.ticker:
                problems.append(Violation(code="V105", message=f"{trade.action}: unknown lot {trade.lot_id}"))
                continue
            remaining[lot.lot_id] -= trade.shares
            if remaining[lot.lot_id] < 0:
                oversold = -remaining[lot.lot_id]
                problems.append(Violation(code="V101", span=account.span_of(lot.lot_id), message=f"lot "
                                          f"{lot.lot_id} ({lot.ticker}) oversold by {oversold}"))
            # §1001: the gain is the amount realized less the adjusted basis of the shares sold
            basis = cents(trade.shares * lot.basis_per_share)  # to the cent, as the line reports it
            gain = Decimal(0) if lot.lot_id in untaxed else trade.amount - basis
            long_term = held_more_than_one_year(lot.held_since, market.as_of)
            moved = LotSale(trade=trade, gain=gain, long_term=long_term, basis=basis)
            after[trade.ticker] -= trade.shares
            if trade.action == "gift":  # leaves in kind: no cash, no realized gain
                gifts.append(moved)
                continue
            sales.append(moved)
            cash += trade.amount
        else:
            buys.append(trade)
            after[trade.ticker] += trade.shares
            cash -= trade.amount
    if cents(cash) < 0:
        problems.append(Violation(code="V102", message=f"cash after trades is negative: {cents(cash)}"))
    matches: list[WashMatch] = []
    if account.is_taxable:  # §1091 disallows losses on a tax return: none in an account without one
        matches = wash_matches(account, market.as_of, [(s.trade, lots[s.trade.lot_id or ""]) for s in sales
                                                       if s.gain < 0], remaining, buys)
        disallowed: dict[str, Decimal] = defaultdict(Decimal)
        for match in matches:
            disallowed[match.lot_id] += match.loss_disallowed
        sales = [replace(s, disallowed=disallowed.pop(s.trade.lot_id or "", Decimal(0))) for s in sales]
    st = sum((s.realized for s in sales if not s.long_term), Decimal(0)) if account.is_taxable else Decimal(0)
    lt = sum((s.realized for s in sales if s.long_term), Decimal(0)) if account.is_taxable else Decimal(0)
    tax = account.tax
    estimated = added_tax(tax.realized_short_term_ytd, tax.realized_long_term_ytd, st, lt,
                          tax.carryforward_short_term, tax.carryforward_long_term,
                          tax.short_term_rate, tax.long_term_rate) if account.is_taxable else Decimal(0)
    value_before = sum((s * prices[t] for t, s in before.items()), Decimal(0)) + account.cash
    value_after = sum((s * prices[t] for t, s in after.items() if t in prices), Decimal(0)) + cash
    return Outcome(account=account, market=market, as_of=market.as_of, prices=prices, target=dict(target),
                   sales=tuple(sales), buys=tuple(buys), shares_before=dict(before),
                   shares_after={t: s for t, s in after.items() if s != 0}, lot_remaining=remaining,
                   cash_before=account.cash, cash_flow=cash_flow, cash_after=cash,
                   value_before=value_before, value_after=value_after, realized_short_term=st,
                   realized_long_term=lt, estimated_tax=estimated,
                   tracking_error_before=tracking_error(market, dict(before), account.cash, target),
                   tracking_error_after=tracking_error(market, dict(after), cash, target),
                   problems=tuple(problems), groups=dict(market.groups), gifts=tuple(gifts),
                   wash_matches=tuple(matches), cash_moved=cash_moved)
