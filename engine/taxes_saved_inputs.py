"""The steps a taxes-saved report reads: from a simulation's output folder, or from a recorded period.

* **simulated**: the spec and the folder `tailor simulate` wrote from it. The spec is prepared again
  (`engine.inputs.prepare`: the starting account, the policy, the rates) and must be the one the
  folder's `simulation.json` was written by (its digest covers the spec, the policy, the account and
  the data), so the report never mixes a run with another spec's account.
* **recorded**: an account file (the starting lots, as of the first date; its tax rates), a policy
  (its `target`), and a folder with `periods.csv` (`date, value, cash`: one row per period, the
  account's value and cash after that day's trades) and `trades.csv` (`date, action, ticker, lot_id,
  shares, price`, optionally `cost` and `disallowed_loss`: every trade; a sale names the lot it sold
  from, a buy the id of the lot it opens; a sale's loss that a wash sale disallowed is not realized),
  and, when wash sales moved losses into replacement lots, `basis_adjustments.csv` (`date, lot_id,
  matched_lot_id, shares, loss_added, holding_period_start`: `shares` of lot `lot_id` become lot
  `matched_lot_id` — the same lot when all of it matched — with `loss_added` added to their basis and
  their holding period starting on `holding_period_start`; an empty `matched_lot_id` carries
  nothing). The engine's own `periods.csv`, `trades.csv` and `basis_adjustments.csv` have these
  columns, so a simulation's folder is also a valid record. Dates must be trading days of the shipped history
  (1999-11-01 … 2021-04-21), which prices the holdings and gives the target.

Both are replayed the same way: from the starting lots, each period applies the corporate actions
since the previous one exactly as a simulation does (`engine.actions.apply_actions`: splits,
distributions), then that day's trades — a sale reduces the lot it names, a buy opens a lot acquired
that day with basis = amount + cost — then its basis adjustments (`engine.ledger.carry`, as the
simulation made them). The lots before the trades, the day's closes and the target
weights are the step's inputs. A buy's basis comes from the trade log's amounts in cents, so it can
differ from the engine's exact basis by less than a cent per lot.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path

from compiler.check import compile_policy
from compiler.ir import CompiledPolicy
from compiler.rules import RULE_KINDS
from core.dates import parse_date
from core.diagnostics import Span, TailorError, error
from core.suggest import did_you_mean
from engine.actions import apply_actions
from engine.inputs import Context, prepare
from engine.ledger import Ledger, carry
from engine.market_day import Days, risk_days
from engine.screens import decimal_prices
from engine.spec_yaml import load_spec
from engine.taxes_saved import DIGITS, ZERO, Rates, Sale, StepInput, sale_of
from market.master import load_master
from market.prices import PriceHistory, load_prices
from solver.account import Account
from solver.account_files import load_account
from solver.lots import Lot

PERIOD_COLUMNS = ("date", "value", "cash")
TRADE_COLUMNS = ("date", "action", "ticker", "lot_id", "shares", "price")
ADJUSTMENT_COLUMNS = ("date", "lot_id", "matched_lot_id", "shares", "loss_added", "holding_period_start")


@dataclass(frozen=True)
class Period:
    """One account's steps, ready for `engine.taxes_saved.account_report`."""

    name: str
    rates: Rates
    steps: tuple[StepInput, ...]


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]
    values: dict[str, str]


