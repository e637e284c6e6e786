"""tailor: declarative, verified, tax-managed portfolio rebalancing.

The Python API (`tailor.check`, `tailor.rebalance`, `tailor.explain`, `tailor.batch`, …; docs/api.md)
is `tailor.api`, whose names are reachable here. They load on first use (PEP 562): importing the
solver takes seconds, and `tailor check` must not pay for it. The CLI is a thin layer over the API.
"""

from __future__ import annotations

from typing import Any

from tailor.api import EXPORTS
from tailor.api import __getattr__ as _api_attribute

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in EXPORTS:
        raise AttributeError(f"module 'tailor' has no attribute {name!r}")
    return _api_attribute(name)
