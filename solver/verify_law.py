"""The tax law the independent verifier applies, written from the rule texts — not from the optimizer.

The optimizer reads the same rules in `solver/tax.py`. This module must not import it (nor the
model, Pyomo, or any rule's lowering helpers; `tests/verify/test_independence.py` walks the imports):
two readings written apart, and a property test that they agree on random inputs
(`tests/verify/test_law_agreement.py`), catch a misreading instead of copying it into the check. So
each function below states its rule and follows the rule's own wording, even where a shorter formula
exists.

* Holding period — IRS Publication 550, "Holding Period": "To figure if you held property more than
  1 year, start counting on the date after the day you acquired the property. The day you disposed of
  the property is part of your holding period." Long-term means held *more than* one year.
* Wash sales — IRC §1091(a): a loss is disallowed when substantially identical stock is acquired
  "within a period beginning 30 days before the date of such sale or disposition and ending 30 days
  after such date".
* Wash sales share for share — Treas. Reg. §1.1091-1(b)–(c), Publication 550 "Wash Sales": when
  fewer replacement shares were acquired than loss shares sold, the replacement shares are matched,
  in the order of their acquisition, with an equal number of the loss shares sold, in the order of
  theirs; only the matched shares' loss is disallowed. It is added to the basis of the replacement
  shares they matched, whose holding period includes that of the matched shares (§1223(3)).
* Netting — Schedule D (Form 1040): line 7 nets the year's short-term gains and losses with the
  short-term loss carryover, line 15 the long-term ones with the long-term carryover, line 16 adds
  them. A gain on line 16 is taxed at the long-term rate up to the *net capital gain* (IRC
  §1222(11): net long-term capital gain less net short-term capital loss) and at the ordinary
  (short-term) rate for the rest; a loss on line 16 is deductible from ordinary income up to $3,000
  (line 21, IRC §1211(b)).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

WASH_SALE_DAYS = 30  # §1091(a): 30 days before and 30 days after the sale
CAPITAL_LOSS_DEDUCTION_LIMIT = Decimal(3000)  # §1211(b), Schedule D line 21
ZERO = Decimal(0)


def cents(amount: Decimal) -> Decimal:
    """Money as the verifier compares it: to the cent, half-even, and a zero never signed."""
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return rounded.copy_abs() if rounded.is_zero() else rounded


# ---- holding period ---------------------------------------------------------------------------------
def held_more_than_one_year(acquired: date, sold: date) -> bool:
    """Publication 550: the holding period begins the day after acquisition and includes the day of
    sale. Counting by calendar months from the day it began, its first year runs up to (not
    including) the same month and day of the next year, so it is *more* than one year from that
    month and day on. Compared as (year, month, day), because a period that began on 29 February has
    no such day the next year: every day before 1 March is then still within the first year.

    Bought 2023-02-28: the period begins 2023-03-01, so a sale on 2024-02-29 is short-term and one
    on 2024-03-01 long-term."""
    began = acquired + timedelta(days=1)
    return (sold.year, sold.month, sold.day) >= (began.year + 1, began.month, began.day)


# ---- wash sales -------------------------------------------------------------------------------------
def in_wash_sale_period(sale: date, purchase: date, days: int = WASH_SALE_DAYS) -> bool:
    """§1091(a): the period begins `days` days before the sale and ends `days` days after it."""
    begins, ends = sale - timedelta(days=days), sale + timedelta(days=days)
    return begins <= purchase <= ends


def substantially_identical(ticker: str, groups: Iterable[Iterable[str]]) -> frozenset[str]:
    """Every ticker substantially identical to `ticker`: itself, the members of each group named with
    it, and — identity being an equivalence — whatever is identical to those (groups that share a
    ticker join)."""
    named = [frozenset(group) for group in groups]
    found, frontier = {ticker}, [ticker]
    while frontier:
        current = frontier.pop()
        for group in named:
            if current in group:
                frontier += [t for t in group if t not in found]
                found |= group
    return frozenset(found)


Shares = tuple[str, date, Decimal]  # (whose, acquired, shares)


def match_share_for_share(sold: Iterable[Shares],
                          replacements: Iterable[Shares]) -> list[tuple[str, str, Decimal]]:
    """§1.1091-1(c): `sold` are the loss shares sold (lot, acquired, shares), `replacements` the
    replacement shares (who, acquired, shares). Taking both in the order of acquisition (ties by
    name, so the matching is one answer), each replacement share is matched with the earliest loss
    share not yet matched. Returns (lot, replacement, shares matched), in that order."""
    losses = [[key, shares] for key, _, shares in sorted(sold, key=lambda s: (s[1], s[0]))]
    matched: list[tuple[str, str, Decimal]] = []
    k = 0
    for who, _, shares in sorted(replacements, key=lambda r: (r[1], r[0])):
        while shares > 0 and k < len(losses):
            take = min(shares, losses[k][1])
            if take > 0:
                matched.append((losses[k][0], who, take))
            shares -= take
            losses[k][1] -= take
            if losses[k][1] <= 0:
                k += 1
    return matched


# ---- netting and tax --------------------------------------------------------------------------------
def capital_gains_tax(short_term: Decimal, long_term: Decimal, carryover_short_term: Decimal,
                      carryover_long_term: Decimal, short_term_rate: Decimal,
                      long_term_rate: Decimal) -> Decimal:
    """Tax (negative: a saving) on one tax year's capital gains, by Schedule D. Gains are signed;
    carryovers are the losses carried in from earlier years, as positive amounts. The deduction
    against ordinary income saves tax at the short-term (ordinary) rate."""
    line_7 = short_term - carryover_short_term
    line_15 = long_term - carryover_long_term
    line_16 = line_7 + line_15
    if line_16 < 0:
        deduction = min(-line_16, CAPITAL_LOSS_DEDUCTION_LIMIT)
        return -deduction * short_term_rate
    net_long_term_gain = max(line_15, ZERO)
    net_short_term_loss = max(-line_7, ZERO)
    net_capital_gain = max(net_long_term_gain - net_short_term_loss, ZERO)
    return net_capital_gain * long_term_rate + (line_16 - net_capital_gain) * short_term_rate


def added_tax(before_short_term: Decimal, before_long_term: Decimal, added_short_term: Decimal,
              added_long_term: Decimal, carryover_short_term: Decimal, carryover_long_term: Decimal,
              short_term_rate: Decimal, long_term_rate: Decimal) -> Decimal:
    """The tax a rebalance adds to its year: the year's tax with its gains less the tax without."""
    def year(short_term: Decimal, long_term: Decimal) -> Decimal:
        return capital_gains_tax(short_term, long_term, carryover_short_term, carryover_long_term,
                                 short_term_rate, long_term_rate)
    return year(before_short_term + added_short_term, before_long_term + added_long_term) \
        - year(before_short_term, before_long_term)
