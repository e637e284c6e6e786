"""A market snapshot: the caller's closing prices on one date, index weights, and securities to add.

The bundled price history ends 2021-04-21 (docs/data.md), so an account rebalanced this week needs
today's market from the caller: a folder with `snapshot.yaml` naming `prices.csv` (ticker,close),
and optionally `target.csv` (ticker,weight: the index on that date, what `target sp500` tracks) and
`securities.csv` (ticker,name,sub_industry: securities the master lacks). The same values can be
given in Python (`make_snapshot`); both go through one validator (`_build`), so what a file may not
say, code may not either. The risk model stays the bundled history's (market/snapshot_risk.py).

Codes (docs/data.md): D110 the files and snapshot.yaml, D111 a table's columns, D112 a value (a
date, a price, a weight, a ticker, a name), D113 a security listed twice or already in the master,
D114 a name without a price; D102 an unknown ticker and D103 an unknown sub-industry, with "did you
mean", as everywhere else in the market data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path

import pandas as pd

from core.dates import parse_date
from core.diagnostics import Related, Span, error
from core.limits import MAX_DECIMALS, MAX_PRICE, MAX_STRING, MAX_TICKER
from core.paths import data_dir
from core.problems import Problems
from core.suggest import did_you_mean
from core.yaml_reader import YMap, YNode, YScalar, YSeq
from market.etfs import SP500_ETFS
from market.master import Security, SecurityMaster, load_gics, load_master, normalise_ticker
from market.model_file import SUM_TOLERANCE
from market.snapshot_files import (
    Cell,
    Row,
    locate,
    node_text,
    quote,
    read_snapshot_yaml,
    read_table,
    snapshot_file,
)

COLUMNS = {
    "prices": {"ticker": ("ticker", "symbol"), "close": ("close", "price", "close price", "last")},
    "target": {"ticker": ("ticker", "symbol"), "weight": ("weight",)},
    "securities": {"ticker": ("ticker", "symbol"), "name": ("name", "security", "security name"),
                   "sub_industry": ("sub_industry", "sub-industry", "gics sub-industry",
                                    "gics sub industry")},
}
KEYS = ("as_of", "prices", "target", "securities", "sources", "notes")
EXAMPLES = {"as_of": "as_of: 2026-11-20", "prices": "prices: prices.csv",
            "sources": 'sources: ["closes: <vendor> end-of-day file, 2026-11-20"]'}
# A close has at most 6 decimal places below $10 million: 13 significant digits, so the float the
# optimizer works with prints back as exactly the close written (Market.price), and every trade is
# priced at the caller's figure to the last digit.
PRICE_PLACES = 6
MAX_SOURCES = 50


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The market on `as_of` as the caller states it. Dicts are sorted by ticker and never mutated."""

    as_of: date
    prices: dict[str, Decimal]  # ticker → close on as_of
    target: dict[str, Decimal] | None  # ticker → index weight on as_of (sums to 1), if given
    additions: tuple[Security, ...]  # securities the shipped master lacks
    sources: tuple[str, ...]  # where the figures come from (recorded, for the audit trail)
    notes: str = ""
    origin: str = "<memory>"  # snapshot.yaml's path as given, or <memory> for `make_snapshot`
    digest: str = ""  # sha256 of snapshot.yaml and the files it names (or of the values given)
    as_of_span: Span | None = None
    prices_span: Span | None = None  # `prices:` in snapshot.yaml: where a missing close is to be added

    @cached_property
    def master(self) -> SecurityMaster:
        """The shipped security master with this snapshot's additions (compile policies against it)."""
        return load_master().with_additions(self.additions) if self.additions else load_master()

    def price_series(self) -> pd.Series:
        return pd.Series({t: float(p) for t, p in self.prices.items()}, dtype=float, name=self.as_of)

    def benchmarks(self) -> dict[str, pd.Series]:
        """`target sp500` tracks the snapshot's index weights, `sp500_equal` the same names equally
        weighted; without a `target` file there are none (Market.target says so, D116)."""
        if self.target is None:
            return {}
        weights = pd.Series({t: float(w) for t, w in self.target.items() if w > 0}, dtype=float)
        weights.index.name = "ticker"
        return {"sp500": (weights / weights.sum()).rename("weight"),
                "sp500_equal": pd.Series(1.0 / len(weights), index=weights.index, name="weight")}


