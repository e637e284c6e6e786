"""Inputs as objects or files: one place that turns what a caller gives into the engine's typed values.

A policy is a `CompiledPolicy` or a policy file (a path, or a list of paths: a stack of layers, top
first); an account an `Account` or an account.yaml; a market a `Market`, a `Snapshot`, a snapshot
folder, or nothing (the bundled history on the as-of date). Files go through the same loaders, with the
same located diagnostics, as `tailor rebalance`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from compiler.check import compile_policy
from compiler.inputs import check_account
from compiler.ir import CompiledPolicy
from core.diagnostics import Diagnostic, Related, TailorError, error
from market.snapshot import Snapshot, load_snapshot
from solver.account import Account
from solver.account_files import load_account, resolve_as_of
from solver.market import Market
from solver.snapshot_checks import resolve_snapshot_as_of

PathLike = str | os.PathLike[str]
PolicyInput = CompiledPolicy | PathLike | Sequence[PathLike]
AccountInput = Account | PathLike
MarketInput = Market | Snapshot | PathLike | None


@dataclass(frozen=True)
class Inputs:
    """What one rebalance runs on, and the warnings its inputs raised (D109, D117, the policy's)."""

    policy: CompiledPolicy
    account: Account
    market: Market
    notes: tuple[Diagnostic, ...]


def as_snapshot(market: MarketInput) -> Snapshot | None:
    """The caller's snapshot, read now when given as a folder (its problems before anything else)."""
    if isinstance(market, Snapshot):
        return market
    if market is None or isinstance(market, Market):
        return None
    return load_snapshot(market)


def load_policy(policy: PolicyInput, snapshot: Snapshot | None = None) -> CompiledPolicy:
    """A compiled policy; files are checked against the security master (the snapshot's, with the
    securities it adds, when the market is a snapshot)."""
    if isinstance(policy, CompiledPolicy):
        return policy
    paths: str | Path | list[str | Path] = (
        [Path(p) for p in policy] if isinstance(policy, Sequence) and not isinstance(policy, str)
        else Path(policy))
    return compile_policy(paths, master=snapshot.master if snapshot else None)


def load_account_input(account: AccountInput, target: PathLike | None = None) -> Account:
    if isinstance(account, Account):
        if target is not None:
            raise TailorError(error("A116", "a target model file was given with an Account object", None,
                                    "load the account from its file with the target, or set the "
                                    "Account's `target` yourself"))
        return account
    return load_account(Path(account), target=Path(target) if target is not None else None)


def bundled_market(account: Account, given: date | None) -> Market:
    """The bundled history on the account's date (`given`, or its `as_of`), saying where the date came
    from when it is outside the history."""
    as_of = resolve_as_of(account, given)
    try:
        return Market.load(as_of)
    except TailorError as exc:
        if given is not None or account.as_of_span is None:
            raise
        note = (Related(message="the date is the account's `as_of`", span=account.as_of_span),)
        raise TailorError([d.model_copy(update={"related": (*d.related, *note)}) for d in exc.diagnostics]) \
            from None


def resolve(account: AccountInput, policy: PolicyInput, market: MarketInput = None, *,
            as_of: date | None = None, target: PathLike | None = None) -> Inputs:
    """Load and cross-check everything a rebalance needs, in the CLI's order: the snapshot, the policy,
    the account (checked against the policy's rules before market data is loaded), then the market."""
    snapshot = as_snapshot(market)
    compiled = load_policy(policy, snapshot)
    loaded = load_account_input(account, target)
    check_account(compiled, loaded)
    if isinstance(market, Market):
        if as_of is not None and as_of != market.as_of:
            raise TailorError(error("A114", f"as_of {as_of} differs from the market's date {market.as_of}",
                                    None, "drop as_of: a Market object is on its own date"))
        chosen = market
    elif snapshot is not None:
        resolve_snapshot_as_of(loaded, snapshot, as_of, flag="as_of")
        chosen = Market.from_snapshot(snapshot)
    else:
        chosen = bundled_market(loaded, as_of)
    return Inputs(policy=compiled, account=loaded, market=chosen,
                  notes=(*compiled.warnings, *chosen.notes()))
