"""Taxes saved or deferred by a tax-aware account, against a plain rebalance, and against its fee.

The **incremental method** (docs/taxes_saved.md): at every step, from the account's own holdings and
the day's closes, a *plain rebalance* is computed — what an adviser without tax awareness would have
sold — and only the difference counts:

* **losses beyond the plain rebalance**: the losses the account realized minus those the plain
  rebalance would have realized (IBM at 4% of the account with a 3% target, sold to 1% at a loss:
  the plain rebalance sells 4% → 3% at a loss too, so only 3% → 1% counts);
* **gains deferred**: the gains the plain rebalance would have realized minus those the account did.

Either can be negative (the account realized a gain the plain rebalance would not, or kept a loss it
would have sold): they are netted, never clipped. Each is valued at the account's marginal rate of
its term (short-term or long-term by the lot's holding period on the step's day), not netted through
Schedule D: the figure is what the difference is worth to an investor whose other gains absorb it.

**The plain rebalance** sells, in each name whose value exceeds its target, the excess at the day's
close, from the name's lots first in, first out (oldest acquisition first, then lot id: a broker's
default). A name's target value is its weight in the policy's `target` on the day, renormalised over
the names the account holds before or after the step, times the value the account holds in
securities after the step: the plain rebalance keeps the same cash and the same breadth of holdings
(which the account's size and minimum trade decide, not tax awareness) and differs only in what it
sells. A name outside the target (one that left the index) is sold whole.
An excess counts once: the excess the account still holds after a step (kept, or bought above the
target) is, for the plain rebalance, sold already or never held, so at the next step it passes over
that share of the position (its first-in shares) and sells only the new excess. Otherwise a position
the account keeps overweight would count as deferred again at every step.
Its buys realize nothing and are not computed. It pays no trading costs and keeps no wash-sale rule;
the account's sales count gross of their trading costs too, so costs are no part of either side.

Money is exact (`Decimal`) until reported: each step's figures are rounded to the cent, half-even,
and running totals (year to date, since the start) add the rounded step figures, so the tables add up.
The fee is `fee_bps` a year of the account's value at the previous step, accrued by calendar days
(actual/365) and rounded to the cent at each step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from solver.lots import Lot
from solver.tax import is_long_term, to_cents

ZERO = Decimal(0)
DIGITS = 50  # the plain rebalance's share counts are quotients: kept to 50 digits
TERMS = ("short", "long")


@dataclass(frozen=True)
class Sale:
    """Shares of one lot sold at one close (the account's sale, or the plain rebalance's)."""

    ticker: str
    lot_id: str
    shares: Decimal
    proceeds: Decimal  # shares × close, exact
    basis: Decimal  # shares × the lot's basis per share, exact
    term: str  # short | long
    disallowed: Decimal = ZERO  # the loss a wash sale disallows: not realized (the account's sales only)

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.basis + self.disallowed


def sale_of(lot: Lot, shares: Decimal, price: Decimal, day: date, disallowed: Decimal = ZERO) -> Sale:
    with localcontext() as exact:
        exact.prec = DIGITS
        return Sale(
            lot.ticker,
            lot.lot_id,
            shares,
            shares * price,
            shares * lot.basis_per_share,
            "long" if is_long_term(lot.held_since, day) else "short",
            disallowed,
        )


@dataclass(frozen=True)
class StepInput:
    """One step of an account: its lots before the step's trades, the day's closes and target, what it
    held in securities and in all after the step, and the sales it made."""

    day: date
    lots: tuple[Lot, ...]
    prices: Mapping[str, Decimal]
    target: Mapping[str, Decimal]  # weights of the policy's target (summing to 1)
    held_after: Mapping[str, Decimal]  # shares of each name held after the step's trades
    invested: Decimal  # value in securities after the step (the account's value less its cash)
    value: Decimal  # the account's value after the step
    sales: tuple[Sale, ...]


Counted = dict[str, Decimal]  # per name: the share of the position whose excess was counted already


def _goals(step: StepInput) -> dict[str, Decimal]:
    """Each name's target in shares: its target weight renormalised over the names held before or
    after the step, times the value invested after it, at the day's close."""
    names = {lot.ticker for lot in step.lots} | set(step.held_after)
    covered = sum((step.target.get(t, ZERO) for t in names), ZERO)
    with localcontext() as exact:
        exact.prec = DIGITS
        return {t: step.target.get(t, ZERO) / covered * step.invested / step.prices[t] if covered else ZERO
                for t in names if t in step.prices}


