"""A book: one row per account, with its account file, its policy and optionally its date, market
snapshot and target model. CSV or Parquet; paths relative to the book's folder.

    id,account,policy,as_of
    smith,accounts/smith/account.yaml,policies/clients/executive.tailor,2021-04-21

Every column is one tailor reads (an unknown one is B102 with "did you mean": a column ignored could
hold a setting the advisor expects to apply), and every problem of the table is reported at once,
located, before anything runs.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from core.dates import parse_date
from core.diagnostics import Diagnostic, Span, TailorError, error
from core.suggest import did_you_mean

COLUMNS = ("id", "account", "policy", "as_of", "market", "target")
REQUIRED = ("account", "policy")
MAX_BOOK_BYTES = 50_000_000
MAX_BOOK_ROWS = 1_000_000
# An id names the account's output folder: plain characters only, so it cannot climb out of OUT.
ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BookEntry(BaseModel):
    """One account of a book, its paths resolved against the book's folder."""

    model_config = ConfigDict(frozen=True)

    id: str
    account: str
    policy: str
    as_of: date | None = None
    market: str | None = None
    target: str | None = None
    span: Span  # the row in the book, for messages


class _Cell:
    def __init__(self, text: str, span: Span):
        self.text, self.span = text.strip(), span


def _csv_rows(name: str, text: str) -> tuple[list[_Cell], list[tuple[int, list[_Cell]]]]:
    """Header and rows with each cell's position (columns counted in characters from 1)."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    found: list[tuple[int, list[_Cell]]] = []
    for values in reader:
        line = reader.line_num
        source = lines[line - 1] if line <= len(lines) else ""
        cells, at = [], 0
        for value in values:
            column = source.find(value, at) if value else at
            column = at if column < 0 else column
            cells.append(_Cell(value, Span.point(name, line, column + 1, max(len(value), 1))))
            at = column + len(value) + 1
        if any(c.text for c in cells):  # blank lines are not accounts
            found.append((line, cells))
    if not found:
        return [], []
    return found[0][1], found[1:]


def _parquet_rows(name: str, data: bytes) -> tuple[list[_Cell], list[tuple[int, list[_Cell]]]]:
    """Parquet has no lines: a cell's line is its row number counting the header as line 1, its
    column the column's position."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise TailorError(error("B101", f"{name}: not a Parquet file pyarrow can read ({exc})",
                                Span.point(name, 1, 1),
                                "save the book again as Parquet, or as CSV")) from None
    header = [_Cell(str(n), Span.point(name, 1, i + 1)) for i, n in enumerate(table.column_names)]
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    rows = []
    for r in range(table.num_rows):
        cells = [_Cell("" if col[r] is None else str(col[r]), Span.point(name, r + 2, i + 1))
                 for i, col in enumerate(columns)]
        rows.append((r + 2, cells))
    return header, rows


