"""dividend yield: the floor binds and changes the trades, the verifier refuses a plan that breaks it,
bad policies are refused where they are written, both syntaxes mean the same, layers narrow it, and
an impossible floor is named in the conflict — on the shipped S&P 500 data as of 2021-04-21."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.check import compile_policy
from compiler.language import format_dsl, parse_text
from compiler.lower import lower_policy
from compiler.rules.dividend_yield import DividendYield, DividendYieldIR
from compiler.rules.restrict_buying import RestrictBuyingIR
from compiler.rules.tracking_error import TrackingErrorIR
from compiler.verify_rules import verify
from core.diagnostics import TailorError
from engine.rebalance import plan
from solver.account import Account
from solver.lots import Lot
from solver.market import Market
from solver.model import AccountModel
from solver.verify import build_outcome
from tests.solver.conftest import policy, run, span

KIND = DividendYield()


def floor(low: float | None = None, high: float | None = None) -> DividendYieldIR:
    return DividendYieldIR(id="income", span=span(7), min_yield=low, max_yield=high)


@pytest.fixture(scope="module")
def without_floor(index_account: Account, market: Market):
    return run(index_account, market).outcome


# ---- the floor binds, changes the trades, and the verifier confirms it ------------------------------

def test_the_floor_binds_and_changes_the_trades(index_account: Account, market: Market,
                                                without_floor) -> None:
    before, plain_after, _ = KIND.portfolio_yields(without_floor)
    assert before < Decimal("0.02") and plain_after < Decimal("0.02")  # the index account yields ~1.3%
    solved = run(index_account, market, floor(0.02))  # run() asserts the verifier passed
    _, after, _ = KIND.portfolio_yields(solved.outcome)
    assert Decimal("0.02") - Decimal("0.000001") <= after < Decimal("0.0201")  # at the floor: it binds
    bought = {t.ticker: t.amount for t in solved.outcome.buys}
    assert set(bought) != {t.ticker for t in without_floor.buys}
    per_share = KIND.dividends_per_share(market.as_of, set(bought))
    assert per_share is not None
    # The money goes to payers: what it buys yields over 5% (MO, OKE, T, LUMN, …).
    income = sum(amount * per_share[t] / market.price(t) for t, amount in bought.items())
    assert income / sum(bought.values()) > Decimal("0.05")
    lines = KIND.explain(floor(0.02), solved.outcome)
    assert lines[0].startswith(f"dividend yield {before:.2%} → 2.00% after trading") and "binds" in lines[0]


def test_a_ceiling_holds_the_yield_down(index_account: Account, market: Market) -> None:
    outcome = run(index_account, market, floor(high=0.01)).outcome
    assert KIND.portfolio_yields(outcome)[1] <= Decimal("0.01") + Decimal("0.000001")


def test_the_verifier_refuses_a_plan_that_breaks_the_limit(market: Market, without_floor) -> None:
    for rule, words in ((floor(0.02), "at least 2.00%"), (floor(high=0.005), "at most 0.50%")):
        (found,) = verify(without_floor, [rule])
        assert found.code == "V236" and found.rule_id == "income" and found.span == span(7)
        assert words in found.message
    assert verify(without_floor, [floor(0.01, 0.02)]) == []


def test_yields_follow_the_definition(market: Market) -> None:
    """AAPL paid $0.82 per share on 2020-05-08 and 2020-08-07, before its 4:1 split of 2020-08-31, and
    $0.205 twice after it: each early payout counts a quarter per share of today, $0.82 in all."""
    per_share = KIND.dividends_per_share(market.as_of, {"AAPL", "TSLA", "SPY"})
    assert per_share == {"AAPL": Decimal("0.82"), "TSLA": Decimal(0), "SPY": Decimal(0)}
    rates = KIND.rates(floor(0.02), market, ["AAPL", "XOM", "TSLA"])
    assert rates[0] == pytest.approx(0.82 / float(market.price("AAPL")), rel=1e-12)
    assert rates[1] == pytest.approx(float(KIND.dividends_per_share(market.as_of, {"XOM"})["XOM"])  # type: ignore[index]
                                     / float(market.price("XOM")), rel=1e-12)
    assert rates[2] == 0.0


# ---- the two readings agree on random portfolios -----------------------------------------------------

@pytest.fixture(scope="module")
def lowered(index_account: Account, market: Market) -> AccountModel:
    model = AccountModel([index_account], market)
    lower_policy(policy(floor(0.02)), model)
    return model


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_verifier_agrees_with_the_lowered_row(data: st.DataObject, lowered: AccountModel,
                                                  index_account: Account, market: Market) -> None:
    """On random post-trade weights (splitting names like AAPL and NEE among them, cash the rest), the
    row the optimiser holds, Σ yᵢ·weightᵢ, is the verifier's year of dividends on the shares over the
    value — up to a float's rounding."""
    model = lowered
    names = data.draw(st.lists(st.sampled_from(["AAPL", "NEE", "TSLA", "SHW", "PFE", "XOM", "T", "JPM",
                                                 *model.data.tickers]), min_size=1, max_size=12, unique=True))
    raw = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(names), max_size=len(names)))
    cash_share = data.draw(st.floats(0.0, 0.5))
    scale = (1.0 - cash_share) / sum(raw) if sum(raw) > 0 else 0.0
    weights = {t: w * scale for t, w in zip(names, raw, strict=True)}
    for i in range(len(model.data.tickers)):
        model.m.weight[i].set_value(weights.get(model.data.tickers[i], 0.0))
    row = pyo.value(model.m.component("rule_income").floor.body)
    value = Decimal(repr(model.data.value))
    shares = {t: Decimal(repr(w)) * value / market.price(t) for t, w in weights.items() if w > 0}
    base = build_outcome(index_account, market, [], {})
    outcome = dataclasses.replace(base, shares_after=shares, value_after=value)
    measured = KIND.portfolio_yields(outcome)
    assert measured is not None
    assert float(measured[1]) == pytest.approx(row, rel=1e-9, abs=1e-12)


