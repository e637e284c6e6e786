"""Schedule D netting in the optimiser (solver/schedule_d.py): the objective's tax term is the tax the
report prints, to the cent.

* hand-computed IRS-style cases solved end to end: each account holds only lots of names a rule
  excludes, so the plan sells them whole and realizes exactly the gains written beside each case;
* a case built so that netting changes the best trades: the old linear objective (every gain at its
  own rate) sells the other lot;
* a property: at any gains, year-to-date figures, carryforwards and rates, the MILP's tax term is
  `solver.tax.incremental_tax` and its carryforward term the carryforward created, at its value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyomo.repn import generate_standard_repn

from compiler.ir import CompiledPolicy
from compiler.rules.cash import CashIR
from compiler.rules.exclude import ExcludeIR
from compiler.rules.preferences import PreferencesIR
from engine.explain import explain
from engine.rebalance import Plan, plan
from solver.account import Account, TaxProfile
from solver.handoff import compile_to_highs
from solver.highs_runs import configure
from solver.lots import Lot
from solver.market import Market
from solver.model import AccountModel
from solver.schedule_d import ScheduleD
from solver.search import SolveOptions
from solver.tax import carryforward_created, incremental_tax, to_cents
from tests.solver.conftest import policy, span

CENT = Decimal("0.005")  # "to the cent": within half a cent
SHORT, LONG = date(2020, 11, 2), date(2015, 3, 2)  # held under and over a year on AS_OF


def term_dollars(result: Plan, tag: str) -> Decimal:
    """An objective term at the solution, constant included, in dollars (terms are in bp)."""
    repn = generate_standard_repn(result.model.objective_terms[tag], quadratic=False)
    x, column_of = result.solution.x, result.solution.compiled.column_of
    value = float(repn.constant) + sum(float(c) * x[column_of[id(v)]]
                                       for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True))
    return Decimal(repr(float(value) * result.model.data.value / 1e4))


def lot(market: Market, ticker: str, acquired: date, shares: int, gain: int) -> Lot:
    """`shares` of `ticker` whose whole sale on AS_OF realizes exactly `gain` dollars."""
    basis = market.price(ticker) - Decimal(gain) / shares
    return Lot(lot_id=f"{ticker}-{acquired}", ticker=ticker, acquired=acquired, shares=Decimal(shares),
               basis_per_share=basis)


def account(lots: list[Lot], cash: int = 50_000, **tax: str) -> Account:
    return Account(account_id="netting", cash=Decimal(cash), lots=tuple(lots),
                   tax=TaxProfile(**{k: Decimal(v) for k, v in tax.items()}))


def selling_all(held: Account) -> CompiledPolicy:
    tickers = tuple(sorted(held.tickers))
    return policy(ExcludeIR(id="sell", span=span(5), subject="names", tickers=tickers, sell="immediately"))


def sell_all(held: Account, market: Market) -> Plan:
    result = plan(held, selling_all(held), market)
    assert result.result.verified and result.result.solve.status == "optimal", result.result.violations
    return result


@dataclass(frozen=True)
class Case:
    st: int  # this plan's short-term gain (negative: loss)
    lt: int
    tax: str  # estimated (incremental) tax, hand-computed
    carried_st: str  # carryforward this plan creates, by character
    carried_lt: str
    profile: tuple[tuple[str, str], ...] = ()


CASES = {
    # The case: the $5k short-term loss nets against the $12k long-term gain first, so it
    # saves 20% of $5k = $1,000 (the linear objective counted 37%: $1,850). Tax 20% × $7k.
    "st-loss-vs-lt-gain": Case(-5_000, 12_000, "1400.00", "0", "0"),
    # Year-to-date short-term gains of $10k absorb the loss at 37%: 37% × $5k + 20% × $12k − 37% × $5k.
    "ytd-short-gains": Case(-5_000, 12_000, "550.00", "0", "0", (("realized_short_term_ytd", "10000"),)),
    # $20k of long-term losses realized earlier this year: before, −$20k nets to the $3,000 offset
    # (−$1,110) and $17k long-term carries; after, ST −$5k and LT −$8k still use the whole offset
    # (short-term first): no tax change, $2k short-term and $8k long-term carry — $7k less in all.
    "ytd-losses": Case(-5_000, 12_000, "0.00", "2000", "-9000", (("realized_long_term_ytd", "-20000"),)),
    # A $30k long-term carryforward: the $12k gain is absorbed, ST −$5k and LT −$18k net to −$23k:
    # $3,000 offset (short-term first), $2k short-term and $18k long-term carry (before: $27k LT).
    "carryforward": Case(-5_000, 12_000, "0.00", "2000", "-9000", (("carryforward_long_term", "30000"),)),
    # Under the cap, the whole loss offsets ordinary income at 37%.
    "under-the-cap": Case(-2_000, 0, "-740.00", "0", "0"),
    # The cap: $3,000 at 37%, the other $1,000 carries forward (short-term).
    "at-the-cap": Case(-4_000, 0, "-1110.00", "1000", "0"),
    # A long-term loss of $50k beyond the cap: $1,110 saved this year, $47k carried forward.
    "carried-loss": Case(0, -50_000, "-1110.00", "0", "47000"),
    # A long-term loss against short-term gains of the year saves at 37%.
    "lt-loss-vs-ytd-st-gain": Case(0, -8_000, "-2960.00", "0", "0", (("realized_short_term_ytd", "20000"),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_tax_term_is_the_estimated_tax_to_the_cent(name: str, market: Market) -> None:
    case = CASES[name]
    lots = [lot(market, ticker, acquired, 400, gain)
            for ticker, acquired, gain in (("XOM", SHORT, case.st), ("KO", LONG, case.lt)) if gain]
    result = sell_all(account(lots, **dict(case.profile)), market)
    outcome, summary = result.outcome, result.result.summary
    assert (outcome.realized_short_term, outcome.realized_long_term) == (case.st, case.lt)
    assert summary.estimated_tax == Decimal(case.tax)
    assert abs(term_dollars(result, "preferences.tax") - outcome.estimated_tax) <= CENT
    assert (summary.carryforward_short_term, summary.carryforward_long_term) == \
        (Decimal(case.carried_st), Decimal(case.carried_lt))
    carried = Decimal(case.carried_st) + Decimal(case.carried_lt)
    assert summary.carryforward_rate == Decimal("0.15")  # default: 0.75 × the 20% long-term rate
    assert summary.carryforward_value == carried * Decimal("0.15")
    assert abs(term_dollars(result, "preferences.carryforward") + carried * Decimal("0.15")) <= CENT


def test_the_stated_carryforward_value_prices_the_carried_loss(market: Market) -> None:
    held = account([lot(market, "KO", LONG, 400, -50_000)], carryforward_value="0.05")
    result = sell_all(held, market)
    assert result.result.summary.carryforward_rate == Decimal("0.05")
    assert result.result.summary.carryforward_value == Decimal("2350.00")  # 5% of $47,000
    assert abs(term_dollars(result, "preferences.carryforward") + Decimal(2350)) <= CENT
    written = json.loads(result.result.to_json())["summary"]
    assert (written["carryforward_long_term"], written["carryforward_value"]) == ("47000.00", "2350.00")


def test_explanations_state_the_netted_tax_of_each_sale(market: Market) -> None:
    """The $5k short-term loss nets against the $12k long-term gain: at the margin it saves 20%, not
    37% ($1,000, not $1,850), and the gain costs 20% ($2,400)."""
    case = CASES["st-loss-vs-lt-gain"]
    held = account([lot(market, "XOM", SHORT, 400, case.st), lot(market, "KO", LONG, 400, case.lt)])
    result = sell_all(held, market)
    reasons = {t.ticker: {e.tag: e.bp for e in t.terms} for t in explain(result, selling_all(held)).trades
               if t.action == "sell"}
    bp = 1e4 / result.model.data.value
    assert reasons["XOM"]["preferences.tax"] == pytest.approx(-1000 * bp, abs=0.01)
    assert reasons["KO"]["preferences.tax"] == pytest.approx(2400 * bp, abs=0.01)
    assert "preferences.carryforward" not in reasons["XOM"]  # nothing carries forward


def test_a_non_taxable_account_has_no_netting(market: Market) -> None:
    held = account([lot(market, "KO", LONG, 400, 12_000)]).model_copy(update={"account_type": "ira"})
    result = sell_all(held, market)
    assert result.model.netting is None and result.model.netting_binaries() == []
    assert result.result.summary.estimated_tax == 0 and result.result.summary.carryforward_value == 0


# -- netting changes the best trades ----------------------------------------------------------------
def linear_tax(model: AccountModel) -> object:
    """The objective's tax term before netting: every gain at its own rate, losses credited in full."""
    tax = model.data.account.tax
    return 1e4 * (float(tax.short_term_rate) * model.m.st_gain + float(tax.long_term_rate) * model.m.lt_gain)


