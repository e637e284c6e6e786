"""Schedule D netting in the optimiser: the objective's tax term is the tax the report prints.

The reported `estimated_tax` (`solver.tax.incremental_tax`) nets the year's gains as Schedule D
does: with ST = year-to-date short-term gains − short-term carryforward + this rebalance's
short-term gains, LT likewise, and S = ST + LT, the year's tax is

    S < 0:  −rs·min(−S, $3,000)             (the ordinary offset; the rest of −S carries forward)
    S ≥ 0:  rl·S + (rs − rl)·max(0, min(ST, S))

— min(ST, S) is ST when LT ≥ 0 (short-term gains at rs, long-term at rl) and S when a long-term loss
absorbs part of the short-term gain; a short-term loss absorbed by a long-term gain leaves rl·S.
The model writes it with a few continuous columns and at most two binaries per account, none per lot
(fractions of the account value, all ≥ 0):

    P − N = S                     net gain P, net loss N; binary `nets_to_gain`: P ≤ Ŝ·z, N ≤ −Š·(1 − z)
    o + c = N,  o ≤ $3,000        ordinary offset o, loss carried forward c
    q ≥ ST − L⁻,  LT = L⁺ − L⁻    short-term gain left after netting q; binary `long_is_gain` on L⁺, L⁻
    tax   = rl·P + (rs − rl)·q − rs·o − tax₀
    carry = −v·(c − c₀)           (its own objective term: a saving, see below)

Why each binary, and why no more (rates are validated rl ≤ rs and 0 ≤ v < rs, `TaxProfile`):
* `nets_to_gain`: the tax is concave at S = 0 (slope rs below, rl above). Without the binary an LP
  would raise P and N together: each dollar of N earns rs through the offset, each dollar of P
  costs only rl.
* `long_is_gain`: without it an LP would raise L⁺ and L⁻ together to tax short-term gains at rl.
* o before c needs none: o saves rs, c only v < rs, so the minimisation fills the offset first; and
  q = max(0, min(ST, S)) needs none since its cost rs − rl is not negative: q sits on its larger
  lower bound.
A binary is left out when its sign cannot change (bounds from the lots' own gains and the
year-to-date figures), and both are when rs = rl (the tax is then convex). Non-taxable accounts
get no block.

The tax term subtracts tax₀, the tax of the year-to-date position alone, so at the solution it is
this rebalance's incremental tax — `estimated_tax` to the cent. The carryforward term values the
losses this rebalance adds to (or, with v·c₀ subtracted, takes from) next year's carryforward at v
per dollar: `TaxProfile.carryforward_rate`, stated in account.yaml or 0.75 × the long-term rate.
Without it, a loss beyond the year's gains and the $3,000 offset would be worth nothing to the
optimiser; with a full rate it would be worth as much as a loss used this year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from solver.tax import ORDINARY_OFFSET_LIMIT, net_gains, tax_on

if TYPE_CHECKING:
    from solver.model import AccountModel

BP = 1e4  # objective terms are in basis points of the account value


@dataclass(frozen=True)
class Interval:
    """The range a quantity can take over every possible trade (fractions of the account)."""

    low: float
    high: float

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.high + other.high)


class ScheduleD:
    """The netting Block `m.schedule_d` of one taxable account and its two objective terms (bp)."""

    def __init__(self, model: AccountModel):
        m, tax = model.m, model.data.account.tax
        self.value = model.data.value
        self.rs, self.rl = float(tax.short_term_rate), float(tax.long_term_rate)
        self.v = float(tax.carryforward_rate)
        self.limit = model.fraction(ORDINARY_OFFSET_LIMIT)
        # Where the year stands before this rebalance, net of carryforwards.
        self.base_st = model.fraction(tax.realized_short_term_ytd - tax.carryforward_short_term)
        self.base_lt = model.fraction(tax.realized_long_term_ytd - tax.carryforward_long_term)
        st, lt = self._range(model, long_term=False), self._range(model, long_term=True)
        net = st + lt
        b = m.schedule_d = pyo.Block()
        self.block = b
        self.binaries: list[pyo.Var] = []
        concave = self.rs > self.rl  # rs = rl: the tax is convex in S and ST never costs extra
        short = m.st_gain + self.base_st
        total = m.st_gain + m.lt_gain + (self.base_st + self.base_lt)
        gain, loss = self._split(b, "net", total, net, concave, "nets_to_gain")
        offset = carried = 0.0
        if net.low < 0:
            b.offset = pyo.Var(bounds=(0.0, min(self.limit, -net.low)))
            b.carried = pyo.Var(bounds=(0.0, max(-net.low - self.limit, 0.0)))
            b.loss_use = pyo.Constraint(expr=b.offset + b.carried - loss == 0)
            offset, carried = b.offset, b.carried
        rest = 0.0
        if concave and st.high > 0:
            _, long_loss = self._split(b, "long", m.lt_gain + self.base_lt, lt, True, "long_is_gain")
            b.short_taxed = pyo.Var(bounds=(0.0, st.high))
            b.short_rest = pyo.Constraint(expr=b.short_taxed - short + long_loss >= 0)
            rest = b.short_taxed
        before = net_gains(tax.realized_short_term_ytd, tax.realized_long_term_ytd,
                           tax.carryforward_short_term, tax.carryforward_long_term)
        tax_before = model.fraction(tax_on(before, tax.short_term_rate, tax.long_term_rate))
        carried_before = model.fraction(before.carryforward_short_term + before.carryforward_long_term)
        b.tax = pyo.Expression(expr=BP * (self.rl * gain + (self.rs - self.rl) * rest - self.rs * offset
                                          - tax_before))
        b.carryforward = pyo.Expression(expr=-BP * self.v * (carried - carried_before))

    @staticmethod
    def _range(model: AccountModel, long_term: bool) -> Interval:
        """This rebalance's gains of one term lie between its lots' losses and its lots' gains, sold
        whole; the year-to-date figures shift the range."""
        tax = model.data.account.tax
        base = (tax.realized_long_term_ytd - tax.carryforward_long_term if long_term
                else tax.realized_short_term_ytd - tax.carryforward_short_term)
        gains = (model.data.lot_value * model.data.lot_gain)[model.data.lot_long_term == long_term]
        return Interval(model.fraction(base) + float(gains[gains < 0].sum()),
                        model.fraction(base) + float(gains[gains > 0].sum()))

    def _split(self, b: pyo.Block, name: str, body: pyo.Expression, bounds: Interval, exact: bool,
               binary: str) -> tuple[pyo.Expression | float, pyo.Expression | float]:
        """`body` = positive part − negative part. When its sign is known from `bounds` the parts are
        expressions (no columns); otherwise two columns, and with `exact` a binary choosing the side
        (big-M from the bounds: as tight as the account allows)."""
        if bounds.low >= 0:
            return body, 0.0
        if bounds.high <= 0:
            return 0.0, -body
        plus = pyo.Var(bounds=(0.0, bounds.high))
        minus = pyo.Var(bounds=(0.0, -bounds.low))
        b.add_component(f"{name}_gain", plus)
        b.add_component(f"{name}_loss", minus)
        b.add_component(f"{name}_split", pyo.Constraint(expr=plus - minus - body == 0))
        if exact:
            side = pyo.Var(domain=pyo.Binary)
            b.add_component(binary, side)
            b.add_component(f"{name}_gain_side", pyo.Constraint(expr=plus - bounds.high * side <= 0))
            b.add_component(f"{name}_loss_side", pyo.Constraint(expr=minus + bounds.low * (1 - side) <= 0))
            self.binaries.append(side)
        return plus, minus

    # -- the law at given gains: explanations' directions and tests ------------------------------
    def law(self, st_gain: float, lt_gain: float) -> dict[str, float]:
        """The value the law gives each column of the block (by its name) for this rebalance's gains
        (fractions of the account): what the minimisation settles on, binaries included."""
        st, lt = self.base_st + st_gain, self.base_lt + lt_gain
        net = st + lt
        loss = max(-net, 0.0)
        return {"net_gain": max(net, 0.0), "net_loss": loss, "nets_to_gain": float(net >= 0),
                "offset": min(loss, self.limit), "carried": max(loss - self.limit, 0.0),
                "short_taxed": max(0.0, min(st, net)), "long_gain": max(lt, 0.0), "long_loss": max(-lt, 0.0),
                "long_is_gain": float(lt >= 0)}

    def direction(self, st_gain: float, lt_gain: float, d_st: float, d_lt: float,
                  step: float = 1e-7) -> list[tuple[pyo.Var, float]]:
        """How the block's columns move per unit of a trade that changes the gains by (d_st, d_lt):
        the law's one-sided difference quotient in the trade's direction (the tax is piecewise linear,
        and a solution often sits on a kink: the side the trade moves to is the one that counts)."""
        here = self.law(st_gain, lt_gain)
        there = self.law(st_gain + step * d_st, lt_gain + step * d_lt)
        return [(var, (there[var.local_name] - here[var.local_name]) / step)
                for var in self.block.component_data_objects(pyo.Var, descend_into=False)
                if not var.is_binary()]
