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
                           each fully matched lot's sell ≥ its value·w,  a ≥ its matched part·w

No binary when the loss lots hold R shares or fewer (every share sold is matched). The forced order
can cost a sale the optimiser would rather make out of order; it never charges a wrong amount.
Under whole shares the rows are the same: a fractional remainder among the first R shares cannot
be sold while the position stays open, so w = 1 is then out of reach (only matched shares sell).
Replacement shares must stay put for R to hold: the name's recent lots are not sold, nor is it
bought, in a rebalance that sells its loss lots (z, a lazy disjunction, as the switch it replaces).
No z either when the name's other lots cannot reach its minimum sale. Valid inequalities tie w ≤ z,
w ≤ the name's sale indicator and z + its minimum-buy binary ≤ 1, so the relaxation rounds them
together; both binaries declare 0 as their safe side (docs/solver.md, "Share for share in the
search").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

INF = float("inf")

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pyomo.environ as pyo
    from pyomo.environ import Block

    from solver.account import Transaction
    from solver.contribution import Contribution
    from solver.lots import Lot
    from solver.model import AccountModel
    from solver.perspective import ModeSplit


def replacement_shares(ticker: str, held: Iterable[Lot], trades: Iterable[Transaction], as_of: date,
                       days: int, lot_accounts: Mapping[str, str]) -> Decimal:
    """R: `ticker`'s shares acquired within `days` before `as_of` — its recent lots (`held`: the
    ticker's lots), and recorded buys that opened no lot of their account (bought in another account
    of the household, or since sold). `lot_accounts`: a household's account of each lot (empty for
    one account, whose own buys name no account)."""
    def recent(on: date) -> bool:
        return 0 <= (as_of - on).days <= days

    held = list(held)
    bought = [t for t in trades if t.action == "buy" and t.ticker == ticker and recent(t.on)]
    opened = {(lot_accounts.get(lot.lot_id), lot.acquired) for lot in held} if bought else set()
    return (sum((lot.shares for lot in held if recent(lot.acquired)), Decimal(0))
            + sum((t.shares for t in bought if (t.account, t.on) not in opened), Decimal(0)))


def matched_shares(shares: Iterable[Decimal], replacement: Decimal) -> list[Decimal]:
    """How many shares of each loss lot (in the order of acquisition) the R replacement shares match
    when the lots are sold earliest first: the first R shares."""
    matched, left = [], replacement
    for held in shares:
        matched.append(min(held, left))
        left -= matched[-1]
    return matched


class ShareForShare:
    """Every share-for-share name's rows of one rule, collected (`add`) and written as arrays on its
    Block (`write`): a crash's direct index has hundreds of such names and thousands of loss lots,
    which as Pyomo expressions cost more to build and hand off than the rest of the model. A row is a
    list of (coefficient, column) with bounds; a column is a model Var or, for the Vars written here,
    (kind, index): "z" a name's loss-sale binary, "w" its matched-first binary, "a" the matched part of
    the lot the R-th share falls in."""

    def __init__(self, model: AccountModel):
        self.model = model
        self.rows: list[tuple[list[tuple[float, object]], float, float]] = []
        self.groups: list[tuple[list[int], tuple[str, int]]] = []  # lazy: its rows, its binary
        self.switched: list[tuple[int, int, list[int]]] = []  # z's index, its name, the loss lots z sells
        self.counts = {"z": 0, "w": 0, "a": 0}
        self.a_bounds: list[float] = []
        self.gain_terms: list[tuple[bool, float, tuple[str, int]]] = []  # (long term, coef, column)

    def _new(self, kind: str) -> tuple[str, int]:
        self.counts[kind] += 1
        return kind, self.counts[kind] - 1

    def _row(self, terms: list[tuple[float, object]], lower: float, upper: float) -> int:
        self.rows.append((terms, lower, upper))
        return len(self.rows) - 1

    def add(self, i: int, losses: list[int], recent: list[int], replacement: Decimal) -> None:
        """Allow selling the loss lots `losses` of name i (model indices) against R = `replacement`
        replacement shares, the disallowed loss charged exactly (module docstring). `recent` are the
        name's lots acquired within the window."""
        model = self.model
        m, lots, value = model.m, model.data.lots, model.data.lot_value
        sell = model.sells
        recent_losses = [x for x in recent if model.data.lot_gain[x] < 0]
        if recent_losses:  # a recent loss lot is itself a loss sale, matched with the other recent shares
            self._row([(1.0, sell[x]) for x in recent_losses], -INF, 0.0)
        losses = sorted((x for x in losses if x not in recent),
                        key=lambda x: (lots[x].acquired, lots[x].lot_id))
        if not losses:
            return
        keep = [x for x in recent if x not in recent_losses]
        min_buy, sold, min_sale = model.lazy.trade_forcing(model, i)
        # A sale must reach the minimum unless it takes the whole position; a loss sale keeps the recent
        # lots: when the rest cannot reach the minimum, no loss sale can be made (no binary for it).
        if float(model.data.held[i] - value[recent].sum()) < min(min_sale, float(model.data.held[i])):
            self._row([(1.0, sell[x]) for x in losses], -INF, 0.0)
            return
        z = self._new("z")
        # Per loss lot, not their sum: z must then be 1 for any lot sold in full (a tighter relaxation).
        rows = [self._row([(1.0, sell[x]), (-float(value[x]), z)], -INF, 0.0) for x in losses]
        if keep:
            kept = float(value[keep].sum())
            rows.append(self._row([*((1.0, sell[x]) for x in keep), (kept, z)], -INF, kept))
        if i not in model.buy_forbidden:
            bound = float(m.buy[i].ub)
            rows.append(self._row([(1.0, m.buy[i]), (bound, z)], -INF, bound))
        # The binaries that force a trade, tied to z where the law ties them (valid inequalities: the
        # relaxation then rounds them together, instead of a loss sale against a minimum buy).
        if min_buy is not None:
            rows.append(self._row([(1.0, z), (1.0, min_buy)], -INF, 1.0))
        self.groups.append((rows, z))
        self.switched.append((z[1], i, losses))
        per_share = float(model.data.price[i]) / model.data.value  # a share's value, in the model's unit
        matched = matched_shares([lots[x].shares for x in losses], replacement)
        full = [x for x, part in zip(losses, matched, strict=True) if part == lots[x].shares]
        long_term, gain = model.data.lot_long_term, model.data.lot_gain
        self.gain_terms += [(bool(long_term[x]), -float(gain[x]), sell[x]) for x in full]
        later = [x for x, part in zip(losses, matched, strict=True) if part == 0]
        ends = [(x, part) for x, part in zip(losses, matched, strict=True) if 0 < part < lots[x].shares]
        if not ends and not later:
            return
        w = self._new("w")
        # w = 1 sells every one of the first R shares: a row per fully matched lot (and one for the
        # matched part), not one for their sum, which a fraction of w met by selling the matched lots
        # the LP liked and later loss lots as far (HiGHS's root cuts on the 2008 crash were these rows,
        # one at a time). Per lot, `di_2008_crash × direct_index`'s relaxation rose from 1.587 to
        # 1.611 bp and its proof from 2.52% to 0.19% (docs/solver.md, "A row per lot").
        rows = [self._row([(1.0, sell[x]), (-float(value[x]), w)], 0.0, INF) for x in full]
        for x, part in ends:
            a = self._new("a")
            self.a_bounds.append(float(part) * per_share)
            self._row([(1.0, sell[x]), (-1.0, a)], 0.0, INF)  # the matched part is sold (always on)
            self.gain_terms.append((bool(model.data.lot_long_term[x]), -float(model.data.lot_gain[x]), a))
            rows.append(self._row([(1.0, sell[x]), (-1.0, a), (-float(lots[x].shares - part) * per_share, w)],
                                  -INF, 0.0))
            rows.append(self._row([(1.0, a), (-float(part) * per_share, w)], 0.0, INF))
        # A row per later lot, not one for their sum: a far tighter relaxation (w ≥ each lot's share).
        rows += [self._row([(1.0, sell[x]), (-float(value[x]), w)], -INF, 0.0) for x in later]
        rows.append(self._row([(1.0, w), (-1.0, z)], -INF, 0.0))  # w = 1 sells loss lots
        if sold is not None:  # ... and so the name's sale indicator is on
            rows.append(self._row([(1.0, w), (-1.0, sold)], -INF, 0.0))
        self.groups.append((rows, w))

    def declare(self, block: Block) -> list[tuple[pyo.Var, list[int], list[int]]]:
        """The collected Vars on `block`; returns each loss-sale binary z with its name and the loss
        lots it sells: a switch as the plain wash-sale rule's (z = 1 sells them and buys none, z = 0
        sells none), whose weight the caller splits (solver/perspective.py)."""
        import pyomo.environ as pyo

        block.loss_sale_share = pyo.Var(range(self.counts["z"]), domain=pyo.Binary)
        block.matched_first = pyo.Var(range(self.counts["w"]), domain=pyo.Binary)
        block.matched = pyo.Var(range(self.counts["a"]), bounds=lambda _, k: (0.0, self.a_bounds[k]))
        return [(block.loss_sale_share[k], [i], losses) for k, i, losses in self.switched]

    def write(self, block: Block, contribution: Contribution, splits: list[list[ModeSplit]]) -> None:
        """The collected rows on `block` (`share_for_share`, its Vars `declare`d); into `contribution`,
        the lazy groups with their safe side (0: no loss sale, no later lot sold), each z's with its
        `splits` (in the order `declare` returned), and the matched losses added back to the gains."""
        from solver.contribution import GainTerm, LazyGroup
        from solver.matrix_rows import matrix_rows

        if not self.rows:
            return
        own = {kind: list(var.values()) for kind, var in
               (("z", block.loss_sale_share), ("w", block.matched_first), ("a", block.matched))}
        columns: dict[int, int] = {}
        variables: list[pyo.Var] = []

        def resolved(var: object) -> pyo.Var:
            return own[var[0]][var[1]] if isinstance(var, tuple) else var

        def column(var: object) -> int:
            var = resolved(var)
            if id(var) not in columns:
                columns[id(var)] = len(variables)
                variables.append(var)
            return columns[id(var)]

        entries = [(r, column(var), coef) for r, (terms, _, _) in enumerate(self.rows) for coef, var in terms]
        row, col, coef = (np.array(part) for part in zip(*entries, strict=True))
        block.share_for_share = matrix_rows((len(self.rows), len(variables)), row, col, coef,
                                            np.array([low for _, low, _ in self.rows]),
                                            np.array([high for _, _, high in self.rows]), variables)
        split_of = {k: split for (k, _, _), split in zip(self.switched, splits, strict=True)}
        contribution.lazy_groups += [
            LazyGroup([block.share_for_share[r] for r in rows], [resolved(binary)], safe=[0.0],
                      splits=split_of[binary[1]] if binary[0] == "z" else [])
            for rows, binary in self.groups]
        contribution.gain_terms += [GainTerm(long_term, coef, resolved(var))
                                    for long_term, coef, var in self.gain_terms]


def in_one_account(model: AccountModel, losses: list[int], buys: list[Transaction], days: int) -> bool:
    """In a household, may the loss lots be sold share for share? Only when they and every recent
    purchase of the name (recorded buys, lots acquired within `days`) are in one account: a loss matched
    with another account's shares is a wash across accounts, which the household model avoids (lost for
    good when the replacement is in an IRA or a Roth)."""
    data = model.data
    if not data.household:
        return True
    tickers = {data.lots[x].ticker for x in losses}
    recent = [x for x in model.lots_in(tickers) if (data.as_of - data.lots[x].acquired).days <= days]
    owners = {data.accounts[a].account_id for a in data.lot_account[[*losses, *recent]].tolist()}
    return len(owners | {t.account for t in buys}) == 1
