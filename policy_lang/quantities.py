"""Quantities with units: one reader for both syntaxes, one printer, and the unit checks.

`10%`, `1.5%`, `150bps`, `$20,000`, `$20k`, `$1.5m`, `500 shares`, `3 years`, `31 days`,
`2024-01-31`. A bare number where a unit is needed is an error that lists the units that fit.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from core.diagnostics import Span, TailorError, error
from policy_lang.ast import Quantity, Unit

_NUM = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
_PATTERNS: tuple[tuple[Unit, re.Pattern[str]], ...] = (
    (Unit.DATE, re.compile(r"(\d{4}-\d{2}-\d{2})")),
    (Unit.PERCENT, re.compile(rf"({_NUM})\s*%")),
    (Unit.BPS, re.compile(rf"({_NUM})\s*bps?")),
    (Unit.USD, re.compile(r"([+-]?)\$\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*([kKmM]?)")),
    (Unit.SHARES, re.compile(rf"({_NUM})\s+shares?")),
    (Unit.YEARS, re.compile(rf"({_NUM})\s+years?")),
    (Unit.DAYS, re.compile(rf"({_NUM})\s+days?")),
    (Unit.NUMBER, re.compile(rf"({_NUM})")),
)
_SUFFIX = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(1_000_000)}

# How each unit is shown to an author who must pick one.
UNIT_EXAMPLES: dict[Unit, str] = {
    Unit.PERCENT: "a percentage (10%)",
    Unit.BPS: "basis points (150bps)",
    Unit.USD: "dollars ($20,000 or $20k)",
    Unit.SHARES: "shares (500 shares)",
    Unit.YEARS: "years (3 years)",
    Unit.DAYS: "days (31 days)",
    Unit.DATE: "an ISO date (2024-01-31)",
    Unit.NUMBER: "a plain number (0.5)",
}
WEIGHT_UNITS = (Unit.PERCENT, Unit.BPS)
_UNIT_NAMES = {Unit.PERCENT: "percent", Unit.BPS: "basis points", Unit.USD: "dollars",
               Unit.SHARES: "shares", Unit.YEARS: "years", Unit.DAYS: "days", Unit.DATE: "a date",
               Unit.NUMBER: "a plain number"}


def parse_quantity(text: str, span: Span) -> Quantity:
    """Read one quantity; raises TailorError(P201) when the text is not a quantity at all."""
    stripped = text.strip()
    for unit, pattern in _PATTERNS:
        match = pattern.fullmatch(stripped)
        if match is None:
            continue
        if unit is Unit.DATE:
            try:
                date.fromisoformat(match.group(1))
            except ValueError:
                raise TailorError(error("P202", f"`{stripped}` is not a valid calendar date", span,
                                        "write dates as YYYY-MM-DD, e.g. 2024-01-31")) from None
            return Quantity(value=Decimal(0), unit=unit, text=match.group(1), span=span)
        if unit is Unit.USD:
            sign, digits, suffix = match.groups()
            value = Decimal(digits.replace(",", "")) * _SUFFIX[suffix.lower()]
            return Quantity(value=-value if sign == "-" else value, unit=unit, span=span)
        try:
            value = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimal literals
            break
        return Quantity(value=value, unit=unit, span=span)
    raise TailorError(error("P201", f"`{stripped}` is not a quantity", span,
                            "write a number with its unit: 10%, 150bps, $20k, 500 shares, 3 years, "
                            "31 days or an ISO date"))


def expect_units(quantity: Quantity, allowed: tuple[Unit, ...], what: str) -> Quantity:
    """Raise P203 unless the quantity is written in one of the allowed units."""
    if quantity.unit in allowed:
        return quantity
    fits = " or ".join(UNIT_EXAMPLES[u] for u in allowed)
    written = format_quantity(quantity)
    if quantity.unit is Unit.NUMBER:
        message = f"{what} needs a unit, but `{written}` is a bare number"
    else:
        message = f"{what} cannot be given in {_UNIT_NAMES[quantity.unit]}: `{written}`"
    raise TailorError(error("P203", message, quantity.span, f"use {fits}"))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_quantity(quantity: Quantity) -> str:
    """Canonical text of a quantity; reading it back gives an equal Quantity."""
    value = quantity.value
    match quantity.unit:
        case Unit.DATE:
            return quantity.text or ""
        case Unit.PERCENT:
            return f"{_sign(value)}{_plain(abs(value))}%"
        case Unit.BPS:
            return f"{_sign(value)}{_plain(abs(value))}bps"
        case Unit.USD:
            whole = abs(value).quantize(Decimal(1)) == abs(value)
            body = f"{abs(value):,.0f}" if whole else f"{abs(value):,f}".rstrip("0").rstrip(".")
            return f"{'-' if value < 0 else ''}${body}"
        case Unit.SHARES:
            return f"{_plain(value)} shares"
        case Unit.YEARS:
            return f"{_plain(value)} {'year' if value == 1 else 'years'}"
        case Unit.DAYS:
            return f"{_plain(value)} {'day' if value == 1 else 'days'}"
        case _:
            return _plain(value)


def _sign(value: Decimal) -> str:
    return "-" if value < 0 else ""


def signed_weight(quantity: Quantity) -> str:
    """Active weights are printed with an explicit sign: +2%, -150bps."""
    text = format_quantity(quantity)
    return text if text.startswith("-") else f"+{text}"
