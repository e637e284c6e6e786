"""Tax-lot accounting as pure functions over exact decimals: no optimiser, no I/O.

The optimiser's reading of the rules (the model's data, explanations, output formatting), in one
small module with exact-figure tests. The independent verifier does not use it: it reads the same
rules in `solver/verify_law.py`, written apart, and a property test holds the two to agreement.
US federal rules as they apply to a taxable brokerage account:

* Holding period: long-term means held *more than one year*. The holding period starts the day
  after purchase and includes the day of sale (IRS Publication 550), so a lot bought 2023-02-05 is
  short-term when sold on 2024-02-05 and long-term from 2024-02-06. The year is counted from the
  day the period starts, not from the purchase: a lot bought 2023-02-28 starts its period on
  2023-03-01 and is still short-term on 2024-02-29.
* Wash sales: a loss sale is disallowed when substantially identical stock is bought within
  30 days before or after the sale.
* Netting: short-term gains and losses net first, then long-term; opposite signs then net against
  each other; a net loss offsets up to $3,000 of ordinary income a year and the rest carries
  forward keeping its character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from solver.money import CENT

WASH_SALE_DAYS = 30
ORDINARY_OFFSET_LIMIT = Decimal(3000)


def to_cents(amount: Decimal) -> Decimal:
    """Money is rounded once, at the edge, half-even (banker's rounding); a negative amount that
    rounds to zero is zero (never `-0.00`)."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return abs(cents) if cents == 0 else cents


def money_text(amount: Decimal) -> str:
    """`$1,234.50`, `-$12.00`: rounded to the cent by `to_cents` first, so never `$-0.00`."""
    cents = to_cents(amount)
    return f"-${-cents:,}" if cents < 0 else f"${cents:,}"


@cache  # (a direct index's 10,000 lots share a few dozen purchase dates; rules ask per lot)
def long_term_from(acquired: date) -> date:
    """First sale date on which a lot acquired on `acquired` is long-term: one year after the day its
    holding period starts (the day after purchase). A period starting on 29 February completes its
    year on 28 February, so it is long-term from 1 March."""
    starts = acquired + timedelta(days=1)
    try:
        return starts.replace(year=starts.year + 1)
    except ValueError:  # starts on 29 February; the next year has none
        return date(starts.year + 1, 3, 1)


def is_long_term(acquired: date, sold: date) -> bool:
    return sold >= long_term_from(acquired)


def days_to_long_term(acquired: date, on: date) -> int:
    """Days from `on` until a sale would be long-term (0 if it already is)."""
    return max((long_term_from(acquired) - on).days, 0)


def realized_gain(shares: Decimal, price: Decimal, basis_per_share: Decimal) -> Decimal:
    """Gain (negative: loss) of selling `shares` at `price`, exact (not rounded)."""
    return shares * (price - basis_per_share)


def in_wash_window(sale: date, purchase: date, days: int = WASH_SALE_DAYS) -> bool:
    """True when a purchase falls within `days` before or after a sale (both directions)."""
    return abs((purchase - sale).days) <= days


@dataclass(frozen=True)
class Netted:
    """Outcome of netting one tax year's realized gains with carried-forward losses."""

    net_short_term: Decimal
    net_long_term: Decimal
    ordinary_offset: Decimal
    carryforward_short_term: Decimal
    carryforward_long_term: Decimal


def net_gains(short_term: Decimal, long_term: Decimal, carry_short_term: Decimal = Decimal(0),
              carry_long_term: Decimal = Decimal(0),
              ordinary_limit: Decimal = ORDINARY_OFFSET_LIMIT) -> Netted:
    """Net a year's gains. Carryforwards are given as positive loss amounts.

    Returns taxable net short- and long-term gains (never negative), the ordinary income offset
    used and the losses carried to next year by character.
    """
    st = short_term - carry_short_term
    lt = long_term - carry_long_term
    if st < 0 < lt:
        lt, st = lt + st, Decimal(0)
        if lt < 0:
            st, lt = lt, Decimal(0)
    elif lt < 0 < st:
        st, lt = st + lt, Decimal(0)
        if st < 0:
            lt, st = st, Decimal(0)
    loss = -(min(st, Decimal(0)) + min(lt, Decimal(0)))
    offset = min(loss, ordinary_limit)
    st_loss, lt_loss = -min(st, Decimal(0)), -min(lt, Decimal(0))
    st_used = min(st_loss, offset)
    lt_used = offset - st_used
    return Netted(net_short_term=max(st, Decimal(0)), net_long_term=max(lt, Decimal(0)),
                  ordinary_offset=offset, carryforward_short_term=st_loss - st_used,
                  carryforward_long_term=lt_loss - lt_used)


def tax_on(netted: Netted, short_term_rate: Decimal, long_term_rate: Decimal) -> Decimal:
    """Tax on a netted year; the ordinary-income offset saves tax at the short-term rate."""
    return (netted.net_short_term * short_term_rate + netted.net_long_term * long_term_rate
            - netted.ordinary_offset * short_term_rate)


def incremental_tax(before_st: Decimal, before_lt: Decimal, added_st: Decimal, added_lt: Decimal,
                    carry_st: Decimal, carry_lt: Decimal, short_term_rate: Decimal,
                    long_term_rate: Decimal) -> Decimal:
    """Extra tax for the year caused by realizing `added_*` on top of year-to-date `before_*`."""
    before = tax_on(net_gains(before_st, before_lt, carry_st, carry_lt), short_term_rate, long_term_rate)
    after = tax_on(net_gains(before_st + added_st, before_lt + added_lt, carry_st, carry_lt),
                   short_term_rate, long_term_rate)
    return after - before


def carryforward_created(before_st: Decimal, before_lt: Decimal, added_st: Decimal, added_lt: Decimal,
                         carry_st: Decimal, carry_lt: Decimal) -> tuple[Decimal, Decimal]:
    """Losses carried to next year because of realizing `added_*` on top of year-to-date `before_*`,
    short- and long-term: after − before, so negative when the plan's gains use up losses that would
    otherwise have carried forward."""
    before = net_gains(before_st, before_lt, carry_st, carry_lt)
    after = net_gains(before_st + added_st, before_lt + added_lt, carry_st, carry_lt)
    return (after.carryforward_short_term - before.carryforward_short_term,
            after.carryforward_long_term - before.carryforward_long_term)
