"""Account loading: the shipped examples load; bad input gets diagnostics with file:line:column."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from policy_lang.diagnostics import TailorError
from solver.account import Account, check_against_market
from solver.account_files import load_account
from tests.solver.conftest import EXAMPLES

HEADER = "lot_id,ticker,acquired,shares,basis_per_share\n"


def write_account(tmp_path: Path, lots: str, extra: str = "") -> Path:
    (tmp_path / "lots.csv").write_text(HEADER + lots)
    path = tmp_path / "account.yaml"
    path.write_text(f"account: test\ntype: taxable\ncash: 1000\nlots: lots.csv\n{extra}")
    return path


def codes(exc: pytest.ExceptionInfo[TailorError]) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in exc.value.diagnostics if d.span]


def test_example_account_loads_and_pickles() -> None:
    account = load_account(EXAMPLES / "index_2012" / "account.yaml")
    assert len(account.lots) > 500 and account.cash == Decimal("15000.00")
    assert account.tax.realized_long_term_ytd == Decimal(12000)
    assert account.lots[0].acquired == date(2012, 1, 3)
    assert pickle.loads(pickle.dumps(account)) == account
    assert len(account.input_hash) == 64


def test_legacy_account_has_a_recent_loss_sale() -> None:
    account = load_account(EXAMPLES / "legacy_jpm" / "account.yaml")
    (sale,) = account.transactions
    assert sale.ticker == "INTC" and sale.is_loss_sale


def test_negative_shares_and_duplicate_ids_are_reported_together(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,-5,75.09\nL1,MSFT,2020-01-02,3,160.62\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert ("A104", 2, 20) in codes(exc)
    assert ("A105", 3, 1) in codes(exc)
    duplicate = next(d for d in exc.value.diagnostics if d.code == "A105")
    assert "lots.csv:2:1" in (duplicate.hint or "")


def test_bad_date_and_number_name_their_column(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,02/01/2020,5,75.09\nL2,AAPL,2020-01-02,five,75.09\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A103", 2, 9), ("A103", 3, 20)]


def test_missing_column_is_named(tmp_path: Path) -> None:
    (tmp_path / "lots.csv").write_text("lot_id,ticker,shares\nL1,AAPL,5\n")
    (tmp_path / "account.yaml").write_text("lots: lots.csv\n")
    with pytest.raises(TailorError, match="missing column"):
        load_account(tmp_path / "account.yaml")


def test_unknown_account_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "csh: 5\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    (diagnostic,) = exc.value.diagnostics
    assert diagnostic.code == "A102" and diagnostic.span.line == 5 and "cash" in (diagnostic.hint or "")


def test_a_list_where_one_file_is_named_is_a_diagnostic(tmp_path: Path) -> None:
    """`lots: [a.csv]` once crashed with a TypeError; it is a located A102 with an example."""
    (tmp_path / "lots.csv").write_text(HEADER + "L1,AAPL,2020-01-02,5,75.09\n")
    path = tmp_path / "account.yaml"
    path.write_text("account: test\nlots: [lots.csv]\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A102", 2, 7)] and "lots.csv" in (exc.value.diagnostics[0].hint or "")


def test_rate_must_be_a_fraction(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "tax:\n  short_term_rate: 37\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A109", 6, 20)]


def test_advisor_headers_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "lots.csv").write_text("Symbol,Date Acquired,Quantity,Cost Basis Per Share,Lot ID\n"
                                       "aapl,2020-01-02,5,\"$75.09\",A-1\n")
    (tmp_path / "account.yaml").write_text("lots: lots.csv\n")
    (lot,) = load_account(tmp_path / "account.yaml").lots
    assert (lot.ticker, lot.shares, lot.basis_per_share) == ("AAPL", Decimal(5), Decimal("75.09"))


def test_market_checks_unknown_ticker_future_date_and_missing_price(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,APPL,2020-01-02,5,75.09\nL2,MSFT,2021-05-03,3,250\n"
                                   "L3,ZZZ,2020-01-02,1,10\n")
    account = load_account(path)
    with pytest.raises(TailorError) as exc:
        check_against_market(account, date(2021, 4, 21), priced={"AAPL", "MSFT"},
                             known={"AAPL", "MSFT", "ZZZ"})
    found = {d.code: d for d in exc.value.diagnostics}
    assert "AAPL" in (found["A106"].hint or "")
    assert found["A107"].span.line == 3
    assert found["A108"].span.line == 4


def test_json_lots(tmp_path: Path) -> None:
    (tmp_path / "lots.json").write_text('[{"lot_id": "J1", "ticker": "MSFT", "acquired": "2019-06-03",'
                                        ' "shares": 2.5, "basis_per_share": 123.45}]')
    (tmp_path / "account.yaml").write_text("lots: lots.json\ntype: ira\n")
    account = load_account(tmp_path / "account.yaml")
    assert isinstance(account, Account) and not account.is_taxable
    assert account.lots[0].shares == Decimal("2.5")
