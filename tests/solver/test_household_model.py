"""Households in one model (issue 14 §1–§3): the accounts of one taxpayer and spouse are one
optimisation toward one target. Each account pays for its own buys; IRAs and Roths realize no taxable
gain; a loss sale in the taxable account and a buy of the name in any account are never made together;
a held-away account is counted and never traded. Built from the shipped example accounts: the
S&P 500 direct index of 2012 as the joint taxable account, the legacy JPM portfolio as the IRA."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from pyomo.core.expr.visitor import identify_variables

from compiler.lower import lower_policy
from compiler.rules import RULE_KINDS
from compiler.rules.cap import CapIR
from compiler.rules.cash import CashIR
from compiler.rules.gift import GiftIR
from compiler.rules.holding_period import HoldingPeriodIR
from compiler.rules.trading import TradingIR
from compiler.rules.wash_sale import WashSaleIR
from core.diagnostics import TailorError
from engine.rebalance import Plan, RebalanceOptions, plan
from solver.account import Account, TaxProfile
from solver.household_view import HouseholdTerms
from solver.lots import Lot
from solver.market import Market
from solver.model import AccountModel
from tests.solver.conftest import policy, span

HOUSEHOLD = "smith"


def renamed(account: Account, account_id: str, account_type: str) -> Account:
    """The account under another id and type, its lot ids prefixed so that they are the household's own."""
    lots = tuple(lot.model_copy(update={"lot_id": f"{account_id}-{lot.lot_id}"}) for lot in account.lots)
    return account.model_copy(update={
        "account_id": account_id, "account_type": account_type, "lots": lots, "lot_spans": {},
        "household_id": HOUSEHOLD, "household_transactions": ()})


@pytest.fixture(scope="module")
def accounts(index_account: Account, legacy_account: Account) -> list[Account]:
    return [renamed(index_account, "joint", "taxable"), renamed(legacy_account, "ira", "ira")]


def household_policy(*rules: object) -> object:
    return policy(TradingIR(id="trading", span=span(5), min_trade_usd=Decimal(100), whole_shares=False,
                            max_turnover=None, max_positions=None),
                  WashSaleIR(id="wash_sale", span=span(6), window_days=30, scope="household", groups=()),
                  *rules)


@pytest.fixture(scope="module")
def household_plan(accounts: list[Account], market: Market) -> Plan:
    return plan(accounts, household_policy(), market, RebalanceOptions())


def cash_after(account: Account, result: object) -> Decimal:
    lines = [t for t in result.trades if t.account == account.account_id]
    return account.cash + sum((t.amount for t in lines if t.action == "sell"), Decimal(0)) \
        - sum((t.amount for t in lines if t.action == "buy"), Decimal(0))


def test_the_household_is_one_verified_plan_whose_accounts_pay_for_their_own_buys(
        household_plan: Plan, accounts: list[Account]) -> None:
    result = household_plan.result
    assert result.verified and result.solve.status in ("optimal", "feasible")
    assert {t.account for t in result.trades} == {"joint", "ira"}
    parts = {part.account_id: part for part in result.accounts}
    for account in accounts:
        # (trade lines are rounded to the cent each, the account's cash once)
        assert abs(cash_after(account, result) - parts[account.account_id].cash_after) < 1
        assert parts[account.account_id].cash_after >= 0
    assert sum(part.value_before for part in parts.values()) == result.summary.value_before
    assert parts["ira"].realized_short_term == parts["ira"].realized_long_term == 0
    assert parts["joint"].realized_long_term == result.summary.realized_long_term
    own = {account.account_id: {lot.lot_id for lot in account.lots} for account in accounts}
    assert all(t.lot_id in own[t.account] for t in result.trades if t.action == "sell")


def test_sales_in_the_ira_realize_no_taxable_gain(household_plan: Plan, accounts: list[Account]) -> None:
    """The legacy IRA holds JPM bought in 2004 at $36: selling it there moves the household to its
    target at no tax, and no gain of it reaches the return."""
    result = household_plan.result
    ira_sales = [t for t in result.trades if t.account == "ira" and t.action == "sell"]
    assert ira_sales and all(t.realized_gain == 0 for t in ira_sales)
    joint = [s.realized for s in household_plan.outcome.sales if s.trade.account == "joint"]
    reported = result.summary.realized_short_term + result.summary.realized_long_term
    assert joint and abs(reported - sum(joint, Decimal(0))) <= Decimal("0.01")  # terms rounded to cents


