"""The stable Python API: `import tailor`, then `tailor.check`, `tailor.rebalance`, `tailor.explain`.

    report = tailor.rebalance("examples/accounts/legacy_jpm/account.yaml",
                              "policies/clients/executive.tailor")
    report.status, report.result.trades          # tailor.rebalance/1 around tailor.result/1

Inputs are objects or files (tailor.api.inputs); results are pydantic models with versioned schemas
(tailor.api.models; JSON Schemas in docs/schemas/). docs/api.md is the reference.
"""

from compiler.ir import CompiledPolicy
from policy_lang.diagnostics import Diagnostic, TailorError
from solver.account import Account
from solver.data.snapshot import Snapshot, load_snapshot
from solver.explain.schema import Explanation
from solver.market import Market
from solver.rebalance import RebalanceOptions
from solver.result import RebalanceResult
from tailor.api.engine import check, explain, rebalance
from tailor.api.inputs import load_account_input as load_account
from tailor.api.inputs import load_policy
from tailor.api.models import CheckedFile, CheckReport, RebalanceReport, RebalanceStatus

__all__ = ["Account", "CheckReport", "CheckedFile", "CompiledPolicy", "Diagnostic", "Explanation", "Market",
           "RebalanceOptions", "RebalanceReport", "RebalanceResult", "RebalanceStatus", "Snapshot",
           "TailorError", "check", "explain", "load_account", "load_policy", "load_snapshot", "rebalance"]