def test_netting_changes_which_lot_raises_the_cash(market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    """$20,000 to raise from one of two lots: MSFT short-term at a 25% gain ($5,000) or AAPL long-term
    at a 35% gain ($7,000), after $5,000 of long-term losses realized this year. Linear: MSFT costs
    37% × $5,000 = $1,850, AAPL 20% × $7,000 = $1,400, so AAPL. Netted: the year's long-term loss
    absorbs the short-term gain — MSFT leaves the year at zero, $1,110 more tax than the offset the
    loss earned alone; AAPL nets to a $2,000 long-term gain, $400 + $1,110 = $1,510 more. Both use
    up the $2,000 the loss would have carried forward. So netting sells MSFT."""
    held = account([lot(market, "MSFT", SHORT, 100, 0), lot(market, "AAPL", LONG, 200, 0)], cash=0,
                   realized_long_term_ytd="-5000")
    held = held.model_copy(update={"lots": tuple(
        x.model_copy(update={"basis_per_share": market.price(x.ticker) * Decimal(
            "0.75" if x.ticker == "MSFT" else "0.65")}) for x in held.lots)})
    cash = CashIR(id="cash", span=span(4), reserve_pct=None, reserve_usd=None, deposit_usd=Decimal(0),
                  withdrawal_usd=Decimal(20_000))
    # No tracking term: only tax and trading cost decide, and the cost is the same either way.
    prefs = PreferencesIR(id="preferences", span=span(2), preset=None, tax_weight=1.0, tracking_weight=0.0,
                          cost_weight=1.0)
    compiled = policy(cash, prefs)

    def sold(result: Plan) -> dict[str, Decimal]:
        assert result.result.verified and result.result.solve.status == "optimal"
        return {s.trade.ticker: s.trade.amount.quantize(Decimal(1)) for s in result.outcome.sales}

    netted = plan(held, compiled, market)
    assert sold(netted) == {"MSFT": Decimal(20_000)}
    assert to_cents(netted.outcome.estimated_tax) == Decimal("1110.00")
    assert abs(term_dollars(netted, "preferences.tax") - netted.outcome.estimated_tax) <= CENT

    monkeypatch.setattr(AccountModel, "tax_cost", linear_tax)
    monkeypatch.setattr(AccountModel, "carryforward_value", lambda model: 0)
    linear = plan(held, compiled, market)
    assert sold(linear) == {"AAPL": Decimal(20_000)}
    assert to_cents(linear.outcome.estimated_tax) == Decimal("1510.00")  # what the linear plan costs


# -- the formulation against solver/tax.py, at any gains ----------------------------------------------
VALUE = 1_000_000.0


class Stub:
    """What ScheduleD reads of an AccountModel: the model's gain columns, the tax profile, and lots
    whose sales span the given ranges of short- and long-term gains."""

    def __init__(self, tax: TaxProfile, st_range: tuple[int, int], lt_range: tuple[int, int]):
        self.m = pyo.ConcreteModel()
        self.m.st_gain, self.m.lt_gain = pyo.Var(), pyo.Var()
        self.account = Account(account_id="stub", lots=(), tax=tax)
        self.value = VALUE
        # One lot per sign and term, gain per dollar ±1: its value is the gain it can realize.
        self.lot_value = np.array([-st_range[0], st_range[1], -lt_range[0], lt_range[1]]) / VALUE
        self.lot_gain = np.array([-1.0, 1.0, -1.0, 1.0])
        self.lot_long_term = np.array([False, False, True, True])
        self.data = self  # the account's data (`AccountModel.data`): the stub holds it itself

    def fraction(self, dollars: Decimal | float) -> float:
        return float(dollars) / self.value


def solve_netting(tax: TaxProfile, st_gain: int, lt_gain: int, room: tuple[int, int, int, int]
                  ) -> tuple[Decimal, Decimal, ScheduleD]:
    """The Schedule D MILP alone at fixed gains, solved by HiGHS with the engine's options and then,
    as the engine's polish does, re-solved as an LP with its binaries fixed at their 0/1 values.
    Returns the two terms in dollars."""
    stub = Stub(tax, (st_gain - room[0], st_gain + room[1]), (lt_gain - room[2], lt_gain + room[3]))
    netting = ScheduleD(stub)  # type: ignore[arg-type]
    m = stub.m
    m.st_gain.fix(st_gain / VALUE)
    m.lt_gain.fix(lt_gain / VALUE)
    m.objective = pyo.Objective(expr=netting.block.tax + netting.block.carryforward)
    compiled = compile_to_highs(m)
    x = np.zeros(0)
    if compiled.columns:  # (none when the gains fix every sign and the year cannot reach a loss)
        configure(compiled.highs, SolveOptions())
        assert compiled.highs.run() == highspy.HighsStatus.kOk
        x = np.asarray(compiled.highs.getSolution().col_value)
        binaries = compiled.cols(netting.binaries)
        if len(binaries):
            values = np.round(x[binaries])
            compiled.highs.changeColsBounds(len(binaries), binaries, values, values)
            compiled.highs.setOptionValue("solve_relaxation", True)
            compiled.highs.run()
            x = np.asarray(compiled.highs.getSolution().col_value)
        assert compiled.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    for var, value in zip(compiled.columns, x, strict=True):
        var.set_value(float(value), skip_validation=True)
    tax_term, carry_term = (Decimal(repr(pyo.value(e) * VALUE / 1e4))
                            for e in (netting.block.tax, netting.block.carryforward))
    return tax_term, carry_term, netting


money = st.integers(-300_000, 300_000)
amount = st.integers(0, 150_000)


@st.composite
def profiles(draw: st.DrawFn) -> TaxProfile:
    long = Decimal(draw(st.integers(0, 50))) / 100
    short = long + Decimal(draw(st.integers(0, 30))) / 100
    value = draw(st.one_of(st.none(), st.integers(0, max(int(short * 100) - 1, 0))))
    ytd_st, ytd_lt, carry_st, carry_lt = draw(money), draw(money), draw(amount), draw(amount)
    return TaxProfile(short_term_rate=short, long_term_rate=long, realized_short_term_ytd=Decimal(ytd_st),
                      realized_long_term_ytd=Decimal(ytd_lt), carryforward_short_term=Decimal(carry_st),
                      carryforward_long_term=Decimal(carry_lt),
                      carryforward_value=None if value is None else Decimal(value) / 100)


@settings(max_examples=150, deadline=None)
@given(tax=profiles(), st_gain=money, lt_gain=money, room=st.tuples(amount, amount, amount, amount))
@example(tax=TaxProfile(), st_gain=-5_000, lt_gain=12_000, room=(0, 0, 0, 0))  # the case
@example(tax=TaxProfile(short_term_rate=Decimal("0.3"), long_term_rate=Decimal("0.3")), st_gain=7_000,
         lt_gain=-9_000, room=(10_000, 10_000, 10_000, 10_000))  # equal rates: no binary at all
def test_the_milp_nets_as_schedule_d(tax: TaxProfile, st_gain: int, lt_gain: int,
                                     room: tuple[int, int, int, int]) -> None:
    tax_term, carry_term, _ = solve_netting(tax, st_gain, lt_gain, room)
    expected = incremental_tax(tax.realized_short_term_ytd, tax.realized_long_term_ytd, Decimal(st_gain),
                               Decimal(lt_gain), tax.carryforward_short_term, tax.carryforward_long_term,
                               tax.short_term_rate, tax.long_term_rate)
    assert abs(tax_term - expected) <= CENT
    created = carryforward_created(tax.realized_short_term_ytd, tax.realized_long_term_ytd, Decimal(st_gain),
                                   Decimal(lt_gain), tax.carryforward_short_term, tax.carryforward_long_term)
    assert abs(carry_term + tax.carryforward_rate * sum(created)) <= CENT


def test_binaries_only_where_a_sign_can_change() -> None:
    """Two binaries where both signs are possible; none when the lots cannot move a sign (a year deep
    in gains) or the rates are equal (the tax is then convex)."""
    assert len(solve_netting(TaxProfile(), 0, 0, (50_000, 50_000, 50_000, 50_000))[2].binaries) == 2
    deep = TaxProfile(realized_short_term_ytd=Decimal(900_000), realized_long_term_ytd=Decimal(900_000))
    assert solve_netting(deep, 0, 0, (50_000, 50_000, 50_000, 50_000))[2].binaries == []
    flat = TaxProfile(short_term_rate=Decimal("0.3"), long_term_rate=Decimal("0.3"))
    assert solve_netting(flat, 0, 0, (50_000, 50_000, 50_000, 50_000))[2].binaries == []


def test_rates_the_netting_cannot_use_are_refused() -> None:
    with pytest.raises(ValueError, match=r"long_term_rate 0\.4 is above short_term_rate 0\.2"):
        TaxProfile(short_term_rate=Decimal("0.2"), long_term_rate=Decimal("0.4"))
    with pytest.raises(ValueError, match=r"carryforward_value 0\.37 must be at least 0 and below"):
        TaxProfile(carryforward_value=Decimal("0.37"))
    assert TaxProfile(short_term_rate=Decimal(0), long_term_rate=Decimal(0)).carryforward_rate == 0
