"""Security master on the shipped reference files."""

from __future__ import annotations

import csv
import pickle
from datetime import date

import pyarrow.parquet as pq
import pytest

from core.diagnostics import TailorError
from core.paths import data_dir
from core.suggest import closest, edit_distance
from market.master import TIERS, Security, load_master


@pytest.fixture(scope="module")
def master():
    return load_master()


def _csv(path):
    with (data_dir() / path).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_covers_every_priced_ticker_and_every_current_member(master):
    priced = set(pq.read_table(data_dir() / "market" / "sp500_daily_1999_2021.parquet",
                               columns=["ticker"]).column("ticker").to_pylist())
    assert len(priced) == 504
    current = {row["Symbol"] for row in _csv("reference/sp500_constituents_2026.csv")}
    assert priced - set(master.tickers) == set()
    assert current - set(master.tickers) == set()


def test_current_members_keep_the_sector_the_constituents_file_gives(master):
    for row in _csv("reference/sp500_constituents_2026.csv"):
        security = master.get(row["Symbol"])
        assert (security.sector, security.sub_industry) == (row["GICS Sector"], row["GICS Sub-Industry"])
        assert security.source == "constituents_2026"


def test_every_sub_industry_used_maps_to_the_gics_hierarchy(master):
    hierarchy = {row["sub_industry"]: row for row in _csv("reference/gics_hierarchy.csv")}
    assert len(hierarchy) == 163
    for ticker in master.tickers:
        security = master.get(ticker)
        level = hierarchy[security.sub_industry]
        assert (security.industry, security.sector) == (level["industry"], level["sector"])
        assert security.gics_code.startswith(level["industry_code"])


def test_hand_filled_rows_all_carry_a_note_and_are_used(master):
    for row in _csv("reference/security_master_manual.csv"):
        assert row["note"].strip()
        assert master.get(row["ticker"]).source == "manual"


def test_lookups_by_sector_industry_sub_industry(master):
    assert len(master.sectors) == 11
    tech = master.in_sector("Information Technology")
    assert {"AAPL", "MSFT", "NVDA"} <= set(tech)
    assert tech == tuple(sorted(tech))
    assert set(master.in_industry("Semiconductors & Semiconductor Equipment")) >= {"NVDA", "AMAT"}
    assert set(master.in_sub_industry("Tobacco")) >= {"MO", "PM"}
    assert master.in_sub_industry("Coal & Consumable Fuels") == ()  # valid GICS, no member
    assert len(master.sub_industries) == 163 and len(master.industries) == 74
    assert master.get("FB") == Security(ticker="FB", name="Facebook", sector="Communication Services",
                                        industry="Interactive Media & Services",
                                        sub_industry="Interactive Media & Services",
                                        industry_group="Media & Entertainment", gics_code="50203010",
                                        source="manual")


def test_unknown_names_raise_with_a_suggestion(master):
    assert master.get("APPL") is None
    with pytest.raises(TailorError) as info:
        master.resolve("APPL")
    assert info.value.diagnostics[0].code == "D102"
    assert "`AAPL`" in info.value.diagnostics[0].hint
    with pytest.raises(TailorError, match="unknown sector") as info:
        master.in_sector("Tech")
    with pytest.raises(TailorError) as info:
        master.screen("tobaco")
    assert "`tobacco`" in info.value.diagnostics[0].hint


def test_screen_tiers_are_cumulative(master):
    for category in master.screen_categories:
        by_tier = [set(master.screen(category, tier)) for tier in TIERS]
        assert by_tier[0] <= by_tier[1] <= by_tier[2]
    assert set(master.screen("fossil_fuels", "core")) >= {"XOM", "CVX", "COP"}
    assert "NEE" not in master.screen("fossil_fuels", "core")
    assert "NEE" in master.screen("fossil_fuels", "extended")
    primes = {"LMT", "NOC", "GD", "RTX", "LHX", "HII"}
    assert set(master.screen("weapons", "core")) == primes
    assert {"BA", "GE"} <= set(master.screen("weapons", "broad")) - primes


def test_membership_is_point_in_time(master):
    on_2021 = set(master.members_on(date(2021, 4, 21)))
    assert 495 <= len(on_2021) <= 510
    assert {"FB", "AAPL"} <= on_2021 and "META" not in on_2021
    assert "META" in master.members_on(date(2022, 6, 10))
    assert "TSLA" not in master.members_on(date(2020, 12, 18))
    assert "TSLA" in master.members_on(date(2020, 12, 21))
    with pytest.raises(TailorError) as info:
        master.members_on(date(1990, 1, 2))
    assert info.value.diagnostics[0].code == "D106"


def test_master_pickles(master):
    clone = pickle.loads(pickle.dumps(master))
    assert clone.tickers == master.tickers and clone.screen("tobacco") == master.screen("tobacco")


@pytest.mark.parametrize(("word", "expected"), [("APPL", "AAPL"), ("MFST", "MSFT"), ("brk.b", "BRK.B"),
                                                ("Utilties", "Utilities")])
def test_did_you_mean_puts_the_intended_name_first(master, word, expected):
    assert closest(word, master.tickers + master.sectors)[0] == expected


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("mfst", "msft") == 1
    assert edit_distance("", "abc") == 3
