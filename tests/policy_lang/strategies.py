"""Hypothesis strategies for policy ASTs: every rule kind, every quantity unit, awkward strings.

Shared by the round-trip property tests and benchmarks/bench_policy.py (fuzz counts)."""

from __future__ import annotations

from hypothesis import strategies as st

from compiler.rules.budget import MEASURES, BudgetNode
from compiler.rules.cap import CapNode
from compiler.rules.cash import CashNode
from compiler.rules.dividend_yield import DividendYieldNode
from compiler.rules.exclude import ExcludeNode
from compiler.rules.gift import GiftNode
from compiler.rules.harvest import HarvestNode
from compiler.rules.holding_period import HoldingPeriodNode
from compiler.rules.preferences import PRESETS, PreferencesNode
from compiler.rules.restrict_buying import LEVELS, RestrictBuyingNode
from compiler.rules.restrict_selling import RestrictSellingNode
from compiler.rules.target import TargetNode, TiltNode
from compiler.rules.tracking_error import BandNode, TrackingErrorNode
from compiler.rules.trading import TradingNode
from compiler.rules.transition import TransitionNode
from compiler.rules.wash_sale import WashSaleNode
from core.diagnostics import Span
from policy_lang.ast import LAYERS, TIERS, PolicyFile, Quantity, Subject, Text, Unit

SPAN = Span(file="<generated>", line=1, column=1, end_line=1, end_column=2)
TICKERS = ("AAPL", "MSFT", "MO", "PM", "XOM", "CVX", "JPM", "BRK.B", "GOOG", "GOOGL", "SPY")

# Printable text with the characters that need escaping or quoting in either syntax.
text = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"),
                                      include_characters='"\\\n\t#:-&\'{}[],'),
               min_size=1, max_size=24)
word = st.from_regex(r"[a-z][a-z0-9_\-]{0,12}", fullmatch=True)


def _texts() -> st.SearchStrategy[Text]:
    return st.builds(Text, value=text, span=st.just(SPAN))


def quantity(unit: Unit, low: int, high: int, places: int = 2) -> st.SearchStrategy[Quantity]:
    values = st.decimals(min_value=low, max_value=high, places=places, allow_nan=False,
                         allow_infinity=False)
    return st.builds(Quantity, value=values, unit=st.just(unit), span=st.just(SPAN))


percent = quantity(Unit.PERCENT, 0, 100)
signed_percent = quantity(Unit.PERCENT, -100, 100)
weight = st.one_of(percent, quantity(Unit.BPS, 0, 10000, places=0))
dollars = quantity(Unit.USD, 0, 10**9)
days = quantity(Unit.DAYS, 1, 400, places=0)
years = quantity(Unit.YEARS, 1, 30, places=0)
number = quantity(Unit.NUMBER, 0, 100, places=3)
ticker_lists = st.lists(st.sampled_from(TICKERS), min_size=1, max_size=4, unique=True).map(tuple)
ticker_subject = st.builds(Subject, kind=st.just("tickers"), names=ticker_lists, span=st.just(SPAN))
subject = st.one_of(
    ticker_subject,
    st.builds(Subject, kind=st.sampled_from(["sector", "industry", "sub_industry"]),
              names=text.map(lambda t: (t,)), span=st.just(SPAN)),
    st.builds(Subject, kind=st.just("category"), names=word.map(lambda w: (w,)),
              tier=st.none() | st.sampled_from(TIERS), span=st.just(SPAN)),
)
common = {"id": st.none() | word, "reason": st.none() | text, "locked": st.booleans(), "span": st.just(SPAN)}