# ---- from files --------------------------------------------------------------------------------------
def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot folder (or its snapshot.yaml). Every problem is reported at once, located."""
    file = snapshot_file(path)
    root, raw = read_snapshot_yaml(file)
    problems = Problems("the snapshot", "D110")
    keys: dict[str, YNode] = {}
    for key, value in root.items:
        if key.value in KEYS:
            keys[key.value] = value
        else:
            problems.add(error("D110", f"unknown key {quote(key.value)} in {file}: tailor does not read it",
                               key.span, did_you_mean(key.value, KEYS)
                               or f"the keys tailor reads: {', '.join(KEYS)}"))
    for key in ("as_of", "prices", "sources"):
        if key not in keys:
            problems.add(error("D110", f"{file}: missing key `{key}`", Span.point(str(file), 1, 1),
                               f"add e.g. `{EXAMPLES[key]}`"))
    as_of = _as_of(keys["as_of"], problems) if "as_of" in keys else None
    sources = _sources(keys["sources"], problems) if "sources" in keys else ()
    notes = _text(keys["notes"], "notes", problems) if "notes" in keys else ""
    named = {key: text for key in COLUMNS if key in keys and (text := node_text(keys[key], key, problems))}
    problems.check()
    assert as_of is not None  # a missing or bad as_of was reported above
    tables = {key: read_table(locate(file, text, key, keys[key].span), keys[key].span, key, COLUMNS[key])
              for key, text in named.items()}
    digest = hashlib.sha256(raw)
    for key, table in tables.items():  # a key per file: the same bytes under another key hash apart
        digest.update(f"\0{key}\0".encode())
        digest.update(table.data)
    return _build(as_of, {key: table.rows for key, table in tables.items()},
                  {key: table.header for key, table in tables.items()}, sources, notes, origin=str(file),
                  digest=digest.hexdigest(), as_of_span=keys["as_of"].span, prices_span=keys["prices"].span)


def _as_of(node: YNode, problems: Problems) -> date | None:
    text = node.value.strip() if isinstance(node, YScalar) else ""
    found = parse_date(text)
    if found is None:
        problems.add(error("D112", f"as_of: {quote(text) if text else 'an empty value'} is not a date",
                           node.span, "write the date of the closes as YYYY-MM-DD, e.g. `as_of: 2026-11-20`"))
    return found


def _text(node: YNode, key: str, problems: Problems) -> str:
    text = node_text(node, key, problems) or ""
    if len(text) > MAX_STRING:
        problems.add(error("D112", f"`{key}` is longer than {MAX_STRING:,} characters", node.span,
                           "keep it to a few lines; longer documentation belongs in a file beside it"))
    return text.strip()


def _sources(node: YNode, problems: Problems) -> tuple[str, ...]:
    """One line of text, or a list of them, each saying where some of the figures come from."""
    items = node.items if isinstance(node, YSeq) else (node,)
    texts = [item.value.strip() for item in items if isinstance(item, YScalar) and item.tag != "null"]
    if isinstance(node, YMap) or not 0 < len(texts) == len(items) <= MAX_SOURCES or not all(texts) \
            or any(len(text) > MAX_STRING for text in texts):
        problems.add(error("D110", f"`sources` is a line of text, or a list of 1 to {MAX_SOURCES} of them, "
                           "none empty", node.span, f"e.g. `{EXAMPLES['sources']}`"))
        return ()
    return tuple(texts)


# ---- from Python -------------------------------------------------------------------------------------
def make_snapshot(as_of: date | str, prices: Mapping[str, Decimal | str | float], *,
                  target: Mapping[str, Decimal | str | float] | None = None,
                  securities: Iterable[tuple[str, str, str]] = (), sources: Iterable[str] = (),
                  notes: str = "") -> Snapshot:
    """A snapshot from values (an API caller's own feed), checked exactly as the files are. Floats are
    taken at their shortest repr (254.49, not 254.490000000000009…). `securities` are (ticker, name,
    sub_industry); `sources` is required as in snapshot.yaml."""
    problems = Problems("the snapshot", "D110")
    day = as_of if isinstance(as_of, date) else parse_date(str(as_of))
    if day is None:
        problems.add(error("D112", f"as_of: {quote(str(as_of))} is not a date", None,
                           "give a date or YYYY-MM-DD"))
    found_sources = tuple(str(s).strip() for s in sources)
    if not found_sources or not all(found_sources):
        problems.add(error("D110", "a snapshot states its sources", None,
                           "pass sources=[\"closes: <vendor> end-of-day file\", …]"))
    problems.check()
    assert day is not None

    def rows(kind: str, values: Iterable[tuple[str, ...]]) -> list[Row]:
        names = list(COLUMNS[kind])
        return [Row({n: Cell(_value_text(v), None) for n, v in zip(names, record, strict=True)}, None,
                    label=f"{kind}[{record[0]}]: ") for record in values]

    tables = {"prices": rows("prices", prices.items()), "securities": rows("securities", securities)}
    if target is not None:
        tables["target"] = rows("target", target.items())
    digest = hashlib.sha256(day.isoformat().encode())
    for kind, table in tables.items():  # sorted: the same values in another order are the same snapshot
        for line in sorted(",".join(c.text for c in row.cells.values()) for row in table):
            digest.update(f"\0{kind}\0{line}".encode())
    return _build(day, tables, {}, found_sources, notes.strip(), origin="<memory>", digest=digest.hexdigest())


def _value_text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


# ---- the one validator ------------------------------------------------------------------------------
def _build(as_of: date, tables: dict[str, list[Row]], headers: dict[str, Span | None],
           sources: tuple[str, ...], notes: str, *, origin: str, digest: str, as_of_span: Span | None = None,
           prices_span: Span | None = None) -> Snapshot:
    problems = Problems("the snapshot", "D110")
    master = load_master()
    additions, added_at = _additions(tables.get("securities", []), master, problems)
    known = set(master.tickers) | set(added_at) | set(SP500_ETFS)
    prices: dict[str, Decimal] = {}
    listed: set[str] = set()  # tickers with a line in the prices, valid or not: no second complaint
    for row, ticker in _unique(tables["prices"], problems):
        listed.add(ticker)
        if ticker not in known and problems.full:
            problems.more += 1
        elif ticker not in known:
            problems.add(error("D102", f"{row.label}unknown ticker {quote(row.text('ticker'))}",
                               row.span("ticker"), _unknown_hint(ticker, known)
                               + " A security the master lacks goes in securities.csv "
                               "(ticker,name,sub_industry) with its GICS sub-industry"))
        close = _number(row, "close", problems, places=PRICE_PLACES, what="close")
        if close is not None and ticker in known:
            prices[ticker] = close
    if not tables["prices"]:
        problems.add(error("D112", "the snapshot prices no security", headers.get("prices") or prices_span,
                           "list each security's close: one `ticker,close` line each"))
    for ticker, span in added_at.items():
        if ticker not in listed:
            problems.add(error("D114", f"{ticker} is added to the security master but has no price", span,
                               "add its close to the prices, or remove the addition"))
    target = _target(tables["target"], headers.get("target"), known, listed, problems) \
        if "target" in tables else None
    problems.check()
    return Snapshot(as_of=as_of, prices=dict(sorted(prices.items())), target=target, additions=additions,
                    sources=sources, notes=notes, origin=origin, digest=digest, as_of_span=as_of_span,
                    prices_span=prices_span)


def _unknown_hint(ticker: str, known: set[str]) -> str:
    return did_you_mean(ticker, known) or "No such ticker is in the security master."


def _unique(rows: list[Row], problems: Problems) -> Iterable[tuple[Row, str]]:
    """Rows with a usable ticker, each ticker once (BRK-B and BRK.B are one security: D113)."""
    first: dict[str, Row] = {}
    for row in rows:
        text = row.text("ticker")
        if not text or len(text) > MAX_TICKER or " " in text or not text.isprintable():
            what = "ticker is empty" if not text else f"{quote(text)} is not a ticker symbol"
            problems.add(error("D112", f"{row.label}{what}", row.span("ticker"),
                               "write the ticker as the security master lists it, e.g. BRK.B"))
            continue
        ticker = normalise_ticker(text)
        if ticker in first:
            earlier = first[ticker]
            where = f" on line {earlier.where.line}" if earlier.where else ""
            problems.add(error(
                "D113", f"{row.label}{ticker} is listed twice (as {quote(earlier.text('ticker'))}{where} and "
                f"{quote(text)})", row.span("ticker"), "keep one line per security (BRK-B and BRK.B are one)",
                (Related(message="first listed here", span=earlier.span("ticker")),)
                if earlier.span("ticker") is not None else ()))
            continue
        first[ticker] = row
        yield row, ticker


def _number(row: Row, name: str, problems: Problems, *, places: int, what: str,
            percent: bool = False) -> Decimal | None:
    """A finite decimal above 0 (a close) or in [0, 1] (a weight; `5%` allowed), with at most `places`
    decimal places; NaN, infinity, 0 or a negative close are D112 at the cell."""
    raw = row.text(name)
    text = raw.replace("$", "").replace(",", "").strip() if not percent else raw.strip()
    scale = Decimal(1)
    if percent and text.endswith("%"):
        text, scale = text[:-1].strip(), Decimal("0.01")
    span, label = row.span(name), row.label

    def bad(message: str, hint: str) -> None:
        problems.add(error("D112", f"{label}{what} {message}", span, hint))

    bounds = "a fraction between 0 and 1 (or a percentage: 5%)" if percent else \
        f"a price above 0 and at most {MAX_PRICE:,.0f}"
    value = None
    if not raw:
        bad("is empty", f"write {bounds}")
    elif len(text) > 40:
        bad(f"{quote(raw)} is too long for a number", f"write {bounds}")
    else:
        try:
            value = Decimal(text) * scale
        except InvalidOperation:
            bad(f"{quote(raw)} is not a number", f"write {bounds}")
    if value is None:
        return None
    if not value.is_finite():
        bad(f"{quote(raw)} is not a finite number", f"write {bounds}")
    elif (value < 0 if percent else value <= 0) or value > (1 if percent else MAX_PRICE):
        bad(f"{quote(raw)} is out of range: it must be {bounds}",
            "weights are fractions of the index" if percent
            else "a close is the security's last traded price; remove the line of a security without one")
    elif value != value.quantize(Decimal(1).scaleb(-places)):
        bad(f"{quote(raw)} has more than {places} decimal places", "round it")
    else:
        return value
    return None


def _additions(rows: list[Row], master: SecurityMaster,
               problems: Problems) -> tuple[tuple[Security, ...], dict[str, Span | None]]:
    """Securities the master lacks, each in a GICS sub-industry; and where each is listed (a refused
    one too: its price is then not also called an unknown ticker)."""
    gics = load_gics(data_dir())
    added, at = [], {}
    for row, ticker in _unique(rows, problems):
        if ticker in master:
            held = master.resolve(ticker)
            problems.add(error("D113", f"{row.label}{ticker} is already in the security master ({held.name}, "
                               f"{held.sub_industry})", row.span("ticker"),
                               "remove the line: securities.csv adds securities the master lacks"))
            continue
        at[ticker] = row.span("ticker")
        name, sub = row.text("name"), row.text("sub_industry")
        if not name or len(name) > 200 or not name.isprintable():
            what = "empty" if not name else "not a name"
            problems.add(error("D112", f"{row.label}name of {ticker} is {what}", row.span("name"),
                               "give the security's name, e.g. Palantir Technologies"))
        level = gics.get(sub)
        if level is None:
            problems.add(error("D103", f"{row.label}unknown sub-industry {quote(sub) if sub else '(empty)'} "
                               f"for {ticker}", row.span("sub_industry"),
                               (did_you_mean(sub, gics) or "No GICS sub-industry is spelled like it.")
                               + " Sub-industries are named as in data/reference/gics_hierarchy.csv (GICS, "
                               "March 2023)"))
            continue
        added.append(Security(ticker=ticker, name=name, sector=level.sector, industry=level.industry,
                              industry_group=level.industry_group, sub_industry=sub, gics_code=level.code,
                              source="snapshot"))
    return tuple(sorted(added, key=lambda s: s.ticker)), at


def _target(rows: list[Row], header: Span | None, known: set[str], listed: set[str],
            problems: Problems) -> dict[str, Decimal]:
    weights: dict[str, Decimal] = {}
    for row, ticker in _unique(rows, problems):
        if ticker not in known and problems.full:
            problems.more += 1
        elif ticker not in known:
            problems.add(error("D102", f"{row.label}unknown ticker {quote(row.text('ticker'))}",
                               row.span("ticker"), _unknown_hint(ticker, known)))
        elif ticker not in listed:
            problems.add(error("D114", f"{row.label}{ticker} has a target weight but no price in the "
                               "snapshot", row.span("ticker"), f"add `{ticker},<close>` to the prices: a "
                               "name without a price can be neither valued nor bought"))
        weight = _number(row, "weight", problems, places=MAX_DECIMALS, what="weight", percent=True)
        if weight is not None:
            weights[ticker] = weight
    total = sum(weights.values(), Decimal(0))
    if not problems.found and (not weights or abs(total - 1) > SUM_TOLERANCE):
        problems.add(error("D112", f"the target weights sum to {total:f}, not 1 (100%)", header,
                           "give the index weights on the as-of date; they add up to 1, or to 100%"))
    return dict(sorted(weights.items()))
