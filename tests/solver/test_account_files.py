"""Account loading: the shipped examples load; bad input gets diagnostics with file:line:column."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.diagnostics import TailorError
from solver.account import Account, check_against_market
from solver.account_files import load_account, resolve_as_of
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


def test_an_unknown_account_type_is_a_value_not_a_structure_problem(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n")
    path.write_text(path.read_text().replace("type: taxable", "type: taxible"))
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A127", 2, 7)] and "taxable" in (exc.value.diagnostics[0].hint or "")


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


def test_carryforward_value_is_read_and_defaults_from_the_long_term_rate(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "tax:\n  carryforward_value: 0.1\n")
    assert load_account(path).tax.carryforward_rate == Decimal("0.1")
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "tax:\n  long_term_rate: 0.15\n")
    assert load_account(path).tax.carryforward_rate == Decimal("0.1125")  # 0.75 × 15%


@pytest.mark.parametrize(("tax", "where", "message"), [
    # A dollar carried to next year worth as much as the short-term rate would tie with the offset.
    ("  short_term_rate: 0.30\n  carryforward_value: 0.30\n", (7, 23), "carryforward_value 0.30 must be"),
    # Swapped rates: the netting (and the tax budget's bound) assume long-term ≤ short-term.
    ("  short_term_rate: 0.20\n  long_term_rate: 0.37\n", (7, 19), "long_term_rate 0.37 is above"),
    ("  long_term_rate: 0.40\n", (6, 19), "above short_term_rate 0.37"),  # the default short-term rate
])
def test_rates_the_netting_cannot_use_are_located(tmp_path: Path, tax: str, where: tuple[int, int],
                                                  message: str) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "tax:\n" + tax)
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A128", *where)]
    assert message in exc.value.diagnostics[0].message


def test_a_carryforward_value_must_be_a_fraction(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "tax:\n  carryforward_value: 1.5\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A109", 6, 23)]
    assert "carryforward_value must be a fraction" in exc.value.diagnostics[0].message


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


# ---- as_of: stated, never guessed ---------------------------------------------------------------------
def test_example_accounts_state_their_as_of_date() -> None:
    for path in sorted(EXAMPLES.glob("*/account.yaml")):
        account = load_account(path)
        # The last day of the price history; today_2026 is priced by the snapshot of its date.
        expected = date(2026, 11, 20) if path.parent.name == "today_2026" else date(2021, 4, 21)
        assert account.as_of == expected, path
        assert account.as_of_span is not None and account.as_of_span.column == 8


@pytest.mark.parametrize("text", ["2021-02-30", "21/04/2021", "20210421", "2021-W16-3", "yesterday"])
def test_a_bad_as_of_is_located(tmp_path: Path, text: str) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", f"as_of: {text}\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A103", 5, 8)] and "YYYY-MM-DD" in (exc.value.diagnostics[0].hint or "")


def test_a_weekend_as_of_is_accepted(tmp_path: Path) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", 'as_of: "2021-04-17"\n')
    assert load_account(path).as_of == date(2021, 4, 17)


def test_as_of_comes_from_the_command_line_or_the_file_never_a_default(tmp_path: Path) -> None:
    stated = load_account(write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "as_of: 2021-04-21\n"))
    assert resolve_as_of(stated, None) == date(2021, 4, 21)
    assert resolve_as_of(stated, date(2021, 4, 21)) == date(2021, 4, 21)
    with pytest.raises(TailorError) as exc:
        resolve_as_of(stated, date(2021, 4, 20))
    assert codes(exc) == [("A114", 5, 8)]
    assert "--as-of 2021-04-20" in exc.value.diagnostics[0].message
    silent = load_account(write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n"))
    assert resolve_as_of(silent, date(2021, 4, 20)) == date(2021, 4, 20)
    with pytest.raises(TailorError) as exc:
        resolve_as_of(silent, None)
    (diagnostic,) = exc.value.diagnostics
    assert diagnostic.code == "A113" and diagnostic.span is not None
    assert diagnostic.span.file == str(silent.source)
    assert "as_of: YYYY-MM-DD" in (diagnostic.hint or "") and "--as-of" in (diagnostic.hint or "")


def test_the_engine_values_an_account_only_on_its_stated_date(tmp_path: Path) -> None:
    """A Python caller passing a market on another date gets the same A114 as the command line."""
    account = load_account(write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "as_of: 2021-04-21\n"))
    check_against_market(account, date(2021, 4, 21), priced={"AAPL"}, known={"AAPL"})
    with pytest.raises(TailorError) as exc:
        check_against_market(account, date(2021, 3, 1), priced={"AAPL"}, known={"AAPL"})
    assert codes(exc) == [("A114", 5, 8)]


# ---- target: the account's own model -------------------------------------------------------------------
def test_account_target_is_read_and_hashed(tmp_path: Path) -> None:
    lots = "L1,AAPL,2020-01-02,5,75.09\n"
    plain = load_account(write_account(tmp_path, lots))
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,60%\nMSFT,40%\n")
    own = load_account(write_account(tmp_path, lots, "target: model.csv\n"))
    assert own.target is not None and own.target.weights == (("AAPL", 0.6), ("MSFT", 0.4))
    assert own.target.span is not None and (own.target.span.line, own.target.span.column) == (5, 9)
    assert own.input_hash != plain.input_hash
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,50%\nMSFT,50%\n")
    assert load_account(tmp_path / "account.yaml").input_hash != own.input_hash
    assert pickle.loads(pickle.dumps(own)) == own


def test_command_line_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n")
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,1\n")
    monkeypatch.chdir(tmp_path)  # --target is relative to where the command runs
    account = load_account(path, target="model.csv")
    assert account.target is not None and account.target.origin == "--target" and account.target.span is None
    assert account.input_hash != load_account(path).input_hash


def test_two_targets_must_agree(tmp_path: Path) -> None:
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,1\n")
    (tmp_path / "copy.csv").write_text("ticker,weight\nAAPL,1\n")
    (tmp_path / "other.csv").write_text("ticker,weight\nMSFT,1\n")
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "target: model.csv\n")
    for same in ("model.csv", "copy.csv"):  # the same file, or the same bytes
        chosen = load_account(path, target=tmp_path / same).target
        assert chosen is not None and chosen.given == "model.csv"
    with pytest.raises(TailorError) as exc:
        load_account(path, target=tmp_path / "other.csv")
    assert codes(exc) == [("A116", 5, 9)] and "other.csv" in exc.value.diagnostics[0].message


def test_a_missing_target_suggests_the_file_meant(tmp_path: Path) -> None:
    (tmp_path / "growth_model.csv").write_text("ticker,weight\nAAPL,1\n")
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "target: growth_modle.csv\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A115", 5, 9)] and "growth_model.csv" in (exc.value.diagnostics[0].hint or "")
    with pytest.raises(TailorError) as exc:
        load_account(write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n"), target=tmp_path / "nope.csv")
    (diagnostic,) = exc.value.diagnostics
    assert diagnostic.code == "A115" and "--target" in diagnostic.message


def test_a_bad_target_file_points_into_the_csv_and_at_the_key(tmp_path: Path) -> None:
    (tmp_path / "model.csv").write_text("ticker,weight\nAPPL,0.5\nMSFT,half\n")
    path = write_account(tmp_path, "L1,AAPL,2020-01-02,5,75.09\n", "target: model.csv\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    found = {(d.code, d.span.file.endswith("model.csv"), d.span.line)
             for d in exc.value.diagnostics if d.span}
    assert found == {("D102", True, 2), ("D105", True, 3), ("A115", False, 5)}
    unknown = next(d for d in exc.value.diagnostics if d.code == "D102")
    assert "AAPL" in (unknown.hint or "")
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,0.5\nMSFT,0.4\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert [d.code for d in exc.value.diagnostics] == ["D105", "A115"]
    assert "sum to 0.9" in exc.value.diagnostics[0].message


def test_a_lot_may_state_the_holding_period_a_wash_sale_tacked_on(tmp_path: Path) -> None:
    """The optional column: long or short term counts from it, the purchase date stays `acquired`."""
    (tmp_path / "lots.csv").write_text("lot_id,ticker,acquired,shares,basis_per_share,holding_period_start\n"
                                       "L1,AAPL,2021-03-20,10,130,2019-05-01\nL2,MSFT,2021-01-04,5,210,\n")
    path = tmp_path / "account.yaml"
    path.write_text("account: test\ntype: taxable\ncash: 1000\nlots: lots.csv\n")
    first, second = load_account(path).lots
    assert (first.acquired, first.held_since) == (date(2021, 3, 20), date(2019, 5, 1))
    assert second.holding_period_start is None and second.held_since == date(2021, 1, 4)


def test_a_holding_period_starting_after_the_purchase_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lots.csv").write_text("lot_id,ticker,acquired,shares,basis_per_share,holding_period_start\n"
                                       "L1,AAPL,2021-03-20,10,130,2021-03-21\n")
    path = tmp_path / "account.yaml"
    path.write_text("account: test\ntype: taxable\ncash: 1000\nlots: lots.csv\n")
    with pytest.raises(TailorError) as exc:
        load_account(path)
    assert codes(exc) == [("A134", 2, 27)]  # the cell after `L1,AAPL,2021-03-20,10,130,`