def _some(**fields: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """Optional fields, at least one present."""
    return st.fixed_dictionaries({}, optional=fields).filter(bool)


def _rule(node_type: type, fields: st.SearchStrategy[dict]) -> st.SearchStrategy:
    return st.tuples(fields, st.fixed_dictionaries(common)).map(lambda p: node_type(**p[0], **p[1]))


rules = st.one_of(
    _rule(TargetNode, st.one_of(
        st.fixed_dictionaries({"benchmark": st.sampled_from(["sp500", "sp500_equal"])}),
        st.fixed_dictionaries({"benchmark": st.just("model"), "model": _texts()})).flatmap(
        lambda f: st.lists(st.builds(TiltNode, subject=subject, active=signed_percent, span=st.just(SPAN)),
                           max_size=3).map(lambda tilts: {**f, "tilts": tuple(tilts)}))),
    _rule(ExcludeNode, st.fixed_dictionaries({"subject": subject,
                                              "sell": st.sampled_from(["immediately", "as_budget_allows"])})),
    _rule(RestrictBuyingNode, st.one_of(
        st.fixed_dictionaries({"subject": subject}),
        st.fixed_dictionaries({"competitors_of": ticker_subject, "level": st.sampled_from(LEVELS)}),
        st.fixed_dictionaries({"held_away": ticker_subject}),
        st.fixed_dictionaries({"held_away_file": _texts()}),
        st.fixed_dictionaries({"outside_target": st.just(True)}))),
    _rule(RestrictSellingNode, st.one_of(
        st.fixed_dictionaries({"subject": subject}),
        st.fixed_dictionaries({"subject": st.none() | subject,
                               "lots": st.lists(_texts(), min_size=1, max_size=3).map(tuple)}))),
    _rule(CapNode, st.fixed_dictionaries({"subject": subject}).flatmap(lambda f: st.one_of(
        st.fixed_dictionaries({"max": weight}, optional={"min": weight, "over": years,
                                                         "long_term_only": st.booleans(),
                                                         "as_budget_allows": st.booleans()}),
        st.fixed_dictionaries({"min": weight}, optional={"long_term_only": st.booleans(),
                                                         "as_budget_allows": st.booleans()})).map(
        lambda g: {**f, **g}))),
    _rule(BudgetNode, st.fixed_dictionaries({"measure": st.sampled_from(MEASURES), "amount": dollars})),
    _rule(TrackingErrorNode, _some(max=weight, bands=st.lists(st.builds(
        BandNode, subject=subject, lower=signed_percent, upper=signed_percent, span=st.just(SPAN)),
        min_size=1, max_size=3).map(tuple))),
    _rule(HarvestNode, _some(min_loss_pct=weight, min_loss_usd=dollars)),
    _rule(WashSaleNode, st.fixed_dictionaries(
        {"scope": st.sampled_from(["account", "household"])},
        optional={"window": days, "groups": st.lists(ticker_subject, max_size=3).map(tuple)})),
    _rule(HoldingPeriodNode, _some(no_short_term_gains=st.just(True), defer=days)),
    _rule(TradingNode, _some(min_trade=dollars, whole_shares=st.just(True), max_turnover=weight,
                             max_positions=quantity(Unit.NUMBER, 1, 1000, places=0))),
    _rule(CashNode, _some(reserve=st.one_of(weight, dollars), deposit=dollars, withdraw=dollars)),
    _rule(TransitionNode, st.one_of(
        st.fixed_dictionaries({"mode": st.just("immediate")}),
        st.fixed_dictionaries({"mode": st.just("over_years"), "years": years}),
        st.fixed_dictionaries({"mode": st.just("tax_budget"), "budget": dollars}))),
    _rule(GiftNode, st.fixed_dictionaries({"amount": dollars})),
    _rule(DividendYieldNode, _some(min=weight, max=weight)),
    _rule(PreferencesNode, _some(preset=st.sampled_from(sorted(PRESETS)), tax=number, tracking=number,
                                 cost=number)),
)

policies = st.builds(
    PolicyFile, file=st.just("<generated>"), span=st.just(SPAN), name=st.none() | text,
    layer=st.none() | st.sampled_from(LAYERS), extends=st.lists(_texts(), max_size=2).map(tuple),
    rules=st.lists(rules, max_size=8).map(tuple),
).filter(lambda p: p.name is not None or p.layer is not None or p.extends or p.rules)  # empty: P006
