"""Market and reference data: security master, prices, index targets, risk model.

The main entry points are re-exported here and imported lazily (on first attribute access), so
that `import market.master` — what the policy checker needs — does not pull in pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_master": "master", "SecurityMaster": "master", "Security": "master",
    "load_prices": "prices", "PriceHistory": "prices", "Repair": "price_checks",
    "index_weights": "index", "index_members": "index", "market_caps": "index",
    "model_weights": "index", "look_through": "index", "renormalise": "index",
    "RiskModel": "risk", "build_risk_model": "risk_build", "risk_model": "risk_build",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'market' has no attribute {name!r}")
    return getattr(import_module(f"market.{_EXPORTS[name]}"), name)
