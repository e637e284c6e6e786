"""Rules that can never hold together, found from their claims before anything is solved.

Errors when no plan can satisfy both rules (a floor above a cap on the same names, a floor on names
that must be sold now, names that must be sold now and may never be sold); warnings when a rule can
only be met in part (a floor on names that may not be bought, an overweight on excluded names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from compiler.claims import Claim, Says
from core.diagnostics import Related

Report = Callable[..., None]  # CheckContext.error / .warning: (code, message, span, hint, related)


def _pct(fraction: float | None) -> str:
    return f"{(fraction or 0.0) * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _related(claim: Claim, what: str) -> tuple[Related, ...]:
    return (Related(message=what, span=claim.span),)


def find_contradictions(claims: Iterable[Claim], error: Report, warning: Report) -> None:
    claims = list(claims)

    def saying(says: Says) -> list[Claim]:
        return [c for c in claims if c.says is says]

    caps, sold, frozen = saying(Says.AT_MOST), saying(Says.SELL_ALL), saying(Says.NO_SELLING)
    floors = [c for c in saying(Says.AT_LEAST) if c.weight and c.tickers]
    for floor in floors:
        names = set(floor.tickers)
        for cap in caps:
            if cap.rule_id != floor.rule_id and names <= set(cap.tickers) and \
                    (floor.weight or 0.0) > (cap.weight or 0.0):
                error("P410", f"minimum {_pct(floor.weight)} of {floor.subject} can never hold "
                      f"under the cap of {_pct(cap.weight)} on {cap.subject}", floor.span,
                      "lower the minimum or raise the cap", _related(cap, "the cap is here"))
        for out in sold:
            if names <= set(out.tickers):
                (error if out.now else warning)(
                    "P413", f"minimum weight on {floor.subject} contradicts excluding it", floor.span,
                    "drop one of the two rules", _related(out, "the exclusion is here"))
        for no_buy in saying(Says.NO_BUYING):
            if names <= set(no_buy.tickers):
                warning("P454", f"minimum weight on {floor.subject} can only be met by shares already "
                        "held: buying it is restricted", floor.span, None,
                        _related(no_buy, "buying is restricted here"))
    singles = [c for c in floors if len(c.tickers) == 1]
    total = sum(c.weight or 0.0 for c in singles)
    if total > 1.0 + 1e-12:
        error("P412", f"minimum weights add up to {_pct(total)}, more than the whole account",
              singles[0].span, "lower the minimums")
    for out in sold:
        for keep in frozen:
            common = sorted(set(out.tickers) & set(keep.tickers))
            if common and out.now:
                error("P411", f"{', '.join(common[:5])} must be sold immediately (exclusion) but may "
                      "never be sold (restriction)", out.span,
                      "use `sell as budget allows`, or drop one rule",
                      _related(keep, "selling is restricted here"))
    for more in saying(Says.MORE):
        for out in sold:
            if set(more.tickers) <= set(out.tickers):
                warning("P455", f"overweighting {more.subject}, which is excluded", more.span,
                        "the tilt cannot be reached; remove it", _related(out, "the exclusion is here"))