# ---- refused where it is written -----------------------------------------------------------------------

def check(text: str, tmp_path: Path, suffix: str = "tailor") -> TailorError:
    path = tmp_path / f"p.{suffix}"
    path.write_text(text)
    with pytest.raises(TailorError) as caught:
        compile_policy(parse_text(text, str(path)))
    return caught.value


@pytest.mark.parametrize(("text", "code", "line", "column", "hint"), [
    ('policy "p"\n\ndividend yield 2.5%\n', "P128", 3, 16, "dividend yield at least 2.5%"),
    ('policy "p"\ndividend yield above 2%\n', "P128", 2, 16, "dividend yield between 1.5% and 3%"),
    ('policy "p"\ndividend yeild at least 2%\n', "P102", 2, 10, "`yield`"),
    ('policy "p"\ndivident yield at least 2%\n', "P101", 2, 1, "did you mean `dividend`?"),
    ('policy "p"\ndividend yield at least 2\n', "P203", 2, 25, "percentage"),
    ('policy "p"\ndividend yield at least 25.5%\n', "P401", 2, 25, "use 0% to 25%"),
    ('policy "p"\ndividend yield between 3% and 1.5%\n', "P402", 2, 1, "swap the two numbers"),
    ('policy: p\nrules:\n  - dividend_yield: {minimum: 2%}\n', "P204", 3, 22, "did you mean `min`?"),
    ('policy: p\nrules:\n  - dividend_yeild: {min: 2%}\n', "P224", 3, 5, "did you mean `dividend_yield`?"),
])
def test_bad_policies_are_refused_where_written(text: str, code: str, line: int, column: int, hint: str,
                                                tmp_path: Path) -> None:
    (found,) = check(text, tmp_path, "yaml" if text.startswith("policy:") else "tailor").diagnostics
    assert (found.code, found.span.line, found.span.column) == (code, line, column), found
    assert hint in (found.hint or ""), found


def refused(account: Account, market: Market, *rules) -> TailorError:
    with pytest.raises(TailorError) as caught:
        plan(account, policy(*rules), market)
    return caught.value


def test_a_floor_above_every_yield_is_refused(index_account: Account, market: Market) -> None:
    (found,) = refused(index_account, market, floor(0.09)).diagnostics
    assert found.code == "P417" and found.span == span(7)
    assert "the highest is LUMN at 7.75%" in found.message and "at most 7.75%" in (found.hint or "")


