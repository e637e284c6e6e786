"""Hostile and broken account input (issue 10): account files come from other systems, so every case
here must end as a located TailorError — the exact A1xx code, the file and line named — and never as an
internal error (exit 3), a wrong answer or a denial of service. Each case is one change to the small
valid account in tests/solver/hostile/valid/; the CLI test runs every case through `tailor rebalance`
and checks exit 1, nothing written and no file echoed back."""

from __future__ import annotations

import codecs
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from core.diagnostics import TailorError, render_all
from solver.account_files import load_account
from tailor.cli import main
from tests.solver.conftest import ROOT

HOSTILE = Path(__file__).parent / "hostile"
VALID = HOSTILE / "valid"
POLICY = ROOT / "policies" / "firm" / "default.tailor"
LOTS = (VALID / "lots.csv").read_text(encoding="utf-8")


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        text = (folder / name).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


def _write(name: str, content: str | bytes, *, lots: str | None = None) -> Callable[[Path], None]:
    """Write `name`; with `lots`, point account.yaml's `lots:` at it."""
    def change(folder: Path) -> None:
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
        if lots is not None:
            _replace("account.yaml", "lots: lots.csv", f"lots: {lots}")(folder)
    return change


def _both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        for one in changes:
            one(folder)
    return change


def _symlink_out(folder: Path) -> None:
    (folder / "lots.csv").unlink()
    os.symlink("/etc/passwd", folder / "lots.csv")


def _parquet_bytes() -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table({"lot_id": ["P1"], "ticker": ["AAPL"], "acquired": ["2020-01-02"],
                             "shares": [5.0], "basis_per_share": [75.09]}), out)
    return out.getvalue()


@dataclass(frozen=True)
class Case:
    change: Callable[[Path], None]
    code: str
    file: str  # the file the first diagnostic points into
    line: int
    says: str  # text the message must hold (e.g. the data file's name when the span is account.yaml)


