"""Read an account from files: `account.yaml` pointing at a lots file (CSV, Parquet or JSON).

Every problem is reported as a diagnostic naming file, line and column (A1xx codes), and all
problems in a file are reported together. Lots files use the columns an advisor sends a manager;
common spellings of the headers are accepted (see `LOT_COLUMNS`).

The file may state the account's as-of date (`as_of:`) and its own target model (`target:`). A
rebalance never guesses the date: `resolve_as_of` takes the command line's or the file's and refuses
neither or two different ones. A target may also come from the command line (`load_account(...,
target=...)`); its bytes are part of the account's input hash either way.

Account files come from other systems, so nothing in them is trusted (issue 10): account.yaml is
read as plain YAML data (no aliases, no tags, no key given twice); every number is finite and bounded
(`policy_lang/limits.py`); text is UTF-8; a column or key tailor does not read is an error, never
silently dropped; the files account.yaml names stay inside its folder; and a problem with a whole
file points at the key that names it rather than quoting the file, so a file that is not an account
file is never echoed back.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from policy_lang.dates import parse_date
from policy_lang.diagnostics import Diagnostic, Related, Span, TailorError, error
from policy_lang.limits import (
    MAX_ACCOUNT_YAML_BYTES,
    MAX_DECIMALS,
    MAX_MONEY,
    MAX_PRICE,
    MAX_SHARES,
    MAX_TABLE_BYTES,
    MAX_TABLE_LINE,
    MAX_TABLE_ROWS,
    MAX_TICKER,
)
from policy_lang.problems import Problems
from policy_lang.suggest import closest, did_you_mean
from policy_lang.yaml_reader import YamlDialect, YMap, YNode, YScalar, read_yaml
from solver.account import Account, AccountTarget, TaxProfile, Transaction
from solver.data.csv_lines import split_csv
from solver.data.master import normalise_ticker
from solver.lots import Lot

LOT_COLUMNS = {
    "lot_id": ("lot_id", "lot", "lot id", "id"),
    "ticker": ("ticker", "symbol"),
    "acquired": ("acquired", "date acquired", "acquisition date", "acquired_on", "trade date"),
    "shares": ("shares", "quantity", "number of shares"),
    "basis_per_share": ("basis_per_share", "cost basis per share", "cost per share", "unit cost"),
}
TRANSACTION_COLUMNS = {
    "date": ("date", "on", "trade date"),
    "ticker": ("ticker", "symbol"),
    "action": ("action", "side"),
    "shares": ("shares", "quantity"),
    "price": ("price",),
    "realized_gain": ("realized_gain", "gain", "realized gain", "realized gain/loss", "gain/loss"),
}
# Recent trades of the household's other accounts: the same columns, plus the account that traded.
HOUSEHOLD_COLUMNS = {"account": ("account", "account_id", "account id"), **TRANSACTION_COLUMNS}
OPTIONAL_COLUMNS = {"realized_gain"}  # needed only for sales: read_transactions decides (A124)
ACCOUNT_KEYS = {"account", "household", "type", "cash", "lots", "transactions", "household_transactions",
                "tax", "as_of", "target"}
ACCOUNT_TYPES = ("taxable", "ira", "roth")
# A date in a lots or transactions file: YYYY-MM-DD, optionally with a time of day as other systems
# export it (2021-04-05T00:00:00, 2021-04-05 14:30:00). A time zone is refused: it can move the day.
TABLE_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
                        r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?")
TAX_KEYS = set(TaxProfile.model_fields)
# C0 controls but tab and line ends, DEL and C1: no account file has them, and echoed to a terminal
# (in a message or the quoted line) they can rewrite what the reader sees.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

ACCOUNT_YAML = YamlDialect(
    document="an account file", plural="account files", syntax="A119", refused="A119", key="A119",
    duplicate="A120", nesting="A119", size="A119", note_first=True,
    shape="account.yaml has two levels: its keys, and the numbers under `tax`")


# ---- where things are -------------------------------------------------------------------------------
def _quote(text: str, limit: int = 40) -> str:
    """A value from a file, quoted for a message and cut short: messages never repeat a file back."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class DataFile:
    """A file that account.yaml names: its path (as messages show it), the confined real path it is
    read from, and the value in account.yaml that names it. Problems with the file as a whole point
    at that value, so a file that is not an account file is never quoted."""

    path: Path
    real: Path
    named_at: Span
    kind: str  # "lots", "transactions", "target": for messages

    @property
    def name(self) -> str:
        return str(self.path)


class Row:
    """One record of a table file. A field's span is built only when a diagnostic needs it (a CSV
    row keeps its line and each field's column and width: building six Spans a row was most of the
    time spent reading a large file); `where` is the whole record. `label`
    names the record in messages when the span cannot (a Parquet row, a JSON record on a long line)."""

    __slots__ = ("fields", "label", "line", "values", "where")

    def __init__(self, values: dict[str, str], where: Span, label: str = "",
                 line: int = 0, fields: dict[str, tuple[int, int]] | None = None):
        self.values, self.where, self.label, self.line, self.fields = values, where, label, line, fields

    def span(self, name: str) -> Span:
        if self.fields is None:
            return self.where
        column, width = self.fields[name]
        return Span.point(self.where.file, self.line, column, width)


