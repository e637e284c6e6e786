"""The part of a model a rule governs: the whole model for its policy's rules, one account of a
household for that account's own policy (issue 14: budgets, caps and cash stated per account).

A rule kind that may be stated per account (`RuleKind.per_account`) lowers through `RuleScope` only:
the names it reads mean the same on the whole model (`AccountModel`) and on one account
(`AccountScope`), so one lowering serves both and the solver core still names no rule kind. In an
account's scope:

* its lots are the account's (`AccountArrays.lot_account == a`), its buys `buy_in[a, i]`, its cash
  `cash_in[a]`;
* its value before trading is its lots' value and its cash; after trading, that plus its own
  deposits and withdrawals, the cash it receives from the household's other accounts less what it
  gives (`received[a]`, `given[a]`: variables), less what leaves it in kind. A weight in the account is
  a holding over that value, so a limit on it is written as `holding − limit·value after` (linear);
* its realized gains are its own lots' (`AccountModel.account_gains`), with every wash-sale
  disallowance of the household counted (at least the account's own);
* its tax profile is its account file's (for a household's taxable accounts, the joint return's: S112).

Quantities are in the model's unit, fractions of the household's value before flows.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyomo.environ as pyo

from solver.linear import linear

if TYPE_CHECKING:
    from pyomo.core.expr.numeric_expr import LinearExpression

    from solver.account import Account, TaxProfile
    from solver.account_arrays import AccountArrays
    from solver.model import AccountModel


class RuleScope(Protocol):
    """What a rule that may be stated per account reads of the part of the model it governs."""

    data: AccountArrays
    m: pyo.ConcreteModel

    @property
    def account_id(self) -> str: ...
    @property
    def tax(self) -> TaxProfile: ...
    @property
    def taxable(self) -> bool: ...
    @property
    def own_lots(self) -> Iterable[int]: ...
    @property
    def lot_index(self) -> dict[str, int]: ...
    @property
    def value_before(self) -> float: ...
    @property
    def value_after(self) -> object: ...
    @property
    def cash_after(self) -> object: ...
    @property
    def target_weights(self) -> np.ndarray: ...
    @property
    def own_sells(self) -> list[pyo.Var]: ...

    def ids(self, tickers: Iterable[str]) -> list[int]: ...
    def lots_in(self, tickers: Iterable[str]) -> list[int]: ...
    def bought_of(self, tickers: Iterable[str]) -> LinearExpression: ...
    def weight_of(self, tickers: Iterable[str]) -> LinearExpression: ...
    def weight_before(self, tickers: Iterable[str]) -> float: ...
    def realized_gains(self) -> tuple[object, object]: ...
    def fraction(self, dollars: Decimal | float) -> float: ...
    def limit_weight(self, block: pyo.Block, name: str, tickers: Iterable[str], *, lower: float | None = None,
                     upper: float | None = None, give: pyo.Var | None = None) -> None: ...
    def add(self, block: pyo.Block, name: str, body: pyo.Expression, lower: object = None,
            upper: object = None) -> object: ...
    def declare_forbidden_buys(self, ids: Iterable[int]) -> None: ...
    def declare_minimum_trade(self, fraction: float, block: pyo.Block) -> None: ...


class AccountScope:
    """Account `position` of a household model, as its own policy's rules read it."""

    def __init__(self, model: AccountModel, position: int):
        self.model, self.position = model, position
        self.data, self.m = model.data, model.m
        self.account: Account = model.data.accounts[position]
        self.lots = np.flatnonzero(model.data.lot_account == position)
        self.held = np.bincount(self.data.lot_ticker[self.lots], weights=self.data.lot_value[self.lots],
                                minlength=len(self.data.tickers))
        self.add = model.add
        self.fraction = model.fraction

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def tax(self) -> TaxProfile:
        return self.account.tax

    @property
    def taxable(self) -> bool:
        return self.account.is_taxable

    @property
    def own_lots(self) -> list[int]:
        return self.lots.tolist()

    @property
    def lot_index(self) -> dict[str, int]:
        return {self.data.lots[x].lot_id: x for x in self.own_lots}

    @property
    def target_weights(self) -> np.ndarray:
        return self.model.target_weights

    @property
    def value_before(self) -> float:
        return float(self.held.sum() + self.data.account_cash[self.position])

    @property
    def value_after(self) -> LinearExpression | float:
        """Value before, plus its own flows and the cash it receives, less what it gives and what leaves
        it in kind: a constant, or linear in the household's transfers when it has any."""
        m, a = self.m, self.position
        constant = self.value_before + self.fraction(self.model.account_flows.get(a, Decimal(0)))
        terms = [(1.0, m.received[a])] if hasattr(m, "received") and a in m.received else []
        terms += [(-1.0, m.given[a])] if hasattr(m, "given") and a in m.given else []
        mine = set(self.own_lots)
        terms += [(-1.0, m.transfer[x]) for x in sorted(self.model.transferable) if x in mine]
        if not terms:
            return constant
        return linear([c for c, _ in terms], [v for _, v in terms], constant)

    @property
    def cash_after(self) -> pyo.Var:
        return self.m.cash_in[self.position]

    @property
    def own_sells(self) -> list[pyo.Var]:
        return [self.model.sells[x] for x in self.own_lots]

    def ids(self, tickers: Iterable[str]) -> list[int]:
        return self.model.ids(tickers)

    def lots_in(self, tickers: Iterable[str]) -> list[int]:
        return [x for x in self.model.lots_in(tickers) if self.data.lot_account[x] == self.position]

    def bought_of(self, tickers: Iterable[str]) -> LinearExpression:
        ids = self.ids(tickers)
        return linear([1.0] * len(ids), [self.m.buy_in[self.position, i] for i in ids])

    def weight_of(self, tickers: Iterable[str]) -> LinearExpression:
        """The names' value in the account after trading, in the model's unit: the account's weight in
        them is this over `value_after` (so `≤ 0` reads the same either way)."""
        ids, lots = self.ids(tickers), self.lots_in(tickers)
        if not ids:  # names outside the universe: nothing to constrain
            return linear([], [])
        given = [self.m.transfer[x] for x in lots if x in self.model.transferable]  # leaving in kind
        return linear([1.0] * len(ids) + [-1.0] * (len(lots) + len(given)),
                      [*(self.m.buy_in[self.position, i] for i in ids), *(self.m.sell[x] for x in lots),
                       *given],
                      float(self.held[ids].sum()))

    def weight_before(self, tickers: Iterable[str]) -> float:
        return float(self.held[self.ids(tickers)].sum()) / self.value_before

    def realized_gains(self) -> tuple[pyo.Var, pyo.Var]:
        """The account's realized short-term and long-term gains (variables defined at assembly)."""
        return self.model.account_gains(self.position)

    def limit_weight(self, block: pyo.Block, name: str, tickers: Iterable[str], *, lower: float | None = None,
                     upper: float | None = None, give: pyo.Var | None = None) -> None:
        """`lower ≤ holding / value after ≤ upper` as `holding − limit·value after` against 0, one row per
        bound given (`<name>_above`, `<name>_below` when both are)."""
        if not self.ids(tickers):  # names outside the universe: nothing to constrain
            return
        held, value = self.weight_of(tickers), self.value_after
        both = lower is not None and upper is not None
        for limit, side, sign in ((upper, "above", -1.0), (lower, "below", 1.0)):
            if limit is None:
                continue
            body = held - limit * value + (sign * give if give is not None else 0)
            self.add(block, f"{name}_{side}" if both else name, body,
                     **({"upper": 0.0} if side == "above" else {"lower": 0.0}))

    def declare_forbidden_buys(self, ids: Iterable[int]) -> None:
        """No buys of these names in this account (the others may buy them)."""
        for i in ids:
            self.m.buy_in[self.position, i].setub(0.0)

    def declare_cash_flow(self, dollars: Decimal) -> None:
        if dollars:
            self.model.declare_account_cash_flow(self.position, dollars)

    def declare_minimum_trade(self, fraction: float, block: pyo.Block) -> None:
        """Each of the account's buys, and its sale of each name it holds: none or at least `fraction`
        of the household's value (the model's unit)."""
        for i in range(len(self.data.tickers)):
            self.model.lazy.set_min_trade_in(self.position, i, fraction, block, sell=False)
            if self.held[i] > 0:
                self.model.lazy.set_min_trade_in(self.position, i, fraction, block, sell=True)
