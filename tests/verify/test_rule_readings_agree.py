"""Each rule kind's two readings agree on random inputs: the limit its lowering imposes (the
optimiser's helpers: `Cap.limits`, `Budget.before`, `HoldingPeriod.held_back`, `Gift.eligible`,
`Transition.allowance` and `room`, `Target.weights`, `WashSale.window_buys_all_held`) and the
meaning its verifier re-derives from the same IR. Where the lowering is deliberately conservative
(the tax budget's convex bound), the property is that its rows, built on a real model, never allow
what the verifier refuses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyomo.environ as pyo
from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.rules.budget import Budget, BudgetIR
from compiler.rules.cap import Cap, CapIR
from compiler.rules.gift import Gift
from compiler.rules.holding_period import HoldingPeriod, HoldingPeriodIR
from compiler.rules.target import Target, TargetIR, Tilt
from compiler.rules.transition import Transition, TransitionIR
from compiler.rules.wash_sale import WashSale, WashSaleIR
from solver.account import Account, AccountTarget, TaxProfile, Transaction
from solver.lots import Lot, Trade
from solver.market import Market
from solver.model import AccountModel
from solver.verify import build_outcome
from tests.solver.conftest import AS_OF, span

D = Decimal
WEIGHT = st.floats(0.0, 1.0)
PRICE = st.decimals(D("1.00"), D("900.00"), places=2)


DAYS = st.dates(date(1999, 11, 1), date(2030, 12, 31))


@given(st.one_of(st.none(), st.floats(0.001, 0.6)), st.one_of(st.none(), st.floats(0.0, 0.3)),
       st.one_of(st.none(), st.integers(1, 30)), WEIGHT, st.one_of(st.none(), DAYS),
       st.one_of(st.none(), WEIGHT), st.integers(0, 12_000))
@example(0.10, None, 3, 0.2722, None, None, 0)  # the legacy account's JPM: a third of 27.2% → 10%
@example(0.10, None, 3, 0.2722, date(2020, 2, 29), 0.27, 366)  # a path from a leap day
@example(0.10, None, 3, 0.15, date(2011, 12, 30), 0.27, 1096)  # the last day: the cap itself
def test_cap_glide_path(cap: float | None, floor: float | None, years: int | None, before: float,
                        start: date | None, start_weight: float | None, days_in: int) -> None:
    """Both readings of the limit of the day agree: without a start (1/N of the gap), and along a
    dated path on any day from its start to long after its end."""
    rule = CapIR(id="cap", span=span(), subject="X", tickers=("X",), max_weight=cap, min_weight=floor,
                 years=years if cap is not None else None, long_term_only=False, start=start,
                 start_weight=start_weight if start is not None and days_in else None)
    today = start + timedelta(days=days_in) if start is not None and start.year < 2030 else date(2021, 4, 21)
    if rule.start is not None and today != rule.start and rule.start_weight is None:
        today = rule.start  # a path measured on its start day (P416 otherwise)
    optimiser = Cap().limits(rule, before, today)
    verifier = Cap.bounds_this_rebalance(rule, D(repr(before)), today)
    for mine, theirs in zip(optimiser, verifier, strict=True):
        assert (mine is None) == (theirs is None)
        assert mine is None or abs(mine - float(theirs)) <= 1e-12


def test_cap_glide_path_ends_on_its_date() -> None:
    """27% to 10% over three years from 2011-12-30: a third of the way each year, the cap from
    2014-12-30 on, whatever day the rebalance falls on."""
    rule = CapIR(id="cap", span=span(), subject="X", tickers=("X",), max_weight=0.10, min_weight=None,
                 years=3, long_term_only=False, start=date(2011, 12, 30), start_weight=0.27)
    for day, limit in ((date(2011, 12, 30), 0.27), (date(2012, 12, 30), 0.27 - 0.17 * 366 / 1096),
                       (date(2014, 12, 30), 0.10), (date(2016, 6, 30), 0.10)):
        assert abs(Cap().limits(rule, 0.5, day)[0] - limit) < 1e-12  # type: ignore[operator]
        assert abs(float(Cap.bounds_this_rebalance(rule, D("0.5"), day)[0]) - limit) < 1e-12  # type: ignore[arg-type]


def profile(short_term: Decimal, long_term: Decimal, carry: tuple[Decimal, Decimal]) -> TaxProfile:
    return TaxProfile(realized_short_term_ytd=short_term, realized_long_term_ytd=long_term,
                      carryforward_short_term=carry[0], carryforward_long_term=carry[1])


MONEY = st.decimals(-200_000, 200_000, places=2)
CARRY = st.tuples(st.one_of(st.just(D(0)), st.decimals(0, 40_000, places=2)),
                  st.one_of(st.just(D(0)), st.decimals(0, 40_000, places=2)))


def lowering_allows(rule: BudgetIR, tax: TaxProfile, market: Market, added_st: Decimal,
                    added_lt: Decimal) -> bool:
    """Do the rows `Budget.lower` builds hold when this rebalance realizes these gains? Lowered on a
    real model and evaluated at that point; the tax bound's own variable takes its largest value,
    where its rows (lower bounds on it) are easiest to meet."""
    account = Account(account_id="a", cash=D(1_000_000), tax=tax, lots=(
        Lot(lot_id="L", ticker="AAPL", acquired=date(2015, 1, 2), shares=D(1000), basis_per_share=D(20)),))
    model = AccountModel([account], market)
    block = pyo.Block(concrete=True)
    model.m.add_component("rule_budget", block)
    Budget().lower(rule, block, model)
    model.m.st_gain.value, model.m.lt_gain.value = model.fraction(added_st), model.fraction(added_lt)
    for bound in block.component_data_objects(pyo.Var):
        bound.value = bound.ub
    return all(row.lslack() >= -1e-12 and row.uslack() >= -1e-12
               for row in block.component_data_objects(pyo.Constraint, active=True))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["short_term", "long_term", "net", "tax"]), st.decimals(0, 150_000, places=0),
       MONEY, MONEY, CARRY, MONEY, MONEY)
# The year the convex bound once let through (rates 37% and 20%): $100k short-term and -$50k
# long-term realized are $18,500 of tax, but the bound says $27,000, so a $25k budget counted as
# spent and the bound was only held where it stood — which realizing $50k long-term and -$28k
# short-term does, for $26,640 of actual tax: over the budget.
@example("tax", D(25_000), D(100_000), D(-50_000), (D(0), D(0)), D(-28_000), D(50_000))
def test_budget_lowering_never_allows_what_the_verifier_refuses(
        market: Market, measure: str, amount: Decimal, ytd_st: Decimal, ytd_lt: Decimal,
        carry: tuple[Decimal, Decimal], added_st: Decimal, added_lt: Decimal) -> None:
    rule = BudgetIR(id="budget", span=span(), measure=measure, amount=amount)
    before = profile(ytd_st, ytd_lt, carry)
    stood = Budget.standing(rule, ytd_st, ytd_lt, before)
    if measure != "tax":
        assert Budget.before(rule, before) == stood
    assert Budget.before(rule, before) >= stood  # the tax bound is never below the tax
    year = Budget.standing(rule, ytd_st + added_st, ytd_lt + added_lt, before)
    assert year <= max(amount, stood) or not lowering_allows(rule, before, market, added_st, added_lt)


DAYS = st.dates(date(2015, 1, 1), date(2024, 12, 31))


@given(DAYS, st.integers(0, 500), PRICE, PRICE, st.booleans(), st.one_of(st.none(), st.integers(1, 365)))
@example(date(2023, 2, 28), 366, D(100), D(50), True, None)  # 2024-02-29: still a short-term gain
def test_holding_period_held_back(bought: date, held: int, price: Decimal, basis: Decimal, no_short: bool,
                                  defer: int | None) -> None:
    rule = HoldingPeriodIR(id="holding_period", span=span(), no_short_term_gains=no_short, defer_days=defer)
    lot = Lot(lot_id="L", ticker="X", acquired=bought, shares=D(10), basis_per_share=basis)
    on = bought + timedelta(days=held)
    optimiser = HoldingPeriod.held_back(rule, lot, price, on)
    verifier = HoldingPeriod.forbids(rule, bought, lot.shares * (price - basis), on)
    assert (optimiser is None) == (verifier is None)


@given(DAYS, st.integers(0, 500), PRICE, PRICE)
@example(date(2023, 2, 28), 366, D(100), D(50))
def test_gift_eligibility(bought: date, held: int, price: Decimal, basis: Decimal) -> None:
    lot = Lot(lot_id="L", ticker="X", acquired=bought, shares=D(10), basis_per_share=basis)
    on = bought + timedelta(days=held)
    assert Gift.eligible(lot, price, on) == Gift.giftable(bought, lot.shares * (price - basis), on)


NAMES = ("AAPL", "JPM", "XOM", "NKE", "INTC")


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    lots = tuple(Lot(lot_id=f"L{k}", ticker=draw(st.sampled_from(NAMES)), acquired=date(2015, 1, 2),
                     shares=draw(st.decimals(D("0.000001"), D(5000), places=6)),
                     basis_per_share=draw(PRICE)) for k in range(draw(st.integers(1, 8))))
    return Account(account_id="random", lots=lots, tax=profile(draw(MONEY), draw(MONEY), (D(0), D(0))))


@given(accounts(), st.sampled_from(["immediate", "over_years", "tax_budget"]), st.integers(1, 10),
       st.decimals(0, 100_000, places=2), MONEY, st.one_of(st.none(), DAYS.filter(lambda d: d <= AS_OF)))
@example(Account(account_id="x", lots=(Lot(lot_id="L", ticker="JPM", acquired=date(2015, 1, 2), shares=D(100),
                                           basis_per_share=D(20)),)),
         "over_years", 3, D(0), D(0), date(2020, 2, 29))
def test_transition_allowance(market: Market, account: Account, mode: str, years: int, budget: Decimal,
                              realized: Decimal, start: date | None) -> None:
    rule = TransitionIR(id="transition", span=span(), mode=mode,
                        years=years if mode == "over_years" else None,
                        budget_usd=budget if mode == "tax_budget" else None,
                        start=start if mode == "over_years" else None)
    prices = {t: market.price(t) for t in NAMES}
    allowance = Transition().allowance(rule, account, prices, AS_OF)
    allowed = Transition.allowed_net_gains(rule, account, prices, AS_OF)
    assert (allowance is None) == (allowed is None)
    assert allowance is None or abs(allowance - allowed) < D("1e-20")  # type: ignore[operator]
    if allowance is not None:
        earlier = account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd
        optimiser = realized <= Transition.room(allowance, account)
        assert optimiser == (earlier + realized <= max(allowed, earlier))


# ETFs (SPY) and VAR have no benchmark weight: a tilt on them alone is shared equally
TILTED_NAMES = st.sets(st.sampled_from(["AAPL", "MSFT", "XOM", "CVX", "JPM", "SPY", "VAR", "TSLA"]),
                       min_size=1, max_size=4)
TILTED = st.lists(st.tuples(TILTED_NAMES, st.floats(-0.05, 0.05)), max_size=3)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["sp500", "sp500_equal"]), TILTED, st.booleans(), st.booleans())
def test_target_weights(market: Market, benchmark: str, tilts: list[tuple[set[str], float]], own: bool,
                        locked: bool) -> None:
    rule = TargetIR(id="target", span=span(), benchmark=benchmark, locked=locked and not own,
                    tilts=tuple(Tilt(subject="s", tickers=tuple(sorted(names)), active=active)
                                for names, active in tilts))
    account = Account(account_id="a", lots=(), target=AccountTarget(
        path="/m.csv", given="m.csv", origin="test", weights=(("AAPL", 0.5), ("KO", 0.3), ("XOM", 0.2)))) \
        if own else None
    optimiser = Target().weights(rule, market, account)
    verifier = Target.intended(rule, market, account)
    for ticker in set(optimiser.index) | set(verifier):
        assert abs(float(optimiser.get(ticker, 0.0)) - verifier.get(ticker, 0.0)) <= 1e-12


RECENT = st.dates(AS_OF - timedelta(days=40), AS_OF)


@settings(max_examples=80, deadline=None)
@given(st.lists(RECENT, min_size=1, max_size=4), st.lists(RECENT, max_size=4), st.lists(RECENT, max_size=2),
       st.sampled_from(["account", "household"]))
def test_wash_sale_no_replacement_left(market: Market, lots_bought: list[date], other_buys: list[date],
                                       household_buys: list[date], scope: str) -> None:
    """A loss sale of XOM now, with XOM bought in the window, sells every XOM lot and buys none: the
    lowering's `window_buys_all_held` and the verifier's `replacements` agree on whether shares
    bought in the window are left to replace it (shares bought and moved elsewhere are, and under
    scope household so are those another account of the household bought)."""
    rule = WashSaleIR(id="wash_sale", span=span(), window_days=30, scope=scope, groups=())
    lots = (Lot(lot_id="OLD", ticker="XOM", acquired=date(2014, 6, 2), shares=D(100), basis_per_share=D(100)),
            *(Lot(lot_id=f"NEW{k}", ticker="XOM", acquired=on, shares=D(5), basis_per_share=D(60))
              for k, on in enumerate(lots_bought)))
    buys = tuple(Transaction(on=on, ticker="XOM", action="buy", shares=D(5), price=D(60))
                 for on in [*lots_bought, *other_buys])
    elsewhere = tuple(Transaction(on=on, ticker="XOM", action="buy", shares=D(5), price=D(60), account="ira")
                      for on in household_buys)
    account = Account(account_id="a", household_id="h", lots=lots, transactions=buys,
                      household_transactions=elsewhere if scope == "household" else None)
    sell_all = [Trade(action="sell", ticker="XOM", shares=lot.shares, price=market.price("XOM"),
                      lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share)
                for lot in lots]
    outcome = build_outcome(account, market, sell_all, target={})
    purchases = [(t, on, None) for t, on in outcome.recent_purchases(30)]
    purchases += [(t.ticker, t.on, t.account) for t in account.household_transactions or ()
                  if outcome.is_recent(t.on, 30)]
    none_left = WashSale.replacements(frozenset({"XOM"}), purchases, set(), outcome) == []
    assert none_left == WashSale.window_buys_all_held(rule, account, ["XOM"], AS_OF, 30, {"XOM": lots})
