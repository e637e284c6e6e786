"""The lazy-binary registry of one account model, apart from the model itself.

It holds the disjunctions — a few rows tied by a binary — that the search may leave out of HiGHS until
a solution violates them (solver/lazy.py relaxes and activates them), which side of a binary only
forgoes trades (the search's fallback when choices clash), and the minimum trades, written as such
disjunctions once every rule has tightened the bounds. Rules register here; the search reads `groups`
and `safe_sides`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from solver.linear import linear
from solver.matrix_rows import MatrixRows, matrix_rows

INF = float("inf")

if TYPE_CHECKING:
    from solver.model import AccountModel


class LazyBinaries:
    def __init__(self) -> None:
        self.groups: list[tuple[list, list, list]] = []
        # Binaries whose one side never makes the rest infeasible (forgoing a trade): the search falls
        # back to it when its choices conflict (solver/solve.py).
        self.safe_sides: list[tuple[pyo.Var, float]] = []
        # Minimum trades per ticker: the largest fraction asked for and the Block of the rule that asked.
        self.min_buy: dict[int, tuple[float, pyo.Block]] = {}
        self.min_sell: dict[int, tuple[float, pyo.Block]] = {}
        # A household account's own minimums (its own policy's), by (account, ticker): each of its orders
        # keeps the larger of its own and the household's.
        self.min_buy_in: dict[tuple[int, int], tuple[float, pyo.Block]] = {}
        self.min_sell_in: dict[tuple[int, int], tuple[float, pyo.Block]] = {}

    def add(self, constraints: list, binaries: list, safe: list[float] | None = None,
            splits: list | None = None) -> None:
        """Declare a disjunction (rows tied by a few binaries) that the solver may leave out until a
        solution violates it. Only for rows nothing else relies on. `safe`: each binary's side that
        only forgoes trades (see `safe_sides`); `splits`: the names its binary splits in two modes
        (solver/perspective.py)."""
        self.groups.append((constraints, binaries, splits or []))
        if safe is not None:
            self.safe_sides.extend(zip(binaries, safe, strict=True))

    def set_min_buy(self, i: int, fraction: float, block: pyo.Block) -> None:
        """Semi-continuous buy: zero or at least `fraction` of the account. The minimum row goes into
        `block`, the asking rule's, so explanations and elastic mode name it."""
        if fraction > self.min_buy.get(i, (0.0, None))[0]:
            self.min_buy[i] = (fraction, block)

    def set_min_sell(self, i: int, fraction: float, block: pyo.Block) -> None:
        """Semi-continuous sale of a ticker (all its lots together): zero or at least `fraction`, unless
        the whole position is sold; the row goes into `block`."""
        if fraction > self.min_sell.get(i, (0.0, None))[0]:
            self.min_sell[i] = (fraction, block)

    def set_min_trade_in(self, account: int, i: int, fraction: float, block: pyo.Block, *,
                         sell: bool) -> None:
        """One household account's minimum buy (or sale) of ticker i, the row in `block`."""
        asked = self.min_sell_in if sell else self.min_buy_in
        if fraction > asked.get((account, i), (0.0, None))[0]:
            asked[account, i] = (fraction, block)

    def _minimum(self, household: dict[int, tuple[float, pyo.Block]],
                 own: dict[tuple[int, int], tuple[float, pyo.Block]], a: int,
                 i: int) -> tuple[float, pyo.Block] | None:
        """The larger of the household's minimum for ticker i and account a's own (None: neither)."""
        asked = [found for found in (household.get(i), own.get((a, i))) if found is not None]
        return max(asked, key=lambda found: found[0]) if asked else None

    def trade_forcing(self, model: AccountModel, i: int) -> tuple[pyo.Var | None, pyo.Var | None, float]:
        """Ticker i's binaries, as the minimum trades (declared before any rule is lowered) link them:
        its minimum buy's (1: at least that much is bought) and its sale indicator (0: nothing sold),
        None where there is none; and its minimum sale (a fraction of the account; 0 for none). For
        rules to state valid inequalities over them (they add no binary)."""
        if model.data.household:  # the minimums hold per account's order: no one binary per name
            return None, None, self.min_sell.get(i, (0.0, None))[0]
        buy = model.m.buy_on[i] if i in self.min_buy and i not in model.buy_forbidden else None
        sold = model.m.sell_on[i] if i in self.min_sell else None
        return buy, sold, self.min_sell.get(i, (0.0, None))[0]

    def write_minimum_trades(self, model: AccountModel) -> None:
        """Each minimum trade as a lazy disjunction: `buy ≤ ub·z` and `buy ≥ min·z` (the minimum row in
        the asking rule's Block), M as small as the account allows now that every rule has tightened
        the bounds; a sale's the same over the ticker's lots, where selling the whole position is
        always allowed. Written as arrays (`MatrixRows`): as Pyomo expressions, a direct index's
        thousand such rows cost more to build and hand off than the rest of the rules.

        A sale's cap has a row per lot worth less than the minimum too (each such lot's sale ≤ its
        value·z), valid since any sale of it needs z = 1: with the sum's cap alone, the relaxation
        sold such a lot whole at z = its share of the position, far below the minimum. A direct index
        bought by $50k a quarter over 500 names holds many lots of about $100; on the benchmark set
        these rows proved four more plans within 0.1% (docs/benchmarks.md, session 16). A lot worth
        the minimum or more needs no row: its sale alone meets the minimum at whatever z it sets."""
        if model.data.household:
            self._write_per_account(model)
            return
        m, data = model.m, model.data
        buys = []
        for i, (fraction, owner) in sorted(self.min_buy.items()):
            if i not in model.buy_forbidden:
                most = float(m.buy[i].ub)  # (read once: Pyomo resolves a bound on every read)
                buys.append(_Minimum([m.buy[i]], most, min(fraction, most), m.buy_on[i], owner, []))
        sells = []
        for i, (fraction, owner) in sorted(self.min_sell.items()):
            lots, held = data.lots_of[i], float(data.held[i])
            least = min(fraction, held)
            below = np.asarray(lots)[data.lot_value[lots] < least].tolist() if len(lots) > 1 else []
            small = [(model.sells[x], float(data.lot_value[x])) for x in below]
            sells.append(_Minimum([model.sells[x] for x in lots], held, least, m.sell_on[i], owner, small))
        for minimums, cap, floor in ((buys, "buy_link", "min_buy"), (sells, "sell_link", "min_sell")):
            if not minimums:
                continue
            # Each minimum's cap, then the caps of its small lots: minimum r's are rows lots[r]:lots[r + 1].
            m.add_component(cap, _rows([(t.traded, t.on, -t.most) for t in minimums]
                                       + [([var], t.on, -value) for t in minimums for var, value in t.small],
                                       -INF, 0.0))
            caps = list(m.component(cap).values())
            lots = len(minimums) + np.r_[0, np.cumsum([len(t.small) for t in minimums])]
            for owner, rows in _by_owner(minimums):
                owner.add_component(floor, _rows([(minimums[r].traded, minimums[r].on, -minimums[r].least)
                                                  for r in rows], 0.0, INF))
                floors = owner.component(floor)
                for k, r in enumerate(rows):
                    self.add([caps[r], *caps[lots[r]:lots[r + 1]], floors[k]], [minimums[r].on])

    def _write_per_account(self, model: AccountModel) -> None:
        """A household's minimum trades, per account's order: each tradable account's buy of a name,
        and its sale of the name's lots it holds, none or at least the minimum (or the whole of what
        that account holds)."""
        m, data = model.m, model.data
        m.buy_link, m.sell_link = pyo.Constraint(pyo.Any), pyo.Constraint(pyo.Any)
        m.buy_on_in = pyo.Var(list(m.buy_in.keys()), domain=pyo.Binary)
        for a, i in m.buy_in:
            minimum = self._minimum(self.min_buy, self.min_buy_in, a, i)
            if minimum is None or i in model.buy_forbidden:
                continue
            fraction, owner = minimum
            bound, on = float(m.buy[i].ub), m.buy_on_in[a, i]
            self.add([_link(m.buy_link, (a, i, "max"), m.buy_in[a, i] <= bound * on),
                      _link(_rows_on(owner, "min_buy"), (a, i), m.buy_in[a, i] >= min(fraction, bound) * on)],
                     [on])
        held: dict[tuple[int, int], list[int]] = {}
        for x, (a, i) in enumerate(zip(data.lot_account.tolist(), data.lot_ticker.tolist(), strict=True)):
            if data.tradable[a] and (i in self.min_sell or (a, i) in self.min_sell_in):
                held.setdefault((a, i), []).append(x)
        m.sell_on_in = pyo.Var(sorted(held), domain=pyo.Binary)
        for (a, i), lots in sorted(held.items()):
            fraction, owner = self._minimum(self.min_sell, self.min_sell_in, a, i)  # type: ignore[misc]
            sold = linear([1.0] * len(lots), [m.sell[x] for x in lots])
            value, on = float(data.lot_value[lots].sum()), m.sell_on_in[a, i]
            least = min(fraction, value)
            # Each lot worth less than the minimum capped on its own, as in write_minimum_trades.
            small = [_link(m.sell_link, (a, i, x), m.sell[x] <= float(data.lot_value[x]) * on)
                     for x in lots if len(lots) > 1 and data.lot_value[x] < least]
            self.add([_link(m.sell_link, (a, i, "max"), sold <= value * on), *small,
                      _link(_rows_on(owner, "min_sell"), (a, i), sold >= least * on)], [on])