def test_a_floor_only_forbidden_names_reach_is_refused(index_account: Account, market: Market) -> None:
    """An account of Apple shares may not buy the three names yielding 7% or more."""
    lot = Lot(lot_id="A", ticker="AAPL", acquired=date(2015, 1, 2), shares=Decimal(1000),
              basis_per_share=Decimal(27))
    apple = index_account.model_copy(update={"lots": (lot,)})
    barred = RestrictBuyingIR(id="no-top-payers", span=span(6), subject="LUMN, MO, OKE",
                              tickers=("LUMN", "MO", "OKE"))
    (found,) = refused(apple, market, barred, floor(0.07)).diagnostics
    assert found.code == "P418" and found.span == span(7)
    assert "LUMN 7.75%, MO 7.19%, OKE 7.17%" in found.message and "at most 6.91%" in (found.hint or "")


def test_no_dividend_history_is_refused(index_account: Account, market: Market) -> None:
    early = dataclasses.replace(market, as_of=date(2000, 6, 1))
    with pytest.raises(TailorError) as caught:
        KIND.rates(floor(0.02), early, ["AAPL"])
    (found,) = caught.value.diagnostics
    assert found.code == "D121" and found.span == span(7) and "2000-10-31" in (found.hint or "")
    assert KIND.dividends_per_share(date(2000, 6, 1), {"AAPL"}) is None
    with pytest.raises(TailorError) as caught:  # a simulation from that day is refused before its first step
        KIND.started(floor(0.02), date(2000, 6, 1), lambda tickers: Decimal(0))
    assert [d.code for d in caught.value.diagnostics] == ["D121"]
    assert KIND.started(floor(0.02), date(2000, 10, 31), lambda tickers: Decimal(0)) == floor(0.02)


# ---- one meaning in both syntaxes; layers narrow it -----------------------------------------------------

def test_yaml_and_dsl_mean_the_same(tmp_path: Path) -> None:
    dsl = 'policy "p"\nrule income: dividend yield between 1.5% and 300bps because "retiree"\n'
    yaml = ('policy: p\nrules:\n  - id: income\n    dividend_yield: {min: 1.5%, max: 300bps}\n'
            '    reason: retiree\n')
    (a,) = compile_policy(parse_text(dsl, "p.tailor")).of_kind("dividend_yield")
    (b,) = compile_policy(parse_text(yaml, "p.yaml")).of_kind("dividend_yield")
    assert (a.min_yield, a.max_yield, a.reason) == (b.min_yield, b.max_yield, b.reason)
    assert (a.min_yield, a.max_yield, a.reason) == (0.015, 0.03, "retiree")
    assert format_dsl(parse_text(yaml, "p.yaml")) == format_dsl(parse_text(dsl, "p.tailor"))
    hashes = {compile_policy(parse_text(text, name)).policy_hash for text, name in ((yaml, "p.yaml"),
                                                                                    (dsl, "p.tailor"))}
    assert len(hashes) == 1


def layered(tmp_path: Path, body: str) -> Path:
    (tmp_path / "firm.tailor").write_text('policy "Firm"\nlayer firm\n\nlocked dividend yield at least 2%\n')
    path = tmp_path / "acct.tailor"
    path.write_text(f'policy "Acct"\nlayer account\nextends "firm.tailor"\n\n{body}')
    return path


def test_layers_tighten_the_limit_and_keep_the_lock(tmp_path: Path) -> None:
    tighter = layered(tmp_path, "dividend yield between 3% and 5%\n")
    (rule,) = compile_policy(tighter).of_kind("dividend_yield")
    assert (rule.min_yield, rule.max_yield, rule.locked) == (0.03, 0.05, True)
    with pytest.raises(TailorError) as caught:
        compile_policy(layered(tmp_path, "dividend yield at least 1.5%\n"))
    assert [d.code for d in caught.value.diagnostics] == ["P501"]


# ---- an impossible combination is a conflict that names the rule ---------------------------------------

def test_a_floor_the_tracking_limit_forbids_is_named_in_the_conflict(index_account: Account,
                                                                      market: Market) -> None:
    from engine.explain import explain

    te = TrackingErrorIR(id="te", span=span(6), max_te=0.01)
    compiled = policy(te, floor(0.05))
    solved = plan(index_account, compiled, market)
    assert solved.result.solve.status == "infeasible"
    conflict = explain(solved, compiled).conflict
    assert conflict is not None and set(conflict.rules) == {"te", "income"}
    assert "`income` (policies/test.tailor:7)" in conflict.text
    needs = {r.rule_id: r.needs for r in conflict.relaxations}
    assert any("dividend yield after trading" in n for n in needs["income"])
