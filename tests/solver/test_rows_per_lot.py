"""A binary that allows a sum of lot sales caps each lot on its own (docs/solver.md, "A row per lot
where a binary caps a sum of lots"): the wash-sale switch, a row per loss lot; a minimum sale, a row
per lot worth less than the minimum.

Checked on the relaxation itself — every lazy group switched on, every binary continuous — of two
benchmark accounts under the firm's direct-indexing model ($100 minimum trade). With the sums' rows
alone (before session 16) both tests fail on the same relaxations: 7 names of the 2018 sell-off
harvested and bought back, 89 names of the issue's account selling a small lot whole below the
minimum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from compiler.check import compile_policy
from compiler.lower import lower_policy
from solver.account_files import load_account
from solver.lazy import activate
from solver.market import Market
from solver.model import AccountModel
from solver.search import Search, SolveOptions

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "models" / "direct_index.tailor"
WHOLE = 1 - 1e-6  # a lot counts as sold whole at this fraction of its value (HiGHS's tolerances)
MONEY = 1e-7  # fractions of the account: well under a dollar on these accounts


def _relaxation(account_yaml: Path, as_of: date) -> tuple[AccountModel, np.ndarray, np.ndarray]:
    """The model, and its relaxation's buys and sales (fractions of the account)."""
    model = AccountModel([load_account(account_yaml)], Market.load(as_of))
    lower_policy(compile_policy(POLICY), model)
    search = Search(model, SolveOptions(), float("inf"))
    activate(search.compiled, search.lazy)
    assert search.lp_rounds(relaxation=True)[0] == "optimal"
    x, col = search.x(), search.compiled.col
    bought = np.array([x[col(model.m.buy[i])] if col(model.m.buy[i]) >= 0 else 0.0
                       for i in range(len(model.data.tickers))])
    return model, bought, np.array([x[col(model.m.sell[k])] for k in range(len(model.data.lots))])


def test_a_name_with_a_loss_lot_sold_whole_is_not_bought_back(
        benchmark_account: Callable[[str], Path]) -> None:
    """The 2018 sell-off (6,208 lots, 2018-12-24): selling any loss lot whole needs the switch's z = 1,
    which allows no buy."""
    model, bought, sold = _relaxation(benchmark_account("di_2018_selloff"), date(2018, 12, 24))
    data = model.data
    harvested = (sold >= WHOLE * data.lot_value) & (data.lot_gain < 0)
    assert harvested.sum() >= 20  # (not vacuous)
    assert [data.tickers[i] for i in range(len(data.tickers))
            if harvested[data.lots_of[i]].any() and bought[i] > MONEY] == []


def test_a_lot_worth_less_than_the_minimum_is_sold_whole_only_in_a_sale_of_the_minimum(
        benchmark_account: Callable[[str], Path]) -> None:
    """The issue's account ($1M in 2013 and $50k a quarter over 500 names: 13,401 lots, 7,237 of them
    worth less than the $100 minimum, 2021-03-15): a small lot sold whole needs the minimum sale's
    z = 1, and so a sale of at least the minimum."""
    model, _, sold = _relaxation(benchmark_account("di_user_2013q"), date(2021, 3, 15))
    data = model.data
    minimum = float(model.lazy.min_sell[0][0])  # the same fraction for every name here
    small = (sold >= WHOLE * data.lot_value) & (data.lot_value < minimum)
    assert small.sum() >= 100  # (not vacuous)
    assert [data.tickers[i] for i in model.lazy.min_sell
            if small[data.lots_of[i]].any() and MONEY < sold[data.lots_of[i]].sum() < minimum - MONEY] == []
