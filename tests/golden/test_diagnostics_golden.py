"""Golden files: the exact text of each diagnostic, as an advisor sees it.

Each case under diagnostics/cases (and each layering case diagnostics/layers/*/account.tailor) is
checked with the real security master; its rendered diagnostics must equal diagnostics/expected/
<case>.txt byte for byte (diagnostics are deterministic text: no solver is involved). After an
intended change of wording, regenerate with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden`: each
rewritten file fails its test (tests/golden/update.py) until the diff is reviewed and the tests run
again without UPDATE_GOLDEN.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.check import compile_policy
from core.diagnostics import TailorError, render_all
from tests.golden.update import update, updating

ROOT = Path(__file__).parent / "diagnostics"
CASES = sorted([p.relative_to(ROOT) for p in (ROOT / "cases").iterdir() if p.suffix in (".tailor", ".yaml")]
               + [p.relative_to(ROOT) for p in (ROOT / "layers").glob("p*/account.tailor")])


def rendered(case: Path) -> str:
    try:
        compiled = compile_policy(str(case))
        diagnostics = list(compiled.warnings)
    except TailorError as exc:
        diagnostics = exc.diagnostics
    return render_all(diagnostics) + "\n"


def expected_path(case: Path) -> Path:
    name = case.stem if case.parent.name == "cases" else case.parent.name
    return ROOT / "expected" / f"{name}.txt"


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_diagnostic_text(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = rendered(case)
    path = expected_path(case)
    if updating():
        update(path, text)
    assert text == path.read_text(encoding="utf-8")


def test_each_case_shows_the_code_its_name_promises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    codes = set()
    for case in CASES:
        name = case.stem if case.parent.name == "cases" else case.parent.name
        code = name.split("_")[0].upper()
        assert re.search(rf"\[{code}\]", rendered(case)), case
        codes.add(code)
    assert len(codes) >= 30