CASES = {
    # ---- YAML: an alias bomb, readable errors, tags --------------------------------------------------
    "billion-laughs": Case(_write("account.yaml", (HOSTILE / "billion_laughs.yaml").read_text()),
                           "A119", "account.yaml", 4, "aliases"),
    "yaml-syntax": Case(_write("account.yaml", "lots: lots.csv\ntax: {short_term_rate: [1, 2}\n"),
                        "A119", "account.yaml", 2, "YAML syntax error"),
    "yaml-tag": Case(_replace("account.yaml", "cash: 25000.00", "cash: !!python/object/apply:os.system [ls]"),
                     "A119", "account.yaml", 7, "tag"),
    "yaml-list-in-tax": Case(_replace("account.yaml", "long_term_rate: 0.20", "long_term_rate: [0.2, 0.3]"),
                             "A102", "account.yaml", 12, "single value"),
    # ---- numbers: finite and bounded -----------------------------------------------------------------
    "cash-nan": Case(_replace("account.yaml", "cash: 25000.00", "cash: NaN"), "A121", "account.yaml", 7,
                     "not a finite number"),
    "cash-infinity": Case(_replace("account.yaml", "cash: 25000.00", "cash: Infinity"), "A121",
                          "account.yaml", 7, "not a finite number"),
    "cash-yaml-inf": Case(_replace("account.yaml", "cash: 25000.00", "cash: .inf"), "A121", "account.yaml", 7,
                          "not a finite number"),
    "cash-1e30": Case(_replace("account.yaml", "cash: 25000.00", "cash: 1e30"), "A121", "account.yaml", 7,
                      "out of bounds"),
    "shares-1e30": Case(_replace("lots.csv", "1092.2993", "1e30"), "A121", "lots.csv", 2, "out of bounds"),
    "basis-tiny": Case(_replace("lots.csv", "36.62", "1e-999999"), "A121", "lots.csv", 2, "decimal places"),
    "shares-zero": Case(_replace("lots.csv", "1092.2993", "0"), "A104", "lots.csv", 2, "positive"),
    "rate-nan": Case(_replace("account.yaml", "short_term_rate: 0.37", "short_term_rate: nan"), "A121",
                     "account.yaml", 11, "not a finite number"),
    "rate-above-1": Case(_replace("account.yaml", "short_term_rate: 0.37", "short_term_rate: 1.5"), "A109",
                         "account.yaml", 11, "fraction"),
    "rate-negative": Case(_replace("account.yaml", "long_term_rate: 0.20", "long_term_rate: -0.2"), "A109",
                          "account.yaml", 12, "fraction"),
    "rate-1e30": Case(_replace("account.yaml", "long_term_rate: 0.20", "long_term_rate: 1e30"), "A109",
                      "account.yaml", 12, "fraction"),
    "carryforward-negative": Case(_replace("account.yaml", "carryforward_long_term: 0",
                                           "carryforward_long_term: -5"),
                                  "A103", "account.yaml", 16, "negative"),
    "gain-1e30": Case(_replace("transactions.csv", "-850.00", "-1e30"), "A121", "transactions.csv", 2,
                      "out of bounds"),
    # ---- encodings and file formats ------------------------------------------------------------------
    "utf16-lots": Case(_write("lots.csv", LOTS.encode("utf-16")), "A122", "account.yaml", 8,
                       "lots.csv is UTF-16"),
    "utf16-no-bom": Case(_write("lots.csv", LOTS.encode("utf-16-le")), "A122", "account.yaml", 8, "NUL"),
    "latin1-lots": Case(_write("lots.csv", LOTS.replace("H-2", "HÉ-2").encode("latin-1")), "A122",
                        "account.yaml", 8, "lots.csv:3:2"),
    "latin1-account": Case(_write("account.yaml", "account: Müller\nlots: lots.csv\n".encode("latin-1")),
                           "A122", "", 0, "account.yaml:1:11"),
    "control-character": Case(_replace("lots.csv", "H-3", "H-\x1b[31m3"), "A122", "account.yaml", 8,
                              "lots.csv:4:3: control character U+001B"),
    "json-42": Case(_write("lots.json", "42", lots="lots.json"), "A102", "account.yaml", 8,
                    "lots.json is not a list of records"),
    "json-list-of-numbers": Case(_write("lots.json", "[1,2,3]", lots="lots.json"), "A102", "lots.json", 1,
                                 "not an object"),
    "json-unknown-key": Case(_write("lots.json", '{"lotz": []}', lots="lots.json"), "A102", "lots.json", 1,
                             "lotz"),
    "json-invalid": Case(_write("lots.json", '[\n  {"lot_id": "J1",\n  "ticker": }\n]', lots="lots.json"),
                         "A102", "lots.json", 3, "invalid JSON"),
    "json-nested": Case(_write("lots.json", "[" * 100_000, lots="lots.json"), "A102", "account.yaml", 8,
                        "nested too deeply"),
    "json-huge-int": Case(_write("lots.json", '[{"lot_id": "J1", "ticker": "AAPL", "acquired": "2020-01-02", '
                                 '"shares": ' + "9" * 5000 + ', "basis_per_share": 1}]', lots="lots.json"),
                          "A121", "lots.json", 1, "too long for a number"),
    "parquet-corrupt": Case(_write("lots.parquet", b"PAR1 not really parquet PAR1", lots="lots.parquet"),
                            "A123", "account.yaml", 8, "lots.parquet is not a readable Parquet file"),
    "parquet-truncated": Case(lambda folder: _write("lots.parquet", _parquet_bytes()[:-20],
                                                    lots="lots.parquet")(folder),
                              "A123", "account.yaml", 8, "not a readable Parquet file"),
    # ---- silently wrong values ---------------------------------------------------------------------
    "duplicate-key": Case(_replace("account.yaml", "tax:", "cash: 100000000\ntax:"), "A120", "account.yaml",
                          10, "on line 7 and on line 10"),
    "date-11-characters": Case(_replace("lots.csv", "2004-01-02", "2015-03-021"), "A103", "lots.csv", 2,
                               "'2015-03-021' is not a date"),
    "date-time-zone": Case(_replace("transactions.csv", "2021-04-05", "2021-04-05T23:00:00-05:00"), "A103",
                           "transactions.csv", 2, "is not a date"),
    # ---- wash sales: a sale's realized gain is required -----------------------------------------------
    "no-realized-gain-column": Case(_write("transactions.csv", "date,ticker,action,shares,price\n"
                                           "2021-04-05,INTC,sell,120,66.54\n"),
                                    "A124", "transactions.csv", 2, "no realized_gain column"),
    "empty-realized-gain": Case(_replace("transactions.csv", "-850.00", ""), "A124", "transactions.csv", 2,
                                "realized_gain is empty"),
    # ---- every column and key is read, or refused --------------------------------------------------
    "column-realized": Case(_replace("transactions.csv", "realized_gain", "realized"), "A102",
                            "transactions.csv", 1, "unknown column 'realized'"),
    "column-market-value": Case(_write("lots.csv", LOTS.replace("share\n", "share,mkt value\n")
                                       .replace("36.62\n", "36.62,1\n")),
                                "A102", "lots.csv", 1, "unknown column 'mkt value'"),
    "two-ticker-columns": Case(_write("lots.csv", "lot_id,ticker,acquired,shares,basis_per_share,symbol\n"
                                      "H-1,JPM,2004-01-02,10,36.62,JPM\n"), "A120", "lots.csv", 1,
                               "two columns give the ticker"),
    "value-in-no-column": Case(_write("lots.csv", LOTS.replace("36.62\n", "36.62,oops\n")), "A102",
                               "lots.csv", 2, "fields on this line"),
    "tax-key-typo": Case(_replace("account.yaml", "long_term_rate", "long_term_rat"), "A102", "account.yaml",
                         12, "long_term_rat"),
    "not-a-lots-file": Case(_write("notes.csv", "root:x:0:0:root:/root:/bin/bash\n", lots="notes.csv"),
                            "A102", "account.yaml", 8, "notes.csv is not a lots table"),
    # ---- files stay inside the account's folder ----------------------------------------------------
    "absolute-path": Case(_replace("account.yaml", "lots: lots.csv", "lots: /etc/passwd"), "A125",
                          "account.yaml", 8, "outside the account's folder"),
    "dot-dot": Case(_replace("account.yaml", "lots: lots.csv", "lots: ../../../../../../etc/passwd"), "A125",
                    "account.yaml", 8, "outside the account's folder"),
    "symlink-out": Case(_symlink_out, "A125", "account.yaml", 8, "symbolic link"),
    "target-outside": Case(_replace("account.yaml", "tax:", "target: /etc/passwd\ntax:"), "A125",
                           "account.yaml", 10, "outside the account's folder"),
    "fifo": Case(_both(lambda folder: os.mkfifo(folder / "pipe.csv"),
                       _replace("account.yaml", "lots: lots.csv", "lots: pipe.csv")),
                 "A101", "account.yaml", 8, "not a regular file"),
}