def plain_rebalance(step: StepInput, counted: Counted | None = None) -> tuple[Sale, ...]:
    """The sales of the plain rebalance (module docstring): each name's excess over its target, first in,
    first out, less the part of the position `counted` at an earlier step (those shares, the first in,
    are passed over: the plain rebalance sold them then)."""
    counted = counted or {}
    goals = _goals(step)
    by_name: dict[str, list[Lot]] = defaultdict(list)
    for lot in step.lots:
        by_name[lot.ticker].append(lot)
    sales: list[Sale] = []
    with localcontext() as exact:
        exact.prec = DIGITS
        for ticker in sorted(by_name):
            lots = sorted(by_name[ticker], key=lambda lot: (lot.acquired, lot.lot_id))
            held = sum((lot.shares for lot in lots), ZERO)
            skip = counted.get(ticker, ZERO) * held
            to_sell = held - goals.get(ticker, ZERO) - skip
            for lot in lots:
                if to_sell <= 0:
                    break
                passed = min(lot.shares, skip)
                skip -= passed
                shares = min(lot.shares - passed, to_sell)
                if shares > 0:
                    sales.append(sale_of(lot, shares, step.prices[ticker], step.day))
                    to_sell -= shares
    return tuple(sales)


def counted_after(step: StepInput) -> Counted:
    """What the next step's plain rebalance passes over: the excess the account still holds after this
    step, as a share of each position. The plain rebalance has sold it (now or earlier) — or never held
    it, when the account bought above the target — so it is not counted again."""
    goals = _goals(step)
    with localcontext() as exact:
        exact.prec = DIGITS
        return {t: (shares - goals.get(t, ZERO)) / shares for t, shares in step.held_after.items()
                if shares > goals.get(t, ZERO)}


def realized(sales: Sequence[Sale]) -> dict[str, tuple[Decimal, Decimal]]:
    """Gains and losses (a positive amount) by term."""
    found = {term: [ZERO, ZERO] for term in TERMS}
    for sale in sales:
        gain = sale.gain
        found[sale.term][0 if gain > 0 else 1] += abs(gain)
    return {term: (gains, losses) for term, (gains, losses) in found.items()}


@dataclass(frozen=True)
class Rates:
    short_term: Decimal
    long_term: Decimal

    def of(self, term: str) -> Decimal:
        return self.short_term if term == "short" else self.long_term


@dataclass(frozen=True)
class StepFigures:
    """One step, in cents: what the account and the plain rebalance realized, the difference and its
    tax value, the fee, and the running totals (year to date, since the start)."""

    day: date
    value: Decimal
    gains: Decimal  # realized by the account's sales (gross of costs)
    losses: Decimal
    plain_gains: Decimal  # the plain rebalance's
    plain_losses: Decimal
    losses_beyond_plain: Decimal
    gains_deferred: Decimal
    tax_saved: Decimal  # losses beyond the plain rebalance × their term's rate
    tax_deferred: Decimal  # gains deferred × their term's rate
    tax_value: Decimal  # saved + deferred
    fee: Decimal
    tax_value_ytd: Decimal
    fee_ytd: Decimal
    tax_value_total: Decimal
    fee_total: Decimal


def step_figures(step: StepInput, rates: Rates, counted: Counted | None = None) -> dict[str, Decimal]:
    """The step's figures before rounding (exact), by the incremental method."""
    mine, plain = realized(step.sales), realized(plain_rebalance(step, counted))
    beyond = {term: mine[term][1] - plain[term][1] for term in TERMS}
    deferred = {term: plain[term][0] - mine[term][0] for term in TERMS}
    return {
        "gains": sum((mine[t][0] for t in TERMS), ZERO),
        "losses": sum((mine[t][1] for t in TERMS), ZERO),
        "plain_gains": sum((plain[t][0] for t in TERMS), ZERO),
        "plain_losses": sum((plain[t][1] for t in TERMS), ZERO),
        "losses_beyond_plain": sum(beyond.values(), ZERO),
        "gains_deferred": sum(deferred.values(), ZERO),
        "tax_saved": sum((rates.of(t) * beyond[t] for t in TERMS), ZERO),
        "tax_deferred": sum((rates.of(t) * deferred[t] for t in TERMS), ZERO),
    }


def accrued_fee(value: Decimal, fee_bps: Decimal, since: date | None, day: date) -> Decimal:
    """The fee on `value` for the calendar days since the previous step (actual/365), in cents."""
    if since is None:
        return ZERO
    return to_cents(value * fee_bps / 10_000 * (day - since).days / 365)


