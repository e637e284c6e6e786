"""The verifier shares no code with the optimiser.

* Statically: every module the verifier can import (`solver.verify`, `solver.verify_law` and what
  they import, followed through the repository; of a rule kind's module, what its `verify` reaches)
  is none of the optimiser's — not `solver.tax`, the model, Pyomo or HiGHS.
* Per rule kind: no method or module function is reachable both from the kind's `lower` and from
  its `verify`, so the verifier re-derives each rule's meaning instead of calling the lowering's
  helpers (`Cap.limits`, `Budget.before`, `HoldingPeriod.held_back`, `WashSale.identical`, …).
* At run time: a verified plan is verified again in a fresh interpreter where importing any of the
  optimiser's modules fails, and it passes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pickle
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.rules import RULE_KINDS
from compiler.rules.budget import BudgetIR
from compiler.rules.cap import CapIR
from compiler.rules.holding_period import HoldingPeriodIR
from compiler.rules.transition import TransitionIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import ROOT, policy, run, span

OPTIMISER = ("solver.tax", "solver.model", "solver.account_arrays", "solver.tracking", "solver.trades",
             "solver.handoff", "solver.search", "solver.solve", "solver.repair", "solver.lazy",
             "solver.branch", "solver.matrix_rows", "solver.rounding", "solver.look_through",
             "engine.rebalance", "engine.explain", "compiler.lower",
             "pyomo", "highspy")


def forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in OPTIMISER)


def source(module: str) -> ast.Module | None:
    """The parsed source of a module of this repository (None for third-party and standard ones)."""
    spec = importlib.util.find_spec(module)
    # The virtual environment may sit inside the repository (make's .venv): its packages are not ours.
    if spec is None or spec.origin is None or not spec.origin.startswith(str(ROOT)) \
            or Path(spec.origin).relative_to(ROOT).parts[0].startswith("."):
        return None
    return ast.parse(Path(spec.origin).read_text())


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # `name` is an attribute of a module, not a module of a package
        return False


def imported(nodes: list[ast.AST]) -> set[str]:
    """Modules imported anywhere under `nodes`, skipping `if TYPE_CHECKING:` blocks (never run). The
    repository uses absolute imports only."""
    found: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            stack += node.orelse
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.module and not node.level, "relative import"
            found.add(node.module)
            # `from package import module` imports the module too
            found |= {f"{node.module}.{alias.name}" for alias in node.names
                      if is_module(f"{node.module}.{alias.name}")}
        stack += list(ast.iter_child_nodes(node))
    return found


def kind_class(tree: ast.Module, kind: str) -> ast.ClassDef:
    return next(node for node in tree.body if isinstance(node, ast.ClassDef)
                and type(RULE_KINDS[kind]).__name__ == node.name)


def reachable(tree: ast.Module, cls: ast.ClassDef, start: str) -> dict[str, ast.FunctionDef]:
    """The class's methods and the module's functions a method reaches (itself included): through
    `self.name`, `ClassName.name` and bare names of module functions."""
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    found: dict[str, ast.FunctionDef] = {}
    todo = [f"{cls.name}.{start}"]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        node = methods[name.split(".")[1]] if "." in name else functions[name]
        found[name] = node
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                    and sub.value.id in ("self", cls.name) and sub.attr in methods:
                todo.append(f"{cls.name}.{sub.attr}")
            elif isinstance(sub, ast.Name) and sub.id in functions:
                todo.append(sub.id)
    return found


def verifier_modules() -> dict[str, set[str]]:
    """Every module the verifier can import, each with the modules it imports (rule kind modules:
    only what their module level and their `verify` reach)."""
    kinds = {type(k).__module__: name for name, k in RULE_KINDS.items()}
    graph: dict[str, set[str]] = {}
    todo = ["compiler.verify_rules", "solver.verify", "solver.verify_law", *kinds]
    while todo:
        module = todo.pop()
        if module in graph:
            continue
        tree = source(module)
        if tree is None:
            graph[module] = set()
            continue
        if module in kinds:
            cls = kind_class(tree, kinds[module])
            top = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
            graph[module] = imported([*top, *reachable(tree, cls, "verify").values()])
        else:
            graph[module] = imported(list(tree.body))
        todo += sorted(graph[module])
    return graph


def test_the_verifier_imports_nothing_of_the_optimiser() -> None:
    graph = verifier_modules()
    assert {"solver.verify_law", "solver.verify", "solver.market", "compiler.rules.wash_sale"} <= set(graph)
    bad = {module: sorted(filter(forbidden, imports)) for module, imports in graph.items()}
    assert {m: b for m, b in bad.items() if b} == {}
    assert graph["solver.verify_law"] <= {"__future__", "collections.abc", "datetime", "decimal"}


@pytest.mark.parametrize("kind", sorted(RULE_KINDS))
def test_verify_shares_no_helper_with_lower(kind: str) -> None:
    module = type(RULE_KINDS[kind]).__module__
    tree = source(module)
    assert tree is not None
    cls = kind_class(tree, kind)
    defined = {f.name for f in cls.body if isinstance(f, ast.FunctionDef)}
    checked = set(reachable(tree, cls, "verify")) - {f"{cls.name}.verify"}
    lowered = set(reachable(tree, cls, "lower")) - {f"{cls.name}.lower"} if "lower" in defined else set()
    assert checked & lowered == set()


def test_the_helpers_the_issue_names_are_off_the_verifiers_path() -> None:
    """The five the issue lists, by name: each still serves its lowering, none its verifier."""
    for kind, helper in (("cap", "limits"), ("budget", "before"), ("transition", "allowance"),
                         ("holding_period", "held_back"), ("wash_sale", "identical")):
        tree = source(type(RULE_KINDS[kind]).__module__)
        assert tree is not None
        cls = kind_class(tree, kind)
        assert f"{cls.name}.{helper}" in reachable(tree, cls, "lower")
        assert f"{cls.name}.{helper}" not in reachable(tree, cls, "verify")


CHILD = """
import importlib.abc, json, pickle, sys

