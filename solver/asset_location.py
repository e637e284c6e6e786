"""Asset location's data: the expected yearly tax drag of holding a security in an account, by account
type, which the household model's objective weighs to hold tax-inefficient names where they are
sheltered (`AccountModel.asset_location_cost`; issue 14 §3; docs/households.md, "Asset location").

The model: a name's drag is the tax its dividends cost each year, as a fraction of the position's
value: its trailing-twelve-month dividend yield (market/dividends.py) × the account's tax rate on
dividends. In a taxable account that rate is the long-term rate (`tax.long_term_rate`: qualified
dividends are taxed as long-term gains); in a traditional IRA or a Roth it is 0 (no tax while held).

What it ignores, each a refinement the data or the profile does not support yet: non-qualified
dividends (REITs, short holding periods) taxed at the ordinary rate; the 3.8% net investment income
tax and state tax; the ordinary-income tax on a traditional IRA's withdrawals (which taxes every
return, not dividends only) and the step-up in basis a taxable account gets at death; expected
realized gains (turnover, capital gain distributions); foreign tax credits; and that a trailing yield
is not next year's. Held-away accounts get a drag like any other of their type: where a name is held
matters whoever trades it.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from solver.account import Account


def dividend_tax_rate(account: Account) -> Decimal:
    """The account's tax rate on a dollar of dividends: see the module."""
    return account.tax.long_term_rate if account.is_taxable else Decimal(0)


def tax_drag(yields: pd.Series, account: Account) -> pd.Series:
    """Each ticker's expected tax drag per year in `account`, as a fraction of the position's value."""
    return (yields * float(dividend_tax_rate(account))).rename("tax_drag")
