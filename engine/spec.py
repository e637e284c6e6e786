"""The simulation spec: what to simulate, as a pydantic value (Python) or a YAML file (`tailor simulate`).

Both forms hold the same fields; `engine.spec_yaml.load_spec` reads the file with located errors.
Checks that need the price history, the policy or the account (dates inside the history, a policy a
simulation can run) are in `engine.inputs`, so that a spec built in Python is checked the same way.
Paths are as given: the YAML reader resolves them against the spec's folder.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.diagnostics import Span

Cadence = Literal["daily", "weekly", "monthly", "quarterly", "annual"]
CADENCES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "annual")
Every = Literal["week", "month", "quarter", "year"]
EVERY: tuple[str, ...] = ("week", "month", "quarter", "year")
FastPath = Literal["proof", "bands", "off"]
FAST_PATHS: tuple[str, ...] = ("proof", "bands", "off")
RiskRefresh = Literal["each_step", "monthly", "quarterly"]
RISK_REFRESH: tuple[str, ...] = ("each_step", "monthly", "quarterly")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class CashFlow(_Frozen):
    """A deposit (amount > 0) or withdrawal (amount < 0), once (`on`) or every period from `starting`
    (default: the simulation's start; the day of the month repeats) until `until` (default: its end)."""

    amount: Decimal
    on: date | None = None
    every: Every | None = None
    starting: date | None = Field(default=None, alias="from")
    until: date | None = None


class TaxSettings(_Frozen):
    """Rates replace the starting account's (None: keep them). Dividends are taxed at `dividend_rate`
    (None: the long-term rate, as qualified dividends are). The year's tax is paid at the first step of
    the next year, from the account's cash or from outside (only recorded)."""

    short_term_rate: Decimal | None = None
    long_term_rate: Decimal | None = None
    dividend_rate: Decimal | None = None
    paid_from: Literal["cash", "outside"] = "outside"


class Costs(_Frozen):
    """What a trade costs beyond the close price: `spread_bp` of its amount, and `fee` dollars per
    order (one order per ticker and side in a step)."""

    spread_bp: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)


class Bands(_Frozen):
    """The `bands` fast path's thresholds: how much idle cash (a fraction of the account) and ex-ante
    tracking error may grow since the last solve before a step solves again."""

    cash: float = 0.0025
    tracking_error: float = 0.001


class SimulationSpec(_Frozen):
    start: date
    end: date
    cadence: Cadence
    policy: str  # policy file (.tailor or .yaml)
    account: str | None = None  # account.yaml of the starting account …
    cash: Decimal | None = None  # … or cash to invest on the first step
    account_type: Literal["taxable", "ira", "roth"] = "taxable"  # of the all-cash account
    cash_flows: tuple[CashFlow, ...] = ()
    tax: TaxSettings = TaxSettings()
    costs: Costs = Costs()
    on_infeasible: Literal["skip", "stop"] = "skip"
    fast_path: FastPath = "proof"
    bands: Bands | None = None  # only with fast_path "bands" (its defaults when None)
    risk_model: RiskRefresh = "monthly"
    time_limit: float = 60.0
    gap: float = 0.001
    source: str = "<memory>"  # the spec file, for messages
    # Where each key was written (dotted paths: "start", "cash_flows[1].on"), so that checks made
    # after loading point into the file. Not part of the spec's identity.
    spans: dict[str, Span] = Field(default_factory=dict, exclude=True)

    def span(self, key: str) -> Span | None:
        """The location of `key` (or of its nearest written parent), None for a spec built in Python."""
        while key:
            if key in self.spans:
                return self.spans[key]
            key = key.rsplit(".", 1)[0] if "." in key else ""
        return self.spans.get("") or None

    @property
    def band_settings(self) -> Bands:
        return self.bands or Bands()

    def canonical(self) -> str:
        """The spec as canonical JSON: what identifies a run (with the input files' hashes)."""
        return self.model_dump_json(by_alias=True, exclude={"source"})

    def digest(self, *inputs: str) -> str:
        text = "\n".join((self.canonical(), *inputs))
        return hashlib.sha256(text.encode()).hexdigest()
