"""The simulated account between steps: lots, cash, this tax year's figures and recent trades.

Exact decimals throughout: cash keeps the exact proceeds of each trade (shares × price, as the
verifier computes them), dividends and costs arrive in cents, and figures are rounded to the cent
(half-even) only when reported. A `Ledger` is a frozen value; each step makes a new one, so a
checkpoint is its JSON and a resumed run continues from exactly the same state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from pydantic import BaseModel, ConfigDict

from engine.spec import Costs
from solver.account import Account, TaxProfile, Transaction
from solver.lots import Lot
from solver.money import apportioned
from solver.result import BasisAdjustment, TradeLine
from solver.tax import net_gains, tax_on, to_cents

ZERO = Decimal(0)
BASIS_DIGITS = 50  # a basis per share is a quotient: kept to 50 digits, as splits keep it


class Rates(BaseModel):
    model_config = ConfigDict(frozen=True)

    short_term: Decimal
    long_term: Decimal
    dividend: Decimal


class Ledger(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date | None  # the last step (None before the first)
    year: int  # the tax year the figures below belong to
    lots: tuple[Lot, ...]
    cash: Decimal
    realized_short_term: Decimal = ZERO  # this tax year, after trading costs
    realized_long_term: Decimal = ZERO
    dividends: Decimal = ZERO  # this tax year's cash dividends (taxed at the dividend rate)
    carry_short_term: Decimal = ZERO  # loss carryforwards into this year, positive amounts
    carry_long_term: Decimal = ZERO
    transactions: tuple[Transaction, ...] = ()  # buys and loss sales of the last wash-sale window
    owed: Decimal = ZERO  # withdrawals (and tax from cash) no plan could raise yet: tried again next step
    # What the last solve left, for the `bands` fast path (engine.screens.Anchors): the lots past the
    # harvest thresholds it kept, the ex-ante tracking error and the idle cash (fraction of the account).
    declined: tuple[str, ...] = ()
    tracking_error: float = 0.0
    idle: float = 0.0
    last_costs: Decimal = ZERO  # the last plan's trading costs: the next plan's first estimate of its own

    def shares(self) -> dict[str, Decimal]:
        held: dict[str, Decimal] = defaultdict(Decimal)
        for lot in self.lots:
            held[lot.ticker] += lot.shares
        return dict(held)

    def tax(self, rates: Rates) -> Decimal:
        """This year's tax so far: netted gains (with the carryforwards) and dividends."""
        netted = net_gains(self.realized_short_term, self.realized_long_term, self.carry_short_term,
                           self.carry_long_term)
        return tax_on(netted, rates.short_term, rates.long_term) + self.dividends * rates.dividend


def account_of(ledger: Ledger, base: Account, rates: Rates, window: int) -> Account:
    """The account the rebalance sees on the ledger's day: the starting account's identity (id, type,
    household, target, input hash) with the simulated lots, cash, tax year and recent trades. Its own
    `as_of` is dropped: the market passed with it states the day."""
    cutoff = (ledger.day or date.min) - timedelta(days=window)
    household = base.household_transactions
    return base.model_copy(update={
        "lots": ledger.lots, "cash": ledger.cash, "as_of": None, "as_of_span": None,
        "transactions": tuple(t for t in ledger.transactions if t.on >= cutoff),
        "household_transactions": None if household is None
        else tuple(t for t in household if t.on >= cutoff),
        "tax": TaxProfile(short_term_rate=rates.short_term, long_term_rate=rates.long_term,
                          realized_short_term_ytd=ledger.realized_short_term,
                          realized_long_term_ytd=ledger.realized_long_term,
                          carryforward_short_term=ledger.carry_short_term,
                          carryforward_long_term=ledger.carry_long_term)})


@dataclass(frozen=True)
class YearEnd:
    """One closed tax year (`Ledger.tax` at its end) and what it carries into the next."""

    year: int
    realized_short_term: Decimal
    realized_long_term: Decimal
    dividends: Decimal
    carry_in_short_term: Decimal
    carry_in_long_term: Decimal
    carry_out_short_term: Decimal
    carry_out_long_term: Decimal
    tax: Decimal  # cents


