"""`tailor test`: the test-file schema (errors with file:line:column) and the runner on a real account."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.diagnostics import TailorError
from engine.explain.policy_tests import _Problems, find_test_files, load_cases
from tailor.cli import main
from tests.explain.conftest import ROOT

ACCOUNT = ROOT / "examples" / "accounts" / "legacy_jpm" / "account.yaml"
POLICY = """policy "Test"
layer account

rule cap-jpm: cap JPM at 5%
rule budget-lt: budget long-term gains $0 per year
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def errors(path: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(TailorError) as caught:
        load_cases(path)
    return [
        (d.code, d.span.line, d.span.column, d.message + " | " + (d.hint or ""))
        for d in caught.value.diagnostics
    ]


def test_a_valid_file_reads_every_expectation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.test.yaml",
        f"""tests:
  - name: budget holds
    policy: p.tailor
    account: {ACCOUNT}
    as_of: 2021-04-21
    time_limit: 30
    expect:
      status: optimal
      realized_long_term: {{at_most: $20k, at_least: "-$1,000.50"}}
      tracking_error: {{at_most: 1.5%}}
      holds_none: [MO, PM]
      binding: [budget-lt]
""",
    )
    (case,) = load_cases(path)
    assert case.name == "budget holds" and case.time_limit == 30.0 and case.policy == tmp_path / "p.tailor"
    values = [(e.key, e.value, e.span.line) for e in case.expectations]
    assert values == [
        ("status", "optimal", 8),
        ("realized_long_term", ("at_most", Decimal(20000)), 9),
        ("realized_long_term", ("at_least", Decimal("-1000.50")), 9),
        ("tracking_error", ("at_most", Decimal("0.015")), 10),
        ("holds_none", ("MO", "PM"), 11),
        ("binding", ("budget-lt",), 12),
    ]


def test_schema_errors_name_line_column_and_suggest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.test.yaml",
        """tests:
  - name: x
    policy: a.tailor
    acount: b.yaml
    expect:
      statuss: optimal
      realized_long_term: {at_most: 20%}
      tracking_error: 3%
      status: done
""",
    )
    found = errors(path)
    assert ("T103", 4, 5, "a test has no key `acount` | did you mean `account`?") in found
    assert ("T103", 6, 7, "`expect` has no key `statuss` | did you mean `status`?") in found
    assert any(
        code == "T102" and (line, col) == (7, 37) and "dollar amounts" in msg
        for code, line, col, msg in found
    )
    assert any(code == "T102" and line == 8 and "takes bounds" in msg for code, line, _, msg in found)
    assert any(
        code == "T102" and line == 9 and "one of optimal, feasible, infeasible" in msg
        for code, line, _, msg in found
    )
    assert any(code == "T104" and "no `account`" in msg for code, _, _, msg in found)


def test_a_file_without_tests_is_rejected(tmp_path: Path) -> None:
    assert errors(write(tmp_path, "empty.test.yaml", "cases: []\n"))[0][0] == "T102"


def test_found_files_are_the_test_yaml_ones(tmp_path: Path) -> None:
    write(tmp_path, "a.test.yaml", "tests: []\n")
    write(tmp_path, "a.yaml", "policy: x\n")
    assert find_test_files([tmp_path]) == [tmp_path / "a.test.yaml"]


def test_a_missing_path_and_a_folder_without_tests_are_told_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(tmp_path / "nowhere")]) == 1
    assert "error[T100]" in capsys.readouterr().err
    assert main(["test", str(tmp_path)]) == 1
    assert "error[T108]" in capsys.readouterr().err


def test_runner_passes_and_fails_with_locations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "p.tailor", POLICY)
    write(
        tmp_path,
        "p.test.yaml",
        f"""tests:
  - name: the cap and the zero budget conflict
    policy: p.tailor
    account: {ACCOUNT}
    expect:
      status: infeasible
      conflict: [cap-jpm, budget-lt]
  - name: a wrong expectation fails
    policy: p.tailor
    account: {ACCOUNT}
    expect:
      status: optimal
      conflict: [cap-jpm]
""",
    )
    assert main(["test", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] == 1 and report["failed"] == 1
    failing = report["tests"][1]
    assert failing["failures"] == [
        f"{tmp_path / 'p.test.yaml'}:12:7: expected status optimal, got infeasible",
        f"{tmp_path / 'p.test.yaml'}:13:7: expected a conflict between ['cap-jpm'], "
        "found [['budget-lt', 'cap-jpm']]",
    ]


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_dollar_bounds_read_back_exactly(amount: Decimal) -> None:
    """However an advisor writes an amount ($1,234.50, 1234.5, -$7), the bound is that exact decimal."""
    from core.yaml_reader import read_yaml
    from engine.explain.policy_tests import _amount

    sign = "-" if amount < 0 else ""
    for text in (f'"{sign}${abs(amount):,}"', f"{amount}"):
        node = read_yaml(f"x: {text}\n", "t.yaml").get("x")
        problems = _Problems()
        assert _amount(node, "estimated_tax", problems) == amount and not problems.found