class Table:
    """A CSV file's rows with their line numbers, for located errors."""

    def __init__(self, path: Path, required: tuple[str, ...]):
        self.path = path
        if not path.is_file():
            nearby = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
            raise TailorError(
                error(
                    "M161",
                    f"{path} not found",
                    None,
                    did_you_mean(path.name, nearby) or f"give a CSV with columns {', '.join(required)}",
                )
            )
        with path.open(newline="", encoding="utf-8") as stream:
            reader = csv.reader(stream)
            header = next(reader, [])
            missing = [c for c in required if c not in header]
            if missing:
                hints = [did_you_mean(c, header) for c in missing]
                raise TailorError(
                    [
                        error(
                            "M161",
                            f"{path}: no column `{c}`",
                            Span.point(str(path), 1, 1),
                            hint or f"the header needs {', '.join(required)}",
                        )
                        for c, hint in zip(missing, hints, strict=True)
                    ]
                )
            self.columns = header
            self.rows = [Row(n, cells, dict(zip(header, cells, strict=False)))
                         for n, cells in enumerate(reader, start=2) if any(cells)]
        for row in self.rows:
            if len(row.cells) != len(header):  # a thousands separator or a stray comma shifts every cell
                raise TailorError(error("M161", f"{path}: line {row.line} has {len(row.cells)} cells for "
                                        f"{len(header)} columns ({', '.join(header)})",
                                        Span.point(str(path), row.line, 1),
                                        "write one value per column, numbers without thousands separators"))

    def fail(self, row: Row, column: str, message: str, hint: str) -> TailorError:
        col = sum(len(c) + 1 for c in row.cells[: self.columns.index(column)]) + 1  # where the cell starts
        return TailorError(error("M161", message, Span.point(str(self.path), row.line, col), hint))

    def decimal(self, row: Row, column: str, default: str | None = None) -> Decimal:
        text = row.values.get(column) or default or ""
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            raise self.fail(
                row, column, f"`{column}` is {text!r}, not a number", "write a plain decimal, e.g. 1250.50"
            )
        return value

    def day(self, row: Row, column: str = "date") -> date:
        text = row.values.get(column, "")
        try:
            return parse_date(text)
        except (ValueError, TypeError):
            raise self.fail(
                row, column, f"`{column}` is {text!r}, not a date", "write YYYY-MM-DD"
            ) from None


def _trades_by_day(trades: Table) -> dict[date, list[Row]]:
    found: dict[date, list[Row]] = defaultdict(list)
    for row in trades.rows:
        action = row.values.get("action", "")
        if action not in ("buy", "sell"):
            raise trades.fail(
                row,
                "action",
                f"action {action!r} is neither buy nor sell",
                did_you_mean(action, ("buy", "sell")) or "write buy or sell",
            )
        found[trades.day(row)].append(row)
    return found


def _apply_trades(
    lots: list[Lot], rows: list[Row], trades: Table, day: date
) -> tuple[list[Lot], tuple[Sale, ...]]:
    """The day's trades applied to the lots; the sales, gross of costs, at the trade's price."""
    held = {lot.lot_id: lot for lot in lots}
    sales: list[Sale] = []
    for row in rows:
        lot_id, ticker = row.values["lot_id"], row.values["ticker"]
        shares, price = trades.decimal(row, "shares"), trades.decimal(row, "price")
        if row.values["action"] == "buy":
            with localcontext() as exact:
                exact.prec = DIGITS
                basis = (shares * price + trades.decimal(row, "cost", "0")) / shares
            held[lot_id or f"REC-{day:%Y%m%d}-{ticker}"] = Lot(
                lot_id=lot_id or f"REC-{day:%Y%m%d}-{ticker}",
                ticker=ticker,
                acquired=day,
                shares=shares,
                basis_per_share=basis,
            )
            continue
        lot = held.get(lot_id)
        if lot is None or lot.shares < shares:
            have = "not held" if lot is None else f"holds {lot.shares} shares"
            raise trades.fail(
                row,
                "lot_id",
                f"sale of {shares} {ticker} from lot {lot_id!r} on {day}: the lot "
                f"is {have} after the trades and corporate actions before it",
                "check that the starting account and the trade log belong together",
            )
        sales.append(sale_of(lot, shares, price, day, trades.decimal(row, "disallowed_loss", "0")))
        if lot.shares == shares:
            del held[lot_id]
        else:
            held[lot_id] = lot.model_copy(update={"shares": lot.shares - shares})
    return list(held.values()), tuple(sales)


