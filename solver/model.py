"""The base account model: what every rebalance has, before any policy rule is lowered.

All decision quantities are fractions of the account's value before cash flows (`value`, dollars):
that keeps the matrix well scaled whatever the account size. Variables:

* `sell[l]`   — value sold from lot l (0 … lot value);
* `buy[i]`    — value bought of ticker i;
* `weight[i]` — post-trade weight of ticker i in the post-flow account;
* `cash`      — post-trade cash; `st_gain`, `lt_gain` — realized gains of this rebalance by each
  lot's holding period on the trade date; `traded` — value bought plus sold;
* `variance`  — ex-ante active variance in %² (TE² with TE in percent), bounded below by the
  tangent cuts of `solver.tracking` over the separable terms `q[i]` (specific) and `h[j]` (factor);
* `transfer[l]` — value leaving lot l in kind (a gift of shares), only when a rule asks
  (`declare_transfer`);
* in a household (several accounts in one model): `buy_in[a, i]` — value of ticker i bought in
  tradable account a (`buy[i]` is their sum), and `cash_in[a]` — account a's cash after trading
  (`cash` is their sum). Each account pays for its own buys; a held-away account never trades.

The objective is a sum of tagged terms in basis points; the Params `objective_weight[tax|tracking|
cost]` (set by the policy's preferences) scale every term priced in those units.

The model is three parts: the account's data (`data`, solver/account_arrays.py: no Pyomo), the Pyomo
model `m`, and the lazy-binary registry (`lazy`, solver/lazy_binaries.py). Rules lower into their own
Block using the ready-made expressions below and return a `Contribution` (solver/contribution.py);
what they declare for each other before lowering (target, forbidden buys, minimum trades, cash flows,
transfers in kind) is applied through the `declare_*` methods, and `assemble` applies the
contributions and writes the base rows. No rule changes the model outside its Block; the core never
names a rule kind. Binaries exist only where a rule asks for them: the minimum trades' `buy_on`,
`sell_on` and a rule's own, registered as lazy disjunctions, and at most two per taxable account in
the Schedule D netting Block that prices tax (`schedule_d`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression

from core.diagnostics import TailorError, error
from market.etfs import is_index_etf
from solver.account import Account, TaxProfile
from solver.account_arrays import AccountArrays
from solver.asset_location import tax_drag
from solver.contribution import Contribution
from solver.household_view import HouseholdTerms
from solver.lazy_binaries import LazyBinaries
from solver.linear import linear
from solver.market import Market
from solver.matrix_rows import matrix_rows, one_row, summed_row
from solver.schedule_d import ScheduleD
from solver.whole_shares import whole_share_rows

TRACKING_BP_PER_PCT2 = 10.0
# Room left in money limits for rounding shares down to 6 places after solving (a dollar on a
# budget, a cent on a minimum trade): the verifier checks the exact figures.
ROUNDING_MARGIN_USD = Decimal(1)
# Cash the snapped trades may leave below the model's plan (solver/trades.py); reserves keep this room.
CASH_MARGIN_USD = Decimal("0.02")
TRADING_COST_BP = 5.0
# HiGHS's primal feasibility tolerance, in the model's unit (fractions of the account): rows hold to
# within this, so a limit that must hold exactly after solving keeps at least twice this much room.
PRIMAL_TOLERANCE = 1e-9


class AccountModel:
    def __init__(self, accounts: list[Account], market: Market, *, schedule_d: bool = True,
                 terms: HouseholdTerms | None = None):
        self.data = AccountArrays(accounts, market, terms=terms)
        self.objective_terms: dict[str, pyo.Expression] = {}
        self.cash_flow = Decimal(0)  # the deposits and withdrawals of the policy the model is built for
        # A household's accounts' own deposits and withdrawals (their own policies), by account position.
        self.account_flows: dict[int, Decimal] = {}
        # Accounts whose own realized gains a rule reads (solver/account_scope.py), defined at assembly.
        self.account_gains_read: dict[int, tuple[pyo.Var, pyo.Var]] = {}
        self.transferable: set[int] = set()
        self.transfers: list[pyo.Var] = []  # `m.transfer` by lot, once a rule declares a transfer
        self.whole_shares = False
        self.close_out_names: list[int] = []  # under whole shares: names whose lots have fractional shares
        self.buy_forbidden: set[int] = set()
        self.lazy = LazyBinaries()
        self._gain_terms: dict[bool, list[tuple[float, pyo.Var]]] = {False: [], True: []}  # by long term
        with PauseGC():  # building ~10⁵ expression objects: the cyclic GC would only add pauses
            self._build()
        # The Schedule D netting Block that prices tax (solver/schedule_d.py); None for an account
        # whose gains are not taxed (or, for a benchmark of the bare LP, when not asked for). Built with
        # the base model, so that the rule pricing tax only reads it.
        self.netting = ScheduleD(self) if self.data.taxable and schedule_d else None

    # -- construction ---------------------------------------------------------------------------
    def _build(self) -> None:
        m = self.m = pyo.ConcreteModel(name=f"account_{self.data.account.account_id}")
        n, lots, k = len(self.data.tickers), len(self.data.lots), self.data.risk.loadings.shape[1]
        m.sell = pyo.Var(range(lots), bounds=(0.0, None))
        sellable = self.data.lot_value * self.data.tradable[self.data.lot_account]  # held away: none
        for sell, lot_value in zip(m.sell.values(), sellable.tolist(), strict=True):
            sell.setub(lot_value)  # half the time of a per-index bounds rule
        # Each lot's sale, by lot: indexing this list is a fifth of the cost of `m.sell[x]`, which the
        # rules' row builders call tens of thousands of times on a 10,000-lot account.
        self.sells = list(m.sell.values())
        m.buy = pyo.Var(range(n), bounds=(0.0, 1.0))
        m.weight = pyo.Var(range(n), bounds=(0.0, None))
        m.cash = pyo.Var(bounds=(0.0, None))
        m.st_gain = pyo.Var()
        m.lt_gain = pyo.Var()
        m.traded = pyo.Var(bounds=(0.0, None))
        m.factor = pyo.Var(range(k))
        m.q = pyo.Var(range(n), bounds=(0.0, None))
        m.h = pyo.Var(range(k), bounds=(0.0, None))
        m.variance = pyo.Var(bounds=(0.0, None))
        m.target = pyo.Param(range(n), initialize=0.0, mutable=True)
        m.flow = pyo.Param(initialize=0.0, mutable=True)
        m.buy_on = pyo.Var(range(n), domain=pyo.Binary)
        m.sell_on = pyo.Var(range(n), domain=pyo.Binary)
        # Objective weights (set by the policy's trade-off); any rule may price a term in their units.
        m.objective_weight = pyo.Param(["tax", "tracking", "cost"], initialize=1.0, mutable=True)
        # Value leaving in kind (gifts of shares): neither sold nor bought, it shrinks the account.
        m.transferred = pyo.Param(initialize=0.0, mutable=True)
        # Flows are Params so that rules' rows (e.g. a cash reserve) can scale with the post-flow account.
        self.post_value = 1.0 + m.flow - m.transferred
        if self.data.household:
            traders = np.flatnonzero(self.data.tradable).tolist()
            m.buy_in = pyo.Var([(a, i) for a in traders for i in range(n)], bounds=(0.0, 1.0))
            m.cash_in = pyo.Var(range(len(self.data.accounts)), bounds=(0.0, None))
            if self.data.max_contribution.any():  # cash the household file lets move between accounts
                limits = self.data.max_contribution
                m.received = pyo.Var(np.flatnonzero(limits).tolist(),
                                     bounds=lambda _, a: (0.0, float(limits[a])))
                m.given = pyo.Var(traders, bounds=(0.0, None))

    def _base_rows(self, post: float) -> None:
        """The rows every rebalance has, as arrays (solver/matrix_rows.py: no expression objects, copied
        straight into HiGHS). Written at assembly, once rules have declared flows, transfers and target:
        * holding[i]: post·weight_i − buy_i + Σ sell + Σ transfer (lots of i) = held_i;
        * cash_balance: cash + Σ buy − Σ sell = cash before + flow;
        * st_definition, lt_definition: gain − Σ (1 − basis/price)·sell over lots of that term − the
          rules' gain terms (`Contribution.gain_terms`) = 0;
        * traded_definition: traded − Σ buy − Σ sell = 0;
        * factor_definition[j]: factor_j − 100 Σᵢ L_ij·weight_i = −100 Σᵢ L_ij·target_i (in percent), L
          looked through (an ETF's row is its constituents' index-weighted sum: solver/look_through.py);
        * variance_definition: Σ q + Σ h − variance = 0;
        * transfer_limit[r] (with transfers): sell_l + transfer_l ≤ lot value, l the r-th transferable lot.
        Each row lists its variables in declaration order (sell, buy, weight, …), which the hand-off
        keeps as the column order."""
        m, data = self.m, self.data
        n, lots, k = len(data.tickers), len(data.lots), data.risk.loadings.shape[1]
        ids, lot_ids, moved = np.arange(n), np.arange(lots), np.array(sorted(self.transferable), dtype=int)
        weight, buy, sell = list(m.weight.values()), list(m.buy.values()), self.sells
        transfer = [self.transfers[x] for x in moved.tolist()]
        m.holding = matrix_rows(  # variables in declaration order: sell, buy, weight, transfer
            (n, lots + 2 * n + len(moved)), np.r_[data.lot_ticker, ids, ids, data.lot_ticker[moved]],
            np.r_[lot_ids, lots + ids, lots + n + ids, lots + 2 * n + np.arange(len(moved))],
            np.r_[np.ones(lots), -np.ones(n), np.full(n, post), np.ones(len(moved))], data.held, data.held,
            sell + buy + weight + transfer)
        cash = float(self.data.account.cash) / self.data.value + float(pyo.value(m.flow))
        m.cash_balance = one_row(np.r_[1.0, np.ones(n), -np.ones(lots)], [m.cash, *buy, *sell], cash, cash)
        short, long = np.flatnonzero(~self.data.lot_long_term), np.flatnonzero(self.data.lot_long_term)
        for name, gain, of, term in (("st", m.st_gain, short, False), ("lt", m.lt_gain, long, True)):
            sold = zip((-self.data.lot_gain[of]).tolist(), (sell[x] for x in of.tolist()), strict=True)
            m.add_component(f"{name}_definition", summed_row(
                [(1.0, gain), *sold, *((-coef, var) for coef, var in self._gain_terms[term])], 0.0, 0.0))
        m.traded_definition = one_row(np.r_[1.0, -np.ones(n + lots)], [m.traded, *buy, *sell], 0.0, 0.0)
        # The factor exposures of the effective (looked-through) weights: Lᵀ·M·w = (MᵀL)ᵀ·w.
        loadings = 100.0 * self.data.look_through.transpose(self.data.risk.loadings)
        offsets = -loadings.T @ self.target_weights
        factors = np.arange(k)
        m.factor_definition = matrix_rows(
            (k, k + n), np.r_[factors, np.repeat(factors, n)], np.r_[factors, np.tile(k + ids, k)],
            np.r_[np.ones(k), -loadings.T.ravel()], offsets, offsets, list(m.factor.values()) + weight)
        m.variance_definition = one_row(np.r_[-np.ones(n + k), 1.0],
                                        [*m.q.values(), *m.h.values(), m.variance], 0.0, 0.0)
        if data.household:
            self._account_rows()
        if len(moved):
            count = len(moved)
            m.transfer_limit = matrix_rows(
                (count, 2 * count), np.tile(np.arange(count), 2), np.arange(2 * count), np.ones(2 * count),
                -np.inf, self.data.lot_value[moved], [sell[x] for x in moved.tolist()] + transfer)

    def _account_rows(self) -> None:
        """A household's rows by account: buy_split[i]: buy_i − Σₐ buy_in[a, i] = 0; account_cash[a]:
        cash_in[a] + Σᵢ buy_in[a, i] − Σ sell (lots of a) + given[a] − received[a] = a's cash before
        (their sum is the household's cash balance, so `cash` is Σ cash_in); with contributions,
        contributions_balance: Σ given − Σ received = 0 (cash moves between accounts, none appears)."""
        m, data = self.m, self.data
        n, lots, accounts = len(data.tickers), len(data.lots), len(data.accounts)
        keys = list(m.buy_in.keys())
        pair_account = np.array([a for a, _ in keys], dtype=int)
        pair_ticker = np.array([i for _, i in keys], dtype=int)
        pairs, ids = np.arange(len(keys)), np.arange(n)
        buy_in = list(m.buy_in.values())
        m.buy_split = matrix_rows((n, n + len(keys)), np.r_[ids, pair_ticker], np.r_[ids, n + pairs],
                                  np.r_[np.ones(n), -np.ones(len(keys))], 0.0, 0.0,
                                  list(m.buy.values()) + buy_in)
        owners = np.arange(accounts)
        given = list(m.given.keys()) if hasattr(m, "given") else []
        received = list(m.received.keys()) if hasattr(m, "received") else []
        moved = [*(m.given[a] for a in given), *(m.received[a] for a in received)]
        width, signs = accounts + len(keys) + lots, np.r_[np.ones(len(given)), -np.ones(len(received))]
        m.account_cash = matrix_rows(
            (accounts, width + len(moved)), np.r_[owners, pair_account, data.lot_account, given, received],
            np.r_[owners, accounts + pairs, accounts + len(keys) + np.arange(lots),
                  width + np.arange(len(moved))],
            np.r_[np.ones(accounts), np.ones(len(keys)), -np.ones(lots), signs], self.account_cash_before,
            self.account_cash_before, list(m.cash_in.values()) + buy_in + list(m.sell.values()) + moved)
        if moved:
            m.contributions_balance = one_row(signs, moved, 0.0, 0.0)
        self._account_gain_rows()

    def _account_gain_rows(self) -> None:
        """account_gain_definition_<a>_<st|lt>: gain − Σ (1 − basis/price)·sell over a's lots of that term
        − every gain term of the household (a wash sale's disallowed loss, positive) = 0, for each account
        whose own gains a rule reads. A gain term does not say which account's loss it disallows, so each
        account's gains count them all: at least the account's own, never less (a budget stays safe)."""
        m, data = self.m, self.data
        if not self.account_gains_read:
            return
        sell = list(m.sell.values())
        for a, gains in sorted(self.account_gains_read.items()):
            for long_term, gain in zip((False, True), gains, strict=True):
                lots = np.flatnonzero((data.lot_account == a) & (data.lot_long_term == long_term))
                sold = zip((-data.lot_gain[lots]).tolist(), (sell[x] for x in lots.tolist()), strict=True)
                terms = [(1.0, gain), *sold,
                         *((-coef, var) for coef, var in self._gain_terms[long_term])]
                term = "lt" if long_term else "st"
                m.add_component(f"account_gain_definition_{a}_{term}", summed_row(terms, 0.0, 0.0))

    # -- ready-made expressions for rules -------------------------------------------------------
    def ids(self, tickers: Iterable[str]) -> list[int]:
        """Universe positions of `tickers`; tickers outside the universe are skipped."""
        return sorted(self.data.index[t] for t in set(tickers) if t in self.data.index)

    def weight_of(self, tickers: Iterable[str]) -> LinearExpression:
        ids = self.ids(tickers)
        return linear([1.0] * len(ids), [self.m.weight[i] for i in ids])

    def active_of(self, tickers: Iterable[str]) -> pyo.Expression:
        ids = self.ids(tickers)
        return self.weight_of(tickers) - sum(self.m.target[i] for i in ids)

    def bought_of(self, tickers: Iterable[str]) -> LinearExpression:
        ids = self.ids(tickers)
        return linear([1.0] * len(ids), [self.m.buy[i] for i in ids])

    def lots_in(self, tickers: Iterable[str]) -> list[int]:
        return [x for i in self.ids(tickers) for x in self.data.lots_of[i]]

    def sold_of(self, tickers: Iterable[str]) -> LinearExpression:
        lots = self.lots_in(tickers)
        return linear([1.0] * len(lots), [self.sells[x] for x in lots])

    @property
    def own_sells(self) -> list[pyo.Var]:
        """Each lot's sale, of the lots the scope governs (here every lot)."""
        return self.sells

    # -- what a rule reads of the part of the model it governs (solver/account_scope.py: RuleScope) ----
    # The whole model is the scope of its policy's rules: its account (or household) before and after
    # trading. An account's own policy in a household reads the same names on `AccountScope`.
    @property
    def account_id(self) -> str:
        return self.data.account.account_id

    @property
    def tax(self) -> TaxProfile:
        return self.data.account.tax

    @property
    def taxable(self) -> bool:
        return self.data.taxable

    @property
    def own_lots(self) -> range:
        """Positions of the lots the rules govern: every lot."""
        return range(len(self.data.lots))

    @property
    def lot_index(self) -> dict[str, int]:
        return self.data.lot_index

    @property
    def value_before(self) -> float:
        """The value before trading and flows: the model's unit."""
        return 1.0

    @property
    def value_after(self) -> pyo.Expression:
        """The value after flows and transfers in kind, in the model's unit."""
        return self.post_value

    @property
    def cash_after(self) -> pyo.Var:
        return self.m.cash

    def weight_before(self, tickers: Iterable[str]) -> float:
        """The names' weight before trading."""
        return float(self.data.held[self.ids(tickers)].sum())

    def realized_gains(self) -> tuple[pyo.Var, pyo.Var]:
        """This rebalance's realized short-term and long-term gains (wash sales' disallowed losses in)."""
        return self.m.st_gain, self.m.lt_gain

    def account_gains(self, account: int) -> tuple[pyo.Var, pyo.Var]:
        """A household account's realized short-term and long-term gains, as variables whose rows
        (`account_gain_definition_*`) are written at assembly, once every rule's gain terms are known."""
        if account not in self.account_gains_read:
            gains = pyo.Var(["st", "lt"])
            self.m.add_component(f"account_gain_{account}", gains)
            self.account_gains_read[account] = (gains["st"], gains["lt"])
        return self.account_gains_read[account]

    def limit_weight(self, block: pyo.Block, name: str, tickers: Iterable[str], *, lower: float | None = None,
                     upper: float | None = None, give: pyo.Var | None = None) -> None:
        """`lower ≤ weight after trading ≤ upper` for the names together; `give`, a non-negative
        variable, lets the weight pass the one bound given by that much."""
        weight = self.weight_of(tickers)
        if give is not None:
            weight = weight - give if upper is not None else weight + give
        self.add(block, name, weight, lower=lower, upper=upper)

    def fraction(self, dollars: Decimal | float) -> float:
        """Dollars as a fraction of the account value (the model's unit)."""
        return float(dollars) / self.data.value

    @property
    def target_weights(self) -> np.ndarray:
        return np.array([pyo.value(self.m.target[i]) for i in range(len(self.data.tickers))])

    @staticmethod
    def add(block: pyo.Block, name: str, body: pyo.Expression, lower: object = None,
            upper: object = None) -> pyo.Constraint | None:
        """`lower ≤ body ≤ upper` as `block.<name>`; nothing when the body has no variables (a rule
        about names outside the universe constrains nothing)."""
        if isinstance(body, LinearExpression) and body.nargs() == 0:
            return None
        constraint = pyo.Constraint(expr=(lower, body, upper))
        block.add_component(name, constraint)
        return constraint

    # -- declared by rules before any is lowered (compiler/lower.py) -------------------------------
    def declare_forbidden_buys(self, ids: Iterable[int]) -> None:
        """No buys of these names: a zero bound (the rule's Block keeps the row for provenance);
        such names need no buy indicator."""
        for i in ids:
            self.buy_forbidden.add(i)
            self.m.buy[i].setub(0.0)

    def declare_target(self, weights: pd.Series) -> None:
        """Target weights over the universe (names outside it are dropped and reported by the caller).
        An index ETF in the target must be held (S117): the universe holds an ETF only when an account
        does, and dropping it would track another target."""
        missing = sorted(str(t) for t, w in weights.items() if w > 0 and is_index_etf(str(t))
                         and t not in self.data.index)
        if missing:
            raise TailorError(error(
                "S117", f"the target gives weight to {', '.join(missing)}, which no account holds", None,
                f"hold some {missing[0]} in an account (the plan then sizes it), or give its weight to the "
                "S&P 500's stocks: `target sp500` is the ETF looked through"))
        aligned = weights.reindex(self.data.tickers).fillna(0.0)
        total = float(aligned.sum())
        for i, w in enumerate(aligned.to_numpy()):
            self.m.target[i] = float(w) / total if total > 0 else 0.0

    def declare_cash_flow(self, dollars: Decimal | float) -> None:
        """A deposit (positive) or withdrawal (negative) made with this rebalance."""
        self.cash_flow += Decimal(dollars)
        self.m.flow = self.fraction(self.total_cash_flow)

    def declare_account_cash_flow(self, account: int, dollars: Decimal) -> None:
        """A household account's own deposit or withdrawal (its own policy's): into that account's cash
        row, and into the household's value after flows."""
        self.account_flows[account] = self.account_flows.get(account, Decimal(0)) + dollars
        self.m.flow = self.fraction(self.total_cash_flow)

    @property
    def total_cash_flow(self) -> Decimal:
        """Every flow the model makes: its policy's and, in a household, each account's own."""
        return self.cash_flow + sum(self.account_flows.values(), Decimal(0))

    @property
    def account_cash_before(self) -> np.ndarray:
        """Each account's cash before trading and after its own flows (fractions of the household)."""
        flows = np.zeros(len(self.data.accounts))
        for a, dollars in self.account_flows.items():
            flows[a] = self.fraction(dollars)
        return self.data.account_cash + flows

    def declare_minimum_trade(self, fraction: float, block: pyo.Block) -> None:
        """Every buy, and every sale of a held name: none, or at least `fraction` of the account."""
        for i in range(len(self.data.tickers)):
            self.lazy.set_min_buy(i, fraction, block)
            if self.data.held[i] > 0:
                self.lazy.set_min_sell(i, fraction, block)

    def declare_transfer(self, lots: Iterable[int], dollars: Decimal | float) -> None:
        """Let `dollars` of securities leave the account in kind from `lots` (e.g. a gift of shares):
        no cash, no realized gain, and the account after trading is that much smaller. `m.transfer[l]`
        is the value leaving lot l; the declaring rule states in its Block how the amount is taken
        from its lots. A lot's sale and transfer together never exceed the lot."""
        m, added = self.m, sorted(set(lots) - self.transferable)
        if not hasattr(m, "transfer"):
            # Declared for every lot at once (5× faster than one index at a time); a lot no rule
            # names keeps its zero bound and appears in no row, so it never reaches the solver.
            m.transfer = pyo.Var(range(len(self.data.lots)), bounds=(0.0, 0.0))
            self.transfers = list(m.transfer.values())
        for x in added:
            self.transfers[x].setub(float(self.data.lot_value[x]))
        self.transferable.update(added)  # the holding and transfer-limit rows (in `assemble`) count them
        m.transferred = pyo.value(m.transferred) + self.fraction(dollars)

    # -- objective ingredients, in basis points of account value ---------------------------------
    def tax_cost(self) -> pyo.Expression:
        """This rebalance's tax for the year after Schedule D netting (a saving for losses), in bp: at
        the solution, the `estimated_tax` the result reports."""
        return self.netting.block.tax if self.netting is not None else 0

    def carryforward_value(self) -> pyo.Expression:
        """The losses this rebalance adds to next year's carryforward, at the account's stated value
        per dollar, as a saving in bp (a cost when its gains use up a carryforward)."""
        return self.netting.block.carryforward if self.netting is not None else 0

    def netting_binaries(self) -> list[pyo.Var]:
        """The Schedule D binaries (at most two): account-level choices the search decides first."""
        return list(self.netting.binaries) if self.netting is not None else []

    def asset_location_cost(self) -> pyo.Expression:
        """A household's asset location, in bp of its value: the change this rebalance makes to one
        year of tax on dividends, each name's trailing yield taxed at the account's long-term rate
        (qualified dividends) in a taxable account and not at all in an IRA or a Roth
        (solver/asset_location.py states the model and what it ignores). So
        a buy of a high-yield name goes where its dividends are sheltered, other things equal. 0 for one
        account, where every holding is taxed alike; a household on a market without dividend history
        is refused (S116)."""
        data = self.data
        if not data.household:
            return 0
        if data.dividend_yield is None:
            raise TailorError(error(
                "S116", f"a household's asset location needs the dividend history of the year before "
                f"{data.as_of}, which this market does not carry", None,
                "rebalance the household on the bundled price history (a date it covers)"))
        yields = pd.Series(data.dividend_yield, index=data.tickers)
        drag = 1e4 * np.array([tax_drag(yields, member).to_numpy() for member in data.accounts])  # a × i
        m = self.m
        bought = [(float(drag[a, i]), var) for (a, i), var in m.buy_in.items() if drag[a, i] > 0]
        lot_drag = drag[data.lot_account, data.lot_ticker] * data.tradable[data.lot_account]
        sold = [(-float(lot_drag[x]), m.sell[x]) for x in np.flatnonzero(lot_drag > 0).tolist()]
        return linear([c for c, _ in bought + sold], [v for _, v in bought + sold])

    def tracking_penalty(self) -> pyo.Expression:
        """Active variance priced at TRACKING_BP_PER_PCT2 bp of account value per %² (TE 1% costs
        10 bp, TE 2% costs 40 bp): paying 20 bp of tax to halve a 2% tracking error is worth it."""
        return TRACKING_BP_PER_PCT2 * self.m.variance

    def trading_cost(self) -> pyo.Expression:
        """Spread and impact: TRADING_COST_BP bp of each dollar traded."""
        return TRADING_COST_BP * self.m.traded

    def assemble(self, contributions: Iterable[Contribution]) -> None:
        """Apply the rules' contributions (in policy order) and write the base rows, the whole-share
        rows, the minimum-trade links and the objective; called once, after every rule is lowered."""
        with PauseGC():
            self._assemble(list(contributions))

    def _assemble(self, contributions: list[Contribution]) -> None:
        m = self.m
        for part in contributions:
            for term, weight in part.objective_weights.items():
                m.objective_weight[term] = weight
            for tag, expr in part.objective.items():
                self.objective_terms[tag] = self.objective_terms.get(tag, 0) + expr
            for gain in part.gain_terms:
                self._gain_terms[gain.long_term].append((gain.coefficient, gain.variable))
            for group in part.lazy_groups:
                self.lazy.add(group.rows, group.binaries, group.safe, group.splits)
            self.whole_shares |= part.whole_shares
        post = pyo.value(self.post_value)
        self._base_rows(post)
        if self.whole_shares:
            self.close_out_names = whole_share_rows(self)
        for i in range(len(self.data.tickers)):
            m.buy[i].setub(min(float(m.buy[i].ub), post))
        self.lazy.write_minimum_trades(self)
        m.objective = pyo.Objective(expr=sum(self.objective_terms.values()) if self.objective_terms else 0)
