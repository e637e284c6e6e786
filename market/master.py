"""Security master: ticker → name and GICS classification, screens, point-in-time index membership.

Sources, in priority order (files under data/, see data/README.md):
  1. reference/security_master_manual.csv — a few hand-filled or corrected rows, each with a note;
  2. reference/sp500_constituents_2026.csv — current members;
  3. reference/sp500_constituents_union_2013_2026.csv — members seen 2013–2026 (where it has a
     sub-industry);
  4. reference/nyse_securities_2016.csv — older members, used only where its (2016-era) sub-industry
     still exists in today's GICS.
The sector, industry group and industry always come from reference/gics_hierarchy.csv by
sub-industry, so every security carries one consistent, current GICS path.

Screens (esg/gics_subindustry_screens.csv, esg/ticker_screens.csv) have tiers core ⊂ extended ⊂
broad: asking for a tier includes every stricter one (extended = core + extended rows).
Membership is point-in-time from reference/sp500_ticker_start_end.csv (historical tickers, the same
symbols as the price file); a member is counted on [start_date, end_date).
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.paths import data_dir
from market.errors import date_outside, unknown_name

TIERS: tuple[str, ...] = ("core", "extended", "broad")


class Security(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticker: str
    name: str
    sector: str
    industry: str
    sub_industry: str
    industry_group: str = ""
    gics_code: str = ""
    source: str = ""


class GicsLevel(BaseModel):
    model_config = ConfigDict(frozen=True)

    sector: str
    industry_group: str
    industry: str
    sub_industry: str
    code: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_gics(root: Path) -> dict[str, GicsLevel]:
    """Sub-industry name → its full GICS path."""
    return {row["sub_industry"]: GicsLevel(sector=row["sector"], industry_group=row["industry_group"],
                                           industry=row["industry"], sub_industry=row["sub_industry"],
                                           code=row["sub_industry_code"])
            for row in _rows(root / "reference" / "gics_hierarchy.csv")}


def normalise_ticker(ticker: str) -> str:
    """Share classes are written with a dot, as in the price file and the 2026 list (BRK-B → BRK.B)."""
    return ticker.strip().upper().replace("-", ".")


def _classification_sources(root: Path) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(source label, [(ticker, name, sub_industry), …]) in priority order."""
    ref = root / "reference"
    return [
        ("manual", [(r["ticker"], r["name"], r["sub_industry"])
                    for r in _rows(ref / "security_master_manual.csv")]),
        ("constituents_2026", [(r["Symbol"], r["Security"], r["GICS Sub-Industry"])
                               for r in _rows(ref / "sp500_constituents_2026.csv")]),
        ("union_2013_2026", [(r["Symbol"], r["Name"], r["GICS Sub-Industry"])
                             for r in _rows(ref / "sp500_constituents_union_2013_2026.csv")]),
        ("nyse_2016", [(r["Ticker Symbol"], r["Security"], r["GICS Sub Industry"])
                       for r in _rows(ref / "nyse_securities_2016.csv")]),
    ]


def build_securities(root: Path) -> dict[str, Security]:
    gics = load_gics(root)
    securities: dict[str, Security] = {}
    for source, rows in _classification_sources(root):
        for raw_ticker, name, sub_industry in rows:
            ticker = normalise_ticker(raw_ticker)
            level = gics.get(sub_industry)
            if ticker in securities or level is None:
                continue
            securities[ticker] = Security(ticker=ticker, name=name, sector=level.sector,
                                          industry_group=level.industry_group, industry=level.industry,
                                          sub_industry=sub_industry, gics_code=level.code, source=source)
    return dict(sorted(securities.items()))


class Membership:
    """Index membership intervals [start, end) per ticker, answered for any date in range."""

    def __init__(self, intervals: Iterable[tuple[str, date, date | None]], last_change: date):
        self._intervals = tuple(sorted(intervals, key=lambda row: (row[1], row[0])))
        self._starts = [start for _, start, _ in self._intervals]
        self.first = self._starts[0]
        self.last = last_change

    def on(self, when: date) -> tuple[str, ...]:
        if not self.first <= when <= self.last:
            raise date_outside("index membership history", when, self.first, self.last, code="D106")
        started = self._intervals[: bisect_right(self._starts, when)]
        return tuple(sorted({t for t, _, end in started if end is None or when < end}))


def load_membership(root: Path) -> Membership:
    intervals = []
    changes = []
    for row in _rows(root / "reference" / "sp500_ticker_start_end.csv"):
        start = date.fromisoformat(row["start_date"])
        end = date.fromisoformat(row["end_date"]) if row["end_date"] else None
        intervals.append((normalise_ticker(row["ticker"]), start, end))
        changes.extend(d for d in (start, end) if d is not None)
    return Membership(intervals, last_change=max(changes))


