"""A spec checked against the data, the policy and the account: everything a run needs, or a clear
error before the first step (nothing is simulated on inputs that cannot carry to the end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from compiler.ir import CompiledPolicy, RuleIR
from core.diagnostics import Related, TailorError, error
from engine.ledger import Ledger, Rates
from engine.market_day import Days, risk_days
from engine.rebalance import RebalanceOptions
from engine.schedule import RISK_HISTORY_DAYS, check_dates, flows_by_step, step_days
from engine.screens import Screener
from engine.spec import SimulationSpec
from market.prices import PriceHistory, load_prices
from solver.account import Account


@dataclass
class Context:
    """The fixed inputs of one run (the per-step state is the `Ledger`)."""

    spec: SimulationSpec
    digest: str
    policy: CompiledPolicy
    account: Account  # the starting account: identity, type, household, target
    rates: Rates
    steps: list[date]
    flows: dict[date, Decimal]
    risk_days: dict[date, date]
    history: PriceHistory
    days: Days
    screener: Screener
    window: int  # wash-sale window in days
    options: RebalanceOptions

    def initial(self) -> Ledger:
        base = self.account
        return Ledger(day=None, year=self.spec.start.year, lots=base.lots, cash=base.cash,
                      realized_short_term=base.tax.realized_short_term_ytd,
                      realized_long_term=base.tax.realized_long_term_ytd,
                      carry_short_term=base.tax.carryforward_short_term,
                      carry_long_term=base.tax.carryforward_long_term, transactions=base.transactions)


def _refuse(rule: RuleIR, message: str, hint: str, spec: SimulationSpec) -> TailorError:
    span = spec.span("policy")
    note = (Related(message="the spec names this policy", span=span),) if span else ()
    return TailorError(error("M106", message, rule.span, hint, note))


def check_policy(policy: CompiledPolicy, spec: SimulationSpec) -> None:
    """Rules that act on every rebalance would act on every step of a simulation: refused, so that a
    deposit or a gift is never made 2,500 times by accident."""
    for rule in policy.rules:
        if rule.kind == "cash" and (getattr(rule, "deposit_usd", 0) or getattr(rule, "withdrawal_usd", 0)):
            raise _refuse(rule, "the policy's cash rule deposits or withdraws money at every rebalance: in "
                          "a simulation that would happen on every step", "keep the reserve in the policy "
                          "and give the flows in the spec's `cash_flows` (once `on` a date, or `every` "
                          "month)", spec)
        if rule.kind == "gift":
            raise _refuse(rule, "a gift rule gives shares away at every rebalance: a simulation would give "
                          "them on every step", "simulate without the gift rule", spec)


def _account(spec: SimulationSpec) -> Account:
    from solver.account_files import load_account

    if spec.account is None:
        return Account(account_id="simulated", account_type=spec.account_type, cash=spec.cash or Decimal(0),
                       lots=(), source=spec.source)
    account = load_account(spec.account)
    if account.as_of is not None and account.as_of != spec.start:
        start = spec.span("start")
        raise TailorError(error(
            "M105", f"the starting account is as of {account.as_of}, but the simulation starts on "
            f"{spec.start}", account.as_of_span,
            f"start the simulation on {account.as_of} (the day its lots and cash are as of), or give an "
            "account as of the start", (Related(message="the start", span=start),) if start else ()))
    late = [lot for lot in account.lots if lot.acquired > spec.start]
    if late:
        raise TailorError([error("M105", f"lot {lot.lot_id} was acquired on {lot.acquired}, after the "
                                 f"simulation starts ({spec.start})", account.span_of(lot.lot_id),
                                 "start the simulation on or after the last acquisition")
                           for lot in late[:25]])
    return account


def _rates(spec: SimulationSpec, account: Account) -> Rates:
    short = spec.tax.short_term_rate if spec.tax.short_term_rate is not None else account.tax.short_term_rate
    long = spec.tax.long_term_rate if spec.tax.long_term_rate is not None else account.tax.long_term_rate
    dividend = spec.tax.dividend_rate if spec.tax.dividend_rate is not None else long
    if not account.is_taxable:
        short = long = dividend = Decimal(0)
    return Rates(short_term=short, long_term=long, dividend=dividend)


def start_rules(policy: CompiledPolicy, account: Account, day: date, closes: pd.Series) -> CompiledPolicy:
    """The policy with the state its rules carry from the first step on (a glide path starting that day
    keeps the weight it had before that day's rebalance); a rule that cannot hold from that day (a
    path starting later) is refused before the first step."""
    from compiler.rules import RULE_KINDS

    def price(ticker: str) -> Decimal:
        close = closes.get(ticker)
        return Decimal(repr(float(close))) if close is not None and close == close else Decimal(0)

    value = account.cash + sum((lot.shares * price(lot.ticker) for lot in account.lots), Decimal(0))

    def weight_of(tickers: tuple[str, ...]) -> Decimal:
        held = sum((lot.shares * price(lot.ticker) for lot in account.lots if lot.ticker in tickers),
                   Decimal(0))
        return held / value if value > 0 else Decimal(0)

    rules = tuple(RULE_KINDS[rule.kind].started(rule, day, weight_of) for rule in policy.rules)
    return policy.model_copy(update={"rules": rules})


def prepare(spec: SimulationSpec, compiled: CompiledPolicy | None = None) -> Context:
    from compiler.check import compile_policy
    from compiler.inputs import check_account
    from market.master import load_master

    history = load_prices()
    usable = history.dates[min(RISK_HISTORY_DAYS, len(history.dates) - 1)].date()
    check_dates(spec, history.first, history.last, usable)
    steps = step_days(history.dates, spec)
    if not steps:
        raise TailorError(error("M104", f"no trading day between {spec.start} and {spec.end}",
                                spec.span("start"), "widen the range to include a trading day"))
    flows = flows_by_step(spec, steps)
    if compiled is None and not Path(spec.policy).is_file():
        raise TailorError(error("M101", f"policy file {spec.policy} not found", spec.span("policy"),
                                "give the policy's path relative to the spec's folder"))
    policy = compiled or compile_policy(spec.policy)
    check_policy(policy, spec)
    account = _account(spec)
    check_account(policy, account)
    days = Days(history, frozenset(load_master().tickers))
    policy = start_rules(policy, account, steps[0], days.closes(steps[0]))
    wash = policy.one("wash_sale")
    inputs = (policy.policy_hash, account.input_hash, history.data_version)
    return Context(spec=spec, digest=spec.digest(*inputs), policy=policy, account=account,
                   rates=_rates(spec, account), steps=steps, flows=flows,
                   risk_days=risk_days(steps, spec.risk_model, history), history=history,
                   days=days,
                   screener=Screener(policy, spec.fast_path, spec.band_settings),
                   window=int(getattr(wash, "window_days", 30)),
                   options=RebalanceOptions(time_limit=spec.time_limit, mip_gap=spec.gap))
