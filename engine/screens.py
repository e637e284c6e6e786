"""The fast path: steps on which the rebalance provably would not trade are not solved.

`proof` (the default) skips a step only with a certificate that doing nothing is an optimal plan of
that day's rebalance (docs/simulate.md states the argument). In short: the rebalance minimises a
convex objective — tax (linear in the lots sold), trading cost (linear in value traded) and the
tracking penalty (a convex quadratic in the active weights) — over a feasible set whose continuous
relaxation is convex. If doing nothing is feasible and no feasible direction lowers the objective to
first order, doing nothing is optimal for the relaxation, so also for the problem itself, which only
has fewer choices. Each screen checks one family of directions, for every lot and every name (a
superset of what the policy allows, which makes it conservative, never wrong):

* `flow`    — no cash flow is due (a deposit, withdrawal or tax payment must be made by a plan);
* `rules`   — every rule kind is one whose objective terms the certificate knows, and the verifier
              finds nothing wrong with doing nothing (caps and exclusions held to their limits even
              when they may give way "as budget allows", since their price rewards moving towards them);
* `harvest` — no sale of a lot with a loss the objective credits (past the harvest thresholds, or any
              loss without a harvest rule) gains more tax than it costs in trading and tracking;
* `drift`   — no other sale pays (a name so overweight that selling beats the tax and the cost), and
              no sale-and-buy swap pays;
* `cash`    — idle cash above the reserve cannot be invested profitably (with a minimum trade larger
              than the idle cash, a buy needs a sale too, and the bound counts it).

The certificate is sound but rarely holds on consecutive days: the rebalance's optimum moves with every
price, and the plans it returns within their gap leave first-order gains of hundredths of a basis point
that the certificate must count (docs/simulate.md, with figures). `bands` is the practical fast path,
a documented heuristic: solve when money must move, when doing nothing breaks a rule, when a lot newly
passes the harvest thresholds outside a wash-sale window, or when idle cash or the ex-ante tracking
error has grown by more than its band since the last solve. `off` solves every step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from compiler.ir import CompiledPolicy, RuleIR
from compiler.rules.harvest import Harvest
from compiler.verify_rules import verify
from engine.spec import Bands
from solver.account import Account
from solver.look_through import LookThrough
from solver.look_through import universe as rebalance_universe
from solver.lots import Lot
from solver.market import Market, risk_arrays
from solver.model import CASH_MARGIN_USD, TRACKING_BP_PER_PCT2, TRADING_COST_BP
from solver.tax import is_long_term
from solver.verify import Outcome

SCREENS = ("flow", "rules", "harvest", "drift", "cash")
# Kinds whose objective terms the certificate accounts for; the others only restrict what a plan may do
# (doing nothing satisfies them when the verifier says so). `gift` moves lots out on every rebalance and
# is refused by a simulation before it starts.
CERTIFIED_KINDS = frozenset({"preferences", "target", "harvest", "wash_sale", "trading", "budget",
                             "restrict_buying", "restrict_selling", "holding_period", "tracking_error",
                             "cash", "cap", "exclude", "transition", "dividend_yield"})
TOLERANCE_BP = 1e-9  # a first-order gain below this (bp per unit of weight) is floating-point noise


@dataclass(frozen=True)
class Verdict:
    skip: bool
    failed: tuple[str, ...]  # the screens that did not pass (empty when skipped)
    tracking_error: float  # ex-ante, of the account as it stands
    qualifying: tuple[str, ...] = ()  # lots past the harvest thresholds (bands mode remembers them)


class Anchors(Protocol):
    """What the `bands` screens compare against: the state the last solve left (engine.ledger.Ledger)."""

    declined: tuple[str, ...]  # lots past the harvest thresholds that the last solve kept
    tracking_error: float  # ex-ante, after the last solve
    idle: float  # idle cash after the last solve, as a fraction of the account


class LotTable:
    """A lot tuple as arrays (built once per change of the lots, not once per step)."""

    def __init__(self, lots: tuple[Lot, ...]):
        self.lots = lots
        self.tickers = np.array([lot.ticker for lot in lots], dtype=object)
        self.shares = np.array([float(lot.shares) for lot in lots])
        self.basis = np.array([float(lot.basis_per_share) for lot in lots])
        self.held_since = np.array([lot.held_since for lot in lots], dtype="datetime64[D]")
        self._held: dict[str, Decimal] | None = None

    def held(self) -> dict[str, Decimal]:
        if self._held is None:
            found: dict[str, Decimal] = {}
            for lot in self.lots:
                found[lot.ticker] = found.get(lot.ticker, Decimal(0)) + lot.shares
            self._held = found
        return self._held

    def long_term(self, day: date) -> np.ndarray:
        """Held more than a year (solver.tax.is_long_term, 29 February included) — one check per date."""
        unique, inverse = np.unique(self.held_since, return_inverse=True)
        flags = np.array([is_long_term(d.astype(object), day) for d in unique], dtype=bool)
        return flags[inverse] if len(self.lots) else np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class Position:
    """The account against its target on the day: what every screen reads."""

    tickers: list[str]
    gradient: np.ndarray  # ∂ tracking penalty / ∂ weight, bp per unit of weight, over `tickers`
    tracking_error: float
    value: float
    target: dict[str, float]
    lot_price: np.ndarray  # each lot's price
    shares: dict[str, Decimal]  # held per ticker


def decimal_prices(market: Market, tickers: Iterable[str]) -> dict[str, Decimal]:
    """`Market.price` of each ticker the market prices (the shortest decimal of the float close)."""
    found = market.prices.reindex(sorted(set(tickers))).dropna()
    return {t: Decimal(repr(float(p))) for t, p in found.items()}


def unchanged(account: Account, market: Market, at: Position, closes: Mapping[str, Decimal]) -> Outcome:
    """The verifier's outcome of a plan without trades (what `build_outcome(account, market, [],
    target)` gives), from the screens' own figures: its two tracking errors are the one figure the
    account has, computed with the verifier's convention for names the risk model does not cover."""
    prices = {t: closes[t] for t in sorted({*at.shares, *at.target}) if t in closes}
    value = sum((s * prices[t] for t, s in at.shares.items()), Decimal(0)) + account.cash
    return Outcome(account=account, market=market, as_of=market.as_of, prices=prices, target=dict(at.target),
                   sales=(), buys=(), shares_before=dict(at.shares),
                   shares_after={t: s for t, s in at.shares.items() if s != 0},
                   lot_remaining={lot.lot_id: lot.shares for lot in account.lots}, cash_before=account.cash,
                   cash_flow=Decimal(0), cash_after=account.cash, value_before=value, value_after=value,
                   realized_short_term=Decimal(0), realized_long_term=Decimal(0), estimated_tax=Decimal(0),
                   tracking_error_before=at.tracking_error, tracking_error_after=at.tracking_error,
                   groups=dict(market.groups))


def _strict(rule: RuleIR) -> RuleIR:
    """A cap or exclusion that may give way is still priced while it is not met: certify only when met."""
    if rule.kind == "cap" and getattr(rule, "as_budget_allows", False):
        return rule.model_copy(update={"as_budget_allows": False})
    if rule.kind == "exclude" and getattr(rule, "sell", "") == "as_budget_allows":
        return rule.model_copy(update={"sell": "immediately"})
    return rule


class Screener:
    """The fast path for one simulation: its policy, mode and bands; `screen` per step."""

    def __init__(self, policy: CompiledPolicy, mode: str, bands: Bands):
        self.policy, self.mode, self.bands = policy, mode, bands
        preferences = policy.one("preferences")
        self.weights = tuple(float(getattr(preferences, name, 1.0))
                             for name in ("tax_weight", "tracking_weight", "cost_weight"))
        self.certified = all(rule.kind in CERTIFIED_KINDS for rule in policy.rules)
        self.strict = [_strict(rule) for rule in policy.rules]
        self.harvest = policy.one("harvest")
        trading, cash = policy.one("trading"), policy.one("cash")
        self.minimum = float(getattr(trading, "min_trade_usd", None) or 0)
        self.reserve = (float(getattr(cash, "reserve_pct", None) or 0.0),
                        float(getattr(cash, "reserve_usd", None) or 0))
        self.window = int(getattr(policy.one("wash_sale"), "window_days", 30))
        self._table: LotTable | None = None

    def table(self, lots: tuple[Lot, ...]) -> LotTable:
        if self._table is None or self._table.lots is not lots:
            self._table = LotTable(lots)
        return self._table

    def position(self, account: Account, market: Market, target: pd.Series) -> Position:
        """Active weights over the rebalance's universe (solver/look_through.py: held names, every priced
        name the risk model covers, a held ETF's constituents), the target renormalised over it as
        `AccountModel.declare_target` does; the tracking error and its gradient with ETFs looked through
        as the model does."""
        table = self.table(account.lots)
        universe = rebalance_universe(set(account.tickers), market)
        index = {t: i for i, t in enumerate(universe)}
        prices = market.prices.reindex(universe).to_numpy(dtype=float)
        at = np.array([index[t] for t in table.tickers], dtype=int)
        values = np.bincount(at, weights=table.shares * prices[at], minlength=len(universe))
        total = float(values.sum()) + float(account.cash)
        aligned = target.reindex(universe).fillna(0.0).to_numpy(dtype=float)
        aligned = aligned / aligned.sum() if aligned.sum() > 0 else aligned
        look = LookThrough.of(universe, market)
        active = look.effective(values / total - aligned)
        risk = risk_arrays(market.risk, universe)
        times_active = risk.loadings @ (risk.loadings.T @ active) + risk.specific_var * active
        variance = float(active @ times_active)
        # The model prices variance at TRACKING_BP_PER_PCT2 bp per %², and %² is 10⁴ × the fraction².
        gradient = 2.0 * TRACKING_BP_PER_PCT2 * 1e4 * self.weights[1] * look.transpose(times_active)
        target = {t: float(w) for t, w in zip(universe, aligned, strict=True) if w > 0}
        te = float(np.sqrt(max(variance, 0.0)))
        return Position(tickers=universe, gradient=gradient, tracking_error=te, value=total, target=target,
                        lot_price=prices[at] if len(at) else np.zeros(0), shares=table.held())

    def screen(self, account: Account, market: Market, target: pd.Series, flow_due: bool, last: Anchors,
               closes: Mapping[str, Decimal]) -> Verdict:
        """`closes`: the market's prices as exact decimals (`decimal_prices`)."""
        at = self.position(account, market, target)
        if self.mode == "off":
            return Verdict(False, ("off",), at.tracking_error)
        failed = ["flow"] if flow_due else []
        if not self.certified or verify(unchanged(account, market, at, closes), self.strict):
            failed.append("rules")
        if self.mode == "proof":
            failed += self.certify(account, market, at)
            return Verdict(not failed, tuple(failed), at.tracking_error)
        qualifying = self.qualifying(account, market)
        if set(qualifying) - set(last.declined):
            failed.append("harvest")
        if at.tracking_error - last.tracking_error > self.bands.tracking_error:
            failed.append("drift")
        if self.idle(account, at.value) - last.idle > self.bands.cash:
            failed.append("cash")
        return Verdict(not failed, tuple(failed), at.tracking_error, qualifying)

    def idle(self, account: Account, value: float) -> float:
        """Cash above the policy's reserve, as a fraction of the account."""
        floor = max(self.reserve[0] * value, self.reserve[1]) + float(CASH_MARGIN_USD)
        return max(float(account.cash) - floor, 0.0) / value

    @staticmethod
    def lot_prices(table: LotTable, market: Market) -> np.ndarray:
        return market.prices.reindex(table.tickers).to_numpy(dtype=float)

    def credited(self, account: Account, market: Market, lot_price: np.ndarray) -> np.ndarray:
        """Lots whose loss the objective credits: every loss without a harvest rule, else those past
        its thresholds (floats, with the rule's exact check wherever floats could be near the line)."""
        table = self.table(account.lots)
        if not len(table.lots):
            return np.zeros(0, dtype=bool)
        loss = table.shares * (table.basis - lot_price)
        if self.harvest is None:
            return loss > 0
        rule = self.harvest
        margin = 1e-9 * np.maximum(table.shares * table.basis, 1.0)
        floor = np.maximum(float(rule.min_loss_usd), rule.min_loss_pct * table.shares * table.basis)
        clear = (loss > 0) & (loss - floor > margin)
        close = (loss > -margin) & (np.abs(loss - floor) <= margin)
        for k in np.flatnonzero(close):
            lot = table.lots[k]
            clear[k] = Harvest.qualifies(rule, lot, market.price(lot.ticker))
        return clear

    def certify(self, account: Account, market: Market, at: Position) -> list[str]:
        """The screens `harvest`, `drift` and `cash` that fail (see the module docstring)."""
        tax_weight, _, cost_weight = self.weights
        table = self.table(account.lots)
        position_of = {t: i for i, t in enumerate(at.tickers)}
        gain = 1.0 - table.basis / at.lot_price if len(table.lots) else np.zeros(0)
        credited = np.zeros(len(table.lots), dtype=bool)
        tax = np.zeros(len(table.lots))
        if account.is_taxable and len(table.lots):
            long_term = table.long_term(market.as_of)
            rate = np.where(long_term, float(account.tax.long_term_rate), float(account.tax.short_term_rate))
            credited = self.credited(account, market, at.lot_price)
            tax = np.where((gain >= 0) | credited, tax_weight * 1e4 * rate * gain, 0.0)
        rows = np.array([position_of[t] for t in table.tickers], dtype=int)
        derivative = tax + cost_weight * TRADING_COST_BP - (at.gradient[rows] if len(rows) else 0.0)
        failed = []
        if (derivative[credited] < -TOLERANCE_BP).any():
            failed.append("harvest")
        sell_min = float(derivative.min()) if len(derivative) else np.inf
        buy_min = float(cost_weight * TRADING_COST_BP + at.gradient.min())
        if (derivative[~credited] < -TOLERANCE_BP).any() or sell_min + buy_min < -TOLERANCE_BP:
            failed.append("drift")
        minimum, idle = self.minimum / at.value, self.idle(account, at.value)
        if buy_min < -TOLERANCE_BP and idle > 0:
            # A buy of at least `minimum` needs sales of at least minimum − idle: by convexity the
            # objective moves by at least (minimum − idle)·(sell_min + buy_min) + idle·buy_min.
            bound = buy_min if idle >= minimum else (minimum - idle) * (sell_min + buy_min) + idle * buy_min
            if bound < -TOLERANCE_BP * max(minimum, idle):
                failed.append("cash")
        return failed

    def qualifying(self, account: Account, market: Market) -> tuple[str, ...]:
        """Lots past the harvest thresholds whose name was not bought in the wash-sale window (their
        loss could not be taken without selling the whole position)."""
        if self.harvest is None or not account.is_taxable:
            return ()
        since = market.as_of - timedelta(days=self.window)
        bought = {t.ticker for t in account.transactions if t.action == "buy" and t.on >= since}
        bought |= {lot.ticker for lot in account.lots if lot.acquired >= since}
        table = self.table(account.lots)
        at_risk = self.credited(account, market, self.lot_prices(table, market))
        return tuple(lot.lot_id for lot, past in zip(table.lots, at_risk, strict=True)
                     if past and lot.ticker not in bought)
