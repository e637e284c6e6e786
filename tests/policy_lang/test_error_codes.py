"""The registry of diagnostic codes against the sources and the docs: every code the shipped sources
use is registered and every registered code is used, each code is well formed and listed once, the
registry stays at the bottom of the import graph, and docs/errors.md is exactly what
`tailor codes --markdown` prints."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from core.error_codes import CODE_PATTERN, CODES, FAMILIES, family_of
from core.error_codes.render import explanation, markdown
from tailor.cli import main

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "market", "policy_lang", "solver", "compiler", "engine", "tailor")  # all shipped
REGISTRY = ROOT / "core" / "error_codes"
DOCS = ROOT / "docs"
# The start of a code built at run time: f"V2{n}" or "P" + digits would escape the scan below.
CODE_START = re.compile(r"[A-Z][0-9]{0,2}")


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if REGISTRY not in path.parents]  # the registry's own tables are not uses


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def used_codes() -> dict[str, list[str]]:
    """Every code the shipped sources use, with where ("path:line").

    Any string constant that is a whole code counts, wherever it stands. Codes reach diagnostics as
    the first argument of `error`/`warning` and as `Violation(code=…)`, but also through a
    YamlDialect's fields, a catalogue's tuples, a default parameter (`code: str = "T102"`), a
    conditional expression (`"D102" if … else "D103"`) and a helper's positional argument
    (`_locate(…, "A101")`): a scan of call sites alone would miss them."""
    found: dict[str, list[str]] = defaultdict(list)
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and CODE_PATTERN.fullmatch(node.value):
                found[node.value].append(_where(path, node))
    return found


def _fmt(codes: dict[str, list[str]]) -> str:
    return "\n".join(f"  {code}: used at {', '.join(where)}" for code, where in sorted(codes.items()))


def test_every_code_the_sources_use_is_registered() -> None:
    unregistered = {code: where for code, where in used_codes().items() if code not in CODES}
    assert not unregistered, (
        "codes used in the sources but missing from the registry:\n" + _fmt(unregistered) + "\n"
        "Add an ErrorCode (title, meaning, fix) for each to its family in core/error_codes/ "
        "(a new number if it means something an existing code does not), then run `make docs`.")


def test_every_registered_code_is_used() -> None:
    used = used_codes()
    dead = sorted(code for code in CODES if code not in used)
    assert not dead, (f"registered codes no source uses: {', '.join(dead)}; remove their entries from "
                      "core/error_codes/ (and run `make docs`), or use them")


def test_no_code_is_assembled_at_run_time() -> None:
    """The scan above sees only whole codes; one put together from parts would escape it."""
    assembled = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else \
                node.left if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) \
                    and CODE_START.fullmatch(first.value):
                assembled.append(_where(path, node))
    assert not assembled, f"write each code whole, as one string: {', '.join(assembled)}"


def test_codes_are_well_formed_listed_once_and_in_their_family() -> None:
    prefixes = [family.prefix for family in FAMILIES]
    assert len(set(prefixes)) == len(prefixes)
    listed = [entry.code for family in FAMILIES for entry in family.codes]
    assert len(listed) == len(set(listed)) == len(CODES), \
        f"listed twice: {sorted({c for c in listed if listed.count(c) > 1})}"
    for family in FAMILIES:
        assert re.fullmatch(r"[A-Z][0-9]", family.prefix) and family.name and family.about
        codes = [entry.code for entry in family.codes]
        assert codes == sorted(codes), f"{family.label}: keep codes in numeric order"
        for entry in family.codes:
            assert CODE_PATTERN.fullmatch(entry.code) and entry.code.startswith(family.prefix), entry
            assert family_of(entry.code) is family
            assert entry.title and not entry.title.endswith("."), entry.code
            assert entry.meaning.endswith(".") and entry.fix.endswith("."), entry.code


def test_the_registry_imports_nothing_from_the_compiler_or_solver() -> None:
    """It sits beside core.diagnostics at the bottom of the import graph, so every stage (and
    the `tailor codes` command) can read it without loading the engine."""
    for path in sorted(REGISTRY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.startswith("core.error_codes") or name.split(".")[0] in (
                    "__future__", "dataclasses", "re", "textwrap"), f"{_where(path, node)} imports {name}"


def test_docs_errors_md_is_what_the_generator_prints() -> None:
    assert (DOCS / "errors.md").read_text(encoding="utf-8") == markdown(), \
        "docs/errors.md is out of date: regenerate it with `make docs` (tailor codes --markdown)"


def test_the_docs_name_only_registered_codes() -> None:
    for page in sorted(DOCS.glob("*.md")):
        named = set(re.findall(r"\b[APDSTV][0-9]{3}\b", page.read_text(encoding="utf-8")))
        assert named <= set(CODES), f"{page.name} names unregistered codes {sorted(named - set(CODES))}"


def test_codes_command_explains_one_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "a124"]) == 0
    out = capsys.readouterr().out
    assert out == explanation(CODES["A124"]) and out.startswith("A124: Sale without its realized gain\n")


def test_codes_command_lists_every_code_and_prints_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {code}  {entry.title}\n" in out for code, entry in CODES.items())
    assert main(["codes", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown()


def test_an_unknown_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "A1245"]) == 2
    assert "unknown code 'A1245'" in capsys.readouterr().err
    assert main(["codes", "--markdown", "A124"]) == 2
