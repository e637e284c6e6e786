"""Wash sales share for share, the optimiser's side (`WashSale.lower`): a loss sale of a name with
recent replacement shares, its matched shares' loss charged as not realized.

Treas. Reg. §1.1091-1(c): the replacement shares are matched, in the order of their acquisition, with
as many of the loss shares sold, earliest acquired first; only the matched shares' loss is
disallowed. With R replacement shares and the name's loss lots in the order of acquisition, the
first R shares of those lots are the matched ones — provided the lots are sold in that order, which
the model makes so: the shares past the first R (the rest of the lot the R-th share falls in, and
the later lots) may be sold only once all of the first R are. Then, for any amounts sold, the
disallowed loss is exactly the loss of the first-R shares sold:

    fully matched lot x:   its loss, −g_x·sell_x, is added back to the gain (no column)
    the lot R ends in:     sell = a + (sell − a), a ≤ its matched part; −g·a added back
    w (binary, lazy):      sell − a ≤ (its unmatched part)·w,  each later lot ≤ its value·w,
                           Σ fully matched sells + a ≥ R's value·w

No binary when the loss lots hold R shares or fewer (every share sold is matched). The forced order
can cost a sale the optimiser would rather make out of order; it never charges a wrong amount.
Replacement shares must stay put for R to hold: the name's recent lots are not sold, nor is it
bought, in a rebalance that sells its loss lots (a lazy disjunction, as the switch it replaces).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pyomo.environ import Block

    from solver.account import Transaction
    from solver.lots import Lot
    from solver.model import AccountModel


def replacement_shares(ticker: str, lots: Iterable[Lot], trades: Iterable[Transaction], as_of: date,
                       days: int) -> Decimal:
    """R: `ticker`'s shares acquired within `days` before `as_of` — its recent lots, and recorded buys
    that opened no lot of this account (bought in another account of the household, or since sold)."""
    def recent(on: date) -> bool:
        return 0 <= (as_of - on).days <= days

    held = [lot for lot in lots if lot.ticker == ticker]
    opened = {lot.acquired for lot in held}
    return (sum((lot.shares for lot in held if recent(lot.acquired)), Decimal(0))
            + sum((t.shares for t in trades if t.action == "buy" and t.ticker == ticker and recent(t.on)
                   and (t.account is not None or t.on not in opened)), Decimal(0)))


def matched_shares(shares: Iterable[Decimal], replacement: Decimal) -> list[Decimal]:
    """How many shares of each loss lot (in the order of acquisition) the R replacement shares match
    when the lots are sold earliest first: the first R shares."""
    matched, left = [], replacement
    for held in shares:
        matched.append(min(held, left))
        left -= matched[-1]
    return matched


def lower_share_for_share(block: Block, model: AccountModel, k: int, i: int, losses: list[int],
                          recent: list[int], replacement: Decimal) -> None:
    """Allow selling the loss lots `losses` of name i (model indices) against R = `replacement`
    replacement shares, the disallowed loss charged exactly (module docstring). `recent` are the
    name's lots acquired within the window."""
    import pyomo.environ as pyo

    from solver.model import linear

    m, lots = model.m, model.lots
    sell = m.sell
    recent_losses = [x for x in recent if model.lot_gain[x] < 0]
    if recent_losses:  # a recent loss lot is itself a loss sale, matched with the other recent shares
        model.add(block, f"no_recent_loss_sale_{k}", linear([1.0] * len(recent_losses),
                                                            [sell[x] for x in recent_losses]), upper=0)
    losses = sorted((x for x in losses if x not in recent), key=lambda x: (lots[x].acquired, lots[x].lot_id))
    if not losses:
        return
    keep = [x for x in recent if x not in recent_losses]
    z = pyo.Var(domain=pyo.Binary)
    block.add_component(f"loss_sale_{k}", z)
    # Per loss lot, not their sum: z must then be 1 for any lot sold in full (a tighter relaxation).
    rows = [model.add(block, f"loss_sold_{k}_{x}", sell[x] - float(model.lot_value[x]) * z, upper=0)
            for x in losses]
    if keep:
        rows.append(model.add(block, f"recent_kept_{k}", linear([1.0] * len(keep), [sell[x] for x in keep])
                              - float(model.lot_value[keep].sum()) * (1 - z), upper=0))
    if i not in model.buy_forbidden:
        rows.append(model.add(block, f"not_bought_{k}", m.buy[i] - float(m.buy[i].ub) * (1 - z), upper=0))
    model.add_lazy([row for row in rows if row is not None], [z])
    per_share = float(model.price[i]) / model.value  # a share's value, in the model's unit
    matched = matched_shares([lots[x].shares for x in losses], replacement)
    full = [x for x, part in zip(losses, matched, strict=True) if part == lots[x].shares]
    for x in full:
        model.add_to_gain(bool(model.lot_long_term[x]), [-float(model.lot_gain[x])], [sell[x]])
    later = [x for x, part in zip(losses, matched, strict=True) if part == 0]
    ends = [(x, part) for x, part in zip(losses, matched, strict=True) if 0 < part < lots[x].shares]
    if not ends and not later:
        return
    w = pyo.Var(domain=pyo.Binary)
    block.add_component(f"matched_first_{k}", w)
    filled = linear([1.0] * len(full), [sell[x] for x in full])
    rows = []
    for x, part in ends:
        a = pyo.Var(bounds=(0.0, float(part) * per_share))
        block.add_component(f"matched_{k}", a)
        model.add(block, f"matched_within_{k}", sell[x] - a, lower=0)
        model.add_to_gain(bool(model.lot_long_term[x]), [-float(model.lot_gain[x])], [a])
        rows.append(model.add(block, f"unmatched_{k}", sell[x] - a
                              - float(lots[x].shares - part) * per_share * w, upper=0))
        filled = filled + a
    for x in later:  # a row per lot, not one for their sum: a far tighter relaxation (w ≥ each lot's share)
        rows.append(model.add(block, f"later_{k}_{x}", sell[x] - float(model.lot_value[x]) * w, upper=0))
    rows.append(model.add(block, f"all_matched_{k}", filled - float(replacement) * per_share * w, lower=0))
    model.add_lazy([row for row in rows if row is not None], [w])
