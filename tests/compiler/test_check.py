"""Checking against the real security master: names resolve to tickers, units normalise, defaults
fill in, contradictions and suspicious rules are reported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from compiler.check import compile_policy
from compiler.language import parse_text
from compiler.rules.cap import CapIR
from compiler.rules.target import TargetIR
from compiler.rules.wash_sale import WashSaleIR
from core.diagnostics import TailorError
from market.master import load_master


def compile_text(text: str, tmp_path: Path, name: str = "p.tailor"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return compile_policy(str(path))


def codes(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(TailorError) as caught:
        compile_text(text, tmp_path)
    return [d.code for d in caught.value.diagnostics]


def test_names_resolve_to_master_tickers(tmp_path: Path) -> None:
    master = load_master()
    compiled = compile_text('exclude category tobacco\nexclude sector "Energy"\n'
                            "restrict buying competitors of JPM by industry\n", tmp_path)
    tobacco, energy = compiled.of_kind("exclude")
    assert tobacco.tickers == master.screen("tobacco", "core")  # type: ignore[attr-defined]
    assert {"MO", "PM"} <= set(tobacco.tickers)  # type: ignore[attr-defined]
    assert energy.tickers == tuple(sorted(master.in_sector("Energy")))  # type: ignore[attr-defined]
    (competitors,) = compiled.of_kind("restrict_buying")
    assert "JPM" not in competitors.tickers and "BAC" in competitors.tickers  # type: ignore[attr-defined]


def test_units_are_normalised(tmp_path: Path) -> None:
    compiled = compile_text("cap AAPL at 150bps over 2 years sell only long-term lots\n"
                            "budget long-term gains $1.5m per year\nwash sale window 31 days\n", tmp_path)
    (cap,) = compiled.of_kind(CapIR)
    assert isinstance(cap, CapIR)
    assert (cap.max_weight, cap.years, cap.long_term_only) == (pytest.approx(0.015), 2, True)
    assert compiled.of_kind("budget")[0].amount == Decimal("1500000.00")  # type: ignore[attr-defined]
    wash = compiled.one("wash_sale")
    assert isinstance(wash, WashSaleIR) and wash.window_days == 31


def test_defaults_fill_kinds_the_policy_leaves_out(tmp_path: Path) -> None:
    compiled = compile_text("exclude MO\n", tmp_path)
    target = compiled.one("target")
    assert isinstance(target, TargetIR) and target.benchmark == "sp500"
    wash = compiled.one("wash_sale")
    assert isinstance(wash, WashSaleIR) and (wash.window_days, wash.scope) == (30, "account")
    assert compiled.one("preferences").preset == "balanced"  # type: ignore[union-attr]
    assert compiled.one("budget") is None and compiled.one("harvest") is None


def test_hash_is_of_the_canonical_form(tmp_path: Path) -> None:
    a = compile_text("cap AAPL at 10%\n# comment\nexclude MO,PM\n", tmp_path, "a.tailor")
    b = compile_text("cap AAPL   at 1000bps\nexclude MO, PM\n", tmp_path, "b.tailor")
    c = compile_text("rules:\n  - cap: {ticker: AAPL, max: 10%}\n  - exclude: {tickers: [MO, PM]}\n",
                     tmp_path, "c.yaml")
    assert a.policy_hash != b.policy_hash  # 10% and 1000bps are written differently
    d = compile_text("cap AAPL at 10%\nexclude MO, PM\n", tmp_path, "d.tailor")
    assert a.policy_hash == d.policy_hash
    assert len(a.policy_hash) == 64 and c.rules[0].id == a.rules[0].id


def test_unknown_names_suggest_fixes(tmp_path: Path) -> None:
    with pytest.raises(TailorError) as caught:
        compile_text('cap APPL at 5%\nexclude sector "Informaton Technology"\nexclude category gambing\n',
                     tmp_path)
    hints = [d.hint for d in caught.value.diagnostics]
    assert hints[0] is not None and hints[0].startswith("did you mean `AAPL`")
    assert hints[1:] == ["did you mean `Information Technology`?", "did you mean `gambling`?"]


def test_competitors_of_an_etf_have_no_classification(tmp_path: Path) -> None:
    """SPY is a known ticker (not P301), but has no GICS sub-industry to find competitors in."""
    assert codes("restrict buying competitors of SPY\n", tmp_path) == ["P312"]


@pytest.mark.parametrize(("text", "code"), [
    ("cap AAPL at 140%\n", "P401"), ("budget tax -$1 per year\n", "P403"),
    ("cap XOM at 5%\nrule floor: cap XOM at least 8%\n", "P410"),
    ('cap sector "Energy" at 5%\ncap XOM at least 8%\n', "P410"),
    ("exclude MO\nrestrict selling MO\n", "P411"), ("exclude MO\ncap MO at least 1%\n", "P413"),
    ("transition over 40 years\n", "P401"), ("wash sale window 10 days\n", "P407"),
])
def test_values_out_of_range_and_contradictions(text: str, code: str, tmp_path: Path) -> None:
    assert code in codes(text, tmp_path)


def test_suspicious_but_legal_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,60%\nSPY,40%\n", encoding="utf-8")
    compiled = compile_text('target model "model.csv"\nexclude category gambling\n', tmp_path)
    assert [w.code for w in compiled.warnings] == ["P311"]
    target = compiled.one("target")
    assert isinstance(target, TargetIR) and target.model_path == str((tmp_path / "model.csv").resolve())


def test_model_file_must_sum_to_one(tmp_path: Path) -> None:
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,0.6\nMSFT,0.6\n", encoding="utf-8")
    assert codes('target model "model.csv"\n', tmp_path) == ["D105", "P308"]


def test_a_parsed_policy_compiles_like_its_file(tmp_path: Path) -> None:
    text = "cap AAPL at 10%\n"
    assert compile_policy(parse_text(text, str(tmp_path / "x.tailor"))).policy_hash == \
        compile_text(text, tmp_path).policy_hash


def test_held_away_file(tmp_path: Path) -> None:
    (tmp_path / "away.csv").write_text("Ticker,shares\nnvda,10\nAMZN,5\n\n", encoding="utf-8")
    (rule,) = compile_text('restrict buying held away file "away.csv"\n', tmp_path).of_kind("restrict_buying")
    assert rule.tickers == ("AMZN", "NVDA")  # type: ignore[attr-defined]
    (tmp_path / "bad.csv").write_text("symbol\nNVDA\n", encoding="utf-8")
    assert codes('restrict buying held away file "bad.csv"\n', tmp_path) == ["P309"]
    (tmp_path / "typo.csv").write_text("ticker\nNVDAA\n", encoding="utf-8")
    assert codes('restrict buying held away file "typo.csv"\n', tmp_path) == ["P301"]
