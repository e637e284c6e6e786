"""Perspective tangents: a name's specific risk priced in each mode of a switch, a tighter relaxation.

A wash-sale switch (compiler/rules/wash_sale.py) lets a name either sell its loss lots (z = 1) or
buy (z = 0), never both, with big-M rows. Their relaxation at a fractional z sells most of the loss
and buys it back: the loss is harvested, the weight stays where it was and costs no tracking error,
so the relaxation promises tax savings no plan can have. On a 9,528-lot direct index on 2020-03-23,
that left the root bound 8.2% below the best plan.

The disjunctive (perspective) form gives each mode its own weight. The name's post-trade weight w
splits as w = w₁ + w₀, where w₁ is z times the weight the name would have in mode 1 (loss sales, no
buy) and w₀ the rest (1 − z times mode 0's: buys, no loss sale), and its specific-risk term q is at
least the sum of each mode's perspective, bounded below by tangents scaled by the mode's share:

    q ≥ q₁ + q₀,   q₁ ≥ s·(2c·(w₁ − z·t) − z·c²),   q₀ ≥ s·(2c·(w − w₁ − (1 − z)·t) − (1 − z)·c²)

(s the name's specific variance, t its target, c a tangent point). At z = 0 or 1 these are the
name's own tangents; at a fraction, selling a loss and buying it back pays the tracking error of
being under- and overweight in turn (Frangioni & Gentile 2006; Günlük & Linderoth 2010). w₁ is tied
to the trades by `post·w₁ = z·held − loss sales − E₁`, where E = held − post·w − loss sales + buy is
what leaves the name in either mode (its other lots' sales, gifts in kind), 0 ≤ E₁ ≤ z·G and
0 ≤ E − E₁ ≤ (1 − z)·G, G the most that can so leave.

Every integer point keeps its objective (the split at z ∈ {0, 1} is the name's own weight), so each
LP is still a relaxation of the problem. The rows are written with the switch's lazy group and switched
on with it (solver/lazy.py); the search adds each split's tangents once its group is on, and refines
them where a point's perspective exceeds q by more than the tangent tolerance (`SplitTangents`) —
from its first LP on (`enable`, solver/solve.py): the bounds use them, and so does the point the
repair rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from solver.handoff import INF
from solver.matrix_rows import matrix_rows
from solver.tracking import tangent_grid

if TYPE_CHECKING:
    from solver.handoff import Compiled
    from solver.lazy import LazyGroups
    from solver.model import AccountModel
    from solver.tracking import TrackingColumns

SHARE = 1e-9  # a mode's share z (or 1 − z) below which its perspective is not refined


@dataclass(frozen=True)
class ModeSplit:
    """One name's weight split between the two sides of a binary (module docstring)."""

    ticker: int
    binary: pyo.Var
    weight_on: pyo.Var  # w₁
    q_on: pyo.Var
    q_off: pyo.Var
    rows: list  # the rows that define w₁ and q ≥ q₁ + q₀, switched on with the binary's group


