"""What a transition report simulates: the starting account on the report's start date, and one
compiled policy per scenario.

The price history ends on 2021-04-21, so an account as of then (every shipped example) cannot be
stepped forward. A report replays it from an earlier start instead: the lots it held on that day
(acquired on or before it), in that day's shares — the splits since undone, so the replay applies
them again on their dates — with the account's cash, rates and type, and a fresh tax year (the
account's realized gains and carryforwards are those of its own date, not of the start). The replayed
account is written beside the report, so that what was simulated can be read and rerun.

A generated scenario is the base policy with its transition rule replaced (`transition immediate`,
`transition over N years starting START`, `transition within tax budget $X per year`); a base policy
that locks its transition rule refuses scenarios that change it, as its layering would (M151).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

from compiler.check import compile_policy
from compiler.ir import CompiledPolicy, RuleIR
from compiler.language import parse_text
from core.diagnostics import TailorError, error
from market.prices import load_prices
from solver.account import Account, TaxProfile
from solver.outputs import write_atomic
from solver.splits import apply_split, split_ratio

# The base of the generated scenarios when none is given: tailor's defaults (target sp500, ...) with no
# credit for harvested losses, so that the scenarios compare the cost of the move itself. A harvest
# rule makes every harvest-and-rebuy a wash-sale choice the solver must settle: a base policy with one
# (--policy) is compared as well, more slowly (docs/transition.md).
DEFAULT_POLICY = 'policy "tailor transition default"\ntarget sp500\nharvest losses over 99%\n'


@dataclass(frozen=True)
class Scenario:
    name: str  # a short label for tables and charts: "immediate", "over 3 years", "tax $25,000/yr", …
    policy: CompiledPolicy
    source: str  # where its policy came from: the base policy and the transition rule, or a file


def replay_account(account: Account, start: date) -> Account:
    """The account as it stood on `start`: its lots acquired on or before that day, in that day's
    shares (splits after it undone), its cash, and a tax year without gains yet."""
    as_of = account.as_of or start
    if start > as_of:
        raise TailorError(error("M150", f"the report starts on {start}, after the account's date {as_of}",
                                account.as_of_span, f"start on or before {as_of}: the report replays the "
                                "account's lots from an earlier day of the history"))
    held = [lot for lot in account.lots if lot.acquired <= start]
    if not held:
        first = min(lot.acquired for lot in account.lots)
        raise TailorError(error("M150", f"the account held none of its lots on {start}: its first was "
                                f"acquired on {first}", account.as_of_span,
                                "start the report on or after that day"))
    events = load_prices().splits_between(start, as_of)
    undo: dict[str, Fraction] = {}
    for ticker, value in zip(events["ticker"], events["ratio"], strict=True):
        undo[ticker] = undo.get(ticker, Fraction(1)) / split_ratio(float(value))
    lots = tuple(apply_split(lot, undo[lot.ticker]) if lot.ticker in undo else lot for lot in held)
    tax = TaxProfile(short_term_rate=account.tax.short_term_rate, long_term_rate=account.tax.long_term_rate)
    return account.model_copy(update={
        "lots": lots, "as_of": start, "tax": tax, "household_id": None, "household_transactions": None,
        "transactions": tuple(t for t in account.transactions if t.on <= start)})


def write_account(account: Account, folder: Path) -> Path:
    """account.yaml and lots.csv of the replayed account in `folder` (each written whole, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["lot_id,ticker,acquired,shares,basis_per_share,holding_period_start"]
    rows += [f"{lot.lot_id},{lot.ticker},{lot.acquired},{lot.shares},"
             f"{lot.basis_per_share.quantize(Decimal('0.000001'), ROUND_HALF_EVEN).normalize():f},"
             f"{lot.holding_period_start or ''}"
             for lot in account.lots]
    write_atomic(folder / "lots.csv", "\n".join(rows) + "\n")
    text = (f"# {account.account_id} replayed from {account.as_of} by `tailor transition`\n"
            f"account: {account.account_id}\ntype: {account.account_type}\nas_of: {account.as_of}\n"
            f"cash: {account.cash}\nlots: lots.csv\ntax:\n  short_term_rate: {account.tax.short_term_rate}\n"
            f"  long_term_rate: {account.tax.long_term_rate}\n")
    write_atomic(folder / "account.yaml", text)
    return folder / "account.yaml"


def _rule(text: str, label: str) -> RuleIR:
    rule = compile_policy(parse_text(text + "\n", f"<scenario {label}>", "tailor")).one("transition")
    assert rule is not None  # every compiled policy has one
    return rule


def _unlocked(old: RuleIR, new: RuleIR, scenario: str, change: str) -> None:
    """A scenario may not change a rule the base policy locks (as a lower layer may not)."""
    if old.locked and old.model_dump(exclude={"span", "reason", "id", "locked"}) != new.model_dump(
            exclude={"span", "reason", "id", "locked"}):
        raise TailorError(error("M151", f"the base policy locks its {old.kind} rule; scenario `{scenario}` "
                                f"changes it ({change})", old.span,
                                "give a base policy that does not lock it (--policy), or compare policies "
                                "as written with --scenario NAME=FILE"))


def generated(base: CompiledPolicy, name: str, transition: str, tracking_weight: float | None) -> Scenario:
    """The base policy with `transition` (DSL) as its transition rule and, when given, the tracking
    weight of its preferences replaced: what moves the account while the transition rule paces it."""
    replaced = {"transition": _rule(transition, name)}
    change = f"`{transition}`"
    old_preferences = base.one("preferences")
    if tracking_weight is not None and old_preferences is not None:
        replaced["preferences"] = old_preferences.model_copy(update={"tracking_weight": tracking_weight,
                                                                     "preset": None, "locked": False})
        change += f", tracking weight {tracking_weight:g}"
    for kind, new in replaced.items():
        old = base.one(kind)
        if old is not None:
            _unlocked(old, new, name, change)
    rules = tuple(replaced.get(r.kind, r) for r in base.rules)
    digest = hashlib.sha256(f"{base.policy_hash}\n{change}".encode()).hexdigest()
    return Scenario(name=name, source=f"{base.name} + {change}",
                    policy=base.model_copy(update={"rules": rules, "policy_hash": digest,
                                                   "name": f"{base.name}: {change}"}))
