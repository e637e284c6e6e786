"""What a rebalance on a market snapshot checks of an account before anything is built.

* D115: the account is valued on the snapshot's date. A snapshot prices one close; lots and cash
  stated as of another day, valued at it, would be silently wrong (the snapshot's counterpart of
  A114). `--as-of` with `--market` must name the same day.
* D114: every held ticker, and every name of the account's own target model, has a price in the
  snapshot. A lot is named and located in its lots file, with the snapshot's `prices:` beside it.

A held ticker the security master does not know is left to A106 (`check_against_market`), which
suggests the ticker meant.
"""

from __future__ import annotations

from datetime import date

from core.diagnostics import Diagnostic, Related, Span, TailorError, error
from market.snapshot import Snapshot
from solver.account import Account


def resolve_snapshot_as_of(account: Account, snapshot: Snapshot, given: date | None = None,
                           flag: str = "--as-of") -> date:
    """The rebalance date on a snapshot: the snapshot's, which `given` (the command line's) and the
    account's own `as_of` must equal when they are stated (D115)."""
    here = (Related(message="the snapshot's date is given here", span=snapshot.as_of_span),) \
        if snapshot.as_of_span is not None else ()
    if given is not None and given != snapshot.as_of:
        raise TailorError(error(
            "D115", f"{flag} {given} differs from the market snapshot's as_of {snapshot.as_of}",
            snapshot.as_of_span, f"drop {flag}: with --market the date is the snapshot's"))
    if account.as_of is not None and account.as_of != snapshot.as_of:
        raise TailorError(error(
            "D115", f"the account states as_of {account.as_of}, but the market snapshot {snapshot.origin} "
            f"prices {snapshot.as_of}", account.as_of_span or Span.point(account.source, 1, 1),
            f"value the account at the prices of the day its lots and cash are as of: use a snapshot of "
            f"{account.as_of}, or change `as_of:` in {account.source} if they are as of {snapshot.as_of}",
            here))
    return snapshot.as_of


def check_against_snapshot(account: Account, snapshot: Snapshot) -> None:
    resolve_snapshot_as_of(account, snapshot)
    prices = snapshot.prices
    listed = (Related(message="the snapshot's prices are named here", span=snapshot.prices_span),) \
        if snapshot.prices_span is not None else ()
    known = snapshot.master
    lots_of: dict[str, list[str]] = {}
    for lot in account.lots:
        if lot.ticker not in prices and lot.ticker in known:
            lots_of.setdefault(lot.ticker, []).append(lot.lot_id)
    problems: list[Diagnostic] = []
    for ticker, lots in lots_of.items():  # one diagnostic per name, at its first lot
        more = f" (and {len(lots) - 1} more lot(s) of it)" if len(lots) > 1 else ""
        problems.append(error(
            "D114", f"lot {lots[0]} holds {ticker}{more}, which has no price in the market snapshot "
            f"{snapshot.origin}", account.span_of(lots[0]),
            f"add `{ticker},<close on {snapshot.as_of}>` to the snapshot's prices: a held position cannot be "
            "valued or sold without it", listed))
    target = account.target
    unpriced = [t for t, w in target.weights if w > 0 and t not in prices] if target is not None else []
    if target is not None and unpriced:
        names = ", ".join(unpriced[:5]) + (f" and {len(unpriced) - 5} more" if len(unpriced) > 5 else "")
        problems.append(error(
            "D114", f"the account's target model {target.given} ({target.origin}) names {names}, without a "
            f"price in the market snapshot {snapshot.origin}", target.span,
            "add their closes to the snapshot's prices, or take them out of the target model", listed))
    if problems:
        raise TailorError(problems)
