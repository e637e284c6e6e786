"""tailor: declarative, verified, tax-managed portfolio rebalancing.

The Python API (`tailor.check`, `tailor.rebalance`, `tailor.explain`, `tailor.batch`, …) lives in
`tailor.api`; its names are reachable here. They load on first use (PEP 562), because importing the
solver takes seconds and `tailor check` must not pay for it; the CLI is a thin layer over the same API.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = ("Account", "CheckReport", "CheckedFile", "CompiledPolicy", "Diagnostic", "Explanation", "Market",
        "RebalanceOptions", "RebalanceReport", "RebalanceResult", "RebalanceStatus", "Snapshot",
        "TailorError", "check", "explain", "load_account", "load_policy", "load_snapshot", "rebalance")

__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("tailor.api"), name)
    raise AttributeError(f"module 'tailor' has no attribute {name!r}")
