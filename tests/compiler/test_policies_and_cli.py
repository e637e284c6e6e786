"""The shipped policy library passes `tailor check` in both syntaxes; the CLI commands behave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.check import compile_policy
from compiler.language import parse_file
from policy_lang.load import is_policy_file
from tailor.cli import main

POLICIES = Path(__file__).resolve().parents[2] / "policies"
DSL_FILES = sorted(POLICIES.rglob("*.tailor"))
YAML_FILES = sorted(p for p in POLICIES.rglob("*.yaml") if is_policy_file(p))
CLIENTS = ("executive", "faith_esg_family", "legacy_three_year", "zero_gains", "retiree_cash",
           "gift_appreciated")


def test_library_has_both_syntaxes_of_every_policy() -> None:
    assert {p.stem for p in (POLICIES / "clients").glob("*.tailor")} >= set(CLIENTS)
    assert {p.stem for p in (POLICIES / "screens").glob("*.tailor")} == {
        "tobacco", "alcohol", "gambling", "weapons", "fossil_fuels"}
    for path in DSL_FILES:
        assert path.with_suffix(".yaml").is_file(), path


@pytest.mark.parametrize("path", DSL_FILES, ids=[str(p.relative_to(POLICIES)) for p in DSL_FILES])
def test_both_syntaxes_compile_to_the_same_policy(path: Path) -> None:
    dsl, yaml = compile_policy(str(path)), compile_policy(str(path.with_suffix(".yaml")))
    assert dsl.policy_hash == yaml.policy_hash
    assert [r.model_dump(exclude={"span"}) for r in dsl.rules] == \
        [r.model_dump(exclude={"span"}) for r in yaml.rules]
    assert not dsl.warnings


def test_executive_policy_means_what_it_says() -> None:
    compiled = compile_policy(str(POLICIES / "clients" / "executive.tailor"))
    glide = compiled.by_id("glide-jpm")
    assert (glide.max_weight, glide.years, glide.long_term_only) == (0.10, 3, True)  # type: ignore[attr-defined]
    competitors = compiled.by_id("no-competitors")  # JPM's GICS sub-industry: Diversified Banks
    assert {"BAC", "C", "WFC"} <= set(competitors.tickers) and "JPM" not in competitors.tickers  # type: ignore[attr-defined]
    assert "GS" not in competitors.tickers  # an investment bank, another sub-industry
    assert compiled.by_id("firm-wash-sale").locked


def test_check_directory_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(POLICIES)]) == 0
    out = capsys.readouterr().out
    assert f"checked {len(DSL_FILES) * 2} files: 0 errors, 0 warnings" in out
    assert main(["check", "--format", "json", str(POLICIES / "clients" / "executive.yaml")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == 1 and report["summary"] == {"files": 1, "errors": 0, "warnings": 0}
    assert len(report["files"][0]["policy_hash"]) == 64


def test_check_reports_errors_with_exit_status_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.tailor"
    bad.write_text("cap APPL at 10%\n", encoding="utf-8")
    assert main(["check", "--format", "json", str(bad)]) == 1
    (diag,) = json.loads(capsys.readouterr().out)["diagnostics"]
    assert {k: diag[k] for k in ("severity", "code", "line", "column", "end_column")} == {
        "severity": "error", "code": "P301", "line": 1, "column": 5, "end_column": 9}
    assert main(["check", str(bad)]) == 1
    assert "1 | cap APPL at 10%\n  |     ^^^^" in capsys.readouterr().out


def test_fmt_converts_and_writes_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "p.tailor"
    source.write_text("cap   AAPL at 10%\nexclude MO,PM\n", encoding="utf-8")
    assert main(["fmt", str(source)]) == 0
    assert capsys.readouterr().out == "cap AAPL at 10%\nexclude MO, PM\n"
    source.chmod(0o640)
    assert main(["fmt", str(source), "--to", "yaml", "--write"]) == 0
    assert (tmp_path / "p.yaml").stat().st_mode & 0o777 == 0o640
    assert parse_file(str(tmp_path / "p.yaml")) == parse_file(str(source))
    assert capsys.readouterr().out == f"wrote {tmp_path / 'p.yaml'}\n"
    commented = tmp_path / "c.tailor"
    commented.write_text("# keep me\nexclude   MO  # and me\n", encoding="utf-8")
    assert main(["fmt", str(commented), "--to", "yaml"]) == 0
    assert capsys.readouterr().out == "# keep me\nrules:\n- exclude: {ticker: MO}  # and me\n"
    assert main(["fmt", str(commented), "--write"]) == 0
    assert commented.read_text(encoding="utf-8") == "# keep me\nexclude MO  # and me\n"


def test_diff_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.tailor", tmp_path / "new.yaml"
    old.write_text("cap AAPL at 10%\n", encoding="utf-8")
    new.write_text("rules:\n  - cap: {ticker: AAPL, max: 12%}\n", encoding="utf-8")
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    (change,) = json.loads(capsys.readouterr().out)["changes"]
    assert (change["change"], change["rule"]) == ("loosened", "cap-aapl")


def test_diff_against_a_git_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    policy = tmp_path / "p.tailor"
    policy.write_text("budget long-term gains $20k per year\n", encoding="utf-8")
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "p.tailor"], ["commit", "-q", "-m", "v1"]):
        subprocess.run([*git, *args], check=True)
    policy.write_text("budget long-term gains $5k per year\n", encoding="utf-8")
    assert main(["diff", f"git:HEAD:{policy}", str(policy)]) == 0
    assert "tightened budget-long-term" in capsys.readouterr().out
    assert main(["diff", f"git:NOPE:{policy}", str(policy)]) == 1
    assert "P003" in capsys.readouterr().err


@pytest.mark.parametrize("path", DSL_FILES + YAML_FILES,
                         ids=lambda p: str(p.relative_to(POLICIES)))
def test_library_is_in_canonical_form_comments_included(path: Path) -> None:
    from compiler.language import format_dsl, format_yaml
    from policy_lang.comments import collect

    source = path.read_text(encoding="utf-8")
    policy = parse_file(str(path))
    formatted = (format_dsl if path.suffix == ".tailor" else format_yaml)(policy, collect(source, policy))
    assert formatted == source


def test_restrict_buying_outside_target_in_both_syntaxes(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`restrict buying outside target` ↔ `restrict_buying: {outside_target: true}`, exactly, and both
    compile to the same rule (its names are decided with the market, so the IR lists none)."""
    dsl = tmp_path / "mandate.tailor"
    dsl.write_text('policy "Mandate"\nlayer account\n\ntarget sp500 equal weight\n'
                   'rule in-model: locked restrict buying outside target because "the mandate"\n',
                   encoding="utf-8")
    assert main(["fmt", str(dsl), "--to", "yaml"]) == 0
    yaml_text = capsys.readouterr().out
    assert ("- restrict_buying: {outside_target: true}\n  id: in-model\n  locked: true\n"
            "  reason: the mandate\n") in yaml_text
    converted = tmp_path / "mandate.yaml"
    converted.write_text(yaml_text, encoding="utf-8")
    assert main(["fmt", str(converted), "--to", "tailor"]) == 0
    assert capsys.readouterr().out == dsl.read_text(encoding="utf-8")
    a, b = compile_policy(str(dsl)), compile_policy(str(converted))
    assert a.policy_hash == b.policy_hash
    rule = a.by_id("in-model")
    assert rule.model_dump(exclude={"span"}) == b.by_id("in-model").model_dump(exclude={"span"})
    assert rule.outside_target and rule.tickers == () and rule.locked  # type: ignore[attr-defined]


@pytest.mark.parametrize("fields", ["{outside_target: false}", "{outside_target: true, ticker: AAPL}"])
def test_outside_target_is_one_form_of_restrict_buying(tmp_path: Path, fields: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"rules:\n- restrict_buying: {fields}\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr()
    assert "P209" in err.out + err.err and "outside_target" in err.out + err.err


def test_diff_reports_a_switch_to_buying_only_the_target(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.tailor", tmp_path / "new.tailor"
    old.write_text("rule mandate: restrict buying TSLA\n", encoding="utf-8")
    new.write_text("rule mandate: restrict buying outside target\n", encoding="utf-8")
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    (change,) = json.loads(capsys.readouterr().out)["changes"]
    assert (change["change"], change["rule"]) == ("changed", "mandate")