def roll_year(ledger: Ledger, rates: Rates, year: int) -> tuple[Ledger, YearEnd]:
    """Close the ledger's tax year: Schedule D netting (solver.tax.net_gains) gives the tax and the
    losses carried forward by character; year-to-date figures start again at zero."""
    netted = net_gains(ledger.realized_short_term, ledger.realized_long_term, ledger.carry_short_term,
                       ledger.carry_long_term)
    closed = YearEnd(year=ledger.year, realized_short_term=ledger.realized_short_term,
                     realized_long_term=ledger.realized_long_term, dividends=ledger.dividends,
                     carry_in_short_term=ledger.carry_short_term, carry_in_long_term=ledger.carry_long_term,
                     carry_out_short_term=netted.carryforward_short_term,
                     carry_out_long_term=netted.carryforward_long_term, tax=to_cents(ledger.tax(rates)))
    return ledger.model_copy(update={
        "year": year, "realized_short_term": ZERO, "realized_long_term": ZERO, "dividends": ZERO,
        "carry_short_term": netted.carryforward_short_term,
        "carry_long_term": netted.carryforward_long_term}), closed


@dataclass(frozen=True)
class Applied:
    """What a verified plan did to the ledger, net of trading costs."""

    ledger: Ledger
    realized_short_term: Decimal
    realized_long_term: Decimal
    harvested: Decimal  # losses realized, as a positive amount
    sold: Decimal
    costs: Decimal
    line_costs: tuple[Decimal, ...]  # each trade line's share of its order's cost
    carried: tuple[Carried, ...] = ()  # the plan's basis adjustments, as the lots took them


@dataclass(frozen=True)
class Carried:
    """A wash sale's disallowed loss (`adjustment.loss_added`, to the cent as the plan's sale line
    counts it) carried into the lot now holding the matched replacement shares (None: a replacement
    that is no lot of this account)."""

    adjustment: BasisAdjustment
    lot_id: str | None


def order_costs(trades: tuple[TradeLine, ...], costs: Costs) -> tuple[Decimal, tuple[Decimal, ...]]:
    """Cost of each order (ticker and side): spread on its amount plus the fee, in cents; each line
    carries its share by amount, in cents too, so an order's lines add up to its cost (`apportioned`)."""
    orders: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, line in enumerate(trades):
        orders[line.action, line.ticker].append(k)
    shares, total = [ZERO] * len(trades), ZERO
    for lines in orders.values():
        amounts = [trades[k].amount for k in lines]
        cost = to_cents(sum(amounts, ZERO) * costs.spread_bp / 10_000 + costs.fee)
        total += cost
        for k, part in zip(lines, apportioned(cost, amounts), strict=True):
            shares[k] = part
    return total, tuple(shares)


def apply_plan(ledger: Ledger, trades: tuple[TradeLine, ...], flow: Decimal, day: date, costs: Costs,
               taxable: bool, *, adjustments: tuple[BasisAdjustment, ...]) -> Applied:
    """Sold lots reduced (emptied lots removed), bought lots added (acquired today, basis = price plus
    the order's cost), cash moved by the flow, the proceeds and the costs; realized gains by the term
    the verifier gave each sale, net of its share of the sale's cost and of the loss its wash sales
    disallow, which moves into the replacement shares (`carry_disallowed_loss`); buys and loss sales
    recorded for the wash-sale window."""
    total_cost, line_cost = order_costs(trades, costs)
    lots = {lot.lot_id: lot for lot in ledger.lots}
    adjustments = adjustments if taxable else ()  # §1091 disallows nothing without a tax return
    added: list[Lot] = []
    recent = list(ledger.transactions)
    st = lt = harvested = sold = bought = ZERO
    for line, cost in zip(trades, line_cost, strict=True):
        amount = line.amount  # what the trade settles for, to the cent
        if line.action == "buy":
            bought += amount
            with localcontext() as exact:
                exact.prec = BASIS_DIGITS
                basis = (amount + cost) / line.shares
            added.append(Lot(lot_id=f"SIM-{day:%Y%m%d}-{line.ticker}", ticker=line.ticker, acquired=day,
                             shares=line.shares, basis_per_share=basis))
            recent.append(Transaction(on=day, ticker=line.ticker, action="buy", shares=line.shares,
                                      price=line.price))
            continue
        lot = lots[line.lot_id or ""]
        left = lot.shares - line.shares
        if left > 0:
            lots[lot.lot_id] = lot.model_copy(update={"shares": left})
        else:
            del lots[lot.lot_id]
        sold += amount
        # The plan's line (proceeds less basis, each to the cent, plus the loss its wash sales
        # disallow, as the verifier reckoned it), less the sale's share of the order's cost.
        gain = (line.realized_gain or ZERO) - cost
        if not taxable:
            continue
        if line.term == "long":
            lt += gain
        else:
            st += gain
        if gain < 0:
            harvested -= gain
            recent.append(Transaction(on=day, ticker=line.ticker, action="sell", shares=line.shares,
                                      price=line.price, realized_gain=gain))
    carried = tuple(Carried(a, carry_disallowed_loss(lots, a)) for a in adjustments)
    new = ledger.model_copy(update={
        "lots": (*lots.values(), *added), "cash": ledger.cash + flow + sold - bought - total_cost,
        "realized_short_term": ledger.realized_short_term + st,
        "realized_long_term": ledger.realized_long_term + lt, "transactions": tuple(recent)})
    return Applied(ledger=new, realized_short_term=st, realized_long_term=lt, harvested=harvested, sold=sold,
                   costs=total_cost, line_costs=line_cost, carried=carried)