def split_modes(model: AccountModel, block: pyo.Block, switches: list[tuple[pyo.Var, list[int], list[int]]]
                ) -> list[list[ModeSplit]]:
    """For each switch (z, tickers, loss lots): z = 1 may sell those lots and buys none of the tickers,
    z = 0 sells none of them. Each ticker's split (variables and rows in `block`, the asking rule's),
    by switch; none for a name whose tracking term is not its own weight alone (held through an ETF
    looked through). The rows, five a name, are one array component (solver/matrix_rows.py): as
    Pyomo expressions, a crash's 400 switched names took 0.19 s more to hand off."""
    m, data = model.m, model.data
    post = float(pyo.value(model.post_value))
    look = data.look_through
    own = look.counted & ~(look.share > 0).any(axis=1)
    named = [(k, i, [x for x in losses if data.lot_ticker[x] == i])
             for k, (_, ids, losses) in enumerate(switches) for i in ids if own[i]]
    block.weight_on = pyo.Var(range(len(named)), bounds=(0.0, None))
    block.q_on = pyo.Var(range(len(named)), bounds=(0.0, None))
    block.q_off = pyo.Var(range(len(named)), bounds=(0.0, None))
    sellable = data.lot_value * data.tradable[data.lot_account]
    variables: list[pyo.Var] = []
    column: dict[int, int] = {}  # by id: Pyomo's Vars are not hashable

    def at(var: pyo.Var) -> int:
        if id(var) not in column:
            column[id(var)] = len(variables)
            variables.append(var)
        return column[id(var)]

    rows, cols, values, lower, upper = [], [], [], [], []
    for n, (k, i, on_sales) in enumerate(named):
        z, held = switches[k][0], float(data.held[i])
        sold_on_one = set(on_sales)
        others = [x for x in data.lots_of[i] if x not in sold_on_one]
        gifts = [x for x in data.lots_of[i] if x in model.transferable]
        most = min(held, float(sellable[others].sum() + data.lot_value[gifts].sum()))  # G
        w_on, loss = at(block.weight_on[n]), [at(m.sell[x]) for x in on_sales]
        mode_zero = [at(block.weight_on[n]), at(m.weight[i]), at(m.buy[i])]
        # post·w₁ + loss sales − held·z = −E₁ ∈ [−G·z, 0]; post·w₁ − post·w + buy − held·z = E − E₁ − held,
        # E − E₁ ∈ [0, (1 − z)·G]; q − q₁ − q₀ ≥ 0.
        for r, (index, coefficient, low, high) in enumerate((
                ([w_on, *loss, at(z)], [post, *[1.0] * len(loss), -held], -INF, 0.0),
                ([w_on, *loss, at(z)], [post, *[1.0] * len(loss), most - held], 0.0, INF),
                ([*mode_zero, at(z)], [post, -post, 1.0, -held], -held, INF),
                ([*mode_zero, at(z)], [post, -post, 1.0, most - held], -INF, most - held),
                ([at(m.q[i]), at(block.q_on[n]), at(block.q_off[n])], [1.0, -1.0, -1.0], 0.0, INF))):
            rows += [5 * n + r] * len(index)
            cols += index
            values += coefficient
            lower.append(low)
            upper.append(high)
    splits: list[list[ModeSplit]] = [[] for _ in switches]
    if not named:
        return splits
    block.modes = matrix_rows((5 * len(named), len(variables)), np.array(rows, dtype=np.int64),
                              np.array(cols, dtype=np.int64), np.array(values), np.array(lower),
                              np.array(upper), variables)
    for n, (k, i, _) in enumerate(named):
        splits[k].append(ModeSplit(i, switches[k][0], block.weight_on[n], block.q_on[n], block.q_off[n],
                                   [block.modes[5 * n + r] for r in range(5)]))
    return splits


