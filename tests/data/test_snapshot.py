"""Market snapshots (issue 10 §4): the caller's prices on a date past the bundled history. Every bad
snapshot ends as a located TailorError with its D1xx code (file, line, column), never a guess."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.diagnostics import Diagnostic, Span, TailorError
from market.master import load_master
from market.snapshot import load_snapshot, make_snapshot
from solver.account_files import load_account
from solver.snapshot_checks import check_against_snapshot, resolve_snapshot_as_of
from tailor.cli import main

YAML = "as_of: 2026-11-20\nprices: prices.csv\nsources: [test closes]\n"
PRICES = "ticker,close\nAAPL,309.35\nMSFT,480.5\nBRK-B,497.12\n"


def snapshot_dir(tmp_path: Path, yaml: str = YAML, prices: str = PRICES, **files: str) -> Path:
    folder = tmp_path / "snap"
    folder.mkdir(exist_ok=True)
    (folder / "snapshot.yaml").write_text(yaml)
    (folder / "prices.csv").write_text(prices)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def refused(folder: Path) -> list[Diagnostic]:
    with pytest.raises(TailorError) as caught:
        load_snapshot(folder)
    return caught.value.diagnostics


def at(d: Diagnostic) -> tuple[str, str, int, int]:
    assert d.span is not None, d
    return d.code, Path(d.span.file).name, d.span.line, d.span.column


def test_a_valid_snapshot_is_read_with_tickers_normalised(tmp_path: Path) -> None:
    snap = load_snapshot(snapshot_dir(tmp_path))
    assert snap.as_of == date(2026, 11, 20) and snap.sources == ("test closes",)
    assert snap.prices == {"AAPL": Decimal("309.35"), "BRK.B": Decimal("497.12"), "MSFT": Decimal("480.5")}
    assert snap.target is None and snap.benchmarks() == {} and len(snap.digest) == 64
    assert load_snapshot(tmp_path / "snap" / "snapshot.yaml").digest == snap.digest  # the file or its folder
    assert pickle.loads(pickle.dumps(snap)).prices == snap.prices  # ships to worker processes


@pytest.mark.parametrize(("close", "column"), [("0", 6), ("-3.50", 6), ("NaN", 6), ("inf", 6), ("abc", 6),
                                                ("", 6), ("1.1234567", 6), ("2e7", 6)])
def test_a_bad_close_is_d112_at_its_cell(tmp_path: Path, close: str, column: int) -> None:
    [problem] = refused(snapshot_dir(tmp_path, prices=f"ticker,close\nAAPL,{close}\n"))
    assert at(problem) == ("D112", "prices.csv", 2, column)
    assert "close" in problem.message


def test_a_duplicate_ticker_is_d113_naming_the_first_line(tmp_path: Path) -> None:
    [problem] = refused(snapshot_dir(tmp_path, prices=PRICES + "BRK.B,497.12\n"))
    assert at(problem) == ("D113", "prices.csv", 5, 1)
    assert "BRK.B is listed twice" in problem.message and "line 4" in problem.message
    assert problem.related[0].span.line == 4  # BRK-B: the same security


def test_an_unknown_column_is_d111_with_did_you_mean(tmp_path: Path) -> None:
    problem, missing = refused(snapshot_dir(tmp_path, prices="ticker,closing\nAAPL,1\n"))
    assert at(problem) == ("D111", "prices.csv", 1, 8)
    assert "`close`" in (problem.hint or "") and "missing column(s) close" in missing.message
    problems = refused(snapshot_dir(tmp_path, prices="ticker,close,volume\nAAPL,1,100\n"))
    assert [at(p) for p in problems] == [("D111", "prices.csv", 1, 14)]  # not silently dropped


def test_an_unknown_key_is_d110_with_did_you_mean(tmp_path: Path) -> None:
    problems = refused(snapshot_dir(tmp_path, yaml=YAML.replace("sources", "source")))
    assert [at(p) for p in problems] == [("D110", "snapshot.yaml", 3, 1), ("D110", "snapshot.yaml", 1, 1)]
    assert "`sources`" in (problems[0].hint or "") and "missing key `sources`" in problems[1].message


def test_an_unknown_sub_industry_is_d103_with_did_you_mean(tmp_path: Path) -> None:
    folder = snapshot_dir(tmp_path, yaml=YAML + "securities: securities.csv\n", prices=PRICES + "NEWCO,12\n",
                          securities="ticker,name,sub_industry\nNEWCO,New Co,Aplication Software\n")
    [problem] = refused(folder)  # NEWCO's price is not also called an unknown ticker
    assert at(problem) == ("D103", "securities.csv", 2, 14)
    assert "`Application Software`" in (problem.hint or "")


def test_additions_join_the_master_with_their_gics_path_and_screens(tmp_path: Path) -> None:
    folder = snapshot_dir(tmp_path, yaml=YAML + "securities: securities.csv\n",
                          prices=PRICES + "NEWCO,12\nSMOKE,30\n",
                          securities='ticker,name,sub_industry\nNEWCO,"New Co, Inc.",Application Software\n'
                                     "SMOKE,Smoke Co,Tobacco\n")
    snap = load_snapshot(folder)
    master = snap.master
    assert master.resolve("NEWCO").sector == "Information Technology"
    assert master.resolve("NEWCO").name == "New Co, Inc." and master.resolve("NEWCO").source == "snapshot"
    assert "SMOKE" in master.screen("tobacco") and "NEWCO" in master.in_sub_industry("Application Software")
    assert "NEWCO" not in load_master()  # the shipped master is untouched


def test_an_addition_the_master_has_or_without_a_price_is_refused(tmp_path: Path) -> None:
    hardware = "Technology Hardware, Storage & Peripherals"
    folder = snapshot_dir(tmp_path, yaml=YAML + "securities: securities.csv\n",
                          securities=f'ticker,name,sub_industry\nAAPL,Apple,{hardware}\n'
                                     f'NEWCO,New Co,"{hardware}"\n')
    problems = refused(folder)
    assert [at(p) for p in problems] == [("D111", "securities.csv", 2, 32)]  # the unquoted comma
    (folder / "securities.csv").write_text(
        f'ticker,name,sub_industry\nAAPL,Apple,"{hardware}"\nNEWCO,New Co,"{hardware}"\n')
    problems = refused(folder)
    assert [at(p) for p in problems] == [("D113", "securities.csv", 2, 1), ("D114", "securities.csv", 3, 1)]


def test_target_weights_are_checked(tmp_path: Path) -> None:
    yaml = YAML + "target: target.csv\n"
    snap = load_snapshot(snapshot_dir(tmp_path, yaml=yaml, target="ticker,weight\nAAPL,60%\nMSFT,0.4\n"))
    assert snap.target == {"AAPL": Decimal("0.6"), "MSFT": Decimal("0.4")}
    assert snap.benchmarks()["sp500_equal"].to_dict() == {"AAPL": 0.5, "MSFT": 0.5}
    problems = refused(snapshot_dir(tmp_path, yaml=yaml, target="ticker,weight\nAAPL,0.6\nNVDA,0.4\n"))
    assert [at(p) for p in problems] == [("D114", "target.csv", 3, 1)]  # a weight but no price
    problems = refused(snapshot_dir(tmp_path, yaml=yaml, target="ticker,weight\nAAPL,0.6\nMSFT,0.3\n"))
    assert [at(p) for p in problems] == [("D112", "target.csv", 1, 1)] and "sum to 0.9" in problems[0].message
    problems = refused(snapshot_dir(tmp_path, yaml=yaml, target="ticker,weight\nAAPL,-0.1\nMSFT,1.1\n"))
    assert [at(p) for p in problems] == [("D112", "target.csv", 2, 6), ("D112", "target.csv", 3, 6)]


def test_files_stay_inside_the_snapshot_folder_and_bad_files_are_located(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(PRICES)
    [problem] = refused(snapshot_dir(tmp_path, yaml=YAML.replace("prices.csv", "../elsewhere.csv")))
    assert at(problem) == ("D110", "snapshot.yaml", 2, 9) and "outside" in problem.message
    [problem] = refused(snapshot_dir(tmp_path, yaml=YAML.replace("prices.csv", "price.csv")))
    assert at(problem) == ("D110", "snapshot.yaml", 2, 9) and "`prices.csv`" in (problem.hint or "")
    folder = snapshot_dir(tmp_path)
    (folder / "prices.csv").write_bytes(b"ticker,close\nAAPL,\xff\n")
    [problem] = refused(folder)
    assert at(problem) == ("D110", "snapshot.yaml", 2, 9) and "not UTF-8" in problem.message
    [problem] = refused(snapshot_dir(tmp_path, yaml="as_of: 2026-11-20\nas_of: 2026-11-21\n"))
    assert at(problem) == ("D110", "snapshot.yaml", 2, 1)  # YAML would keep the last silently
    with pytest.raises(TailorError) as caught:
        load_snapshot(tmp_path / "missing")
    assert caught.value.diagnostics[0].code == "D110"


def test_an_unknown_ticker_is_d102_and_a_bad_date_d112(tmp_path: Path) -> None:
    problems = refused(snapshot_dir(tmp_path, yaml=YAML.replace("2026-11-20", "2026-11-31"),
                                    prices=PRICES + "APPL,3\n"))
    assert [at(p) for p in problems] == [("D112", "snapshot.yaml", 1, 8)]  # snapshot.yaml first
    problems = refused(snapshot_dir(tmp_path, prices=PRICES + "APPL,3\n"))
    assert [at(p) for p in problems] == [("D102", "prices.csv", 5, 1)]
    assert "`AAPL`" in (problems[0].hint or "")


def test_make_snapshot_checks_values_as_files_are_checked() -> None:
    snap = make_snapshot("2026-11-20", {"AAPL": 309.35, "brk-b": "497.12"}, sources=["my feed"])
    assert snap.prices == {"AAPL": Decimal("309.35"), "BRK.B": Decimal("497.12")}  # shortest float repr
    assert make_snapshot(date(2026, 11, 20), {"AAPL": 309.35}, sources=["my feed"]).digest == \
        make_snapshot("2026-11-20", {"AAPL": "309.35"}, sources=["my feed"]).digest
    with pytest.raises(TailorError) as caught:
        make_snapshot("2026-11-20", {"AAPL": float("nan"), "MSFT": 0}, sources=["my feed"])
    assert [(d.code, d.message.split(":")[0]) for d in caught.value.diagnostics] == \
        [("D112", "prices[AAPL]"), ("D112", "prices[MSFT]")]
    with pytest.raises(TailorError) as caught:
        make_snapshot("2026-11-20", {"AAPL": 1})
    assert caught.value.diagnostics[0].code == "D110"  # sources are required in code too


def _account(tmp_path: Path, as_of: str | None = "2026-11-20") -> Path:
    folder = tmp_path / "account"
    folder.mkdir()
    (folder / "lots.csv").write_text("lot_id,ticker,acquired,shares,basis_per_share\n"
                                     "L1,AAPL,2020-01-02,10,75\nL2,NVDA,2019-05-01,40,4.1\nL3,NVDA,2020-05-01,8,9\n")
    dated = f"as_of: {as_of}\n" if as_of else ""
    (folder / "account.yaml").write_text("cash: 1000\nlots: lots.csv\n" + dated)
    return folder / "account.yaml"


def test_a_held_ticker_without_a_price_is_d114_naming_the_lot(tmp_path: Path) -> None:
    snap = load_snapshot(snapshot_dir(tmp_path))
    account = load_account(_account(tmp_path))
    with pytest.raises(TailorError) as caught:
        check_against_snapshot(account, snap)
    [problem] = caught.value.diagnostics
    assert at(problem) == ("D114", "lots.csv", 3, 1)
    assert problem.message.startswith("lot L2 holds NVDA (and 1 more lot(s) of it)")
    assert problem.related[0].span == Span.point(str(tmp_path / "snap" / "snapshot.yaml"), 2, 9, 10)


def test_the_as_of_dates_must_agree(tmp_path: Path) -> None:
    snap = load_snapshot(snapshot_dir(tmp_path, prices=PRICES + "NVDA,214.72\n"))
    account = load_account(_account(tmp_path, "2026-11-19"))
    with pytest.raises(TailorError) as caught:
        check_against_snapshot(account, snap)
    [problem] = caught.value.diagnostics
    assert at(problem) == ("D115", "account.yaml", 3, 8) and "2026-11-19" in problem.message
    assert problem.related[0].span.line == 1  # the snapshot's as_of
    with pytest.raises(TailorError) as caught:
        resolve_snapshot_as_of(account.model_copy(update={"as_of": None}), snap, date(2026, 11, 21))
    assert at(caught.value.diagnostics[0]) == ("D115", "snapshot.yaml", 1, 8)
    assert resolve_snapshot_as_of(account.model_copy(update={"as_of": None}), snap) == date(2026, 11, 20)


def test_tailor_data_snapshot_checks_and_describes_a_snapshot(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = snapshot_dir(tmp_path, yaml=YAML + "securities: securities.csv\n", prices=PRICES + "NEWCO,12\n",
                          securities="ticker,name,sub_industry\nNEWCO,New Co,Application Software\n")
    assert main(["data", "snapshot", str(folder)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "as of 2026-11-20" in out and "4 prices; no index weights" in out
    assert "added: NEWCO New Co (Application Software, Information Technology)" in out
    assert "Risk model as of 2021-04-21, 2,039 days before the snapshot" in out and ": NEWCO" in out
    assert "warning[D117]" in out
    (folder / "prices.csv").write_text("ticker,close\nAAPL,0\n")
    assert main(["data", "snapshot", str(folder)]) == 1
    assert "error[D112]" in capsys.readouterr().err
