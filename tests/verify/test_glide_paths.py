"""Glide paths with a start: `cap … over N years starting DATE [from W%]` and `transition over N years
starting DATE` — written in both syntaxes, refused where they cannot mean anything, and on the
legacy example account (JPM 27.2% on 2021-04-21) a schedule the optimizer, the verifier and
`explain` read alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from compiler.check import compile_policy
from compiler.language import format_dsl, parse_text
from compiler.rules.cap import Cap, CapIR
from compiler.rules.transition import Transition, TransitionIR
from compiler.verify_rules import verify
from core.diagnostics import TailorError
from engine.rebalance import plan
from solver.account import Account
from solver.market import Market
from solver.verify import build_outcome
from tests.solver.conftest import AS_OF, policy, run, span

GLIDE = CapIR(id="glide-jpm", span=span(5), subject="JPM", tickers=("JPM",), max_weight=0.10, min_weight=None,
              years=3, long_term_only=False, start=date(2020, 4, 21), start_weight=0.30)
LIMIT_TODAY = Decimal("0.10") + Decimal("0.20") * Decimal(1095 - 365) / Decimal(1095)  # 2021-04-21: 23.33%


def compiled(text: str, syntax: str = "tailor"):  # type: ignore[no-untyped-def]
    return compile_policy(parse_text(text, f"p.{syntax}", syntax))


def first_error(text: str, syntax: str = "tailor") -> tuple[str, int, int, str]:
    with pytest.raises(TailorError) as caught:
        compiled(text, syntax)
    found = caught.value.diagnostics[0]
    assert found.span is not None
    return found.code, found.span.line, found.span.column, found.message


@pytest.mark.parametrize(("dsl", "yaml"), [
    ("cap JPM at 10% over 3 years starting 2020-04-21 from 30%",
     "- cap: {ticker: JPM, max: 10%, over: 3 years, starting: 2020-04-21, from: 30%}"),
    ("transition over 5 years starting 2019-01-02",
     "- transition: {mode: over_years, years: 5 years, starting: 2019-01-02}"),
])
def test_both_syntaxes_read_the_same_start(dsl: str, yaml: str) -> None:
    from_dsl, from_yaml = compiled(dsl + "\n"), compiled("rules:\n" + yaml + "\n", "yaml")
    assert from_dsl.policy_hash == from_yaml.policy_hash
    kind = dsl.split()[0]
    assert from_dsl.one(kind).start == from_yaml.one(kind).start  # type: ignore[attr-defined]
    assert dsl in format_dsl(parse_text("rules:\n" + yaml + "\n", "p.yaml", "yaml"))


BAD_STARTS = [
    ("cap JPM at 10% starting 2020-04-21\n", "tailor", "P414", (1, 25), "this cap has none"),
    ("cap JPM at 10% over 3 years starting 2020-02-30\n", "tailor", "P202", (1, 38), "calendar date"),
    ("cap JPM at 10% over 3 years starting 10%\n", "tailor", "P203", (1, 38), "start"),
    ("cap JPM at 10% over 3 years starting 2020-04-21 from 130%\n", "tailor", "P401", (1, 54), "range"),
    ("rules:\n- cap: {ticker: JPM, max: 10%, over: 3 years, from: 30%}\n", "yaml", "P209", (2, 53), "with"),
    ("rules:\n- transition: {mode: immediate, starting: 2020-01-02}\n", "yaml", "P209", (2, 15), "with"),
]


@pytest.mark.parametrize(("text", "syntax", "code", "where", "says"), BAD_STARTS)
def test_a_start_that_cannot_mean_anything_is_located(text: str, syntax: str, code: str,
                                                      where: tuple[int, int], says: str) -> None:
    found = first_error(text, syntax)
    assert found[:3] == (code, *where) and says in found[3], found


def test_the_verifier_refuses_a_plan_above_the_limit_of_the_day(legacy_account: Account,
                                                                market: Market) -> None:
    solved = run(legacy_account, market, GLIDE)
    outcome = solved.outcome
    assert outcome.weight_before(("JPM",)) > LIMIT_TODAY >= outcome.weight_after(("JPM",)) - Decimal("1e-6")
    kept = [t for t in (*(s.trade for s in outcome.sales), *outcome.buys) if t.ticker != "JPM"]
    broken = build_outcome(legacy_account, market, kept, outcome.target, outcome.cash_flow)
    found = [v for v in verify(broken, policy(GLIDE).rules) if v.code == "V206"]
    assert found and f"{LIMIT_TODAY:.4%}" in found[0].message


def test_explain_shows_which_stretch_of_the_path_bound(legacy_account: Account, market: Market) -> None:
    solved = run(legacy_account, market, GLIDE)
    lines = Cap().explain(GLIDE, solved.outcome)
    assert "at most 23.33% this rebalance: the glide path's limit on 2021-04-21" in lines[0]
    assert lines[1] == ("glide path of JPM from 30.00% on 2020-04-21: 2020-04-21 30.00% · 2021-04-21 23.33% "
                        "· 2022-04-21 16.67% · 2023-04-21 10.00%; this rebalance falls between the points "
                        "of 2021-04-21 and 2022-04-21")


LATE = GLIDE.model_copy(update={"start": date(2021, 6, 1)})
UNMEASURED = GLIDE.model_copy(update={"start_weight": None})
LATE_TRANSITION = TransitionIR(id="transition", span=span(6), mode="over_years", years=3, budget_usd=None,
                               start=date(2022, 1, 3))


@pytest.mark.parametrize(("rule", "code", "says"), [
    (LATE, "P415", "starts on 2021-06-01, after the rebalance date"),
    (UNMEASURED, "P416", "from a weight the policy does not give"),
    (LATE_TRANSITION, "P415", "starts on 2022-01-03, after the rebalance date 2021-04-21"),
])
def test_a_path_without_a_limit_today_is_refused_before_solving(legacy_account: Account, market: Market,
                                                                 rule: CapIR | TransitionIR, code: str,
                                                                 says: str) -> None:
    with pytest.raises(TailorError) as caught:
        plan(legacy_account, policy(rule), market)
    found = caught.value.diagnostics[0]
    assert found.code == code and says in found.message and found.span == rule.span


def test_the_verifier_has_its_own_refusal_of_a_path_without_a_limit(legacy_account: Account,
                                                                   market: Market) -> None:
    outcome = build_outcome(legacy_account, market, [], {}, Decimal(0))
    for rule in (LATE, UNMEASURED):
        assert [v.code for v in Cap().verify(rule, outcome)] == ["V234"]


def test_a_transition_with_a_start_realizes_what_is_left_in_its_last_year(legacy_account: Account,
                                                                         market: Market) -> None:
    """Over 3 years from 2019-01-02 the path ends 2022-01-02: on 2021-04-21 the year's share of the
    path's days left is 365/366, and from 2022-01-02 on nothing is paced."""
    rule = TransitionIR(id="transition", span=span(), mode="over_years", years=3, budget_usd=None,
                        start=date(2019, 1, 2))
    prices = {t: market.price(t) for t in legacy_account.tickers}
    carried = max(Transition.embedded_gain(legacy_account, prices), Decimal(0))
    assert Transition().allowance(rule, legacy_account, prices, AS_OF) == carried * 365 / 366
    assert Transition.allowed_net_gains(rule, legacy_account, prices, date(2022, 1, 2)) is None
    memoryless = rule.model_copy(update={"start": None})
    assert Transition().allowance(memoryless, legacy_account, prices, date(2030, 1, 2)) == carried / 3
    lines = Transition().explain(rule, run(legacy_account, market, rule).outcome)
    assert "over 3 years from 2019-01-02 to 2022-01-02 (99.7% of the $" in lines[0]