class SplitTangents:
    """The search's side: each split's tangents, added once its group is switched on and refined
    where a point's perspective exceeds its q."""

    def __init__(self, compiled: Compiled, cols: TrackingColumns, lazy: LazyGroups, held_active: np.ndarray):
        self.highs = compiled.highs
        found = [(g, split) for g, group in enumerate(lazy) for split in group.splits]
        self.lazy = lazy
        self.group = np.array([g for g, _ in found], dtype=np.int64)
        ticker = np.array([split.ticker for _, split in found], dtype=np.int64)
        self.z = compiled.cols([split.binary for _, split in found])
        self.w_on = compiled.cols([split.weight_on for _, split in found])
        self.q_on = compiled.cols([split.q_on for _, split in found])
        self.q_off = compiled.cols([split.q_off for _, split in found])
        self.weight, self.q = cols.weight[ticker], cols.q[ticker]
        self.s, self.t = cols.specific[ticker], cols.effective_target[ticker]
        self.held_active = held_active[ticker]
        self.started = np.zeros(len(found), dtype=bool)
        self.enabled = False

    def enable(self) -> int:
        """From now on: the tangents of every split whose group is on, added now; refined in `refine`."""
        self.enabled = True
        return self._start()

    def _start(self) -> int:
        """The grid of solver/tracking.py's initial tangents on each side of the splits whose group
        switched on since the last call (three points a side — nothing, half and all of the loss lots
        sold — left the bounds weaker after as many rounds). Returns the rows added."""
        new = np.flatnonzero(self.lazy.active_flags()[self.group] & ~self.started)
        self.started[new] = True
        added = 0
        for points in tangent_grid(self.held_active[new]):
            keep = points != 0
            added += self._add(new[keep], points[keep], points[keep])
        return added

    def any_on(self) -> bool:
        """Has any split its tangents (its group on, since `enable`)?"""
        return bool(self.started.any())

    def refine(self, x: np.ndarray, tolerance_pct: float, variance: float) -> int:
        """The grid for splits newly switched on (`_start`); else, where the point's perspective
        exceeds q, a tangent at each side's own point, unless the total shortfall moves the tracking
        error by less than `tolerance_pct`. Returns the rows added."""
        if not len(self.z) or not self.enabled:
            return 0
        added = self._start()
        if added:
            return added
        live = np.flatnonzero(self.started)  # (a group once on stays on)
        if not len(live):
            return 0
        z = x[self.z[live]]
        w_on, w = x[self.w_on[live]], x[self.weight[live]]
        s, t = self.s[live], self.t[live]
        with np.errstate(divide="ignore", invalid="ignore"):
            point_on = np.where(z > SHARE, w_on / z - t, 0.0)
            point_off = np.where(z < 1 - SHARE, (w - w_on) / (1 - z) - t, 0.0)
        exact_on = np.where(z > SHARE, z * s * point_on ** 2, 0.0)
        exact_off = np.where(z < 1 - SHARE, (1 - z) * s * point_off ** 2, 0.0)
        short = np.maximum(exact_on + exact_off - x[self.q[live]], 0.0)
        total = float(short.sum())
        modelled = max(variance, 0.0)
        if not total or np.sqrt(modelled + total) - np.sqrt(modelled) <= tolerance_pct:
            return 0
        pick = short > 1e-3 * short.max()
        on_side = pick & (z > SHARE) & (exact_on > x[self.q_on[live]])
        off_side = pick & (z < 1 - SHARE) & (exact_off > x[self.q_off[live]])
        nan = np.full(len(live), np.nan)
        return self._add(live[on_side | off_side], np.where(on_side, point_on, nan)[on_side | off_side],
                         np.where(off_side, point_off, nan)[on_side | off_side])

    def _add(self, which: np.ndarray, on: np.ndarray, off: np.ndarray) -> int:
        """Mode 1's tangent at active weight `on` and mode 0's at `off` (NaN: none) for splits `which`:
        q₁ − 2sc·w₁ + (sc² + 2sct)·z ≥ 0 and q₀ − 2sc·w + 2sc·w₁ − (sc² + 2sct)·z ≥ −(sc² + 2sct)."""
        one, zero = which[~np.isnan(on)], which[~np.isnan(off)]
        c1, c0 = on[~np.isnan(on)], off[~np.isnan(off)]
        s1, s0 = self.s[one], self.s[zero]
        k1, k0 = s1 * c1 * (c1 + 2 * self.t[one]), s0 * c0 * (c0 + 2 * self.t[zero])
        count = len(one) + len(zero)
        if not count:
            return 0
        columns = np.r_[np.column_stack([self.q_on[one], self.w_on[one], self.z[one]]).ravel(),
                        np.column_stack([self.q_off[zero], self.weight[zero], self.w_on[zero],
                                         self.z[zero]]).ravel()].astype(np.int32)
        values = np.r_[np.column_stack([np.ones(len(one)), -2 * s1 * c1, k1]).ravel(),
                       np.column_stack([np.ones(len(zero)), -2 * s0 * c0, 2 * s0 * c0, -k0]).ravel()]
        starts = np.r_[3 * np.arange(len(one)), 3 * len(one) + 4 * np.arange(len(zero))].astype(np.int32)
        lower = np.r_[np.zeros(len(one)), -k0]
        self.highs.addRows(count, lower, np.full(count, INF), len(columns), starts, columns, values)
        return count