@dataclass(frozen=True)
class _Minimum:
    """One name's semi-continuous trade: the Vars whose sum is the trade, at most `most` (the cap's M),
    none or at least `least`, as its binary `on` says; `owner` the Block of the rule that asked;
    `small`, a sale's lots worth less than `least`, each capped by its value on its own."""

    traded: list[pyo.Var]
    most: float
    least: float
    on: pyo.Var
    owner: pyo.Block
    small: list[tuple[pyo.Var, float]]


def _by_owner(minimums: list[_Minimum]) -> list[tuple[pyo.Block, list[int]]]:
    """Each asking rule's Block with the rows of its minimums, in order of first appearance."""
    owners: dict[int, tuple[pyo.Block, list[int]]] = {}
    for r, minimum in enumerate(minimums):
        owners.setdefault(id(minimum.owner), (minimum.owner, []))[1].append(r)
    return list(owners.values())


def _rows(rows: list[tuple[list[pyo.Var], pyo.Var, float]], lower: float, upper: float) -> MatrixRows:
    """Row r: `lower ≤ Σ traded + coefficient·on ≤ upper`, for (traded, on, coefficient) in `rows` —
    each row over Vars of its own."""
    variables = [var for traded, on, _ in rows for var in (*traded, on)]
    sizes = np.fromiter((len(traded) + 1 for traded, _, _ in rows), dtype=np.int64, count=len(rows))
    coefficients = np.ones(int(sizes.sum()))
    coefficients[np.cumsum(sizes) - 1] = [coefficient for _, _, coefficient in rows]  # `on`, last in its row
    return matrix_rows((len(rows), len(variables)), np.repeat(np.arange(len(rows)), sizes),
                       np.arange(len(variables)), coefficients, lower, upper, variables)


def _link(component: pyo.Constraint, index: object, expr: object) -> object:
    component[index] = expr
    return component[index]


def _rows_on(block: pyo.Block, name: str) -> pyo.Constraint:
    """An indexed Constraint `name` on `block`, created on first use."""
    if block.component(name) is None:
        block.add_component(name, pyo.Constraint(pyo.Any))
    return block.component(name)
