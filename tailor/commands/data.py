"""`tailor data info`, `tailor data risk-model --as-of DATE` and `tailor data snapshot SNAPSHOT`: what
market data is loaded, the risk model for a date (built once, then read from the cache), and a check
of a caller's market snapshot (what a rebalance with --market would use, before any account)."""

from __future__ import annotations

import argparse
from datetime import date


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2020-12-31") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect market data; build and cache risk models",
                                   description=__doc__)
    actions = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    info = actions.add_parser("info", help="what is loaded: files, dates, counts, repairs made")
    info.set_defaults(run=run_info)
    risk = actions.add_parser("risk-model", help="build (or load from the cache) the risk model for a date")
    risk.add_argument("--as-of", type=_iso_date, required=True, metavar="DATE",
                      help="estimate from daily returns up to this date (YYYY-MM-DD)")
    risk.set_defaults(run=run_risk_model)
    snapshot = actions.add_parser("snapshot", help="check a market snapshot and show what a rebalance would "
                                  "use: prices, index weights, additions, the risk model and its age")
    snapshot.add_argument("snapshot", metavar="SNAPSHOT", help="folder with snapshot.yaml (docs/data.md)")
    snapshot.set_defaults(run=run_snapshot)


def run_info(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console
    from rich.table import Table

    from core.paths import cache_dir, data_dir
    from market.index import market_caps
    from market.master import TIERS, load_master
    from market.prices import load_prices

    console = Console(soft_wrap=True)
    started = time.perf_counter()
    master = load_master()
    master_seconds = time.perf_counter() - started
    started = time.perf_counter()
    prices = load_prices()
    price_seconds = time.perf_counter() - started

    console.print(f"[bold]data[/bold] {data_dir()}   [bold]cache[/bold] {cache_dir()}")
    sources: dict[str, int] = {}
    for ticker in master.tickers:
        source = master.resolve(ticker).source
        sources[source] = sources.get(source, 0) + 1
    first, last = master.membership_range
    by_source = ", ".join(f"{n} {s}" for s, n in sources.items())
    console.print(f"\n[bold]Security master[/bold] ({master_seconds * 1000:.0f} ms): {len(master)} "
                  f"securities ({by_source}); {len(master.sectors)} sectors, "
                  f"{len(master.industries)} industries, {len(master.sub_industries)} sub-industries "
                  f"(GICS 2023; {sum(1 for s in master.sub_industries if master.in_sub_industry(s))} "
                  "with a security)")
    console.print(f"  membership history {first} … {last}; members on {prices.last}: "
                  f"{len(master.members_on(prices.last))}")
    screens = Table("screen category", *TIERS, title="screens (tiers are cumulative)", title_justify="left")
    for category in master.screen_categories:
        screens.add_row(category, *(str(len(master.screen(category, tier))) for tier in TIERS))
    console.print(screens)

    console.print(f"\n[bold]Prices[/bold] ({price_seconds * 1000:.0f} ms): {prices.first} … {prices.last}, "
                  f"{len(prices.dates)} trading days, {len(prices.stocks)} stocks + ETFs "
                  f"{', '.join(prices.etfs)} (priced from the index level); "
                  f"data version {prices.data_version}")
    ended_early = prices.last_dates[prices.last_dates.dt.date < prices.last]
    for ticker, day in ended_early.items():
        console.print(f"  {ticker} ends {day.date()}")
    console.print("  BF.B is absent; only April-2021 members are present (survivorship bias)")
    console.print(f"\n[bold]{len(prices.repairs)} repairs[/bold] to the shipped prices "
                  "(market/price_checks.py explains the rules):")
    for repair in prices.repairs:
        console.print(f"  {repair.describe()}", highlight=False)
    caps = market_caps(prices.last)
    counts = caps["source"].str.replace(r"^successor .*", "successor", regex=True).value_counts()
    console.print(f"\n[bold]Index[/bold] on {prices.last}: {len(caps)} members priced; cap sources: "
                  + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0


def run_risk_model(args: argparse.Namespace) -> int:
    import time

    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from market.index import index_weights
    from market.risk_build import risk_model

    console = Console(soft_wrap=True)
    started = time.perf_counter()
    model = risk_model(args.as_of)
    seconds = time.perf_counter() - started
    console.print(f"[bold]Risk model[/bold] as of {model.as_of} ({seconds:.2f} s): "
                  f"{len(model.tickers)} names, {len(model.factor_names)} factors, "
                  f"returns {model.window_start} … {model.window_end} "
                  f"({model.observations} days), settings "
                  + ", ".join(f"{k}={v:g}" for k, v in model.settings))
    if model.short_history:
        console.print(f"  prior exposures for short history: {', '.join(model.short_history)}")
    vols = Table("factor", "volatility (annual)", title="factors", title_justify="left")
    for name, variance in zip(model.factor_names, np.diag(model.factor_cov), strict=True):
        vols.add_row(name, f"{np.sqrt(variance):.1%}")
    console.print(vols)
    specific = np.sqrt(model.specific_var)
    console.print(f"specific volatility: median {np.median(specific):.1%}, "
                  f"10–90% {np.percentile(specific, 10):.1%} … {np.percentile(specific, 90):.1%}")
    cap = index_weights(model.as_of, "cap")
    equal = index_weights(model.as_of, "equal")
    active = equal.sub(cap, fill_value=0.0)
    console.print("example: equal- vs cap-weighted S&P 500 tracking error "
                  f"{model.tracking_error(active):.2%}")
    return 0


def run_snapshot(args: argparse.Namespace) -> int:
    from rich.console import Console

    from core.diagnostics import render
    from market.snapshot import load_snapshot
    from solver.market import Market

    console = Console(soft_wrap=True, highlight=False)
    snapshot = load_snapshot(args.snapshot)  # every problem, located (D110–D114)
    market = Market.from_snapshot(snapshot)
    info = market.info
    assert info is not None  # a snapshot market always states its source
    console.print(f"[bold]Snapshot[/bold] {snapshot.origin} as of {snapshot.as_of} "
                  f"(sha256 {snapshot.digest[:16]})")
    console.print(f"  {len(snapshot.prices)} prices; " + (f"index weights for {len(snapshot.target)} names"
                  if snapshot.target is not None else "no index weights (accounts need their own target)"))
    for security in snapshot.additions:
        console.print(f"  added: {security.ticker} {security.name} ({security.sub_industry}, "
                      f"{security.sector})")
    for source in snapshot.sources:
        console.print(f"  source: {source}")
    if snapshot.notes:
        console.print(f"  notes: {snapshot.notes}")
    console.print(f"[bold]Risk model[/bold] as of {info.risk_model_as_of}, {info.risk_model_age_days:,} days "
                  f"before the snapshot; {len(info.risk_model_predecessors)} renamed tickers estimated from "
                  f"their predecessor; {len(info.not_in_risk_model)} names without an estimate"
                  + (f": {', '.join(info.not_in_risk_model)}" if info.not_in_risk_model else ""))
    for note in market.notes():
        console.print(render(note))
    return 0
