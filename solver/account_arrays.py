"""An account — or a household of accounts — as the arrays an optimisation model is written from: no
Pyomo here.

`AccountModel` builds its Pyomo model on these; a model written directly against a solver's arrays
(the benchmark's highspy baseline) starts from the same preparation, so both pay for it.

A household is a list of accounts in one model: the universe, the target and the weights are the
household's, every lot keeps its account (`lot_account`), and buys and cash are split by account in
the model (solver/model.py). Rules read the household through `account`, one merged view
(solver/household_view.py): all lots, every account's recent trades, the joint tax profile.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from core.diagnostics import TailorError
from market.dividends import trailing_dividend_yield
from solver.account import Account
from solver.household_view import HouseholdTerms, merged_view
from solver.look_through import LookThrough, universe
from solver.market import Market, RiskArrays, risk_arrays
from solver.tax import is_long_term

GAIN_NOISE = 1e-9  # |lot_gain| at most this: the float cannot tell a gain from a loss or none


class AccountArrays:
    """The universe (held names, every priced name the risk model covers, an ETF's constituents), prices,
    the ETF look-through (`look_through`: effective weights = M·weights), and per-lot
    values, gains and holding periods, in fractions of the (household's) value before cash flows.

    `lot_gain` is the gain per dollar sold that a tax return sees: in a household, a lot of an IRA or
    a Roth realizes none (0), so every rule about gains and losses reads the household right. A lone
    untaxed account keeps its lots' gains; its rules skip on `taxable`."""

    def __init__(self, accounts: list[Account], market: Market, *, terms: HouseholdTerms | None = None):
        self.terms = terms = terms or HouseholdTerms()
        self.accounts = accounts
        self.household = len(accounts) > 1
        self.account = account = merged_view(accounts, terms.held_away) if self.household else accounts[0]
        self.market = market
        self.as_of: date = market.as_of
        # The universe: every held name, every priced name the risk model covers, and the constituents
        # of any index ETF held, which the tracking error measures it as (solver/look_through.py).
        self.tickers: list[str] = universe(set(account.tickers), market)
        self.index = {t: i for i, t in enumerate(self.tickers)}
        self.price = market.prices.reindex(self.tickers).to_numpy(dtype=float)
        self.lots = list(account.lots)
        self.lot_index = {lot.lot_id: k for k, lot in enumerate(self.lots)}
        self.lot_ticker = np.array([self.index[lot.ticker] for lot in self.lots], dtype=int)
        # The merged view lists each account's lots in turn (solver/household_view.py).
        self.lot_account = np.repeat(np.arange(len(accounts)), [len(member.lots) for member in accounts])
        shares = np.array([float(lot.shares) for lot in self.lots])
        basis = np.array([float(lot.basis_per_share) for lot in self.lots])
        lot_price = self.price[self.lot_ticker]
        self.value = float(shares @ lot_price) + float(account.cash)
        self.lot_value = shares * lot_price / self.value
        # Gain per unit of value sold: 1 - basis/price (a loss when negative); within GAIN_NOISE of 0
        # it may be float noise, and a rule that must tell a gain from none asks the exact decimals.
        self.lot_gain = 1.0 - basis / lot_price
        # Whether a sale of the lot is taxed: every lot of one account alike (its rules skip on `taxable`);
        # in a household, the lots of its taxable accounts only.
        taxed = np.array([member.is_taxable or not self.household for member in accounts], dtype=bool)
        self.lot_taxed = taxed[self.lot_account]
        self.lot_gain[~self.lot_taxed] = 0.0
        # Lots bought on the same day share a holding period: one date computation per day.
        term = {day: is_long_term(day, self.as_of) for day in {lot.held_since for lot in self.lots}}
        self.lot_long_term = np.array([term[lot.held_since] for lot in self.lots], dtype=bool)
        self.held = np.bincount(self.lot_ticker, weights=self.lot_value, minlength=len(self.tickers))
        self.lots_of: list[list[int]] = [[] for _ in self.tickers]
        for k, i in enumerate(self.lot_ticker.tolist()):
            self.lots_of[i].append(k)
        self.taxable = account.is_taxable
        # Per account: its cash (fraction of the household), and whether it trades (a held-away
        # account is counted in the household's holdings and wash sales, never traded).
        self.account_cash = np.array([float(member.cash) / self.value for member in accounts])
        self.tradable = np.array([a.account_id not in terms.held_away for a in accounts], dtype=bool)
        # The most cash each account may receive from the others (fractions of the household's value).
        limits = [float(terms.max_contribution.get(member.account_id, 0)) for member in accounts]
        self.max_contribution = np.array(limits) / self.value * self.tradable
        # A household's asset location prices each name's dividends where they are taxed: its trailing
        # yield (market/dividends.py; None when the market carries no dividend history).
        self.dividend_yield = self._yields(market) if self.household else None
        self.risk: RiskArrays = risk_arrays(market.risk, self.tickers)
        self.look_through = LookThrough.of(self.tickers, market)

    def _yields(self, market: Market) -> np.ndarray | None:
        if market.snapshot is not None:
            return None
        try:
            return trailing_dividend_yield(self.as_of, market.prices.reindex(self.tickers)).to_numpy()
        except TailorError:  # the history does not cover the year before the date
            return None
