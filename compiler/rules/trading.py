"""trading — minimum trade size, whole shares only, maximum turnover, maximum number of positions.

    trading minimum trade $500 whole shares max turnover 25% max positions 150
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import WEIGHT_UNITS, format_quantity
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

_CLAUSES = {"trading_min_trade": "min_trade", "trading_whole_shares": "whole_shares",
            "trading_max_turnover": "max_turnover", "trading_max_positions": "max_positions"}


class TradingNode(RuleNode):
    kind: ClassVar[str] = "trading"
    min_trade: Quantity | None = None
    whole_shares: bool = False
    max_turnover: Quantity | None = None
    max_positions: Quantity | None = None


class TradingIR(RuleIR):
    kind: Literal["trading"] = "trading"
    min_trade_usd: Decimal | None  # every trade is zero or at least this much
    whole_shares: bool
    max_turnover: float | None  # sells as a fraction of account value
    max_positions: int | None


class Trading(RuleKind[TradingNode, TradingIR]):
    name = "trading"
    keyword = "trading"
    node_type = TradingNode
    ir_type = TradingIR
    summary = "minimum trade, whole shares, maximum turnover and number of positions"
    yaml_keys = ("min_trade", "whole_shares", "max_turnover", "max_positions")
    grammar = r"""
trading_rule: "trading" trading_clause+
trading_clause: "minimum" "trade" quantity  -> trading_min_trade
              | "whole" "shares"            -> trading_whole_shares
              | "max" "turnover" quantity   -> trading_max_turnover
              | "max" "positions" quantity  -> trading_max_positions
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        units = {"min_trade": ((Unit.USD,), "a minimum trade"),
                 "max_turnover": (WEIGHT_UNITS, "a turnover limit"),
                 "max_positions": ((Unit.NUMBER,), "a number of positions")}
        for clause in reader.trees(tree):
            key = _CLAUSES[str(clause.data)]
            if key in fields:
                phrase = {"min_trade": "minimum trade"}.get(key, key.replace("_", " "))
                reader.fail("P212", f"`{phrase}` given twice in one trading rule", clause,
                            "keep one")
            fields[key] = reader.quantity(clause.children[0], *units[key]) if key in units else True
        return fields

    def format(self, node: TradingNode) -> str:
        parts = ["trading"]
        if node.min_trade is not None:
            parts.append(f"minimum trade {format_quantity(node.min_trade)}")
        if node.whole_shares:
            parts.append("whole shares")
        if node.max_turnover is not None:
            parts.append(f"max turnover {format_quantity(node.max_turnover)}")
        if node.max_positions is not None:
            parts.append(f"max positions {format_quantity(node.max_positions)}")
        return " ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        out = {"min_trade": fields.quantity("min_trade", (Unit.USD,), "a minimum trade"),
               "whole_shares": fields.boolean("whole_shares"),
               "max_turnover": fields.quantity("max_turnover", WEIGHT_UNITS, "a turnover limit"),
               "max_positions": fields.quantity("max_positions", (Unit.NUMBER,), "a number of positions")}
        if not any(out.values()):
            fail("P205", "`trading` needs at least one of: " + ", ".join(self.yaml_keys), fields.span)
        return out

    def to_yaml(self, node: TradingNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.min_trade is not None:
            out["min_trade"] = format_quantity(node.min_trade)
        if node.whole_shares:
            out["whole_shares"] = True
        if node.max_turnover is not None:
            out["max_turnover"] = format_quantity(node.max_turnover)
        if node.max_positions is not None:
            out["max_positions"] = int(node.max_positions.value)
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    def minimum_trade(self, rule: TradingIR, model: AccountModel) -> float | None:
        from solver.model import PRIMAL_TOLERANCE, ROUNDING_MARGIN_USD

        if not rule.min_trade_usd:
            return None
        # A cent above the minimum, as shares are rounded down to 6 places after solving, and room for
        # the solver's row tolerance and the dust dropped from trades (solver/trades.py), which scale
        # with the account (2 cents each on $20M).
        return model.fraction(rule.min_trade_usd + ROUNDING_MARGIN_USD / 100) + 4 * PRIMAL_TOLERANCE

    def not_per_account(self, rule: TradingIR) -> str | None:
        """An account's minimum trade and turnover read its own orders and value; whole shares are not
        modelled in a household (S115), and a number of positions is not yet counted per account."""
        if rule.whole_shares:
            return "whole shares are not offered for a household in one model"
        if rule.max_positions is not None:
            return "household mode does not count one account's positions (`max positions`)"
        return None

    def lower(self, rule: TradingIR, block: Block, model: RuleScope) -> Contribution:
        import numpy as np
        import pyomo.environ as pyo

        from solver.contribution import Contribution
        from solver.matrix_rows import one_row

        contribution = Contribution()
        if rule.whole_shares:
            contribution.whole_shares = True
        sells = model.own_sells
        if rule.max_turnover is not None and sells:
            # One row as arrays (solver/matrix_rows.py): as a Pyomo expression, a 10,000-lot account's
            # sum cost 7 ms to build and 2 ms more to hand off.
            most = rule.max_turnover * model.value_before
            block.turnover = one_row(np.ones(len(sells)), sells, -np.inf, most)
        if rule.max_positions is not None:
            ids = list(range(len(model.data.tickers)))
            block.held = pyo.Var(ids, domain=pyo.Binary)
            block.held_link = pyo.Constraint(ids, rule=lambda b, i: model.m.weight[i] <= b.held[i])
            block.count = pyo.Constraint(expr=pyo.quicksum(block.held.values()) <= rule.max_positions)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: TradingIR, outcome: Outcome) -> list[Violation]:
        from collections import defaultdict
        from decimal import Decimal

        from solver.verify import Violation

        found = []
        if rule.min_trade_usd:
            orders: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            # An order's size is its shares × price, not its lines' proceeds rounded to the cent each.
            for s in outcome.sales:
                orders["sell", s.trade.ticker] += s.trade.shares * s.trade.price
            for t in outcome.buys:
                orders["buy", t.ticker] += t.shares * t.price
            for (action, ticker), amount in sorted(orders.items()):
                closes = action == "sell" and outcome.shares_after.get(ticker, Decimal(0)) == 0
                if amount < rule.min_trade_usd and not closes:
                    found.append(Violation(code="V213", message=f"{action} {ticker} of ${amount:,.2f} is "
                                           f"below the minimum trade of ${rule.min_trade_usd:,}"))
        if rule.whole_shares:
            # A fractional remainder may go only with the whole position (the name is no longer held).
            found += [Violation(code="V214", message=f"{t.action} {t.ticker}: {t.shares} is not whole shares")
                      for t in [*outcome.buys, *(s.trade for s in outcome.sales)] if t.shares % 1 != 0
                      and not (t.action == "sell" and outcome.shares_after.get(t.ticker, Decimal(0)) == 0)]
        if rule.max_turnover is not None:
            sold = outcome.turnover  # sales / value before, as the constraint and summary.turnover
            if sold > Decimal(repr(rule.max_turnover)) + Decimal("0.000001"):
                found.append(Violation(code="V215", message=f"sold {sold:.4%} of the account, above the "
                                       f"turnover limit of {rule.max_turnover:.2%}"))
        if rule.max_positions is not None:
            held = sum(1 for shares in outcome.shares_after.values() if shares > 0)
            if held > rule.max_positions:
                found.append(Violation(code="V216", message=f"{held} positions after trading, above the "
                                       f"limit of {rule.max_positions}"))
        return found

    def explain(self, rule: TradingIR, outcome: Outcome) -> list[str]:
        return [f"{len(outcome.sales)} lot sales and {len(outcome.buys)} buys; turnover "
                f"{outcome.turnover:.2%}; {sum(1 for s in outcome.shares_after.values() if s > 0)} positions"]

    def compare(self, old: TradingNode, new: TradingNode) -> Change:
        def num(q: Quantity | None) -> float | None:
            return None if q is None else float(q.value)
        return combine(compare_bound(num(old.min_trade) or 0.0, num(new.min_trade) or 0.0, upper=False),
                       compare_bound(float(old.whole_shares), float(new.whole_shares), upper=False),
                       compare_bound(num(old.max_turnover), num(new.max_turnover), upper=True),
                       compare_bound(num(old.max_positions), num(new.max_positions), upper=True))

    def check(self, node: TradingNode, ctx: CheckContext) -> TradingIR | None:
        min_trade = ctx.money(node.min_trade, "a minimum trade") if node.min_trade else None
        turnover = ctx.weight(node.max_turnover, "a turnover limit") if node.max_turnover else None
        positions = (ctx.whole(node.max_positions, "a number of positions", low=1, high=10_000)
                     if node.max_positions else None)
        if None in [v for v, q in ((min_trade, node.min_trade), (turnover, node.max_turnover),
                                   (positions, node.max_positions)) if q is not None]:
            return None
        return TradingIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                         min_trade_usd=min_trade, whole_shares=node.whole_shares, max_turnover=turnover,
                         max_positions=positions)
