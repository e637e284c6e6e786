"""Holding period: the optimiser's reading (`solver.tax`) and the verifier's (`solver.verify_law`),
each held to the rule on its edge cases and to each other on random dates.

The rule (IRS Publication 550, "Holding Period"): start counting on the day after the day you
acquired the property; the day you dispose of it is part of the holding period; held more than one
year is long-term. Counting by calendar months from the day the count starts, the first year runs up
to the same month and day a year later, so a sale from that day on is long-term.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from solver.tax import days_to_long_term, is_long_term, long_term_from
from solver.verify_law import held_more_than_one_year

# (bought, first long-term sale day, why)
CASES = [
    (date(2023, 2, 5), date(2024, 2, 6),
     "Publication 550's own example: the count starts 2023-02-06, so a sale on 2024-02-05 is held "
     "exactly one year (short-term) and one on 2024-02-06 more than one year"),
    (date(2023, 2, 28), date(2024, 3, 1),
     "last day of February the year before a leap year: the count starts 2023-03-01, so the first year "
     "runs through 2024-02-29 — still short-term on 29 February (the old reading said long-term)"),
    (date(2024, 2, 29), date(2025, 3, 1),
     "bought on 29 February: the count starts 2024-03-01, so the first year runs through 2025-02-28"),
    (date(2024, 2, 28), date(2025, 3, 1),
     "28 February of a leap year: the count starts on 29 February, a day 2025 lacks, so the first "
     "year runs through 2025-02-28 and 1 March is the first day past it"),
    (date(2022, 2, 28), date(2023, 3, 1),
     "28 February with no leap day either side: the count starts 2022-03-01, the first year ends "
     "2023-02-28"),
    (date(2023, 2, 27), date(2024, 2, 28),
     "the day before: the count starts 2023-02-28, so a sale on 2024-02-28 is long-term while the lot "
     "bought a day later is still short-term on 2024-02-29"),
    (date(2023, 12, 31), date(2025, 1, 1),
     "a first year with a leap day in it has 366 days and is still one year, not more: a sale on "
     "2024-12-31 is short-term"),
    (date(2019, 3, 1), date(2020, 3, 2),
     "a leap day inside the first year does not shorten it: the count starts 2019-03-02"),
]


@pytest.mark.parametrize(("bought", "first_long_term", "why"), CASES, ids=[str(c[0]) for c in CASES])
def test_edge_cases(bought: date, first_long_term: date, why: str) -> None:
    last_short_term = first_long_term - timedelta(days=1)
    for reading in (is_long_term, held_more_than_one_year):
        assert not reading(bought, last_short_term), (reading.__module__, why)
        assert reading(bought, first_long_term), (reading.__module__, why)
    assert long_term_from(bought) == first_long_term, why
    assert days_to_long_term(bought, last_short_term) == 1 and days_to_long_term(bought, first_long_term) == 0


# Dates around the end of February weigh heavily: that is where readings of "one year" part.
FEBRUARY_ENDS = st.builds(lambda year, day: date(year, 2, 28) + timedelta(days=day),
                          st.integers(1990, 2040), st.integers(-2, 2))
BOUGHT = st.one_of(st.dates(date(1990, 1, 1), date(2040, 12, 31)), FEBRUARY_ENDS)
HELD = st.one_of(st.integers(0, 800), st.integers(360, 370))  # days from purchase to sale


@given(BOUGHT, HELD)
@example(date(2023, 2, 28), 366)  # sold 2024-02-29
def test_the_two_readings_agree(bought: date, held: int) -> None:
    sold = bought + timedelta(days=held)
    assert is_long_term(bought, sold) == held_more_than_one_year(bought, sold)


@given(BOUGHT, HELD)
def test_days_to_long_term_lands_on_the_verifiers_first_long_term_day(bought: date, held: int) -> None:
    on = bought + timedelta(days=held)
    days = days_to_long_term(bought, on)
    assert held_more_than_one_year(bought, on + timedelta(days=days))
    assert days == 0 or not held_more_than_one_year(bought, on + timedelta(days=days - 1))
