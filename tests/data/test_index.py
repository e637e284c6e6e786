"""Index targets on the shipped data: cap and equal weights, model files, ETF look-through."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.diagnostics import TailorError
from market.index import (
    index_members,
    index_weights,
    look_through,
    market_caps,
    model_weights,
    renormalise,
)
from market.master import load_master

END = date(2021, 4, 21)


@pytest.fixture(scope="module")
def cap_2021():
    return index_weights(END, "cap")


def test_cap_weights_sum_to_one_over_priced_members(cap_2021):
    assert cap_2021.sum() == pytest.approx(1.0)
    assert (cap_2021 > 0).all()
    assert set(cap_2021.index) == set(index_members(END))
    assert set(cap_2021.index) <= set(load_master().members_on(END))
    assert 495 <= len(cap_2021) <= 505


def test_the_largest_names_in_april_2021(cap_2021):
    top = set(cap_2021.nlargest(5).index)
    assert {"AAPL", "MSFT", "AMZN"} <= top
    assert 0.04 < cap_2021["AAPL"] < 0.07


def test_share_classes_do_not_double_count_the_company(cap_2021):
    alphabet = cap_2021["GOOGL"] + cap_2021["GOOG"]
    assert 0.03 < alphabet < 0.05
    assert cap_2021["GOOGL"] > cap_2021["GOOG"]


def test_past_weights_use_past_members_and_prices():
    weights = index_weights(date(2005, 6, 1), "cap")
    assert "TSLA" not in weights and "XOM" in weights
    assert weights["XOM"] > weights["MSFT"] * 0.8  # Exxon and Microsoft were the two largest
    caps = market_caps(date(2005, 6, 1))
    assert set(caps["source"]) <= {"financials", "spy_weight", "median"} | {
        s for s in caps["source"] if s.startswith("successor ")}


def test_equal_weights():
    weights = index_weights(date(2010, 1, 4), "equal")
    assert weights.nunique() == 1 and weights.sum() == pytest.approx(1.0)


def test_unknown_scheme_and_dates_outside_history_are_errors():
    with pytest.raises(TailorError, match="unknown weighting scheme"):
        index_weights(END, "float")
    with pytest.raises(TailorError) as info:
        index_weights(date(2024, 1, 2))
    assert info.value.diagnostics[0].code == "D101"


def test_renormalise_excludes_and_rescales(cap_2021):
    tobacco = load_master().screen("tobacco")
    kept = renormalise(cap_2021, tobacco)
    assert not set(tobacco) & set(kept.index)
    assert kept.sum() == pytest.approx(1.0)
    assert kept["AAPL"] / kept["MSFT"] == pytest.approx(cap_2021["AAPL"] / cap_2021["MSFT"])
    with pytest.raises(TailorError) as info:
        renormalise(cap_2021, cap_2021.index)
    assert info.value.diagnostics[0].code == "D108"


def test_look_through_replaces_etfs_by_the_index(cap_2021):
    model = pd.Series({"SPY": 0.6, "VOO": 0.2, "AAPL": 0.2})
    through = look_through(model, cap_2021)
    assert through.sum() == pytest.approx(1.0)
    assert not {"SPY", "VOO"} & set(through.index)
    assert through["AAPL"] == pytest.approx(0.2 + 0.8 * cap_2021["AAPL"])
    assert through["MSFT"] == pytest.approx(0.8 * cap_2021["MSFT"])
    plain = pd.Series({"AAPL": 0.5, "MSFT": 0.5})
    assert look_through(plain, cap_2021).equals(plain.rename("weight"))


def _write(tmp_path, text):
    path = tmp_path / "model.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_model_file_reads_fractions_percentages_and_etfs(tmp_path):
    weights = model_weights(_write(tmp_path, "ticker,weight\nAAPL,40%\nmsft,0.2\nSPY,0.4\n"))
    assert weights.to_dict() == {"AAPL": 0.4, "MSFT": 0.2, "SPY": 0.4}


def test_model_file_errors_point_at_line_and_column(tmp_path):
    path = _write(tmp_path, "ticker,weight\nAAPL,0.5\nAPPL,0.3\nMSFT,-0.1\nAAPL,0.3\n")
    with pytest.raises(TailorError) as info:
        model_weights(path)
    found = {(d.code, d.span.line, d.span.column) for d in info.value.diagnostics}
    assert ("D102", 3, 1) in found  # unknown ticker, with a suggestion
    assert ("D105", 4, 6) in found  # negative weight, column of the weight field
    assert ("D105", 5, 1) in found  # listed twice
    unknown = next(d for d in info.value.diagnostics if d.code == "D102")
    assert "`AAPL`" in unknown.hint and unknown.span.file == path


def test_model_file_header_and_sum_are_checked(tmp_path):
    with pytest.raises(TailorError, match="header 'ticker,weight'"):
        model_weights(_write(tmp_path, "symbol,weight\nAAPL,1\n"))
    with pytest.raises(TailorError, match=r"weights sum to 0\.9"):
        model_weights(_write(tmp_path, "ticker,weight\nAAPL,0.5\nMSFT,0.4\n"))
    with pytest.raises(TailorError, match="does not exist"):
        model_weights(str(tmp_path / "missing.csv"))