OPTIMISER = {optimiser!r}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == m or name.startswith(m + ".") for m in OPTIMISER):
            raise ImportError(f"the verifier imported {{name}}")
        return None

sys.meta_path.insert(0, Refuse())
from compiler.verify_rules import verify
from solver.verify import build_outcome
account, market, trades, target, cash_flow, rules = pickle.load(open(sys.argv[1], "rb"))
found = verify(build_outcome(account, market, trades, target, cash_flow), rules)
loaded = sorted(m for m in sys.modules if any(m == o or m.startswith(o + ".") for o in OPTIMISER))
print(json.dumps({{"violations": [v.code for v in found], "loaded": loaded}}))
"""


def test_a_plan_verifies_with_the_optimiser_unimportable(legacy_account: Account, market: Market,
                                                        tmp_path: Path) -> None:
    rules = (CapIR(id="cap", span=span(5), subject="JPM", tickers=("JPM",), max_weight=0.10, min_weight=None,
                   years=3, long_term_only=True),
             BudgetIR(id="budget", span=span(6), measure="tax", amount=Decimal(150_000)),
             HoldingPeriodIR(id="holding_period", span=span(7), no_short_term_gains=True, defer_days=None),
             TransitionIR(id="transition", span=span(8), mode="over_years", years=3, budget_usd=None))
    solved = run(legacy_account, market, *rules)
    outcome = solved.outcome
    trades = [*(s.trade for s in outcome.sales), *outcome.buys, *(g.trade for g in outcome.gifts)]
    assert outcome.sales and outcome.buys
    inputs = tmp_path / "inputs.pickle"
    inputs.write_bytes(pickle.dumps((legacy_account, market, trades, outcome.target, outcome.cash_flow,
                                     policy(*rules).rules)))
    script = CHILD.format(optimiser=OPTIMISER)
    done = subprocess.run([sys.executable, "-c", script, str(inputs)], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"violations": [], "loaded": []}