def account_figures(steps: Sequence[StepInput], rates: Rates, fee_bps: Decimal) -> list[StepFigures]:
    rows: list[StepFigures] = []
    ytd_value = ytd_fee = total_value = total_fee = ZERO
    previous: StepInput | None = None
    counted: Counted = {}
    for step in steps:
        if previous is not None and step.day.year != previous.day.year:
            ytd_value = ytd_fee = ZERO
        exact = {name: to_cents(amount) for name, amount in step_figures(step, rates, counted).items()}
        counted = counted_after(step)
        tax_value = exact["tax_saved"] + exact["tax_deferred"]
        fee = accrued_fee(previous.value, fee_bps, previous.day, step.day) if previous is not None else ZERO
        ytd_value, ytd_fee = ytd_value + tax_value, ytd_fee + fee
        total_value, total_fee = total_value + tax_value, total_fee + fee
        rows.append(
            StepFigures(
                day=step.day,
                value=to_cents(step.value),
                **exact,
                tax_value=tax_value,
                fee=fee,
                tax_value_ytd=ytd_value,
                fee_ytd=ytd_fee,
                tax_value_total=total_value,
                fee_total=total_fee,
            )
        )
        previous = step
    return rows


@dataclass(frozen=True)
class YearFigures:
    year: int
    losses_beyond_plain: Decimal
    gains_deferred: Decimal
    tax_saved: Decimal
    tax_deferred: Decimal
    tax_value: Decimal
    fee: Decimal
    exceeds_fee: bool


def by_year(rows: Sequence[StepFigures]) -> list[YearFigures]:
    years: dict[int, list[StepFigures]] = defaultdict(list)
    for row in rows:
        years[row.day.year].append(row)

    def total(part: list[StepFigures], name: str) -> Decimal:
        return sum((getattr(r, name) for r in part), ZERO)

    found = []
    for year, part in sorted(years.items()):
        value, fee = total(part, "tax_value"), total(part, "fee")
        found.append(
            YearFigures(
                year,
                total(part, "losses_beyond_plain"),
                total(part, "gains_deferred"),
                total(part, "tax_saved"),
                total(part, "tax_deferred"),
                value,
                fee,
                value > fee,
            )
        )
    return found


@dataclass(frozen=True)
class AccountReport:
    """One account's report: every step, every year, and the totals."""

    name: str
    start: date
    end: date
    fee_bps: Decimal
    rates: Rates
    steps: tuple[StepFigures, ...]
    years: tuple[YearFigures, ...]
    end_value: Decimal
    tax_saved: Decimal
    tax_deferred: Decimal
    tax_value: Decimal
    fees: Decimal
    exceeds_fee: bool  # tax value over the whole period > fees over it


def account_report(name: str, steps: Sequence[StepInput], rates: Rates, fee_bps: Decimal) -> AccountReport:
    rows = account_figures(steps, rates, fee_bps)
    last = rows[-1]
    return AccountReport(
        name=name,
        start=rows[0].day,
        end=last.day,
        fee_bps=fee_bps,
        rates=rates,
        steps=tuple(rows),
        years=tuple(by_year(rows)),
        end_value=last.value,
        tax_saved=sum((r.tax_saved for r in rows), ZERO),
        tax_deferred=sum((r.tax_deferred for r in rows), ZERO),
        tax_value=last.tax_value_total,
        fees=last.fee_total,
        exceeds_fee=last.tax_value_total > last.fee_total,
    )


@dataclass(frozen=True)
class BookReport:
    """Several accounts: the share of accounts, and of dollars (their values at the end), whose tax
    value over the period exceeds their fees."""

    accounts: tuple[AccountReport, ...]
    share_of_accounts: float
    share_of_dollars: float
    tax_value: Decimal
    fees: Decimal
    exceeding: tuple[str, ...] = field(default=())


def book_report(accounts: Sequence[AccountReport]) -> BookReport:
    passing = [a for a in accounts if a.exceeds_fee]
    dollars = sum((a.end_value for a in accounts), ZERO)
    passed = sum((a.end_value for a in passing), ZERO)
    return BookReport(
        accounts=tuple(accounts),
        share_of_accounts=round(len(passing) / len(accounts), 6) if accounts else 0.0,
        share_of_dollars=round(float(passed / dollars), 6) if dollars > 0 else 0.0,
        tax_value=sum((a.tax_value for a in accounts), ZERO),
        fees=sum((a.fees for a in accounts), ZERO),
        exceeding=tuple(a.name for a in passing),
    )