def _carry(lots: list[Lot], rows: list[Row], table: Table) -> list[Lot]:
    """The day's basis adjustments applied to the lots after its trades."""
    held = {lot.lot_id: lot for lot in lots}
    for row in rows:
        lot_id, matched = row.values["lot_id"], row.values["matched_lot_id"]
        if not matched:
            continue
        shares = table.decimal(row, "shares")
        lot = held.get(lot_id)
        if lot is None or not 0 < shares <= lot.shares:
            have = "not held" if lot is None else f"holds {lot.shares} shares"
            raise table.fail(row, "lot_id", f"basis adjustment of {shares} shares of lot {lot_id!r}: the "
                             f"lot is {have} after the day's trades",
                             "check that the trade log and the basis adjustments belong together")
        carry(held, lot_id, matched, shares, table.decimal(row, "loss_added"),
              table.day(row, "holding_period_start"))
    return list(held.values())


@dataclass(frozen=True)
class Replayed:
    """One period replayed: its row, the lots before and after the day's trades, and its sales."""

    day: date
    row: Row
    before: tuple[Lot, ...]
    sales: tuple[Sale, ...]
    after: tuple[Lot, ...]


def _dates(history: PriceHistory, periods: Table, trades: Table, by_day: dict[date, list[Row]]) -> list[date]:
    """The periods' dates, each a trading day of the history, every trade on one of them."""
    dates = [periods.day(row) for row in periods.rows]
    if not dates:
        raise TailorError(error("M161", f"{periods.path} has no periods", Span.point(str(periods.path), 1, 1),
                                "give one row per period: date, value, cash"))
    for row, day in zip(periods.rows, dates, strict=True):
        if not history.first <= day <= history.last or history.trading_day_on(day) != day:
            raise periods.fail(row, "date", f"{day} is not a trading day of the price history "
                               f"({history.first} … {history.last})", "give the periods' trading days")
    stray = sorted(set(by_day) - set(dates))
    if stray:
        raise trades.fail(by_day[stray[0]][0], "date", f"a trade on {stray[0]}, which is not a period of "
                          f"{periods.path}", "every trade's date must be a row of periods.csv")
    return dates


def _adjustments(folder: Path) -> tuple[Table | None, dict[date, list[Row]]]:
    """basis_adjustments.csv by day, when the folder has one (a period without wash sales needs none)."""
    if not (folder / "basis_adjustments.csv").is_file():
        return None, {}
    table = Table(folder / "basis_adjustments.csv", ADJUSTMENT_COLUMNS)
    found: dict[date, list[Row]] = defaultdict(list)
    for row in table.rows:
        found[table.day(row)].append(row)
    return table, found


def replay_lots(account: Account, history: PriceHistory, periods: Table, trades: Table) -> list[Replayed]:
    """Every period's lots and sales: the corporate actions since the last period, then its trades and
    its basis adjustments (from basis_adjustments.csv beside trades.csv)."""
    by_day = _trades_by_day(trades)
    dates = _dates(history, periods, trades, by_day)
    adjustments, adjusted = _adjustments(trades.path.parent)
    if adjustments is not None:
        _dates(history, periods, adjustments, adjusted)
    ledger = Ledger(day=None, year=dates[0].year, lots=account.lots, cash=ZERO)
    found = []
    for row, day in zip(periods.rows, dates, strict=True):
        if ledger.day is not None:
            ledger = apply_actions(ledger, history, ledger.day, day, account.is_taxable).ledger
        lots, sales = _apply_trades(list(ledger.lots), by_day.get(day, []), trades, day)
        if adjustments is not None:
            lots = _carry(lots, adjusted.get(day, []), adjustments)
        found.append(Replayed(day, row, ledger.lots, sales, tuple(lots)))
        ledger = ledger.model_copy(update={"lots": tuple(lots), "day": day})
    return found


def _shares(lots: tuple[Lot, ...]) -> dict[str, Decimal]:
    held: dict[str, Decimal] = defaultdict(Decimal)
    for lot in lots:
        held[lot.ticker] += lot.shares
    return dict(held)


