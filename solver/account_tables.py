"""An account's tables (lots, transactions) in CSV, JSON or Parquet, read into rows of text with their
positions: headers mapped to the columns tailor reads (common spellings accepted, an unknown column
refused), sizes bounded; the values are checked by solver/account_values.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from core.diagnostics import Related, Span, TailorError, error
from core.limits import MAX_TABLE_BYTES, MAX_TABLE_LINE, MAX_TABLE_ROWS
from core.problems import Problems
from core.suggest import closest, did_you_mean
from market.csv_lines import split_csv
from solver.account_data_files import DataFile, Row, TextLines, decode, quote, read_bytes, span_in

# realized_gain: needed only for sales (read_transactions decides, A124); holding_period_start: only for
# lots whose holding period a wash sale extended.
OPTIONAL_COLUMNS = {"realized_gain", "holding_period_start"}


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
                "A102", f"unknown column {quote(name.strip())} in {file.name}: tailor does not read it",
                span, (_suggest_column(name, columns) or f"the columns tailor reads: {expected}.")
                + " Rename the column, or remove it: a column tailor does not read could hold data you "
                "expect to count"))
        elif canonical in mapping:
            first_name, first_span = header[mapping[canonical]]
            problems.add(error(
                "A120", f"two columns give the {canonical}: {quote(first_name.strip())} and "
                f"{quote(name.strip())}", span, "keep one of them",
                (Related(message=f"{quote(first_name.strip())} is here", span=first_span),)
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
                problems.add(error("A102", f"{label}`{quote(key)[1:-1]}` is not a single value (a list, a "
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
    lines = TextLines(text)
    blank = re.compile(r"[ \t\r\n]*")
    shape = f'a {file.kind} file in JSON is a list of records ([{{...}}, ...]) or {{"{file.kind}": [...]}}'

    def skip(i: int) -> int:
        return blank.match(text, i).end()  # type: ignore[union-attr]

    def fail(message: str, offset: int) -> TailorError:
        span, where = span_in(file, lines, *lines.position(offset))
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
            span, where = span_in(file, lines, *lines.position(i))
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
                span, where = span_in(file, lines, *lines.position(at), len(key) + 2)
                raise TailorError(error(
                    "A102", f"{where}{'unknown' if key != file.kind else 'second'} key {quote(key)} in "
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
                                 f"({quote(reason, 100)[1:-1]})", file.named_at,
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
    text = decode(data, file.name, file.named_at)
    if suffix == ".csv":
        return _csv_rows(file, text, columns)
    return _record_rows(file, _json_records(file, text), columns)


def read_table_file(file: DataFile) -> bytes:
    if file.path.suffix.lower() not in (".csv", ".json", ".parquet"):
        raise TailorError(error("A102", f"unsupported file type {quote(file.path.suffix or file.path.name)} "
                                f"for {file.name}", file.named_at, "use .csv, .json or .parquet"))
    return read_bytes(file.real, file.name, MAX_TABLE_BYTES, file.named_at, follow=False)


