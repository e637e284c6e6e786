"""Trading costs the plan did not leave cash for: its largest buy gives way, and the verifier decides.

The rebalance's objective knows nothing of the simulation's cost model, so a plan can spend the cash
its costs need. Solving again with a larger reserve costs a whole solve (5 s on a harvest-heavy day);
cutting the largest buy by the shortfall, as `solver.trades` cuts it when rounding leaves cash short,
costs one run of the independent verifier, which must accept the cut plan against every rule (a cut
below a minimum trade, say, is refused, and the step solves again instead).
"""

from __future__ import annotations

from decimal import Decimal

from compiler.ir import CompiledPolicy
from compiler.verify_rules import verify
from solver.account import Account
from solver.lots import SHARE_STEP, Trade
from solver.market import Market
from solver.money import shares_freeing
from solver.result import RebalanceResult, TradeLine
from solver.tax import to_cents
from solver.verify import build_outcome


def _trade(line: TradeLine, account: Account) -> Trade:
    basis = None
    if line.lot_id is not None:
        basis = next(lot.basis_per_share for lot in account.lots if lot.lot_id == line.lot_id)
    return Trade(action=line.action, ticker=line.ticker, shares=line.shares, price=line.price,
                 lot_id=line.lot_id, acquired=line.acquired, basis_per_share=basis)


def cut_largest_buy(result: RebalanceResult, shortfall: Decimal, policy: CompiledPolicy, account: Account,
                    market: Market, target: dict[str, float], flow: Decimal) -> RebalanceResult | None:
    """The plan with its largest buy smaller by at least `shortfall` dollars, if the verifier accepts it."""
    buys = [k for k, line in enumerate(result.trades) if line.action == "buy"]
    if not buys or result.summary is None:
        return None
    k = max(buys, key=lambda j: result.trades[j].amount)
    line = result.trades[k]
    trading = policy.one("trading")
    step = Decimal(1) if getattr(trading, "whole_shares", False) else SHARE_STEP
    shares = line.shares - shares_freeing(shortfall, line.price, step)
    lines = list(result.trades)
    if shares > 0:
        lines[k] = line.model_copy(update={"shares": shares, "amount": to_cents(shares * line.price)})
    else:
        del lines[k]
    outcome = build_outcome(account, market, [_trade(t, account) for t in lines], target, flow)
    if verify(outcome, policy.rules):
        return None
    summary = result.summary.model_copy(update={
        "cash_after": to_cents(outcome.cash_after), "value_after": to_cents(outcome.value_after),
        "tracking_error_after": round(outcome.tracking_error_after, 6), "buys": len(outcome.buys)})
    return result.model_copy(update={"trades": tuple(lines), "summary": summary})
