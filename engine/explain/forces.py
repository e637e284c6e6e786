"""What moves when one trade moves: the trade's direction in the model's columns, and the marginal
forces on it — each rule Block's binding rows (dual × row change) and each objective term (gradient ×
direction) — at the fixed-integer LP optimum.

A trade's direction follows the base model's definitions: selling a unit of lot l of ticker i lowers
weight[i] by 1/(1 + flow), raises cash by one, realizes the lot's gain per unit in st_gain or lt_gain
and adds one to traded; the active variance moves by its exact gradient (not the tangent proxy) and the
Schedule D columns as the law nets the changed gains. At an optimum the costs of the terms a trade
raises are paid for by the rules that need it (the KKT balance of the LP), which is what the forces
report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.explain.workbench import LPPoint, Workbench


@dataclass(frozen=True)
class Columns:
    sell: np.ndarray
    buy: np.ndarray
    weight: np.ndarray
    cash: int
    st_gain: int
    lt_gain: int
    traded: int
    variance: int


def base_columns(bench: Workbench) -> Columns:
    m, c = bench.model.m, bench.compiled
    return Columns(
        sell=c.cols(list(m.sell.values())),
        buy=c.cols(list(m.buy.values())),
        weight=c.cols(list(m.weight.values())),
        cash=c.column_of.get(id(m.cash), -1),
        st_gain=c.column_of.get(id(m.st_gain), -1),
        lt_gain=c.column_of.get(id(m.lt_gain), -1),
        traded=c.column_of.get(id(m.traded), -1),
        variance=c.column_of.get(id(m.variance), -1),
    )


class Forces:
    """Direction vectors of trades and the forces on them at one LP point."""

    def __init__(self, bench: Workbench, point: LPPoint):
        self.bench, self.point = bench, point
        self.cols = base_columns(bench)
        self.terms = bench.terms
        model = bench.model
        self.post = 1.0 + float(model.m.flow.value)
        tracking = bench.cols
        active = tracking.active(point.x)
        # d(variance in %²)/d(weight_i), exact: Mᵀ(2·(100L)(100L)ᵀa + 2·(10⁴s)·a), a the effective
        # active weights (an ETF's gradient is its constituents': solver/look_through.py)
        self.variance_gradient = tracking.look.transpose(
            2.0 * (tracking.loadings @ (tracking.loadings.T @ active)) + 2.0 * tracking.specific * active
        )
        # Each rule's binding rows folded into one vector over columns: Σ dual·row. A trade's force
        # from the rule is then this vector along the trade's (sparse) direction.
        matrix = bench.compiled.matrix
        self.rule_pull: dict[str, np.ndarray] = {}
        for rid, rows in bench.rows_by_rule.items():
            duals = point.row_dual[np.asarray(rows, dtype=int)]
            if np.any(np.abs(duals) > 1e-9):
                self.rule_pull[rid] = np.asarray(matrix[np.asarray(rows, dtype=int)].T @ duals).ravel()

    def sale(self, lot: int) -> Direction:
        model, c = self.bench.model, self.cols
        i = int(model.data.lot_ticker[lot])
        gain_col = c.lt_gain if model.data.lot_long_term[lot] else c.st_gain
        gain = float(model.data.lot_gain[lot])
        return _direction(
            [
                (c.sell[lot], 1.0),
                (c.weight[i], -1.0 / self.post),
                (c.cash, 1.0),
                (gain_col, gain),
                (c.traded, 1.0),
                (c.variance, -self.variance_gradient[i] / self.post),
                *(self._netting(0.0, gain) if model.data.lot_long_term[lot] else self._netting(gain, 0.0)),
            ]
        )

    def _netting(self, d_st: float, d_lt: float) -> list[tuple[int, float]]:
        """The Schedule D columns' move with the gains (solver/schedule_d.py): the law's, on the side
        the trade moves to, so the tax term's change is the tax the report would print for it."""
        netting = self.bench.model.netting
        if netting is None:
            return []
        c, x = self.cols, self.point.x
        st = float(x[c.st_gain]) if c.st_gain >= 0 else 0.0
        lt = float(x[c.lt_gain]) if c.lt_gain >= 0 else 0.0
        column_of = self.bench.compiled.column_of
        return [(column_of.get(id(var), -1), change)
                for var, change in netting.direction(st, lt, d_st, d_lt)]

    def purchase(self, i: int) -> Direction:
        c = self.cols
        return _direction(
            [
                (c.buy[i], 1.0),
                (c.weight[i], 1.0 / self.post),
                (c.cash, -1.0),
                (c.traded, 1.0),
                (c.variance, self.variance_gradient[i] / self.post),
            ]
        )

    def rule_forces(self, d: Direction, size: float) -> dict[str, float]:
        """Per rule: Σ dual·(row change) over its rows, for a trade of `size` (bp of account value).
        Positive: the rule's binding rows need the trade; negative: they hold it back."""
        cols, values = d
        return {rid: float(pull[cols] @ values) * size for rid, pull in self.rule_pull.items()}

    def term_effects(self, d: Direction, size: float) -> dict[str, float]:
        """Per objective term: its change for a trade of `size` (bp; negative: the term favours it)."""
        cols, values = d
        return {tag: float(vector[cols] @ values) * size for tag, vector in self.terms.items()}


Direction = tuple[np.ndarray, np.ndarray]  # columns and their change per unit of the trade


def _direction(entries: list[tuple[int, float]]) -> Direction:
    kept = [(col, value) for col, value in entries if col >= 0]
    return np.array([c for c, _ in kept], dtype=int), np.array([v for _, v in kept])