def _read(path: Path) -> tuple[list[_Cell], list[tuple[int, list[_Cell]]]]:
    name = str(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise TailorError(error("B101", f"{name}: a book is a .csv or .parquet table", None,
                                "save the table as CSV (UTF-8) or Parquet"))
    try:
        if not path.is_file():
            raise TailorError(error("B101", f"book not found: {name}", None,
                                    "give the path of a .csv or .parquet table of accounts"))
        if path.stat().st_size > MAX_BOOK_BYTES:
            raise TailorError(error("B101", f"{name} is larger than {MAX_BOOK_BYTES // 1_000_000} MB", None,
                                    "split the book into several"))
        data = path.read_bytes()
    except OSError as exc:
        raise TailorError(error("B101", f"{name}: cannot read: {exc.strerror or exc}", None,
                                "check the file's permissions")) from None
    if path.suffix.lower() == ".parquet":
        return _parquet_rows(name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TailorError(error("B101", f"{name} is not UTF-8 text (byte {exc.start})",
                                Span.point(name, line, 1), "save the book as CSV UTF-8")) from None
    return _csv_rows(name, text)


def _header(header: list[_Cell], name: str) -> tuple[dict[str, int], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        column = cell.text.lower()
        if column not in COLUMNS:
            problems.append(error("B102", f"unknown column {cell.text!r}", cell.span,
                                  did_you_mean(column, COLUMNS) or "columns: " + ", ".join(COLUMNS)))
        elif column in index:
            problems.append(error("B103", f"column {column!r} is given twice", cell.span,
                                  "keep one of the two columns"))
        else:
            index[column] = i
    where = header[0].span if header else Span.point(name, 1, 1)
    what = {"account": "account.yaml", "policy": "policy file"}
    problems += [error("B103", f"the book has no {column!r} column", where,
                       f"add a column {column!r}: the {what[column]} of each account, relative to the book")
                 for column in REQUIRED if column not in index]
    return index, problems


def _entry(cells: list[_Cell], index: dict[str, int], width: int, base: Path, row_span: Span,
           problems: list[Diagnostic]) -> BookEntry | None:
    def cell(column: str) -> _Cell | None:
        found = cells[index[column]] if column in index and index[column] < len(cells) else None
        return found if found is not None and found.text else None

    before = len(problems)
    if len(cells) > width and any(c.text for c in cells[width:]):
        problems.append(error("B104", f"{len(cells)} cells on a row of {width} columns", cells[width].span,
                              "remove the extra cells, or quote a value that holds a comma"))
    for column in REQUIRED:
        if cell(column) is None:
            problems.append(error("B103", f"no {column} on this row", row_span,
                                  f"fill in the {column} column"))
    for column in ("account", "policy", "market", "target"):
        found = cell(column)
        if found is not None and CONTROL.search(found.text):
            problems.append(error("B104", f"the {column} path holds a control character", found.span,
                                  "write the path as plain text"))
    as_of = None
    if (given := cell("as_of")) is not None:
        as_of = parse_date(given.text)
        if as_of is None:
            problems.append(error("B104", f"as_of {given.text[:40]!r} is not a date", given.span,
                                  "write YYYY-MM-DD, e.g. 2021-04-21, or leave it empty for the "
                                  "account's own"))
    account = cell("account")
    named = cell("id")
    book_id = named.text if named else (Path(account.text).parent.name or Path(account.text).stem
                                        if account else "")
    if account is not None and not ID_PATTERN.fullmatch(book_id):
        where = named.span if named else account.span
        problems.append(error("B104", f"{book_id[:40]!r} cannot name the account's output folder", where,
                              "ids are letters, digits, `-`, `_` and `.`" +
                              ("" if named else "; add an `id` column to name it")))
    if len(problems) > before:
        return None

    def path(column: str) -> str | None:
        found = cell(column)
        return str(base / found.text) if found is not None else None

    return BookEntry(id=book_id, account=str(path("account")), policy=str(path("policy")), as_of=as_of,
                     market=path("market"), target=path("target"), span=row_span)


def read_book(path: str | Path) -> list[BookEntry]:
    """Every account of the book, in its order; a TailorError with every problem found otherwise."""
    path = Path(path)
    header, rows = _read(path)
    index, problems = _header(header, str(path))
    if problems:
        raise TailorError(problems)
    if not rows:
        raise TailorError(error("B106", f"{path} has no accounts", Span.point(str(path), 1, 1),
                                "add one row per account under the header"))
    if len(rows) > MAX_BOOK_ROWS:
        raise TailorError(error("B101", f"{path} has more than {MAX_BOOK_ROWS:,} rows", None,
                                "split the book into several"))
    entries: list[BookEntry] = []
    first: dict[str, Span] = {}
    for line, cells in rows:
        row_span = Span.point(str(path), line, 1)
        entry = _entry(cells, index, len(header), path.parent, row_span, problems)
        if entry is None:
            continue
        if entry.id in first:
            problems.append(error("B105", f"account id {entry.id!r} is on line {first[entry.id].line} too",
                                  row_span, "give each row its own `id`, or remove the duplicate row"))
            continue
        first[entry.id] = row_span
        entries.append(entry)
    if problems:
        raise TailorError(problems)
    return entries
