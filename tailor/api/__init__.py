"""The stable Python API: `import tailor`, then `tailor.check`, `tailor.rebalance`, `tailor.explain`,
`tailor.household`, `tailor.simulate`, `tailor.batch`.

    report = tailor.rebalance("examples/accounts/legacy_jpm/account.yaml",
                              "policies/clients/executive.tailor")
    report.status, report.result.trades          # tailor.rebalance/1 around tailor.result/1

Inputs are objects or files (tailor.api.inputs); results are pydantic models with versioned schemas
(tailor.api.models; JSON Schemas in docs/schemas/). docs/api.md is the reference.

Names load on first use (PEP 562): the CLI imports light modules of this package (outputs, policies)
without paying the seconds it takes to import the solver.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name → (module, attribute)
EXPORTS: dict[str, tuple[str, str]] = {
    "check": ("tailor.api.engine", "check"),
    "rebalance": ("tailor.api.engine", "rebalance"),
    "explain": ("tailor.api.engine", "explain"),
    "simulate": ("tailor.api.simulation", "simulate"),
    "SimulationSpec": ("engine.spec", "SimulationSpec"),
    "SimulationResult": ("engine.records", "SimulationResult"),
    "batch": ("tailor.batch.runner", "run_batch"),
    "BatchSettings": ("tailor.batch.runner", "BatchSettings"),
    "BookReport": ("tailor.batch.summary", "BookReport"),
    "Decision": ("tailor.api.decision", "Decision"),
    "DecisionLog": ("tailor.decision_log.store", "DecisionLog"),
    "load_account": ("tailor.api.inputs", "load_account_input"),
    "load_policy": ("tailor.api.inputs", "load_policy"),
    "load_snapshot": ("market.snapshot", "load_snapshot"),
    "load_household": ("solver.household_files", "load_household"),
    "household_sleeves": ("engine.household", "run_sleeves"),
    "household_plan": ("engine.household_plan", "plan_household"),
    "household": ("tailor.api.household", "household"),
    "HouseholdReport": ("tailor.api.household", "HouseholdReport"),
    "Household": ("solver.household", "Household"),
    "HouseholdSummary": ("engine.household_summary", "HouseholdSummary"),
    "CheckReport": ("tailor.api.models", "CheckReport"),
    "CheckedFile": ("tailor.api.models", "CheckedFile"),
    "RebalanceReport": ("tailor.api.models", "RebalanceReport"),
    "RebalanceStatus": ("tailor.api.models", "RebalanceStatus"),
    "RebalanceOptions": ("engine.rebalance", "RebalanceOptions"),
    "RebalanceResult": ("solver.result", "RebalanceResult"),
    "Explanation": ("engine.explain.schema", "Explanation"),
    "Account": ("solver.account", "Account"),
    "CompiledPolicy": ("compiler.ir", "CompiledPolicy"),
    "Market": ("solver.market", "Market"),
    "Snapshot": ("market.snapshot", "Snapshot"),
    "Diagnostic": ("core.diagnostics", "Diagnostic"),
    "TailorError": ("core.diagnostics", "TailorError"),
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in EXPORTS:
        raise AttributeError(f"module 'tailor.api' has no attribute {name!r}")
    module, attribute = EXPORTS[name]
    return getattr(importlib.import_module(module), attribute)
