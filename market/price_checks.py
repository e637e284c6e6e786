"""Validation of the shipped price file and repair of its one-day split-adjustment glitches.

A glitch is a day whose adjusted-close return is large (beyond ±LARGE_MOVE in log terms) yet the
raw close does not confirm it: neither the raw price change nor the raw change plus a credible cash
dividend comes within CONFIRM of it. Real crashes and rallies move the raw close too, so they are
left alone; correctly adjusted splits give a small adjusted return, so they are never candidates.

The repaired return for the day is the raw price change when that is itself plausible (the recorded
split or dividend was spurious, e.g. ANTM 2002-03-18, GNRC 2010-02-12), otherwise the day's
cross-sectional median return (a spin-off or bogus distribution made the raw change meaningless,
e.g. MSI 2011-01-04, KSU 2000-07-13). If the next day's adjusted return reverses the jump, the glitch
is a one-day spike (TRMB 2007-02-23) and only that day's adjusted close is replaced; otherwise all
earlier adjusted closes are rescaled (the adjustment factor was booked on the wrong day).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from core.diagnostics import TailorError, error

LARGE_MOVE = float(np.log(1.35))
CONFIRM = float(np.log(1.10))
SPIKE_REVERSAL = 0.2
EXPECTED_SCHEMA = {"date": "timestamp", "ticker": "string", "close": "double", "adjusted_close": "double",
                   "dividend_amount": "double", "split_coefficient": "double"}


class Repair(BaseModel):
    """One change the loader made to the shipped adjusted closes, with the evidence."""

    model_config = ConfigDict(frozen=True)

    ticker: str
    date: date
    # "spike": one adjusted close replaced; "level_shift": all earlier adjusted closes rescaled;
    # "spurious_split": a booked split factor set to 1; "missing_split": an unbooked split added.
    kind: str
    shipped_return: float
    repaired_return: float
    reason: str

    def describe(self) -> str:
        if self.kind.endswith("split"):
            return f"{self.ticker} {self.date.isoformat()} {self.kind}: {self.reason}"
        return (f"{self.ticker} {self.date.isoformat()} {self.kind}: adjusted return "
                f"{self.shipped_return:+.1%} → {self.repaired_return:+.1%} ({self.reason})")


def validate_table(table: pa.Table, source: str) -> None:
    """Schema, positivity, duplicates and date order; every problem found becomes a D104 diagnostic."""
    problems: list[str] = []
    for name, kind in EXPECTED_SCHEMA.items():
        if name not in table.column_names:
            problems.append(f"missing column {name!r}")
        elif kind not in str(table.schema.field(name).type):
            problems.append(f"column {name!r} has type {table.schema.field(name).type}, expected {kind}")
    if problems:
        raise TailorError([error("D104", f"{source}: {p}") for p in problems])
    for name in EXPECTED_SCHEMA:
        if table.column(name).null_count:
            problems.append(f"column {name!r} has {table.column(name).null_count} empty values")
    columns = {name: table.column(name).to_numpy() for name in EXPECTED_SCHEMA if name != "ticker"}
    for name, low, strict in (("close", 0.0, True), ("adjusted_close", 0.0, True),
                              ("split_coefficient", 0.0, True), ("dividend_amount", 0.0, False)):
        values = columns[name]
        bad = ~np.isfinite(values) | ((values <= low) if strict else (values < low))
        if bad.any():
            relation = "≤" if strict else "<"
            problems.append(f"{int(bad.sum())} rows with {name} {relation} {low:g} or not finite")
    tickers = table.column("ticker").to_numpy(zero_copy_only=False)
    days = columns["date"].astype("datetime64[D]").astype(np.int64)
    same_ticker = tickers[1:] == tickers[:-1]
    step = np.diff(days)
    if (same_ticker & (step == 0)).any():
        problems.append(f"{int((same_ticker & (step == 0)).sum())} duplicate (ticker, date) rows")
    if (same_ticker & (step < 0)).any():
        problems.append("dates are not increasing within a ticker")
    block_starts = np.concatenate([tickers[:1], tickers[1:][~same_ticker]])
    if len(set(block_starts)) != len(block_starts):
        problems.append("rows of one ticker are not contiguous")
    if problems:
        raise TailorError([error("D104", f"{source}: {p}",
                                 hint="restore the shipped file from git, or fix the rows named")
                           for p in problems])


def find_and_repair_glitches(dates: np.ndarray, tickers: list[str], close: np.ndarray, adjusted: np.ndarray,
                             dividends: np.ndarray, splits: np.ndarray) -> tuple[np.ndarray, list[Repair]]:
    """Return a repaired copy of `adjusted` (dates × tickers) and the repairs made, in date order."""
    adjusted = adjusted.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        log_adjusted = np.log(adjusted[1:] / adjusted[:-1])
        log_raw = np.log(close[1:] / close[:-1])
        credible_dividend = np.where(dividends[1:] < 0.5 * close[:-1], dividends[1:], np.nan)
        log_raw_with_dividend = np.log((close[1:] + credible_dividend) / close[:-1])
    market = np.nanmedian(log_adjusted, axis=1)
    unconfirmed = (np.abs(log_adjusted) > LARGE_MOVE) & ~(np.abs(log_adjusted - log_raw) <= CONFIRM) \
        & ~(np.abs(log_adjusted - log_raw_with_dividend) <= CONFIRM)
    repairs: list[Repair] = []
    for row, col in sorted(zip(*np.nonzero(unconfirmed), strict=True)):
        day = row + 1  # log_* row r is the return from day r to day r + 1
        shipped = float(np.log(adjusted[day, col] / adjusted[day - 1, col]))
        if abs(shipped) <= LARGE_MOVE:  # an earlier spike repair already fixed this day
            continue
        raw = float(log_raw[row, col])
        raw_plausible = abs(raw) <= LARGE_MOVE
        replacement = raw if raw_plausible else float(market[row])
        following = (float(np.log(adjusted[day + 1, col] / adjusted[day, col]))
                     if day + 1 < len(dates) else np.nan)
        spike = bool(np.isfinite(following)) and abs(shipped + following) < SPIKE_REVERSAL * abs(shipped)
        if spike:
            adjusted[day, col] = adjusted[day - 1, col] * np.exp(replacement)
        else:
            adjusted[:day, col] *= np.exp(shipped - replacement)
        repairs.append(Repair(ticker=tickers[col], date=_as_date(dates[day]), kind="spike" if spike else
                              "level_shift", shipped_return=float(np.expm1(shipped)),
                              repaired_return=float(np.expm1(replacement)),
                              reason=_reason(splits[day, col], dividends[day, col], close[day - 1, col],
                                             raw, raw_plausible)))
    return adjusted, repairs


SPLIT_RATIOS = (2.0, 3.0, 4.0, 5.0, 1.5, 10.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 2 / 3, 1 / 10)


def repair_split_factors(dates: np.ndarray, tickers: list[str], close: np.ndarray, adjusted: np.ndarray,
                         dividends: np.ndarray, splits: np.ndarray,
                         glitches: list[Repair]) -> tuple[np.ndarray, list[Repair]]:
    """Split factors that tax lots can trust (`adjusted` must already be repaired).

    A split booked on a glitch day whose raw close barely moved never happened (the price did not
    divide), so its factor becomes 1. A day whose raw close divides by a round split ratio while the
    adjusted close holds steady, with nothing booked, is an unbooked split and gets that factor.
    """
    splits = splits.copy()
    repairs: list[Repair] = []
    row_of = {np.datetime64(d, "D"): i for i, d in enumerate(dates)}
    col_of = {t: j for j, t in enumerate(tickers)}
    for glitch in glitches:
        row, col = row_of[np.datetime64(glitch.date, "D")], col_of[glitch.ticker]
        raw = float(np.log(close[row, col] / close[row - 1, col]))
        if splits[row, col] != 1.0 and abs(raw) <= LARGE_MOVE:
            reason = (f"split factor {splits[row, col]:g} booked but the raw close moved "
                      f"{np.expm1(raw):+.1%}; factor set to 1")
            repairs.append(glitch.model_copy(update={"kind": "spurious_split", "reason": reason}))
            splits[row, col] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = close[:-1] / close[1:]
        steady = np.abs(np.log(adjusted[1:] / adjusted[:-1])) <= CONFIRM
    unbooked = (splits[1:] == 1.0) & (dividends[1:] == 0.0) & steady & (np.abs(np.log(ratio)) > LARGE_MOVE)
    for row, col in zip(*np.nonzero(unbooked), strict=True):
        nearest = min(SPLIT_RATIOS, key=lambda r: abs(np.log(ratio[row, col] / r)))
        if abs(np.log(ratio[row, col] / nearest)) < 0.03:
            splits[row + 1, col] = nearest
            repairs.append(Repair(ticker=tickers[col], date=_as_date(dates[row + 1]), kind="missing_split",
                                  shipped_return=float(close[row + 1, col] / close[row, col] - 1),
                                  repaired_return=float(adjusted[row + 1, col] / adjusted[row, col] - 1),
                                  reason=f"raw close divided by {ratio[row, col]:.3f} with no split booked "
                                         f"while the adjusted close held; split factor {nearest:g} added"))
    return splits, repairs


def _reason(split: float, dividend: float, previous_close: float, raw: float, raw_plausible: bool) -> str:
    if split != 1.0:
        booked = f"split factor {split:g} booked while the raw close moved {np.expm1(raw):+.1%}"
    elif dividend > 0:
        booked = f"distribution {dividend:g} against a previous close of {previous_close:g}"
    else:
        booked = f"no corporate action booked and the raw close moved {np.expm1(raw):+.1%}"
    fix = "used the raw price change" if raw_plausible else "used the day's median return"
    return f"{booked}; {fix}"


def _as_date(value: np.datetime64) -> date:
    return date.fromisoformat(str(np.datetime64(value, "D")))
