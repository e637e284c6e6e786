"""The packages form one-way layers: each imports only packages below it, counting every import —
at module level, inside a function or under `TYPE_CHECKING` — so no deferred import can hide a cycle.

    core → market, policy_lang → solver → compiler → engine → tailor
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each package with the packages it may import (transitively closed: a layer sees all below it).
LAYERS: dict[str, set[str]] = {"core": set(), "market": {"core"}, "policy_lang": {"core"}}
LAYERS["solver"] = {"core", "market"}
LAYERS["compiler"] = LAYERS["solver"] | {"solver", "policy_lang"}
LAYERS["engine"] = LAYERS["compiler"] | {"compiler"}
LAYERS["tailor"] = LAYERS["engine"] | {"engine"}


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file; relative ones are refused."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module, f"{path}:{node.lineno}: relative import"
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_every_package_is_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "benchmarks", "examples"} == set(LAYERS)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    upward = [f"{path.relative_to(ROOT)}:{line}: imports {target}"
              for path in sorted((ROOT / package).rglob("*.py"))
              for line, target in imports(path)
              if target in LAYERS and target != package and target not in LAYERS[package]]
    assert upward == []


def test_the_check_sees_a_deferred_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from engine.rebalance import rebalance\n")
    assert imports(module) == [(2, "engine")]
