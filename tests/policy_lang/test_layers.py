"""Layering narrows: lower layers tighten freely, loosen only what is not locked, and the lock sticks."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.check import compile_policy
from compiler.language import diff_policies, parse_file
from core.diagnostics import TailorError
from policy_lang.diff import render_diff

FIRM = '''policy "Firm"
layer firm

rule firm-tracking: locked tracking error at most 3%
rule no-tobacco: locked exclude category tobacco
harvest losses over 5%
'''


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def account(tmp_path: Path, body: str, layer: str = "account") -> str:
    write(tmp_path, "firm.tailor", FIRM)
    return write(tmp_path, "acct.tailor", f'policy "Acct"\nlayer {layer}\nextends "firm.tailor"\n\n{body}')


def test_tightening_a_locked_rule_is_allowed_and_stays_locked(tmp_path: Path) -> None:
    compiled = compile_policy(account(tmp_path, "tracking error at most 2%\n"))
    (te,) = compiled.of_kind("tracking_error")
    assert te.max_te == pytest.approx(0.02) and te.locked and te.id == "firm-tracking"
    assert compiled.sources == (str(tmp_path / "firm.tailor"), str(tmp_path / "acct.tailor"))


def test_loosening_an_unlocked_rule_is_allowed(tmp_path: Path) -> None:
    (harvest,) = compile_policy(account(tmp_path, "harvest losses over 10%\n")).of_kind("harvest")
    assert harvest.min_loss_pct == pytest.approx(0.10)


def test_loosening_a_locked_rule_names_both_places(tmp_path: Path) -> None:
    with pytest.raises(TailorError) as caught:
        compile_policy(account(tmp_path, "rule no-tobacco: exclude category tobacco sell as budget allows\n"))
    (diag,) = caught.value.diagnostics
    assert diag.code == "P501" and diag.span is not None and diag.span.line == 5
    assert diag.related[0].span.file.endswith("firm.tailor") and diag.related[0].span.line == 5


def test_stricter_screen_tier_tightens_a_locked_exclusion(tmp_path: Path) -> None:
    compiled = compile_policy(account(tmp_path, "rule no-tobacco: exclude category tobacco extended\n"))
    assert compiled.by_id("no-tobacco").locked


def test_layer_order_is_enforced(tmp_path: Path) -> None:
    with pytest.raises(TailorError) as caught:
        compile_policy(account(tmp_path, "exclude MO\n", layer="firm"))
    assert caught.value.diagnostics[0].code == "P503"


def test_cycles_and_missing_files_are_reported(tmp_path: Path) -> None:
    a = write(tmp_path, "a.tailor", 'extends "b.tailor"\nexclude MO\n')
    write(tmp_path, "b.tailor", 'extends "a.tailor"\nexclude PM\n')
    with pytest.raises(TailorError) as caught:
        compile_policy(a)
    assert caught.value.diagnostics[0].code == "P504"
    c = write(tmp_path, "c.tailor", 'extends "firm.tailr"\nexclude MO\n')
    write(tmp_path, "firm.tailor", FIRM)
    with pytest.raises(TailorError) as caught:
        compile_policy(c)
    assert (caught.value.diagnostics[0].hint or "").startswith("did you mean `firm.tailor`")


def test_yaml_may_extend_the_dsl(tmp_path: Path) -> None:
    write(tmp_path, "firm.tailor", FIRM)
    path = write(tmp_path, "acct.yaml", "extends: firm.tailor\nrules:\n  - tracking_error: {max: 1%}\n")
    assert compile_policy(path).by_id("firm-tracking").max_te == pytest.approx(0.01)  # type: ignore[attr-defined]


def test_semantic_diff(tmp_path: Path) -> None:
    old = write(tmp_path, "old.tailor", FIRM + "budget long-term gains $20k per year\ncap AAPL at 10%\n")
    new = write(tmp_path, "new.tailor", FIRM.replace("rule no-tobacco: locked", "rule no-tobacco:")
                + "budget long-term gains $10k per year\ncap MSFT at 5%\n")
    changes = diff_policies(parse_file(old), parse_file(new))
    assert [(c.change, c.key) for c in changes] == [
        ("removed", "cap-aapl"), ("loosened", "no-tobacco"), ("tightened", "budget-long-term"),
        ("added", "cap-msft")]
    text = render_diff(changes, "old", "new")
    assert "was: budget long-term gains $20,000 per year" in text
    assert text.endswith("1 added, 1 removed, 1 tightened, 1 loosened\n")
    assert diff_policies(parse_file(old), parse_file(old)) == []


def test_a_file_named_in_a_rule_resolves_next_to_the_file_declaring_the_rule(tmp_path: Path) -> None:
    """`restrict buying held away file` in a layer reached through `extends` from another folder
    reads the CSV beside that layer, not beside the extending policy."""
    write(tmp_path, "firm/held.csv", "ticker\nAMZN\n")
    write(tmp_path, "firm/firm.tailor",
          'policy "Firm"\nlayer firm\n\nrestrict buying held away file "held.csv"\n')
    write(tmp_path, "clients/held.csv", "ticker\nNVDA\n")  # a decoy beside the extending file
    leaf = write(tmp_path, "clients/acct.tailor", 'policy "Acct"\nextends "../firm/firm.tailor"\n')
    (rule,) = compile_policy(leaf).of_kind("restrict_buying")
    assert rule.tickers == ("AMZN",)