def replay(name: str, account: Account, policy: CompiledPolicy, history: PriceHistory, days: Days,
           rates: Rates, periods: Table, trades: Table) -> Period:
    """The report's steps: each period's lots and sales with the day's closes and target weights."""
    target_rule = policy.one("target")
    replayed = replay_lots(account, history, periods, trades)
    risk_of = risk_days([r.day for r in replayed], "monthly", history)
    steps = []
    for r in replayed:
        market = days.market(r.day, risk_of[r.day])
        target = RULE_KINDS["target"].weights(target_rule, market, account)  # type: ignore[attr-defined]
        value, cash = periods.decimal(r.row, "value"), periods.decimal(r.row, "cash")
        steps.append(StepInput(
            day=r.day, lots=r.before, prices=decimal_prices(market, {lot.ticker for lot in r.before}),
            target={t: Decimal(repr(float(w))) for t, w in target.items() if w > 0},
            held_after=_shares(r.after), invested=value - cash, value=value,
            sales=r.sales))
    return Period(name=name, rates=rates, steps=tuple(steps))


def _simulation(spec_path: str | Path, folder: Path) -> Context:
    """The run's context, when `folder` holds a finished simulation written by this spec (else M160)."""
    summary = folder / "simulation.json"
    if not summary.is_file():
        raise TailorError(error("M160", f"{folder} holds no simulation.json", None,
                                "give the folder `tailor simulate SPEC --out DIR` wrote"))
    written = json.loads(summary.read_text())
    if written.get("status") == "running":
        raise TailorError(error("M160", f"the simulation in {folder} is still running (or was killed)", None,
                                "finish it with `tailor simulate SPEC --out DIR --resume`"))
    ctx = prepare(load_spec(spec_path))
    # The digest covers the spec's paths as written after resolving them against the spec's folder, so
    # it depends on whether `tailor simulate` was given the spec's path relative or absolute.
    inputs = (ctx.policy.policy_hash, ctx.account.input_hash, ctx.history.data_version)
    digests = {ctx.digest} | {load_spec(path).digest(*inputs)
                              for path in (os.path.abspath(spec_path), os.path.relpath(spec_path))}
    if written.get("spec_digest") not in digests:
        raise TailorError(error("M160", f"{folder} was not written by {spec_path} (the spec, its policy, its "
                                "account or the data differ)", None,
                                "give the spec the simulation ran, with the same policy and account files, "
                                "by the path given to `tailor simulate` (from the same folder, or absolute)"))
    return ctx


def from_simulation(spec_path: str | Path, folder: str | Path) -> Period:
    """A simulation's folder with the spec that wrote it."""
    folder = Path(folder)
    ctx = _simulation(spec_path, folder)
    return replay(str(folder), ctx.account, ctx.policy, ctx.history, ctx.days,
                  Rates(ctx.rates.short_term, ctx.rates.long_term),
                  Table(folder / "periods.csv", PERIOD_COLUMNS), Table(folder / "trades.csv", TRADE_COLUMNS))


def simulation_lots(spec_path: str | Path, folder: str | Path) -> tuple[Rates, list[Replayed]]:
    """A simulation's lots period by period, without the market of each day (engine.backtest)."""
    folder = Path(folder)
    ctx = _simulation(spec_path, folder)
    return (Rates(ctx.rates.short_term, ctx.rates.long_term),
            replay_lots(ctx.account, ctx.history, Table(folder / "periods.csv", PERIOD_COLUMNS),
                        Table(folder / "trades.csv", TRADE_COLUMNS)))


def from_record(account_path: str | Path, policy_path: str | Path, folder: str | Path) -> Period:
    """A recorded period (module docstring): the starting account, the policy, periods.csv, trades.csv."""
    folder = Path(folder)
    account = load_account(account_path)
    history = load_prices()
    rates = Rates(account.tax.short_term_rate, account.tax.long_term_rate) if account.is_taxable \
        else Rates(ZERO, ZERO)
    return replay(str(folder), account, compile_policy(str(policy_path)), history,
                  Days(history, frozenset(load_master().tickers)), rates,
                  Table(folder / "periods.csv", PERIOD_COLUMNS), Table(folder / "trades.csv", TRADE_COLUMNS))
