"""Read an account from files: `account.yaml` pointing at a lots file (CSV, Parquet or JSON).

Every problem is reported as a diagnostic naming file, line and column (A1xx codes), and all
problems in a file are reported together. Lots files use the columns an advisor sends a manager;
common spellings of the headers are accepted (see `LOT_COLUMNS`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from policy_lang.diagnostics import Diagnostic, Span, TailorError, error
from policy_lang.suggest import did_you_mean
from solver.account import Account, TaxProfile, Transaction
from solver.lots import Lot

MAX_FILE_BYTES = 50_000_000
LOT_COLUMNS = {
    "lot_id": ("lot_id", "lot", "lot id", "id"),
    "ticker": ("ticker", "symbol"),
    "acquired": ("acquired", "date acquired", "acquisition date", "acquired_on", "trade date"),
    "shares": ("shares", "quantity", "number of shares"),
    "basis_per_share": ("basis_per_share", "cost basis per share", "cost per share", "unit cost"),
}
TRANSACTION_COLUMNS = {
    "on": ("date", "on", "trade date"),
    "ticker": ("ticker", "symbol"),
    "action": ("action", "side"),
    "shares": ("shares", "quantity"),
    "price": ("price",),
    "realized_gain": ("realized_gain", "gain", "realized gain"),
}
ACCOUNT_KEYS = {"account", "household", "type", "cash", "lots", "transactions", "tax"}
TAX_KEYS = set(TaxProfile.model_fields)


class Row:
    """One record of a table file with the span of each of its fields."""

    def __init__(self, values: dict[str, str], spans: dict[str, Span], where: Span):
        self.values, self.spans, self.where = values, spans, where


def _read_text(path: Path) -> bytes:
    if not path.is_file():
        raise TailorError(error("A101", f"file not found: {path}", hint="check the path"))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TailorError(error("A101", f"{path} is larger than {MAX_FILE_BYTES} bytes"))
    return path.read_bytes()


def _csv_rows(path: Path, data: bytes, columns: dict[str, tuple[str, ...]]) -> list[Row]:
    lines = data.decode("utf-8-sig").splitlines()
    if not lines:
        raise TailorError(error("A102", f"{path} is empty", Span.point(str(path), 1, 1)))
    header = next(csv.reader([lines[0]]))
    mapping = _map_header(path, header, columns)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = next(csv.reader([line]))
        starts, col = [], 1
        for raw in line.split(","):
            starts.append(col)
            col += len(raw) + 1
        values, spans = {}, {}
        for name, index in mapping.items():
            values[name] = fields[index].strip() if index < len(fields) else ""
            column = starts[index] if index < len(starts) else len(line) + 1
            spans[name] = Span.point(str(path), number, column, len(values[name]))
        rows.append(Row(values, spans, Span.point(str(path), number, 1, len(line))))
    return rows


def _map_header(path: Path, header: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    normalised = [h.strip().lower().replace("_", " ") for h in header]
    mapping, missing = {}, []
    for name, aliases in columns.items():
        found = [i for i, h in enumerate(normalised) if h in {a.replace("_", " ") for a in aliases}]
        if found:
            mapping[name] = found[0]
        elif name not in ("realized_gain",):
            missing.append(name)
    if missing:
        raise TailorError(error("A102", f"{path}: missing column(s) {', '.join(missing)}",
                                Span.point(str(path), 1, 1, len(",".join(header))),
                                f"expected columns: {', '.join(columns)} (found: {', '.join(header)})"))
    return mapping


def _record_rows(path: Path, records: list[dict[str, Any]], columns: dict[str, tuple[str, ...]]) -> list[Row]:
    header = list(records[0]) if records else list(columns)
    mapping = _map_header(path, header, columns)
    rows = []
    for number, record in enumerate(records, start=1):
        where = Span.point(str(path), number, 1)
        values = {name: str(record.get(header[i], "")).strip() for name, i in mapping.items()}
        rows.append(Row(values, dict.fromkeys(values, where), where))
    return rows


def read_table(path: Path, columns: dict[str, tuple[str, ...]]) -> list[Row]:
    """CSV rows carry line and column; JSON and Parquet records carry their record number as line."""
    data = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path, data, columns)
    if suffix == ".json":
        try:
            records = json.loads(data)
        except json.JSONDecodeError as exc:
            raise TailorError(error("A102", f"invalid JSON: {exc.msg}",
                                    Span.point(str(path), exc.lineno, exc.colno))) from None
        if isinstance(records, dict):
            records = records.get("lots", records.get("transactions", []))
        return _record_rows(path, records, columns)
    if suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(io.BytesIO(data))
        return _record_rows(path, frame.astype(str).to_dict("records"), columns)
    raise TailorError(error("A102", f"unsupported file type {suffix!r} for {path}",
                            hint="use .csv, .json or .parquet"))


def _decimal(row: Row, name: str, problems: list[Diagnostic], *, positive: bool = False) -> Decimal:
    text = row.values[name].replace("$", "").replace(",", "")
    try:
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        problems.append(error("A103", f"{name}: {row.values[name]!r} is not a number", row.spans[name]))
        return Decimal(0)
    if positive and value <= 0:
        code = "A104" if name == "shares" else "A103"
        problems.append(error(code, f"{name} must be positive, got {value}", row.spans[name],
                              "record sales by reducing the lot; short positions are not supported"))
    return value


def _date(row: Row, name: str, problems: list[Diagnostic]) -> date:
    try:
        return date.fromisoformat(row.values[name][:10])
    except ValueError:
        problems.append(error("A103", f"{name}: {row.values[name]!r} is not a date", row.spans[name],
                              "write dates as YYYY-MM-DD"))
        return date.min


def read_lots(path: Path) -> tuple[list[Lot], dict[str, Span]]:
    problems: list[Diagnostic] = []
    lots, spans = [], {}
    for row in read_table(path, LOT_COLUMNS):
        lot_id = row.values["lot_id"]
        if lot_id in spans:
            problems.append(error("A105", f"duplicate lot id {lot_id!r}", row.spans["lot_id"],
                                  f"first defined at {spans[lot_id]}; give every lot its own id"))
            continue
        ticker = row.values["ticker"].upper()
        if not ticker:
            problems.append(error("A103", "ticker is empty", row.spans["ticker"]))
        lot = Lot(lot_id=lot_id, ticker=ticker, acquired=_date(row, "acquired", problems),
                  shares=_decimal(row, "shares", problems, positive=True),
                  basis_per_share=_decimal(row, "basis_per_share", problems))
        if lot.basis_per_share < 0:
            problems.append(error("A103", "cost basis per share cannot be negative",
                                  row.spans["basis_per_share"]))
        spans[lot_id] = row.where
        lots.append(lot)
    if problems:
        raise TailorError(problems)
    return lots, spans


def read_transactions(path: Path) -> list[Transaction]:
    problems: list[Diagnostic] = []
    trades = []
    for row in read_table(path, TRANSACTION_COLUMNS):
        action = row.values["action"].lower()
        if action not in ("buy", "sell"):
            problems.append(error("A110", f"action must be buy or sell, got {action!r}", row.spans["action"]))
            continue
        gain = _decimal(row, "realized_gain", problems) if row.values.get("realized_gain") else Decimal(0)
        trades.append(Transaction(on=_date(row, "on", problems), ticker=row.values["ticker"].upper(),
                                  action=action, shares=_decimal(row, "shares", problems, positive=True),
                                  price=_decimal(row, "price", problems), realized_gain=gain))
    if problems:
        raise TailorError(problems)
    return trades


def _node_span(path: Path, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file=str(path), line=start.line + 1, column=start.column + 1, end_line=end.line + 1,
                end_column=end.column + 1 if end.line == start.line else start.column + 2)


def _mapping(path: Path, node: yaml.Node, allowed: set[str]) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise TailorError(error("A102", "expected a mapping of keys to values", _node_span(path, node)))
    out = {}
    for key, value in node.value:
        if key.value not in allowed:

            raise TailorError(error("A102", f"unknown key {key.value!r}", _node_span(path, key),
                                    did_you_mean(key.value, allowed)
                                    or f"allowed: {', '.join(sorted(allowed))}"))
        out[key.value] = value
    return out


def _yaml_decimal(path: Path, node: yaml.Node, name: str) -> Decimal:
    try:
        return Decimal(str(node.value).replace(",", "").replace("$", ""))
    except (InvalidOperation, AttributeError):
        raise TailorError(error("A103", f"{name}: {node.value!r} is not a number",
                                _node_span(path, node))) from None


EXAMPLES = {"lots": "lots.csv", "transactions": "transactions.csv", "type": "taxable", "cash": "15000.00"}


def load_account(path: str | Path) -> Account:
    """Load `account.yaml` (see docs/solver.md for the format) and the files it names."""
    path = Path(path)
    raw = _read_text(path)
    try:
        root = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        span = Span.point(str(path), mark.line + 1, mark.column + 1) if mark else None
        raise TailorError(error("A102", f"invalid YAML: {getattr(exc, 'problem', exc)}", span)) from None
    if root is None:
        raise TailorError(error("A102", f"{path} is empty", Span.point(str(path), 1, 1)))
    keys = _mapping(path, root, ACCOUNT_KEYS)
    for name, node in keys.items():
        if name != "tax" and not isinstance(node, yaml.ScalarNode):
            raise TailorError(error("A102", f"`{name}` takes a single value, not a list or mapping",
                                    _node_span(path, node), f"e.g. `{name}: {EXAMPLES.get(name, '…')}`"))
    if "lots" not in keys:
        raise TailorError(error("A102", "missing key 'lots'", _node_span(path, root),
                                "add `lots: lots.csv` naming the tax-lot file"))
    lots, spans = read_lots(path.parent / keys["lots"].value)
    trades = read_transactions(path.parent / keys["transactions"].value) if "transactions" in keys else []
    tax = {}
    for name, node in _mapping(path, keys["tax"], TAX_KEYS).items() if "tax" in keys else ():
        tax[name] = _yaml_decimal(path, node, name)
        if name.endswith("_rate") and not 0 <= tax[name] < 1:
            raise TailorError(error("A109", f"{name} must be a fraction between 0 and 1, got {tax[name]}",
                                    _node_span(path, node), "write 37% as 0.37"))
    account_type = keys["type"].value if "type" in keys else "taxable"
    if account_type not in ("taxable", "ira", "roth"):
        raise TailorError(error("A102", f"unknown account type {account_type!r}",
                                _node_span(path, keys["type"]),
                                "use taxable, ira or roth"))
    cash = _yaml_decimal(path, keys["cash"], "cash") if "cash" in keys else Decimal(0)
    if cash < 0:
        raise TailorError(error("A103", "cash cannot be negative", _node_span(path, keys["cash"])))
    digest = hashlib.sha256(raw)
    for name in ("lots", "transactions"):
        if name in keys:
            digest.update(_read_text(path.parent / keys[name].value))
    return Account(account_id=str(keys["account"].value) if "account" in keys else path.parent.name,
                   household_id=str(keys["household"].value) if "household" in keys else None,
                   account_type=account_type, cash=cash, lots=tuple(lots), transactions=tuple(trades),
                   tax=TaxProfile(**tax), source=str(path), lot_spans=spans, input_hash=digest.hexdigest())