class _Lines:
    """Line starts of a text, to turn an offset into (line, column) and to know whether a line is
    short enough to quote in a diagnostic."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def length(self, line: int) -> int:
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return end - self.starts[line - 1]


def _span_in(file: DataFile, lines: _Lines, line: int, column: int, width: int = 1) -> tuple[Span, str]:
    """A span in the data file when its line can be quoted; otherwise the key naming the file, and the
    position as text for the message (a minified 50 MB JSON line is not printed back)."""
    if lines.length(line) <= MAX_TABLE_LINE:
        return Span.point(file.name, line, column, width), ""
    return file.named_at, f"{file.name}:{line}:{column}: "


# ---- reading bytes and text -------------------------------------------------------------------------
def _locate(account: Path, node: YScalar, key: str, missing_code: str) -> DataFile:
    """The file `key:` names, relative to account.yaml's folder and inside it (A125): a service reads
    account files from other systems, and `lots: /etc/passwd` or a symlink out of the folder must
    not make it read (and quote) a file of its own."""
    given, folder, example = node.value, account.parent, EXAMPLES.get(key, key + ".csv")
    if not given.strip():
        raise TailorError(error("A102", f"`{key}` names no file", node.span, f"e.g. `{key}: {example}`"))
    if CONTROL.search(given) or len(given) > 1_000:
        raise TailorError(error("A125", f"`{key}` is not a usable file name", node.span,
                                f"name a file in the account's folder, e.g. `{key}: {example}`"))
    outside = error("A125", f"`{key}: {_quote(given)[1:-1]}` is outside the account's folder {folder}",
                    node.span, "account files are read from the folder of account.yaml and below; copy the "
                    f"file there and write e.g. `{key}: {example}`")
    if Path(given).is_absolute():
        raise TailorError(outside)
    candidate = folder / given
    try:
        root = folder.resolve()
        real = candidate.resolve()
        exists = real.is_file()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        raise TailorError(error("A125", f"`{key}`: {_quote(given)} cannot be opened", node.span,
                                "name a regular file in the account's folder")) from None
    if not real.is_relative_to(root):  # `..`, or a symlink that leads out of the folder
        if Path(os.path.normpath(candidate.absolute())).is_relative_to(folder.absolute()):
            outside = outside.model_copy(update={"message": f"`{key}: {_quote(given)[1:-1]}` is a symbolic "
                                                 f"link that leads outside the account's folder {folder}"})
        raise TailorError(outside)
    if not exists and real.exists():
        raise TailorError(error("A101", f"`{key}`: {_quote(given)} is not a regular file", node.span,
                                "name a file, not a folder, a pipe or a device"))
    if not exists:
        nearby = sorted(p.name for p in candidate.parent.iterdir() if p.is_file()) \
            if candidate.parent.is_dir() and candidate.parent.resolve().is_relative_to(root) else []
        raise TailorError(error(
            missing_code, f"`{key}`: file {_quote(given)} not found (looked in {candidate.parent})",
            node.span,
            did_you_mean(candidate.name, nearby) or f"give the {key} file's path relative to {account.name}"))
    return DataFile(path=candidate, real=real, named_at=node.span, kind=key)


def _read_bytes(path: Path, shown: str, limit: int, named_at: Span | None, *, follow: bool = True) -> bytes:
    """The file's bytes, refusing anything but a regular file of at most `limit` bytes. The size is
    checked on the open file and the read stops past the limit, so a file growing after the check
    cannot make tailor read more; a FIFO does not block the open (O_NONBLOCK). `follow=False` for a
    confined path already resolved: a symlink put in its place since is refused (O_NOFOLLOW)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        with open(os.open(path, flags), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise TailorError(error("A101", f"{shown} is not a regular file", named_at,
                                        "name a file, not a folder or a device"))
            if info.st_size > limit:
                raise TailorError(error("A101", f"{shown} is larger than {limit:,} bytes", named_at,
                                        "split the account, or check that this is the right file"))
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise TailorError(error("A101", f"file not found: {shown}", named_at, "check the path")) from None
    except OSError as exc:
        raise TailorError(error("A101", f"{shown} cannot be read: {exc.strerror or 'error'}", named_at,
                                "check the file's permissions")) from None
    if len(data) > limit:
        raise TailorError(error("A101", f"{shown} is larger than {limit:,} bytes", named_at))
    return data


def _read_text(path: Path) -> bytes:
    """The bytes of the target model file, for the account's hash."""
    return _read_bytes(path, str(path), MAX_TABLE_BYTES, None)


def _decode(data: bytes, shown: str, named_at: Span | None) -> str:
    """UTF-8 text (a UTF-8 byte order mark is fine). UTF-16/32, Latin-1, binary files and control
    characters are A122. The position goes in the message and the span is the key naming the file
    (None for account.yaml): the renderer would quote the offending line, control characters and all."""
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            raise TailorError(error("A122", f"{shown} is {name} text; tailor reads UTF-8", named_at,
                                    "save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)"))
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        start = body.rfind(b"\n", 0, exc.start) + 1
        column = len(body[start:exc.start].decode("utf-8", errors="replace")) + 1
        guess = "UTF-16" if b"\x00" in body[:4096] else "Latin-1 or Windows-1252"
        where = f"{shown}:{line}:{column}"
        raise TailorError(error(
            "A122", f"{shown} is not UTF-8: byte 0x{body[exc.start]:02X} at {where} (the file looks like "
            f"{guess} text or is not a text file)", named_at,
            "save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)")) from None
    found = CONTROL.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        if found.group() == "\x00":
            kind, hint = "a NUL byte", "the file is UTF-16 or binary: save it as UTF-8 text"
        else:
            kind, hint = f"control character U+{ord(found.group()):04X}", "remove it"
        raise TailorError(error("A122", f"{shown}:{line}:{column}: {kind}; an account file is plain text",
                                named_at, hint))
    return text


# ---- tables: CSV, JSON, Parquet ---------------------------------------------------------------------
def _normal(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def _suggest_column(name: str, columns: dict[str, tuple[str, ...]]) -> str | None:
    """"did you mean" among the columns tailor reads, naming each by its canonical name."""
    spellings = {_normal(alias): canonical for canonical, aliases in columns.items() for alias in aliases}
    found = list(dict.fromkeys(spellings[c] for c in closest(_normal(name), spellings)))
    return "did you mean " + " or ".join(f"`{c}`" for c in found) + "?" if found else None


def _map_header(file: DataFile, header: list[tuple[str, Span]], columns: dict[str, tuple[str, ...]],
                header_span: Span | None) -> dict[str, int]:
    """Column name → position. Every name must be one tailor reads (A102, "did you mean"), each
    column at most once (A120), the required ones present (A102)."""
    spellings = {_normal(alias): canonical for canonical, aliases in columns.items() for alias in aliases}
    expected = ", ".join(columns)
    known = [(i, spellings.get(_normal(name))) for i, (name, _) in enumerate(header)]
    if header and all(canonical is None for _, canonical in known):
        # Nothing tailor reads: this is not a lots (transactions) file. Say so at the key naming it,
        # without quoting the file: it may be anything (`lots: notes.csv`).
        raise TailorError(error(
            "A102", f"{file.name} is not a {file.kind} table: none of its column names is one tailor reads",
            file.named_at, f"the first line (or each record) names the columns: {expected}"))
    problems = Problems(file.name, "A126")
    mapping: dict[str, int] = {}
    for i, canonical in known:
        name, span = header[i]
        if canonical is None:
            if not name.strip():
                problems.add(error("A102", f"column {i + 1} of {file.name} has no name", span,
                                   f"name it (the columns tailor reads: {expected}) or remove it"))
                continue
            problems.add(error(
                "A102", f"unknown column {_quote(name.strip())} in {file.name}: tailor does not read it",
                span, (_suggest_column(name, columns) or f"the columns tailor reads: {expected}.")
                + " Rename the column, or remove it: a column tailor does not read could hold data you "
                "expect to count"))
        elif canonical in mapping:
            first_name, first_span = header[mapping[canonical]]
            problems.add(error(
                "A120", f"two columns give the {canonical}: {_quote(first_name.strip())} and "
                f"{_quote(name.strip())}", span, "keep one of them",
                (Related(message=f"{_quote(first_name.strip())} is here", span=first_span),)
                if first_span is not None and first_span != span else ()))
        else:
            mapping[canonical] = i
    missing = [name for name in columns if name not in mapping and name not in OPTIONAL_COLUMNS]
    if missing:
        problems.add(error("A102", f"{file.name}: missing column(s) {', '.join(missing)}", header_span,
                           f"expected columns: {expected}"))
    problems.check()
    return mapping


def _csv_rows(file: DataFile, text: str, columns: dict[str, tuple[str, ...]]) -> Iterator[Row]:
    """The rows, one at a time (a Row per line of a 200,000-line file is most of the memory reading
    it would take); problems with the file's shape are raised by the first `next`."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].strip():
        raise TailorError(error("A102", f"{file.name} is empty or its first line is blank", file.named_at,
                                f"the first line names the columns: {', '.join(columns)}"))
    if len(lines) > MAX_TABLE_ROWS + 1:
        raise TailorError(error("A102", f"{file.name} has {len(lines) - 1:,} rows, more than "
                                f"{MAX_TABLE_ROWS:,}", file.named_at, "split the account"))
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_TABLE_LINE:  # not printed back: the renderer would quote the whole line
            raise TailorError(error(
                "A102", f"{file.name}:{number}: a line of {len(line):,} characters (at most "
                f"{MAX_TABLE_LINE:,}); this is not a {file.kind} table", file.named_at,
                "check that the file is the right one: a lot's line is a few dozen characters"))
    header = [(name, Span.point(file.name, 1, column, len(name))) for name, column in split_csv(lines[0])]
    while header and not header[-1][0].strip():  # a trailing comma after the last name (Excel)
        header.pop()
    mapping = _map_header(file, header, columns, Span.point(file.name, 1, 1, len(lines[0])))
    problems = Problems(file.name, "A126")
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = split_csv(line)
        extra = [(value, column) for value, column in fields[len(header):] if value.strip()]
        if extra:
            value, column = extra[0]
            problems.add(error("A102", f"{len(fields)} fields on this line but {len(header)} named columns",
                               Span.point(file.name, number, column, len(value)),
                               "a value in no column is not read: name the column in the first line, or "
                               "quote a value that contains a comma"))
            continue
        values, columns_of = {}, {}
        for name, index in mapping.items():
            value, column = fields[index] if index < len(fields) else ("", len(line) + 1)
            values[name] = value.strip()
            columns_of[name] = (column, len(value))
        yield Row(values, Span.point(file.name, number, 1, len(line)), line=number, fields=columns_of)
    problems.check()


def _scalar_text(value: Any) -> str | None:
    """A JSON or Parquet cell as text (numbers as written), or None for a list or a mapping."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, date):  # a Parquet date or timestamp column
        return value.isoformat()
    return None


def _record_rows(file: DataFile, records: list[tuple[Any, Span, str]], columns: dict[str, tuple[str, ...]],
                 names: list[str] | None = None) -> list[Row]:
    """Rows of a JSON or Parquet table: (record, where, label). The header is `names` (a Parquet
    schema) or every key any record uses, each located where it is first used."""
    problems = Problems(file.name, "A126")
    keys: dict[str, Span] = dict.fromkeys(names or (), file.named_at)
    for record, where, label in records:
        if not isinstance(record, dict):
            problems.add(error("A102", f"{label}this {file.kind} record is not an object", where,
                               f'write each record as an object, e.g. {{"{next(iter(columns))}": …}}'))
            continue
        for key in record:
            keys.setdefault(str(key), where)
    problems.check()
    if not keys:  # `[]`: no records and so no columns to check
        return []
    header = list(keys.items())
    mapping = _map_header(file, header, columns, header[0][1])
    rows = []
    for record, where, label in records:
        values: dict[str, str] = {}
        for name, index in mapping.items():
            key = header[index][0]
            text = _scalar_text(record.get(key))
            if text is None:
                problems.add(error("A102", f"{label}`{_quote(key)[1:-1]}` is not a single value (a list, a "
                                   "mapping or binary data)", where, f"write one value for {name}"))
                text = ""
            values[name] = text.strip()
        rows.append(Row(values, where, label))
    problems.check()
    return rows


def _json_records(file: DataFile, text: str) -> list[tuple[Any, Span, str]]:
    """The records of a JSON lots (transactions) file: a list of objects, or {"lots": [...]}. Parsed
    record by record so each keeps its position; numbers are kept as written (no float rounding,
    and no int conversion of a 100,000-digit number)."""
    decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)
    lines = _Lines(text)
    blank = re.compile(r"[ \t\r\n]*")
    shape = f'a {file.kind} file in JSON is a list of records ([{{...}}, ...]) or {{"{file.kind}": [...]}}'

    def skip(i: int) -> int:
        return blank.match(text, i).end()  # type: ignore[union-attr]

    def fail(message: str, offset: int) -> TailorError:
        span, where = _span_in(file, lines, *lines.position(offset))
        return TailorError(error("A102", f"{where}invalid JSON: {message}", span, shape))

    def array(i: int) -> tuple[list[tuple[Any, Span, str]], int]:
        found: list[tuple[Any, Span, str]] = []
        i = skip(i + 1)
        if text.startswith("]", i):
            return found, i + 1
        while True:
            if len(found) >= MAX_TABLE_ROWS:
                raise TailorError(error("A102", f"{file.name} has more than {MAX_TABLE_ROWS:,} records",
                                        file.named_at, "split the account"))
            value, end = decoder.raw_decode(text, i)
            span, where = _span_in(file, lines, *lines.position(i))
            found.append((value, span, f"record {len(found) + 1}: {where}" if where else ""))
            i = skip(end)
            if text.startswith(",", i):
                i = skip(i + 1)
            elif text.startswith("]", i):
                return found, i + 1
            else:
                raise fail("expected `,` or `]` after a record", i)

    def mapping(i: int) -> tuple[list[tuple[Any, Span, str]], int]:
        records: list[tuple[Any, Span, str]] | None = None
        i = skip(i + 1)
        while not text.startswith("}", i):
            at = i
            key, i = decoder.raw_decode(text, i)
            i = skip(i)
            if not isinstance(key, str) or not text.startswith(":", i):
                raise fail("expected a key in quotes and `:`", at)
            if key != file.kind or records is not None:
                span, where = _span_in(file, lines, *lines.position(at), len(key) + 2)
                raise TailorError(error(
                    "A102", f"{where}{'unknown' if key != file.kind else 'second'} key {_quote(key)} in "
                    f"{file.name}", span, f"{shape}; " + (did_you_mean(key, [file.kind]) or
                                                          f"the one key is `{file.kind}`")))
            i = skip(i + 1)
            if not text.startswith("[", i):
                raise fail(f"`{file.kind}` must be a list of records", i)
            records, i = array(i)
            i = skip(i)
            if text.startswith(",", i):
                i = skip(i + 1)
            elif not text.startswith("}", i):
                raise fail("expected `,` or `}`", i)
        if records is None:
            raise TailorError(error("A102", f'{file.name} has no "{file.kind}" list', file.named_at, shape))
        return records, i + 1

    try:
        i = skip(0)
        if text.startswith("[", i):
            records, i = array(i)
        elif text.startswith("{", i):
            records, i = mapping(i)
        else:  # `42`, a string, or not JSON at all: say so without quoting it
            raise TailorError(error("A102", f"{file.name} is not a list of records",
                                    file.named_at, shape))
        if skip(i) != len(text):
            raise fail("text after the end of the records", skip(i))
    except json.JSONDecodeError as exc:
        raise fail(exc.msg, exc.pos) from None
    except RecursionError:
        raise TailorError(error("A102", f"{file.name}: JSON nested too deeply", file.named_at,
                                "a record is one level of keys and values")) from None
    return records


def _parquet_records(file: DataFile, data: bytes) -> tuple[list[tuple[Any, Span, str]], list[str]]:
    """The rows of a Parquet table and its column names. Its size is checked from the footer before
    any data is decompressed. A file pyarrow cannot read is A123: pyarrow raises many exception types
    for a corrupt file (ArrowInvalid, OSError, ...), so any failure inside it means exactly that."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def corrupt(exc: Exception) -> TailorError:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        return TailorError(error("A123", f"{file.name} is not a readable Parquet file "
                                 f"({_quote(reason, 100)[1:-1]})", file.named_at,
                                 "export the table again, or send it as CSV"))

    try:
        handle = pq.ParquetFile(pa.BufferReader(data))
        meta = handle.metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        names = [str(name) for name in handle.schema_arrow.names]
    except Exception as exc:  # see the docstring
        raise corrupt(exc) from None
    if meta.num_rows > MAX_TABLE_ROWS or len(names) > 100 or unpacked > 10 * MAX_TABLE_BYTES:
        raise TailorError(error("A102", f"{file.name} is too large: {meta.num_rows:,} rows, {len(names)} "
                                f"columns, {unpacked:,} bytes unpacked", file.named_at,
                                f"at most {MAX_TABLE_ROWS:,} rows; split the account"))
    try:
        records = handle.read().to_pylist()
    except Exception as exc:  # see the docstring
        raise corrupt(exc) from None
    return [(record, file.named_at, f"row {n}: ") for n, record in enumerate(records, start=1)], names


def read_table(file: DataFile, data: bytes, columns: dict[str, tuple[str, ...]]) -> Iterable[Row]:
    """CSV rows carry line and column; JSON records their own position; Parquet rows point at the
    key naming the file, with the row number in the message."""
    suffix = file.path.suffix.lower()
    if suffix == ".parquet":
        records, names = _parquet_records(file, data)
        return _record_rows(file, records, columns, names)
    text = _decode(data, file.name, file.named_at)
    if suffix == ".csv":
        return _csv_rows(file, text, columns)
    return _record_rows(file, _json_records(file, text), columns)


def _read_table_file(file: DataFile) -> bytes:
    if file.path.suffix.lower() not in (".csv", ".json", ".parquet"):
        raise TailorError(error("A102", f"unsupported file type {_quote(file.path.suffix or file.path.name)} "
                                f"for {file.name}", file.named_at, "use .csv, .json or .parquet"))
    return _read_bytes(file.real, file.name, MAX_TABLE_BYTES, file.named_at, follow=False)


# ---- values -----------------------------------------------------------------------------------------
def _bounds_text(low: Decimal | None, high: Decimal | None, positive: bool) -> str:
    top = f"{high:,.0f}" if high is not None else None
    if positive:
        return f"more than 0 and at most {top}" if top else "more than 0"
    if low is not None:
        return f"between {low:,.0f} and {top}" if top else f"at least {low:,.0f}"
    return f"at most {top} either way" if top else "finite"


def _problem(code: str, rest: str, hint: str, *, span: Span | Callable[[], Span] | None, label: str,
             name: str) -> Diagnostic:
    """A number's diagnostic, `{label}{name}{rest}`: "shares: '1e30' is out of bounds"."""
    return error(code, f"{label}{name}{rest}", span() if callable(span) else span, hint)


def check_number(text: str, name: str, span: Span | Callable[[], Span] | None, *, low: Decimal | None,
                 high: Decimal | None, positive: bool = False,
                 label: str = "") -> tuple[Decimal | None, Diagnostic | None]:
    """`text` as a finite Decimal in [low, high] (above 0 when `positive`; |value| ≤ high) with at most
    MAX_DECIMALS places. Not a number is A103; NaN, infinity, too large or too many places is A121
    (docs/solver.md states the bounds); below `low` is A103 (a negative basis or cash); shares not
    above 0 are A104. `$` and thousands separators are dropped, as advisors write money. `span` may be
    a function, called only for a problem."""
    problem = partial(_problem, span=span, label=label, name=name)
    cleaned = text.replace("$", "").replace(",", "").strip()
    if cleaned.lower().lstrip("+-") in (".inf", ".nan"):  # YAML's spellings of infinity and NaN
        cleaned = cleaned.replace(".", "")
    if len(cleaned) > 100:  # no bounded number needs more; a 40 MB one in JSON is not parsed at all
        return None, problem("A121", f": {_quote(text)} is too long for a number ({len(cleaned):,} "
                             "characters)", "write the number with at most 100 characters")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        what = "an empty value" if not cleaned else _quote(text)
        return None, problem("A103", f": {what} is not a number", "write a plain number such as 1234.56")
    bounds = partial(_bounds_text, low, high, positive)  # text for a problem only
    if not value.is_finite():
        return None, problem("A121", f": {_quote(text)} is not a finite number",
                             f"{name} must be a number {bounds()}")
    if high is not None and value.copy_abs() > high:  # abs() rounds, and overflows on 1e999999999999
        return None, problem("A121", f": {_quote(text)} is out of bounds",
                             f"{name} must be {bounds()}; check the units and the column")
    if positive and value <= 0:
        return None, problem("A104", f" must be positive, got {_quote(text)[1:-1]}",
                             "record sales by reducing the lot; short positions are not supported")
    if low is not None and value < low:
        return None, problem("A103", f" cannot be negative, got {_quote(text)[1:-1]}",
                             f"{name} must be {bounds()}")
    if value.is_zero():  # 0E-1000000 is zero, and `{:f}` would print its million zeros
        return Decimal(0), None
    _, digits, exponent = value.as_tuple()
    written = "".join(map(str, digits))
    places = -(int(exponent) + len(written) - len(written.rstrip("0")))
    if places > MAX_DECIMALS:  # 1e-999999 is finite and small, and `{:f}` prints a megabyte of it
        return None, problem("A121", f": {_quote(text)} has more than {MAX_DECIMALS} decimal places",
                             "round it: shares to 6 places, money to the cent")
    if int(exponent) > 0 and value.adjusted() < 20:  # 1e6 as 1000000 (exact: well within 28 digits)
        value = value.quantize(Decimal(1))
    return value, None


def _number(row: Row, name: str, problems: Problems, *, low: Decimal | None, high: Decimal | None,
            positive: bool = False) -> Decimal:
    # Past the cap of listed problems, skip the span: it would only be counted.
    span = None if problems.full else partial(row.span, name)
    value, problem = check_number(row.values[name], name, span, low=low, high=high, positive=positive,
                                  label=row.label)
    if problem is not None:
        problems.add(problem)
    return value if value is not None else Decimal(0)


def _date(row: Row, name: str, problems: Problems) -> date:
    """A date in a table: all of it, never a prefix (2015-03-021 is not 2015-03-02)."""
    text = row.values[name]
    found = TABLE_DATE.fullmatch(text)
    if found:
        day = parse_date(found.group(1))
        if day is not None:
            return day
    problems.add(error("A103", f"{row.label}{name}: {_quote(text) if text else 'an empty value'} is not a "
                       "date", row.span(name), "write dates as YYYY-MM-DD (a time of day may follow; a time "
                       "zone may not)"))
    return date.min


def _ticker(row: Row, problems: Problems) -> str:
    """The security master's spelling (BRK-B → BRK.B), so lots, transactions and targets match."""
    text = row.values["ticker"]
    if not text:
        problems.add(error("A103", f"{row.label}ticker is empty", row.span("ticker"),
                           "give the ticker symbol"))
    elif len(text) > MAX_TICKER or " " in text or not text.isprintable():
        problems.add(error("A103", f"{row.label}ticker {_quote(text)} is not a ticker symbol",
                           row.span("ticker"), "use the ticker as the security master lists it, e.g. BRK.B"))
    return normalise_ticker(text)


# ---- lots and transactions ----------------------------------------------------------------------------
def read_lots(file: DataFile, data: bytes) -> tuple[list[Lot], dict[str, Span]]:
    """The lots and where each is written (for the market checks' diagnostics)."""
    problems = Problems(file.name, "A126")
    lots, spans = [], {}
    for row in read_table(file, data, LOT_COLUMNS):
        lot_id = row.values["lot_id"]
        if lot_id in spans:
            problems.add(error("A105", f"{row.label}duplicate lot id {_quote(lot_id)}", row.span("lot_id"),
                               f"first defined at {spans[lot_id]}; give every lot its own id"))
            continue
        if not lot_id:
            problems.add(error("A103", f"{row.label}lot id is empty", row.span("lot_id"),
                               "give every lot its own id"))
        ticker, acquired = _ticker(row, problems), _date(row, "acquired", problems)
        shares = _number(row, "shares", problems, low=None, high=MAX_SHARES, positive=True)
        basis = _number(row, "basis_per_share", problems, low=Decimal(0), high=MAX_PRICE)
        if not problems:  # once the file is refused, its lots are only checked, not kept
            lots.append(Lot(lot_id=lot_id, ticker=ticker, acquired=acquired, shares=shares,
                            basis_per_share=basis))
        spans[lot_id] = row.where
    problems.check()
    return lots, spans


def read_transactions(file: DataFile, data: bytes, *, household: bool = False) -> list[Transaction]:
    """Recent buys and sales (with `household`: of the household's other accounts, each naming its
    account). A sale's realized gain is required (A124): it decides whether the sale
    was a loss, and so whether buying the name back now is a wash sale. tailor does not derive it:
    the lots a sale closed are no longer in the account, so their basis is unknown, and a guess of
    zero would turn wash-sale protection off for that name."""
    problems = Problems(file.name, "A126")
    trades = []
    rows = list(read_table(file, data, HOUSEHOLD_COLUMNS if household else TRANSACTION_COLUMNS))
    sales = [row for row in rows if row.values["action"].lower() == "sell"]
    if sales and not all("realized_gain" in row.values for row in rows):
        problems.add(error(
            "A124", f"{sales[0].label}{file.name} records {len(sales)} sale(s) but has no realized_gain "
            "column",
            sales[0].where, "add a realized_gain column with each sale's realized gain (negative for a loss: "
            "-850.00), from the custodian's realized gain/loss report; buys may leave it empty. Without it "
            "a loss sale looks like no loss, and buying the name back would be a wash sale"))
    for row in rows:
        action = row.values["action"].lower()
        if action not in ("buy", "sell"):
            problems.add(error("A110", f"{row.label}action must be buy or sell, got "
                               f"{_quote(row.values['action'])}", row.span("action"),
                               did_you_mean(action, ("buy", "sell"))))
            continue
        gain = Decimal(0)
        if action == "sell" and "realized_gain" in row.values and not row.values["realized_gain"]:
            problems.add(error(
                "A124", f"{row.label}this sale's realized_gain is empty", row.span("realized_gain"),
                "give the gain the sale realized (negative for a loss; 0 if none): an empty value would "
                "count a loss sale as no loss"))
        elif row.values.get("realized_gain"):
            gain = _number(row, "realized_gain", problems, low=-MAX_MONEY, high=MAX_MONEY)
        trades.append(Transaction(
            on=_date(row, "date", problems), ticker=_ticker(row, problems), action=action,
            shares=_number(row, "shares", problems, low=None, high=MAX_SHARES, positive=True),
            price=_number(row, "price", problems, low=Decimal(0), high=MAX_PRICE), realized_gain=gain,
            account=row.values["account"] if household else None, span=row.where))
    problems.check()
    return trades


def _check_household_trades(trades: tuple[Transaction, ...], account_id: str, household: str | None,
                            named_at: Span) -> None:
    """The household file holds the *other* accounts' trades of a household this account names."""
    if household is None:
        raise TailorError(error(
            "A130", "household_transactions are given, but the account names no household", named_at,
            "add `household: NAME` naming the household whose other accounts made these trades, or "
            "remove `household_transactions`"))
    problems = Problems(named_at.file, "A126")
    for trade in trades:
        if trade.account == account_id:
            problems.add(error(
                "A131", f"this row is a trade of {account_id} itself, not of another account of the "
                "household", trade.span or named_at,
                "move the account's own recent trades to its `transactions` file"))
    problems.check()


# ---- account.yaml -------------------------------------------------------------------------------------
EXAMPLES = {"lots": "lots.csv", "transactions": "transactions.csv", "type": "taxable", "cash": "15000.00",
            "household_transactions": "household_transactions.csv",
            "as_of": "2021-04-21", "target": "model.csv", "account": "smith-taxable", "household": "smith"}
# Bounds of the `tax:` numbers (rates are A109 outside [0, 1); carryforwards are positive amounts).
FRACTIONS = {"short_term_rate", "long_term_rate", "carryforward_value"}
TAX_BOUNDS = {"realized_short_term_ytd": -MAX_MONEY, "realized_long_term_ytd": -MAX_MONEY,
              "carryforward_short_term": Decimal(0), "carryforward_long_term": Decimal(0)}


def _keys(root: YMap, allowed: Iterable[str], problems: Problems, where: str) -> dict[str, YNode]:
    allowed = sorted(allowed)
    found = {}
    for key, value in root.items:
        if key.value in allowed:
            found[key.value] = value
        else:
            problems.add(error("A102", f"unknown key {_quote(key.value)}{where}: tailor does not read it",
                               key.span, did_you_mean(key.value, allowed)
                               or f"the keys tailor reads: {', '.join(allowed)}"))
    return found


def _scalar(name: str, node: YNode, problems: Problems) -> YScalar | None:
    if isinstance(node, YScalar):
        return node
    problems.add(error("A102", f"`{name}` takes a single value, not a list or mapping", node.span,
                       f"e.g. `{name}: {EXAMPLES.get(name, '…')}`"))
    return None


def _as_of(node: YScalar, problems: Problems) -> date | None:
    found = parse_date(node.value)
    if found is None:
        problems.add(error("A103", f"as_of: {_quote(node.value)} is not a date", node.span,
                           "write the date the lots and cash are as of as YYYY-MM-DD, e.g. "
                           "`as_of: 2021-04-21`"))
    return found


def _tax(node: YNode, problems: Problems) -> dict[str, Decimal]:
    if not isinstance(node, YMap):
        problems.add(error("A102", "`tax` is a mapping of rates and amounts", node.span,
                           "e.g. `tax:` and on the next line, indented, `short_term_rate: 0.37`"))
        return {}
    tax, spans = {}, {}
    for name, value in _keys(node, TAX_KEYS, problems, " under `tax`").items():
        scalar = _scalar(name, value, problems)
        if scalar is None:
            continue
        spans[name] = scalar.span
        if name in FRACTIONS:
            number, problem = check_number(scalar.value, name, scalar.span, low=None, high=None)
            if number is not None and not 0 <= number < 1:
                problem = error("A109", f"{name} must be a fraction between 0 and 1, got "
                                f"{_quote(scalar.value)[1:-1]}", scalar.span, "write 37% as 0.37")
        else:
            number, problem = check_number(scalar.value, name, scalar.span, low=TAX_BOUNDS[name],
                                           high=MAX_MONEY)
        if problem is not None:
            problems.add(problem)
        elif number is not None:
            tax[name] = number
    _check_rates(tax, spans, node.span, problems)
    return tax


def _check_rates(tax: dict[str, Decimal], spans: dict[str, Span], where: Span, problems: Problems) -> None:
    """Rates the optimiser's Schedule D netting can use (solver/account.py: tax_rate_problem), A128 at
    the line of the value at fault (the key left out takes its default)."""
    from solver.account import CARRYFORWARD_DISCOUNT, tax_rate_problem

    defaults = TaxProfile()
    short, long = (tax.get(name, getattr(defaults, name)) for name in ("short_term_rate", "long_term_rate"))
    problem = tax_rate_problem(short, long, tax.get("carryforward_value"))
    if problem is None:
        return
    at = "carryforward_value" if problem.startswith("carryforward_value") else "long_term_rate"
    problems.add(error("A128", problem, spans.get(at) or spans.get("short_term_rate") or where,
                       "check which rate is which: e.g. `short_term_rate: 0.37`, `long_term_rate: 0.20`"
                       if at == "long_term_rate" else
                       f"state a value below the short-term rate, or leave it out for the default "
                       f"({CARRYFORWARD_DISCOUNT} × the long-term rate)"))


def _target(file: Path, given: str, origin: str, span: Span | None) -> AccountTarget:
    """Read a target model file (ticker,weight CSV, as `target model "file.csv"` in a policy); its
    own problems point into the CSV, and one A115 says which target they belong to. Its tickers are
    normalised by the model-file reader (BRK-B → BRK.B), as a lots file's are."""
    from solver.data.etfs import SP500_ETFS
    from solver.data.index import MAX_MODEL_BYTES
    from solver.data.master import load_master
    from solver.data.model_file import read_model_file

    try:
        too_large = file.stat().st_size > MAX_MODEL_BYTES  # checked before the reader loads it whole
    except OSError:
        too_large = False  # the reader says what is wrong with it
    if too_large:
        raise TailorError(error("A115", f"{origin}: target model file `{given}` is larger than "
                                f"{MAX_MODEL_BYTES:,} bytes", span, "a model file lists ticker,weight rows"))
    try:
        weights = read_model_file(str(file), set(load_master().tickers) | set(SP500_ETFS), MAX_MODEL_BYTES)
    except TailorError as exc:
        raise TailorError([*exc.diagnostics, error(
            "A115", f"{origin}: target model file `{given}` cannot be used", span,
            "fix the problems reported in the file (a ticker,weight CSV whose weights sum to 1)")]) from None
    return AccountTarget(path=str(file.resolve()), given=given, origin=origin, span=span,
                         weights=tuple((str(t), float(w)) for t, w in weights.items()))


def _cli_target(given: str) -> AccountTarget:
    """--target: a path the operator typed, relative to the current directory (not confined)."""
    file = Path.cwd() / given
    if not file.is_file():
        nearby = [p.name for p in file.parent.iterdir() if p.is_file()] if file.parent.is_dir() else []
        raise TailorError(error(
            "A115", f"--target: target model file `{given}` not found (looked in {file.parent})", None,
            did_you_mean(file.name, nearby) or "give a ticker,weight CSV; the path is relative to the "
            "current directory"))
    return _target(file, given, "--target", None)


def _same_file(a: str, b: str) -> bool:
    """The same model: one file, or two copies with the same bytes (and so the same hash)."""
    return Path(a) == Path(b) or Path(a).read_bytes() == Path(b).read_bytes()


def resolve_as_of(account: Account, given: date | None, flag: str = "--as-of") -> date:
    """The date to rebalance `account` on: `given` (the command line's) or the account's own
    `as_of`. Never a default: a wrong date values every lot at the wrong prices, silently.
    Neither is A113; both, and different, is A114 (pointing at the account's `as_of`)."""
    if given is not None and account.as_of is not None and given != account.as_of:
        raise TailorError(error(
            "A114", f"{flag} {given} differs from the account's as_of {account.as_of}", account.as_of_span,
            f"give the date in one place: drop {flag} to use {account.as_of}, or change `as_of:` in "
            f"{account.source} if the lots and cash are as of {given}"))
    found = given or account.as_of
    if found is None:
        raise TailorError(error(
            "A113", f"no as-of date for account {account.account_id}: {account.source} states no "
            f"`as_of` and {flag} was not given", Span.point(account.source, 1, 1),
            f"add `as_of: YYYY-MM-DD` (the date the lots and cash are as of) to {account.source}, or pass "
            f"{flag} YYYY-MM-DD; {_data_range()}"))
    return found


def _data_range() -> str:
    from solver.data.prices import load_prices

    dates = load_prices().dates
    return f"price data covers {dates[0].date()} to {dates[-1].date()}"


def load_account(path: str | Path, *, target: str | Path | None = None) -> Account:
    """Load `account.yaml` (see docs/solver.md for the format) and the files it names.

    `target` is a target model file given on the command line (relative to the current directory);
    the account file's own `target:` may name the same file, but not a different one (A116)."""
    path = Path(path)
    raw = _read_bytes(path, str(path), MAX_ACCOUNT_YAML_BYTES, None)
    root = read_yaml(_decode(raw, str(path), None), str(path), ACCOUNT_YAML)
    if root is None:
        raise TailorError(error("A102", f"{path} is empty", Span.point(str(path), 1, 1),
                                "write e.g. `lots: lots.csv` and `cash: 15000.00`"))
    if not isinstance(root, YMap):
        raise TailorError(error("A102", "expected a mapping of keys to values", root.span,
                                "write one `key: value` per line, e.g. `lots: lots.csv`"))
    problems = Problems(str(path), "A126")
    keys = _keys(root, ACCOUNT_KEYS, problems, "")
    values = {name: node for name, node in keys.items() if name != "tax" and _scalar(name, node, problems)}
    scalars: dict[str, YScalar] = {name: node for name, node in values.items() if isinstance(node, YScalar)}
    tax = _tax(keys["tax"], problems) if "tax" in keys else {}
    account_type = scalars["type"].value if "type" in scalars else "taxable"
    if account_type not in ACCOUNT_TYPES:
        problems.add(error("A127", f"unknown account type {_quote(account_type)}", scalars["type"].span,
                           did_you_mean(account_type, ACCOUNT_TYPES) or "use taxable, ira or roth"))
    cash = Decimal(0)
    if "cash" in scalars:
        found, problem = check_number(scalars["cash"].value, "cash", scalars["cash"].span, low=Decimal(0),
                                      high=MAX_MONEY)
        if problem is not None:
            problems.add(problem)
        cash = found if found is not None else cash
    as_of = _as_of(scalars["as_of"], problems) if "as_of" in scalars else None
    if "lots" not in keys:
        problems.add(error("A102", "missing key 'lots'", root.span,
                           "add `lots: lots.csv` naming the tax-lot file"))
    problems.check()  # account.yaml's own problems, all at once, before any file it names is read
    lots_file = _locate(path, scalars["lots"], "lots", "A101")
    lots_bytes = _read_table_file(lots_file)
    lots, spans = read_lots(lots_file, lots_bytes)
    digest = hashlib.sha256(raw)
    digest.update(lots_bytes)
    trades = []
    if "transactions" in scalars:
        trades_file = _locate(path, scalars["transactions"], "transactions", "A101")
        trades_bytes = _read_table_file(trades_file)
        trades = read_transactions(trades_file, trades_bytes)
        digest.update(trades_bytes)
    household_trades = None
    if "household_transactions" in scalars:
        household_file = _locate(path, scalars["household_transactions"], "household_transactions", "A101")
        household_bytes = _read_table_file(household_file)
        household_trades = tuple(read_transactions(household_file, household_bytes, household=True))
        digest.update(household_bytes)
    own = None
    if "target" in scalars:
        node = scalars["target"]
        own = _target(_locate(path, node, "target", "A115").real, node.value, f"{path} `target`", node.span)
    chosen = own
    if target is not None:
        cli = _cli_target(str(target))
        if own is not None and not _same_file(own.path, cli.path):
            raise TailorError(error(
                "A116", f"--target {target} and the account's `target: {own.given}` name different "
                "target models", own.span,
                "give the target in one place: drop --target to use the account's, or remove or change "
                f"`target:` in {path}"))
        chosen = own or cli  # the same file: keep the account's, which knows where it is written
    if chosen is not None:  # the target is an input like the lots: a different model, a different hash
        digest.update(_read_text(Path(chosen.path)))

    def text(name: str) -> str | None:
        node = scalars.get(name)
        return node.value if node is not None and node.tag != "null" and node.value.strip() else None

    account_id = text("account") or path.parent.name
    if household_trades is not None:
        _check_household_trades(household_trades, account_id, text("household"),
                                scalars["household_transactions"].span)
    return Account(account_id=account_id, household_id=text("household"),
                   account_type=account_type, cash=cash, lots=tuple(lots), transactions=tuple(trades),
                   household_transactions=household_trades,
                   tax=TaxProfile(**tax), source=str(path), lot_spans=spans, input_hash=digest.hexdigest(),
                   as_of=as_of, as_of_span=scalars["as_of"].span if "as_of" in scalars else None,
                   target=chosen)