def account_in(tmp_path: Path, case: Case) -> Path:
    return changed(tmp_path, case.change)


def changed(tmp_path: Path, *changes: Callable[[Path], None]) -> Path:
    """A copy of the valid account in `tmp_path` with `changes` made; its account.yaml."""
    folder = tmp_path / "account"
    shutil.copytree(VALID, folder)
    for change in changes:
        change(folder)
    return folder / "account.yaml"


def test_the_valid_account_loads() -> None:
    """The base of every case loads, with a recent loss sale and BRK-B read as BRK.B."""
    account = load_account(VALID / "account.yaml")
    assert account.tickers == ("AAPL", "BRK.B", "INTC", "JPM", "MSFT")
    assert [(t.ticker, t.is_loss_sale) for t in account.transactions] == [("INTC", True), ("MSFT", False)]


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_account_is_a_located_error(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = account_in(tmp_path, case)
    started = time.perf_counter()
    with pytest.raises(TailorError) as caught:
        load_account(path)
    assert time.perf_counter() - started < 5
    first = caught.value.diagnostics[0]
    assert first.code == case.code, render_all(caught.value.diagnostics)
    text = render_all(caught.value.diagnostics)
    assert case.says in first.message, first.message
    if case.file:  # the span names file and line, and so does the rendered text
        assert first.span is not None and Path(first.span.file).name == case.file
        assert first.span.line == case.line, str(first.span)
        assert f"{case.file}:{case.line}:" in text
    else:  # a problem with account.yaml that cannot be quoted safely: the message says where
        assert first.span is None
    assert len(text) < 15_000  # nothing expanded, nothing echoed but the line at fault
    assert "root:x" not in text and "Node(" not in text


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_account_through_the_cli(tmp_path: Path, name: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`tailor rebalance` exits 1 (never 3), writes nothing, and prints a bounded message."""
    path = account_in(tmp_path, CASES[name])
    out = tmp_path / "out"
    code = main(["rebalance", "--policy", str(POLICY), "--account", str(path), "--as-of", "2021-04-21",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"error[{CASES[name].code}]" in err and "internal error" not in err
    assert not out.exists() or not any(out.iterdir())
    assert len(err) < 15_000 and "root:x" not in err


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = changed(tmp_path, _write("lots.csv", codecs.BOM_UTF8 + LOTS.encode()))
    assert len(load_account(path).lots) == 5


def test_parquet_and_json_lots_still_load(tmp_path: Path) -> None:
    path = changed(tmp_path, _write("lots.parquet", _parquet_bytes(), lots="lots.parquet"))
    (lot,) = load_account(path).lots
    assert (lot.ticker, lot.shares, lot.basis_per_share) == ("AAPL", Decimal("5.0"), Decimal("75.09"))
    (path.parent / "lots.json").write_text('{"lots": [{"lot_id": "J1", "ticker": "brk-b", "acquired": '
                                           '"2019-06-03T00:00:00", "shares": 2.5, "basis_per_share": 0.1}]}')
    path.write_text(path.read_text().replace("lots: lots.parquet", "lots: lots.json"))
    (lot,) = load_account(path).lots
    assert (lot.ticker, lot.shares, lot.basis_per_share) == ("BRK.B", Decimal("2.5"), Decimal("0.1"))


def test_tickers_are_normalised_like_the_security_master(tmp_path: Path) -> None:
    """BRK-B, brk.b and BRK.B are one security in lots, transactions and the account's target."""
    path = changed(tmp_path, _replace("lots.csv", "JPM", " brk.b "),
                   _replace("transactions.csv", "INTC", "brk-b"),
                   _write("model.csv", "ticker,weight\nBRK-B,60%\naapl,40%\n"),
                   _replace("account.yaml", "tax:", "target: model.csv\ntax:"))
    account = load_account(path)
    assert {lot.ticker for lot in account.lots} == {"BRK.B", "AAPL", "MSFT", "INTC"}
    assert account.transactions[0].ticker == "BRK.B" and account.transactions[0].is_loss_sale
    assert account.target is not None and account.target.weights == (("AAPL", 0.4), ("BRK.B", 0.6))


def test_problems_in_a_large_broken_file_are_bounded(tmp_path: Path) -> None:
    """Each diagnostic quotes its line when rendered: 20,000 bad rows give 25 and a count, not 20,000."""
    rows = "".join(f"X{i},AAPL,2020-01-02,-1,75\n" for i in range(20_000))
    path = changed(tmp_path, _write("lots.csv", "lot_id,ticker,acquired,shares,basis_per_share\n" + rows))
    with pytest.raises(TailorError) as caught:
        load_account(path)
    codes = [d.code for d in caught.value.diagnostics]
    assert codes == ["A104"] * 25 + ["A126"] and "19,975 more" in caught.value.diagnostics[-1].message


def test_a_long_json_line_is_not_quoted(tmp_path: Path) -> None:
    """A minified JSON file is one line: a problem in it points at `lots:` and says where, rather than
    have the renderer print the whole line."""
    records = [f'{{"lot_id": "J{i}", "ticker": "AAPL", "acquired": "2020-01-02", "shares": 1, '
               '"basis_per_share": 1}' for i in range(300)]
    records[250] = records[250].replace('"shares": 1', '"shares": "lots"')
    path = changed(tmp_path, _write("lots.json", "[" + ",".join(records) + "]", lots="lots.json"))
    with pytest.raises(TailorError) as caught:
        load_account(path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "A103" and problem.span is not None and problem.span.file == str(path)
    assert problem.message.startswith("record 251: ") and "lots.json:1:" in problem.message


def test_the_alias_bomb_is_refused_quickly_through_the_cli(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Once 303 bytes became 325 MB of stderr and 1.5 GB of memory while the message was built."""
    path = account_in(tmp_path, CASES["billion-laughs"])
    started = time.perf_counter()
    assert main(["rebalance", "--policy", str(POLICY), "--account", str(path), "--as-of", "2021-04-21"]) == 1
    assert time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert "error[A119]: aliases (*name) are not allowed in an account file" in err and len(err) < 2_000


def test_tables_are_bounded_in_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """200,000 rows (15 times the largest account benchmarked) in CSV or JSON; here the bound is 3."""
    import solver.account_tables

    monkeypatch.setattr(solver.account_tables, "MAX_TABLE_ROWS", 3)
    with pytest.raises(TailorError) as caught:
        load_account(changed(tmp_path / "csv"))
    (problem,) = caught.value.diagnostics
    assert problem.code == "A102" and "5 rows, more than 3" in problem.message
    json_lots = "[" + ",".join(f'{{"lot_id": "J{i}"}}' for i in range(5)) + "]"
    with pytest.raises(TailorError) as caught:
        load_account(changed(tmp_path / "json", _write("lots.json", json_lots, lots="lots.json")))
    assert [d.code for d in caught.value.diagnostics] == ["A102"]
    assert "more than 3 records" in caught.value.diagnostics[0].message


def test_a_transaction_after_the_as_of_date_names_its_line(tmp_path: Path) -> None:
    from solver.account import check_against_market

    account = load_account(changed(tmp_path, _replace("transactions.csv", "2021-03-29", "2021-05-03")))
    with pytest.raises(TailorError) as caught:
        check_against_market(account, account.as_of, priced=set(account.tickers), known=set(account.tickers))
    (problem,) = caught.value.diagnostics
    assert problem.code == "A107" and str(problem.span).endswith("transactions.csv:3:1")


def test_an_oversized_target_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from market.index import MAX_MODEL_BYTES

    path = changed(tmp_path, _write("model.csv", "ticker,weight\n" + "#" * MAX_MODEL_BYTES),
                   _replace("account.yaml", "tax:", "target: model.csv\ntax:"))
    with pytest.raises(TailorError) as caught:
        load_account(path)
    (problem,) = caught.value.diagnostics
    assert problem.code == "A115" and "larger than" in problem.message and problem.span.line == 10
