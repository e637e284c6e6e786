"""Whole shares (`trading … whole shares`, solver/model.py): integer share counts behind every buy
and lot sale, and a close-out indicator for each name whose fractional remainders must be sellable.
Built when the model is finished, once every rule has said which names it keeps out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from solver.linear import linear

if TYPE_CHECKING:
    from solver.handoff import Compiled
    from solver.model import AccountModel


def whole_share_rows(model: AccountModel) -> list[int]:
    """A lot's fractional remainder (reinvested dividends) is sold only when the whole position is
    closed: one `close_out` indicator per name that may not be bought (an exclusion must be able
    to sell every share). Other names have none, which keeps the whole-share MIP's integer columns
    to those a rule needs: a plan that sells such a position down to its remainders sells them
    after the solve (solver.trades._exit_whole; docs/solver.md, Gaps)."""
    m, n = model.m, len(model.data.tickers)
    per_share = model.data.price / model.data.value
    m.buy_shares = pyo.Var(range(n), domain=pyo.NonNegativeIntegers,
                           bounds=lambda _, i: (0, int(np.floor(1.0 / per_share[i]))))
    m.buy_whole = pyo.Constraint(range(n), rule=lambda _, i: linear(
        [1.0, -per_share[i]], [m.buy[i], m.buy_shares[i]]) == 0)
    lot_per_share = per_share[model.data.lot_ticker]
    whole = [int(lot.shares) for lot in model.data.lots]
    remainder = [float(lot.shares - int(lot.shares)) if int(model.data.lot_ticker[x]) in model.buy_forbidden
                 else 0.0 for x, lot in enumerate(model.data.lots)]
    closing = sorted({int(model.data.lot_ticker[x]) for x, f in enumerate(remainder) if f > 0})
    m.close_out = pyo.Var(closing, domain=pyo.Binary)
    m.sell_shares = pyo.Var(range(len(model.data.lots)), domain=pyo.NonNegativeIntegers,
                            bounds=lambda _, x: (0, whole[x]))

    def sold_whole(_: pyo.ConcreteModel, x: int) -> pyo.Expression:
        if not remainder[x]:
            return linear([1.0, -lot_per_share[x]], [m.sell[x], m.sell_shares[x]]) == 0
        close = m.close_out[int(model.data.lot_ticker[x])]
        return linear([1.0, -lot_per_share[x], -lot_per_share[x] * remainder[x]],
                      [m.sell[x], m.sell_shares[x], close]) == 0

    m.sell_whole = pyo.Constraint(range(len(model.data.lots)), rule=sold_whole)
    # Closing a position sells every whole share of each of its lots too.
    fractional = [x for x, f in enumerate(remainder) if f > 0]
    m.close_whole = pyo.Constraint(fractional, rule=lambda _, x: linear(
        [1.0, -float(whole[x])], [m.sell_shares[x], m.close_out[int(model.data.lot_ticker[x])]]) >= 0)
    return closing


def count_columns(model: AccountModel, compiled: Compiled) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The share counts' HiGHS columns and, for each, whether rounding up is safe and the name it
    trades (`share_counts`)."""
    variables, up, names = share_counts(model)
    columns = compiled.cols(variables)
    keep = columns >= 0
    return columns[keep], np.array(up, dtype=bool)[keep], np.array(names, dtype=np.int64)[keep]


def share_counts(model: AccountModel) -> tuple[list[pyo.Var], list[bool], list[int]]:
    """The whole-share count variables (none unless a rule's `Contribution` asks for whole shares);
    for each, whether rounding *up* is the safe direction when the solver turns fractional counts into
    whole ones (solver/rounding.py): a sale rounded up and a buy rounded down both leave more cash;
    and the name it trades (a lot's sale: the lot's name). A close-out indicator counts as a count,
    rounded down by default (keep the remainders): as a binary decided by the search it would add one
    decision per name."""
    if not model.whole_shares:
        return [], [], []
    m, lot_ticker = model.m, model.data.lot_ticker
    buys, sells, closes = m.buy_shares, m.sell_shares, m.close_out
    variables = [*buys.values(), *sells.values(), *closes.values()]
    up = [False] * len(buys) + [True] * len(sells) + [False] * len(closes)
    names = [*buys.keys(), *lot_ticker[list(sells.keys())].tolist(), *closes.keys()]
    return variables, up, names
