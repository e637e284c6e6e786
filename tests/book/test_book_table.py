"""Reading a book: every problem located (file:line:col) and named by its code, with "did you mean";
nothing accepted and ignored; the CLI renders them, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.diagnostics import TailorError
from tailor.batch.book import read_book

ROOT = Path(__file__).resolve().parents[2]


def _problems(tmp_path: Path, text: str, name: str = "book.csv") -> list:
    book = tmp_path / name
    book.write_text(text)
    with pytest.raises(TailorError) as found:
        read_book(book)
    return found.value.diagnostics


def test_a_good_book_resolves_paths_beside_it(tmp_path: Path) -> None:
    book = tmp_path / "sub" / "book.csv"
    book.parent.mkdir()
    book.write_text("account,policy,as_of,id\nsmith/account.yaml,p.tailor,2021-04-21,\n"
                    "jones/account.yaml,p.tailor,,j2\n")
    first, second = read_book(book)
    assert first.id == "smith" and first.account == str(book.parent / "smith/account.yaml")
    assert str(first.as_of) == "2021-04-21" and first.span.line == 2
    assert second.id == "j2" and second.as_of is None


def test_an_unknown_column_is_refused_with_did_you_mean(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "account,polcy\na/account.yaml,p.tailor\n")[:1]
    assert problem.code == "B102" and "polcy" in problem.message
    assert (problem.span.line, problem.span.column) == (1, 9)
    assert "`policy`" in problem.hint


def test_every_problem_of_the_table_at_once(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "id,account,policy,as_of\n"
                                   "a,a/account.yaml,p.tailor,2021-13-01\n"
                                   "b,b/account.yaml,p.tailor,\n"
                                   "b,a/account.yaml,p.tailor,\n"
                                   "../up,c/account.yaml,p.tailor,\n"
                                   "d,,p.tailor,\n")
    found = [(p.code, p.span.line, p.span.column) for p in problems]
    assert ("B104", 2, 27) in found  # the date's cell
    assert ("B105", 4, 1) in found
    assert ("B104", 5, 1) in found  # an id that would climb out of OUT
    assert ("B103", 6, 1) in found


@pytest.mark.parametrize(("name", "text", "code"), [
    ("book.csv", "account,policy\n", "B106"),
    ("book.csv", "id,account\na,a/account.yaml\n", "B103"),
    ("book.xlsx", "account,policy\n", "B101"),
    ("book.parquet", "not parquet", "B101"),
    ("book.csv", "account,policy,account\na,b,c\n", "B103"),
])
def test_book_level_problems(tmp_path: Path, name: str, text: str, code: str) -> None:
    assert _problems(tmp_path, text, name)[0].code == code


def test_a_parquet_book_reads_like_csv(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"account": ["a/account.yaml"], "policy": ["p.tailor"], "colour": ["red"]}),
                   tmp_path / "book.parquet")
    with pytest.raises(TailorError) as found:
        read_book(tmp_path / "book.parquet")
    assert found.value.diagnostics[0].code == "B102" and found.value.diagnostics[0].span.column == 3


def test_the_cli_renders_book_problems(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text("account,policy,asof\na/account.yaml,p.tailor,2021-04-21\n")
    command = [sys.executable, "-m", "tailor.cli", "batch", str(book), "--out", str(tmp_path / "o")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "error[B102]" in done.stderr and "book.csv:1:16" in done.stderr and "`as_of`" in done.stderr
    assert not (tmp_path / "o").exists()
