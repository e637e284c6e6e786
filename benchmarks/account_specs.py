"""The benchmark set's accounts (issue 8), as specifications: what each account is, its as-of date
and the policies it is benchmarked under. benchmarks/accounts.py builds them from the real price
history; bench_set.py regenerates them when this file or that one changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

DIRECT_INDEX = "policies/models/direct_index.tailor"
ESG = "policies/clients/faith_esg_family.tailor"
RETIREE = "policies/clients/retiree_cash.tailor"
EXECUTIVE = "policies/clients/executive.tailor"
LEGACY_THREE_YEAR = "policies/clients/legacy_three_year.tailor"
PLAIN_HARVEST = "benchmarks/policies/plain_harvest.tailor"
IMMEDIATE = "benchmarks/policies/transition_immediate.tailor"
OVER_3_YEARS = "benchmarks/policies/transition_over_3_years.tailor"
TAX_BUDGET = "benchmarks/policies/transition_tax_budget.tailor"
ZERO_GAINS = "benchmarks/policies/transition_zero_gains.tailor"
# legacy_three_year.tailor never sells these two lots: it applies only where the account has them.
STEP_UP_LOTS = ("LEG-00125", "LEG-00133")


@dataclass(frozen=True)
class DirectIndex:
    start: date
    initial: float
    contribution: float
    every: Literal["month", "quarter"]
    underweight: int | None = None  # None: every member, cap-weighted; N: the N most underweight names
    harvest_days: int | None = None  # loss harvest this many days before the as-of date
    harvest_names: int = 12
    deposit_days: int | None = None  # a deposit this many days before the as-of date
    deposit: float = 0.0


@dataclass(frozen=True)
class Legacy:
    ticker: str
    share: float  # of the invested value on the as-of date
    since: date
    others: int


@dataclass(frozen=True)
class Transition:
    names: int
    since: date
    sectors: tuple[str, ...]  # the previous adviser's favourite sectors, three times as likely


@dataclass(frozen=True)
class Spec:
    name: str
    as_of: date
    build: DirectIndex | Legacy | Transition
    policies: tuple[str, ...]
    about: str
    rates: tuple[str, str] = ("0.37", "0.20")
    ytd: tuple[int, int] = (0, 0)  # realized short- and long-term gains this year before any harvest
    cash_share: float = 0.01
    seed: int = 0

    @property
    def kind(self) -> str:
        return {DirectIndex: "direct_index", Legacy: "legacy", Transition: "transition"}[type(self.build)]


MID = ("0.24", "0.15")
SPECS = (
    Spec("di_user_2013q", date(2021, 3, 15),
         DirectIndex(date(2013, 1, 1), 1_000_000, 50_000, "quarter"),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG, RETIREE),
         "the user report: $1M in January 2013, then $50k every quarter over every member",
         ytd=(0, 18_000)),
    Spec("di_monthly_20k", date(2021, 4, 21),
         DirectIndex(date(2017, 9, 1), 600_000, 25_000, "month", deposit_days=6, deposit=25_000),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG),
         "monthly purchases of every member since September 2017: near 20,000 lots", cash_share=0.005),
    Spec("di_2008_crash", date(2008, 10, 10),
         DirectIndex(date(2001, 1, 1), 400_000, 20_000, "quarter", harvest_days=12, deposit_days=3,
                     deposit=20_000),
         (DIRECT_INDEX, PLAIN_HARVEST, RETIREE),
         "quarterly since 2001, as of the October 2008 crash", rates=MID, ytd=(4_000, 25_000), seed=1),
    Spec("di_2009_bottom", date(2009, 3, 9),
         DirectIndex(date(2003, 3, 1), 750_000, 10_000, "month", underweight=80, harvest_days=18,
                     harvest_names=20),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG),
         "monthly into the 80 most underweight names since 2003, as of the March 2009 low", seed=2),
    Spec("di_2011_downgrade", date(2011, 10, 3),
         DirectIndex(date(2003, 10, 1), 1_500_000, 40_000, "quarter", deposit_days=4, deposit=40_000),
         (DIRECT_INDEX, PLAIN_HARVEST),
         "quarterly since 2003, as of the 2011 downgrade sell-off", rates=MID, ytd=(0, 60_000), seed=3),
    Spec("di_2013_rally", date(2013, 12, 31),
         DirectIndex(date(2006, 1, 1), 2_000_000, 15_000, "month", underweight=60),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG),
         "monthly into the 60 most underweight names since 2006, after the 2013 rally",
         ytd=(12_000, 90_000), cash_share=0.02, seed=4),
    Spec("di_2015_flash", date(2015, 8, 24),
         DirectIndex(date(2009, 4, 1), 1_000_000, 30_000, "quarter", harvest_days=6, harvest_names=8),
         (DIRECT_INDEX, PLAIN_HARVEST),
         "quarterly since April 2009, as of the August 2015 flash crash", rates=MID, seed=5),
    Spec("di_2016_low", date(2016, 2, 11),
         DirectIndex(date(2008, 2, 1), 500_000, 8_000, "month", underweight=60),
         (DIRECT_INDEX, PLAIN_HARVEST, RETIREE),
         "monthly into the 60 most underweight names since 2008, as of the February 2016 low",
         ytd=(0, 5_000), seed=6),
    Spec("di_2017_rally", date(2017, 12, 29),
         DirectIndex(date(2010, 1, 1), 3_000_000, 75_000, "quarter", deposit_days=5, deposit=75_000),
         # Not under ESG: its screens must sell eight years of gains, far over that policy's $40k budget
         # (a true conflict, `tailor explain` names it), so no plan exists to time.
         (DIRECT_INDEX, PLAIN_HARVEST, RETIREE),
         "quarterly since 2010, after the 2017 rally", ytd=(25_000, 150_000), seed=7),
    Spec("di_2018_selloff", date(2018, 12, 24),
         DirectIndex(date(2011, 6, 1), 1_200_000, 20_000, "month", underweight=70, harvest_days=10,
                     harvest_names=15, deposit_days=3, deposit=20_000),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG),
         "monthly into the 70 most underweight names since mid-2011, as of Christmas Eve 2018",
         rates=MID, ytd=(3_000, 30_000), seed=8),
    Spec("di_2020_covid", date(2020, 3, 23),
         DirectIndex(date(2014, 1, 1), 2_500_000, 60_000, "quarter", harvest_days=14, harvest_names=25,
                     deposit_days=5, deposit=60_000),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG, RETIREE),
         "quarterly since 2014, as of the March 2020 low", ytd=(0, 40_000), seed=9),
    Spec("di_2021_rally", date(2021, 4, 21),
         DirectIndex(date(2012, 4, 1), 800_000, 30_000, "quarter", harvest_days=20, harvest_names=6),
         (DIRECT_INDEX, PLAIN_HARVEST),
         "quarterly since April 2012, on the last day of price history", rates=MID, ytd=(2_000, 8_000),
         cash_share=0.015, seed=10),
    Spec("di_2010_summer", date(2010, 7, 2),
         DirectIndex(date(2004, 6, 1), 900_000, 12_000, "month", underweight=70, harvest_days=16,
                     harvest_names=10),
         (DIRECT_INDEX, PLAIN_HARVEST),
         "monthly into the 70 most underweight names since mid-2004, after the 2010 flash crash",
         rates=MID, ytd=(0, 15_000), seed=19),
    Spec("di_2019_year_end", date(2019, 12, 31),
         DirectIndex(date(2014, 7, 1), 1_500_000, 50_000, "quarter", deposit_days=8, deposit=50_000),
         (DIRECT_INDEX, PLAIN_HARVEST, ESG),
         "quarterly since mid-2014, after the 2019 rally", ytd=(10_000, 70_000), seed=20),
    Spec("legacy_jpm", date(2017, 12, 29), Legacy("JPM", 0.30, date(2000, 1, 1), 29),
         (EXECUTIVE, LEGACY_THREE_YEAR),
         "JPMorgan employee: JPM every quarter since 2000 beside 29 large names", ytd=(5_000, 40_000),
         cash_share=0.02, seed=11),
    Spec("legacy_aapl", date(2021, 4, 21), Legacy("AAPL", 0.38, date(2005, 1, 1), 35),
         (LEGACY_THREE_YEAR, TAX_BUDGET),
         "Apple bought every quarter since 2005 beside 35 large names", ytd=(0, 75_000), seed=12),
    Spec("legacy_xom", date(2014, 6, 30), Legacy("XOM", 0.25, date(2000, 1, 1), 28),
         (LEGACY_THREE_YEAR, IMMEDIATE),
         "Exxon bought every quarter since 2000 beside 28 large names, before the oil slump", rates=MID,
         seed=13),
    Spec("legacy_ge", date(2009, 3, 9), Legacy("GE", 0.22, date(2000, 1, 1), 39),
         (LEGACY_THREE_YEAR, ZERO_GAINS),
         "GE bought every quarter since 2000 beside 39 large names, as of the March 2009 low",
         ytd=(0, 10_000), seed=14),
    Spec("transition_35", date(2010, 7, 2), Transition(35, date(2004, 1, 1), ("Energy", "Industrials")),
         (IMMEDIATE, OVER_3_YEARS), "35 names from a previous adviser, energy and industrials heavy",
         seed=15),
    Spec("transition_60", date(2016, 2, 11),
         Transition(60, date(2009, 6, 1), ("Financials", "Consumer Staples")),
         (TAX_BUDGET, ZERO_GAINS), "60 names, financials and staples heavy, as of the February 2016 low",
         rates=MID, ytd=(0, 12_000), seed=16),
    Spec("transition_90", date(2019, 11, 29),
         Transition(90, date(2012, 1, 1), ("Health Care", "Information Technology", "Utilities")),
         (IMMEDIATE, TAX_BUDGET), "90 names, health care, technology and utilities heavy",
         ytd=(8_000, 30_000), seed=17),
    Spec("transition_45", date(2020, 3, 23),
         Transition(45, date(2013, 1, 1), ("Consumer Discretionary", "Materials")),
         (OVER_3_YEARS, ZERO_GAINS), "45 names, discretionary and materials heavy, as of the March 2020 low",
         seed=18),
)
