"""Reading a user model file (`ticker,weight` CSV) with diagnostics that point at file:line:col."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from core.diagnostics import Diagnostic, Span, TailorError, error
from core.suggest import did_you_mean
from market.master import normalise_ticker

SUM_TOLERANCE = Decimal("0.0001")


def _span(path: str, line: int, fields: list[str], index: int) -> Span:
    column = 1 + sum(len(f) + 1 for f in fields[:index])
    return Span.point(path, line, column, len(fields[index]) if index < len(fields) else 1)


def _parse_weight(text: str) -> Decimal | None:
    text = text.strip()
    scale = Decimal(1)
    if text.endswith("%"):
        text, scale = text[:-1].strip(), Decimal("0.01")
    try:
        value = Decimal(text) * scale
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def read_model_file(path: str, known: set[str], max_bytes: int) -> pd.Series:
    file = Path(path)
    if not file.is_file():
        raise TailorError(error("D105", f"model file {path} does not exist"))
    raw = file.read_bytes()
    if len(raw) > max_bytes:
        raise TailorError(error("D105", f"{path} is {len(raw):,} bytes; model files are limited to "
                                        f"{max_bytes:,}", span=Span.point(path, 1, 1)))
    text = raw.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    problems: list[Diagnostic] = []
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header != ["ticker", "weight"]:
        raise TailorError(error("D105", f"{path} must start with the header 'ticker,weight'",
                                span=Span.point(path, 1, 1, len(text.splitlines()[0]) if text else 1),
                                hint="write the first line as: ticker,weight"))
    weights: dict[str, Decimal] = {}
    first_line: dict[str, int] = {}
    for line, fields in enumerate(rows[1:], start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != 2:
            problems.append(error("D105", f"expected 2 fields (ticker, weight), found {len(fields)}",
                                  span=_span(path, line, fields, 0)))
            continue
        ticker = normalise_ticker(fields[0])
        weight = _parse_weight(fields[1])
        if ticker not in known:
            problems.append(error("D102", f"unknown ticker {fields[0].strip()!r}",
                                  span=_span(path, line, fields, 0),
                                  hint=did_you_mean(ticker, known)))
        elif ticker in weights:
            problems.append(error("D105", f"{ticker} is listed twice (first on line {first_line[ticker]})",
                                  span=_span(path, line, fields, 0), hint="merge the two rows into one"))
        if weight is None or weight < 0:
            problems.append(error("D105", f"weight {fields[1].strip()!r} is not a non-negative number",
                                  span=_span(path, line, fields, 1),
                                  hint="write a fraction such as 0.05 or a percentage such as 5%"))
        if ticker in known and ticker not in weights and weight is not None and weight >= 0:
            weights[ticker] = weight
            first_line[ticker] = line
    if not problems and not weights:
        problems.append(error("D105", f"{path} lists no holdings", span=Span.point(path, 1, 1)))
    total = sum(weights.values(), Decimal(0))
    if not problems and abs(total - 1) > SUM_TOLERANCE:
        problems.append(error("D105", f"weights sum to {total:f}, not 1 (100%)",
                              span=Span.point(path, 1, 1),
                              hint="adjust the weights so they add up to 1, or to 100%"))
    if problems:
        raise TailorError(problems)
    series = pd.Series({t: float(w) for t, w in weights.items()}, name="weight", dtype=float)
    series.index.name = "ticker"
    return series.sort_index()