def test_no_name_is_sold_at_a_loss_in_the_taxable_account_and_bought_in_any(household_plan: Plan) -> None:
    """IRC §1091 across the household: a buy in the IRA the day the taxable account sells the name at a
    loss would wash that loss for good (Rev. Rul. 2008-5)."""
    result = household_plan.result
    lost = {t.ticker for t in result.trades
            if t.account == "joint" and t.action == "sell" and t.realized_gain < 0}
    bought = defaultdict(set)
    for t in result.trades:
        if t.action == "buy":
            bought[t.ticker].add(t.account)
    assert lost and not {ticker: bought[ticker] for ticker in lost if bought[ticker]}


def test_a_held_away_account_is_counted_and_never_traded(accounts: list[Account], market: Market) -> None:
    """The IRA held at another firm: its JPM counts in the household's weights (so the joint account
    buys no JPM to reach the target) and none of its lots is sold."""
    result = plan(accounts, household_policy(), market, RebalanceOptions(),
                  terms=HouseholdTerms(held_away=frozenset({"ira"}))).result
    assert result.verified
    assert not [t for t in result.trades if t.account == "ira"]
    assert not [t for t in result.trades if t.ticker == "JPM" and t.action == "buy"]


@pytest.mark.parametrize(("change", "code"), [
    ("profiles", "S112"), ("lot ids", "S113"), ("deposit", "S114"), ("whole shares", "S115")])
def test_what_a_household_model_cannot_take_is_refused(change: str, code: str, accounts: list[Account],
                                                       market: Market) -> None:
    joint, ira = accounts
    rules = []
    if change == "profiles":
        ira = ira.model_copy(update={"account_type": "taxable",
                                     "tax": TaxProfile(short_term_rate=Decimal("0.24"))})
    elif change == "lot ids":
        ira = ira.model_copy(update={"lots": (*ira.lots, joint.lots[0])})
    elif change == "deposit":
        rules = [CashIR(id="cash", span=span(7), reserve_pct=None, reserve_usd=None,
                        deposit_usd=Decimal(1000), withdrawal_usd=Decimal(0))]
    else:
        rules = [TradingIR(id="trading", span=span(5), min_trade_usd=None, whole_shares=True,
                           max_turnover=None, max_positions=None)]
    with pytest.raises(TailorError) as raised:
        plan([joint, ira], household_policy(*rules), market, RebalanceOptions())
    assert raised.value.diagnostics[0].code == code


def test_a_gift_leaves_only_from_a_taxable_account_that_trades(accounts: list[Account],
                                                               market: Market) -> None:
    """A gift of appreciated shares removes their gain from the return: in a household the lots it may
    take are the taxable account's, never the IRA's (whose shares carry no gain a return sees, and
    which the verifier refuses as a gift); the plan gives from the joint account only."""
    gift = GiftIR(id="gift", span=span(7), amount_usd=Decimal(20_000))
    model = AccountModel(accounts, market)
    declared = RULE_KINDS["gift"].transfer(gift, model)
    assert declared is not None and {int(model.data.lot_account[x]) for x in declared.lots} == {0}
    result = plan(accounts, household_policy(gift), market, RebalanceOptions()).result
    given = [t for t in result.trades if t.action == "gift"]
    assert result.verified and given and {t.account for t in given} == {"joint"}


def test_rules_about_realized_gains_leave_the_iras_lots_alone(accounts: list[Account],
                                                              market: Market) -> None:
    """`holding period no short-term gains` and a cap's `sell only long-term lots` speak of gains a
    return sees: in a household they hold back the taxable account's short-term lots, not the IRA's.
    Both accounts bought AAPL at $100 on 2020-11-02 (a short-term gain on 2021-04-21)."""
    def bought(account: Account) -> Account:
        lot = Lot(lot_id=f"{account.account_id}-AAPL-NEW", ticker="AAPL", acquired=date(2020, 11, 2),
                  shares=Decimal(40), basis_per_share=Decimal(100))
        return account.model_copy(update={"lots": (*account.lots, lot)})
    rules = (HoldingPeriodIR(id="holding_period", span=span(7), no_short_term_gains=True, defer_days=None),
             CapIR(id="cap", span=span(8), subject="AAPL", tickers=("AAPL",), max_weight=0.5, min_weight=None,
                   years=None, long_term_only=True))
    model = AccountModel([bought(account) for account in accounts], market)
    lower_policy(household_policy(*rules), model)
    for row in (model.m.rule_holding_period.held_back, model.m.rule_cap.long_term_only):
        held = {model.data.lots[int(var.index())].lot_id for var in identify_variables(row.body)}
        assert "joint-AAPL-NEW" in held and not [lot for lot in held if not lot.startswith("joint-")]
