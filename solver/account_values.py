"""The values of an account's tables: bounded exact numbers, dates, tickers; the lots and the recent
transactions built from them, every problem located (A103, A104, A105, A121, A124)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial

from core.dates import parse_date
from core.diagnostics import Diagnostic, Span, TailorError, error
from core.limits import MAX_DECIMALS, MAX_MONEY, MAX_PRICE, MAX_SHARES, MAX_TICKER
from core.problems import Problems
from core.suggest import did_you_mean
from market.master import normalise_ticker
from solver.account import Transaction
from solver.account_data_files import DataFile, Row, quote
from solver.account_tables import read_table
from solver.lots import Lot

LOT_COLUMNS = {
    "lot_id": ("lot_id", "lot", "lot id", "id"),
    "ticker": ("ticker", "symbol"),
    "acquired": ("acquired", "date acquired", "acquisition date", "acquired_on", "trade date"),
    "shares": ("shares", "quantity", "number of shares"),
    "basis_per_share": ("basis_per_share", "cost basis per share", "cost per share", "unit cost"),
    # Optional: when a wash sale tacked the loss shares' holding period onto the lot (§1223(3)).
    "holding_period_start": ("holding_period_start", "holding period start", "adjusted acquired",
                             "adjusted acquisition date"),
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
# A date in a lots or transactions file: YYYY-MM-DD, optionally with a time of day as other systems
# export it (2021-04-05T00:00:00, 2021-04-05 14:30:00). A time zone is refused: it can move the day.
TABLE_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
                        r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?")


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
        return None, problem("A121", f": {quote(text)} is too long for a number ({len(cleaned):,} "
                             "characters)", "write the number with at most 100 characters")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        what = "an empty value" if not cleaned else quote(text)
        return None, problem("A103", f": {what} is not a number", "write a plain number such as 1234.56")
    bounds = partial(_bounds_text, low, high, positive)  # text for a problem only
    if not value.is_finite():
        return None, problem("A121", f": {quote(text)} is not a finite number",
                             f"{name} must be a number {bounds()}")
    if high is not None and value.copy_abs() > high:  # abs() rounds, and overflows on 1e999999999999
        return None, problem("A121", f": {quote(text)} is out of bounds",
                             f"{name} must be {bounds()}; check the units and the column")
    if positive and value <= 0:
        return None, problem("A104", f" must be positive, got {quote(text)[1:-1]}",
                             "record sales by reducing the lot; short positions are not supported")
    if low is not None and value < low:
        return None, problem("A103", f" cannot be negative, got {quote(text)[1:-1]}",
                             f"{name} must be {bounds()}")
    if value.is_zero():  # 0E-1000000 is zero, and `{:f}` would print its million zeros
        return Decimal(0), None
    _, digits, exponent = value.as_tuple()
    written = "".join(map(str, digits))
    places = -(int(exponent) + len(written) - len(written.rstrip("0")))
    if places > MAX_DECIMALS:  # 1e-999999 is finite and small, and `{:f}` prints a megabyte of it
        return None, problem("A121", f": {quote(text)} has more than {MAX_DECIMALS} decimal places",
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
    problems.add(error("A103", f"{row.label}{name}: {quote(text) if text else 'an empty value'} is not a "
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
        problems.add(error("A103", f"{row.label}ticker {quote(text)} is not a ticker symbol",
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
            problems.add(error("A105", f"{row.label}duplicate lot id {quote(lot_id)}", row.span("lot_id"),
                               f"first defined at {spans[lot_id]}; give every lot its own id"))
            continue
        if not lot_id:
            problems.add(error("A103", f"{row.label}lot id is empty", row.span("lot_id"),
                               "give every lot its own id"))
        ticker, acquired = _ticker(row, problems), _date(row, "acquired", problems)
        shares = _number(row, "shares", problems, low=None, high=MAX_SHARES, positive=True)
        basis = _number(row, "basis_per_share", problems, low=Decimal(0), high=MAX_PRICE)
        held_since = _holding_period_start(row, acquired, problems)
        if not problems:  # once the file is refused, its lots are only checked, not kept
            lots.append(Lot(lot_id=lot_id, ticker=ticker, acquired=acquired, shares=shares,
                            basis_per_share=basis, holding_period_start=held_since))
        spans[lot_id] = row.where
    problems.check()
    return lots, spans


def _holding_period_start(row: Row, acquired: date, problems: Problems) -> date | None:
    """An optional cell: empty (or no column) for a lot whose holding period starts when it was bought.
    A wash sale's tacked holding period starts with the loss shares' or the lot's own, whichever is
    earlier, so never after `acquired` (A134)."""
    if not row.values.get("holding_period_start"):
        return None
    day = _date(row, "holding_period_start", problems)
    if day > acquired:
        problems.add(error("A134", f"{row.label}holding_period_start {day} is after the lot was acquired "
                           f"({acquired})", row.span("holding_period_start"),
                           "give the day the tacked holding period starts (the wash sale's loss shares' "
                           "acquisition), or leave the cell empty for a lot without one"))
    return day


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
                               f"{quote(row.values['action'])}", row.span("action"),
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


def check_household_trades(trades: tuple[Transaction, ...], account_id: str, household: str | None,
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


