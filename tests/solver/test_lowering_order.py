"""No lowering depends on the order of the policy's rules (issue 11 §2): what one rule needs of another
— the target, the names no one may buy, the minimum trades — is declared by every rule before any is
lowered (compiler/lower.py). The same policy with its rules reversed gives the same plan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from compiler.ir import CompiledPolicy
from compiler.rules.exclude import ExcludeIR
from compiler.rules.restrict_buying import RestrictBuyingIR
from compiler.rules.trading import TradingIR
from compiler.rules.wash_sale import WashSaleIR
from engine.rebalance import RebalanceOptions, plan
from solver.account import Account, Transaction
from solver.lots import Lot
from solver.market import Market
from tests.solver.conftest import policy, span, with_lots


def test_reversing_the_rules_changes_no_trade(legacy_account: Account, market: Market) -> None:
    """A wash sale (MSFT sold at a loss 12 days ago; TGT bought 11 days ago, with one older share at a
    loss worth less than the minimum trade), an exclusion and `restrict buying outside target` that
    forbid buying, and a minimum trade that the wash sale's share-for-share rows build on: first after
    the rules they need, then before them. (Were minimum trades registered as the trading rule is
    lowered, the reversed policy would give TGT's loss sale a binary, and other trades.)"""
    price = market.price("TGT")
    account = with_lots(
        legacy_account,
        Lot(lot_id="TGT-OLD", ticker="TGT", acquired=date(2019, 1, 2), shares=Decimal(1),
            basis_per_share=(price * Decimal("1.5")).quantize(Decimal("0.01"))),
        Lot(lot_id="TGT-NEW", ticker="TGT", acquired=date(2021, 4, 10), shares=Decimal(10),
            basis_per_share=price))
    sold = Transaction(on=date(2021, 4, 9), ticker="MSFT", action="sell", shares=Decimal(20),
                       price=market.price("MSFT") - 10, realized_gain=Decimal(-200))
    account = account.model_copy(update={"transactions": (*account.transactions, sold)})
    rules = (ExcludeIR(id="exclude-xom", span=span(5), subject="XOM", tickers=("XOM",), sell="immediately"),
             RestrictBuyingIR(id="restrict_buying", span=span(6), subject="outside target", tickers=(),
                              outside_target=True),
             TradingIR(id="trading", span=span(7), min_trade_usd=Decimal(1000), whole_shares=False,
                       max_turnover=None, max_positions=None),
             WashSaleIR(id="wash_sale", span=span(8), window_days=30, scope="account", groups=()))
    forward = policy(*rules)
    backward = CompiledPolicy(name=forward.name, policy_hash=forward.policy_hash, sources=forward.sources,
                              rules=tuple(reversed(forward.rules)))
    assert next(r.kind for r in backward.rules) == "wash_sale"  # the wash sale is lowered first now
    plans = [plan(account, compiled, market, RebalanceOptions()) for compiled in (forward, backward)]
    assert all(p.result.solve.status in ("optimal", "feasible") and p.result.verified for p in plans)
    trades = [sorted((t.action, t.ticker, t.lot_id or "", t.shares) for t in p.result.trades) for p in plans]
    assert trades[0] == trades[1]
    assert not [t for t in trades[0] if t[0] == "buy" and t[1] in ("MSFT", "XOM")]
    assert plans[0].model.buy_forbidden == plans[1].model.buy_forbidden
    # The wash sale's own model is the same too: its disjunctions and share-for-share rows are built on
    # the forbidden names and minimum trades whichever rule comes first.
    def shape(p: object) -> list[tuple[str, int]]:
        block = p.model.m.rule_wash_sale  # type: ignore[attr-defined]
        return sorted((c.local_name, len(c)) for c in block.component_objects(descend_into=False))
    assert shape(plans[0]) == shape(plans[1])
