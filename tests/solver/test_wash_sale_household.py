"""wash sale `scope household`: the household's other accounts' recent trades count (issue 10 §2).

An account that names a household gives those trades as `household_transactions`; the rule refuses an
account that names a household without them (A132) and one that gives them to a rule of scope
account, which would ignore them (A133)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.inputs import check_account
from compiler.rules.wash_sale import WashSaleIR
from compiler.verify_rules import verify
from core.diagnostics import TailorError
from solver.account import Account, Transaction
from solver.account_files import load_account
from solver.lots import Lot, Trade
from solver.market import Market
from solver.verify import build_outcome
from tests.solver.conftest import policy, run, span, with_lots

HOUSEHOLD = WashSaleIR(id="wash_sale", span=span(3), window_days=30, scope="household", groups=())
ACCOUNT = HOUSEHOLD.model_copy(update={"scope": "account"})


def in_household(account: Account, *trades: Transaction) -> Account:
    return account.model_copy(update={"household_id": "smith", "household_transactions": trades})


def other(on: date, ticker: str, action: str, shares: int, price: str, gain: str = "0") -> Transaction:
    return Transaction(on=on, ticker=ticker, action=action, shares=Decimal(shares), price=Decimal(price),
                       realized_gain=Decimal(gain), account="smith-ira")


def test_a_loss_sale_in_another_account_blocks_the_buy(legacy_account: Account, market: Market) -> None:
    """The spouse's account sold the name the optimizer wants most at a loss 12 days ago: under scope
    household this account does not buy it; an empty household file (no other trades) does."""
    quiet = in_household(legacy_account)
    wanted = next(t.ticker for t in run(quiet, market, HOUSEHOLD).outcome.buys)
    sale = other(date(2021, 4, 9), wanted, "sell", 10, "100", "-400")
    blocked = run(in_household(legacy_account, sale), market, HOUSEHOLD)
    assert not blocked.outcome.bought([wanted])
    assert run(quiet, market, HOUSEHOLD).outcome.bought([wanted])


def test_a_buy_in_another_account_replaces_shares(legacy_account: Account, market: Market) -> None:
    """A 2014 XOM lot at a big loss is harvested. When another account of the household bought 10 XOM
    20 days ago, it still is, but those 10 replacement shares disallow the loss on 10 shares sold:
    the earliest acquired, LEG-00046's (bought 2006 at $58.47; XOM is $56.00): 10 × $2.47."""
    loser = Lot(lot_id="XOM-2014", ticker="XOM", acquired=date(2014, 6, 2), shares=Decimal(3000),
                basis_per_share=Decimal(100))
    account = with_lots(legacy_account, loser)
    harvested = run(in_household(account), market, HOUSEHOLD).outcome
    assert [s for s in harvested.sold(["XOM"]) if s.gain < 0]
    buy = other(date(2021, 4, 1), "XOM", "buy", 10, "57.97")
    washed = run(in_household(account, buy), market, HOUSEHOLD).outcome
    assert [(m.lot_id, m.replacement, m.shares, m.loss_disallowed) for m in washed.wash_matches] == \
        [("LEG-00046", "bought in smith-ira 2021-04-01", Decimal(10), Decimal("24.70"))]


def test_the_verifier_names_the_other_account(legacy_account: Account, market: Market) -> None:
    sale = other(date(2021, 4, 9), "XOM", "sell", 10, "60", "-400")
    account = in_household(legacy_account, sale)
    buy = Trade(action="buy", ticker="XOM", shares=Decimal(5), price=market.price("XOM"))
    outcome = build_outcome(account, market, [buy], {"XOM": 1.0})
    found = [v for v in verify(outcome, [HOUSEHOLD]) if v.code == "V217"]
    assert found and "XOM in smith-ira on 2021-04-09" in found[0].message
    quiet = replace(outcome, account=account.model_copy(update={"household_transactions": ()}))
    assert not [v for v in verify(quiet, [HOUSEHOLD]) if v.code == "V217"]


def test_scope_household_needs_the_households_trades(legacy_account: Account) -> None:
    with pytest.raises(TailorError) as raised:
        check_account(policy(HOUSEHOLD), legacy_account.model_copy(update={"household_id": "smith"}))
    assert raised.value.diagnostics[0].code == "A132"
    assert "household_transactions" in raised.value.diagnostics[0].hint
    check_account(policy(HOUSEHOLD), legacy_account)  # no household named: a household of one


def test_scope_account_refuses_household_trades_it_would_ignore(legacy_account: Account) -> None:
    with pytest.raises(TailorError) as raised:
        check_account(policy(ACCOUNT), in_household(legacy_account))
    assert raised.value.diagnostics[0].code == "A133"


def _account_folder(tmp_path: Path, yaml_extra: str, rows: str) -> Path:
    (tmp_path / "lots.csv").write_text("lot_id,ticker,acquired,shares,basis_per_share\n"
                                       "L1,AAPL,2015-01-02,10,27\n")
    (tmp_path / "household.csv").write_text("account,date,ticker,action,shares,price,realized_gain\n" + rows)
    path = tmp_path / "account.yaml"
    path.write_text(f"account: joint\ncash: 1000\nlots: lots.csv\nhousehold_transactions: household.csv\n"
                    f"{yaml_extra}")
    return path


def test_household_file_without_a_household_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TailorError) as raised:
        load_account(_account_folder(tmp_path, "", ""))
    found = raised.value.diagnostics[0]
    assert found.code == "A130" and found.span.line == 4


def test_a_household_row_of_the_account_itself_is_refused(tmp_path: Path) -> None:
    rows = "ira,2021-04-12,AAPL,buy,20,131.24,\njoint,2021-04-13,MSFT,buy,1,250,\n"
    with pytest.raises(TailorError) as raised:
        load_account(_account_folder(tmp_path, "household: smith\n", rows))
    found = raised.value.diagnostics[0]
    assert found.code == "A131" and found.span.file.endswith("household.csv") and found.span.line == 3


def test_household_file_is_read_and_hashed(tmp_path: Path) -> None:
    path = _account_folder(tmp_path, "household: smith\n", "ira,2021-04-12,AAPL,buy,20,131.24,\n")
    account = load_account(path)
    assert account.household_transactions == (Transaction(
        on=date(2021, 4, 12), ticker="AAPL", action="buy", shares=Decimal(20), price=Decimal("131.24"),
        account="ira", span=account.household_transactions[0].span),)
    (tmp_path / "household.csv").write_text("account,date,ticker,action,shares,price,realized_gain\n")
    assert load_account(path).input_hash != account.input_hash