def carry_disallowed_loss(lots: dict[str, Lot], adjustment: BasisAdjustment) -> str | None:
    """Add a disallowed loss to the basis of the replacement shares it matched (§1091(d)) and tack the
    loss shares' holding period onto them (§1223(3)); returns the lot that holds them now. Matched
    shares that are part of a lot become a lot of their own, `LOT~FROM` (the rest keeps the lot's id,
    basis and dates). A replacement that is no lot here — another account's buy, or shares bought and
    sold again before the loss sale — has no basis in this account to carry the loss into: the loss
    stays disallowed, as the plan reported it (None)."""
    lot = lots.get(adjustment.replacement)
    if lot is None:
        return None
    lot_id = lot.lot_id
    if adjustment.shares < lot.shares:
        lot_id, n = f"{lot.lot_id}~{adjustment.from_lot}", 1
        while lot_id in lots:  # the same two lots matched again at a later step
            n += 1
            lot_id = f"{lot.lot_id}~{adjustment.from_lot}~{n}"
    carry(lots, lot.lot_id, lot_id, adjustment.shares, adjustment.loss_added, adjustment.holding_period_start)
    return lot_id


def carry(lots: dict[str, Lot], replacement: str, matched_id: str, shares: Decimal, loss: Decimal,
          holding_period_start: date) -> None:
    """`shares` of lot `replacement` become lot `matched_id` (the same lot when they are all of it), their
    basis raised by `loss` and their holding period starting on `holding_period_start` if that is
    earlier than their own; `acquired` stays the day they were bought, which later wash-sale windows
    see (a replacement purchase is still a purchase on its own date). Also replays a recorded period's
    basis adjustments (engine.taxes_saved_inputs)."""
    lot = lots[replacement]
    if not 0 < shares <= lot.shares:
        raise ValueError(f"a basis adjustment of {shares} shares of lot {replacement}, which holds "
                         f"{lot.shares}")
    with localcontext() as exact:
        exact.prec = BASIS_DIGITS
        basis = lot.basis_per_share + loss / shares
    matched = {"lot_id": matched_id, "shares": shares, "basis_per_share": basis,
               "holding_period_start": min(lot.held_since, holding_period_start)}
    if shares < lot.shares:
        lots[replacement] = lot.model_copy(update={"shares": lot.shares - shares})
    elif matched_id != replacement:
        del lots[replacement]
    lots[matched_id] = lot.model_copy(update=matched)


def prune(ledger: Ledger, day: date, window: int) -> Ledger:
    """Forget trades older than the wash-sale window: they no longer matter to any rule."""
    cutoff = day - timedelta(days=window)
    kept = tuple(t for t in ledger.transactions if t.on >= cutoff)
    if len(kept) == len(ledger.transactions):
        return ledger
    return ledger.model_copy(update={"transactions": kept})