class SecurityMaster:
    """Read-only look-ups used by the policy checker, the index builder and the risk model."""

    def __init__(self, securities: dict[str, Security], screens: dict[str, dict[str, frozenset[str]]],
                 membership: Membership, gics: Iterable[GicsLevel] = ()):
        # Private dicts that no method mutates (read-only by construction, and picklable).
        self._by_ticker = dict(securities)
        self._screens = {category: dict(tiers) for category, tiers in screens.items()}
        self._membership = membership
        # Every GICS name is known, also those without a member (Coal & Consumable Fuels): a policy
        # that excludes one is valid and simply covers no ticker.
        self._groups = {level: {getattr(g, level): () for g in gics} | _group(securities.values(), level)
                        for level in ("sector", "industry", "sub_industry")}

    def get(self, ticker: str) -> Security | None:
        return self._by_ticker.get(ticker)

    def with_additions(self, added: Iterable[Security]) -> SecurityMaster:
        """This master and `added` (a market snapshot's securities the shipped files lack), as a new
        master: the sub-industry screens cover the additions like every other security."""
        securities = dict(sorted({**self._by_ticker, **{s.ticker: s for s in added}}.items()))
        root = data_dir()
        return SecurityMaster(securities, load_screens(root, securities), self._membership,
                              load_gics(root).values())

    def resolve(self, ticker: str) -> Security:
        """The security for `ticker`, or a D102 error suggesting close tickers."""
        security = self._by_ticker.get(ticker)
        if security is None:
            raise unknown_name("ticker", ticker, self._by_ticker)
        return security

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._by_ticker

    def __len__(self) -> int:
        return len(self._by_ticker)

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(self._by_ticker)

    @property
    def sectors(self) -> tuple[str, ...]:
        return tuple(sorted(self._groups["sector"]))

    @property
    def industries(self) -> tuple[str, ...]:
        return tuple(sorted(self._groups["industry"]))

    @property
    def sub_industries(self) -> tuple[str, ...]:
        return tuple(sorted(self._groups["sub_industry"]))

    def in_sector(self, sector: str) -> tuple[str, ...]:
        return self._members("sector", sector)

    def in_industry(self, industry: str) -> tuple[str, ...]:
        return self._members("industry", industry)

    def in_sub_industry(self, sub_industry: str) -> tuple[str, ...]:
        return self._members("sub_industry", sub_industry)

    def _members(self, level: str, name: str) -> tuple[str, ...]:
        groups = self._groups[level]
        if name not in groups:
            raise unknown_name(level.replace("_", "-"), name, sorted(groups))
        return groups[name]

    @property
    def screen_categories(self) -> tuple[str, ...]:
        return tuple(sorted(self._screens))

    def screen(self, category: str, tier: str = "core") -> tuple[str, ...]:
        """Tickers a screen category covers at `tier`, stricter tiers included (cumulative)."""
        if category not in self._screens:
            raise unknown_name("screen category", category, self.screen_categories)
        if tier not in TIERS:
            raise unknown_name("screen tier", tier, TIERS)
        by_tier = self._screens[category]
        wanted = TIERS[: TIERS.index(tier) + 1]
        return tuple(sorted(set().union(*(by_tier.get(t, frozenset()) for t in wanted))))

    def members_on(self, when: date) -> tuple[str, ...]:
        """S&P 500 members on `when` (historical tickers; some predate the master's coverage)."""
        return self._membership.on(when)

    @property
    def membership_range(self) -> tuple[date, date]:
        return self._membership.first, self._membership.last


def _group(securities: Iterable[Security], level: str) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for security in securities:
        groups.setdefault(getattr(security, level), []).append(security.ticker)
    return {name: tuple(sorted(tickers)) for name, tickers in groups.items()}


def load_screens(root: Path, securities: dict[str, Security]) -> dict[str, dict[str, frozenset[str]]]:
    """category → tier → tickers, from the sub-industry screens and the ticker-level screens."""
    by_sub: dict[str, list[str]] = {}
    for security in securities.values():
        by_sub.setdefault(security.sub_industry, []).append(security.ticker)
    screens: dict[str, dict[str, set[str]]] = {}
    for row in _rows(root / "esg" / "gics_subindustry_screens.csv"):
        tickers = screens.setdefault(row["category"], {}).setdefault(row["tier"], set())
        tickers.update(by_sub.get(row["gics_sub_industry"], ()))
    for row in _rows(root / "esg" / "ticker_screens.csv"):
        screens.setdefault(row["category"], {}).setdefault(row["tier"], set()).add(row["ticker"])
    return {c: {t: frozenset(s) for t, s in tiers.items()} for c, tiers in screens.items()}


@cache
def load_master() -> SecurityMaster:
    """The security master built from the shipped files; cached per process, read-only."""
    root = data_dir()
    securities = build_securities(root)
    return SecurityMaster(securities, load_screens(root, securities), load_membership(root),
                          load_gics(root).values())
