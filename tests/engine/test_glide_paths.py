"""Glide paths with a start, stepped through real history by `engine.simulate`: AAPL bought in 2004
is 27% of a 30-name account on 2011-12-30; `cap AAPL at 10% over 3 years starting 2011-12-30` must
bring it to at most 10% by the path's end (2014-12-30) whether the account is rebalanced once a
year (3 rebalances after the start) or every quarter (12), each step within the limit of its day —
through AAPL's 7:1 split of 2014 and its rise, which pushes the weight up between steps."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest

from compiler.rules.cap import Cap, CapIR
from core.diagnostics import TailorError
from engine import load_spec, simulate
from engine.run import Progress
from market.prices import load_prices
from tests.engine.conftest import NAMES, write_spec
from tests.solver.conftest import span

START = date(2011, 12, 30)
OTHERS = tuple(name for name in NAMES if name != "AAPL")
POLICY = """policy "Concentrated AAPL, glide to 10%"
layer account

target model "model.csv"
restrict buying outside target
rule glide-aapl: cap AAPL at 10% over 3 years starting 2011-12-30
preferences tax_sensitive
"""


def write_concentrated(folder: Path, policy: str = POLICY) -> None:
    """29 names bought for $20,000 each on 2010-06-30, and AAPL bought on 2004-01-02 sized to be 27%
    of the account at the closes of 2011-12-30."""
    history = load_prices()
    bought, start = history.close_on(date(2010, 6, 30), OTHERS), history.close_on(START, NAMES)
    rows, others = ["lot_id,ticker,acquired,shares,basis_per_share"], Decimal(0)
    for k, ticker in enumerate(OTHERS):
        price = Decimal(repr(float(bought[ticker]))).quantize(Decimal("0.0001"))
        shares = (Decimal(20_000) / price).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
        rows.append(f"L{k:03d},{ticker},2010-06-30,{shares},{price}")
        others += shares * Decimal(repr(float(start[ticker])))
    cash = Decimal(5000)
    aapl_price = Decimal(repr(float(start["AAPL"])))
    shares = ((others + cash) * Decimal("0.27") / Decimal("0.73") / aapl_price).quantize(Decimal("0.0001"))
    bought_2004 = history.close_on(date(2004, 1, 2), ("AAPL",))["AAPL"]
    basis = Decimal(repr(float(bought_2004))).quantize(Decimal("0.01"))
    rows.append(f"L999,AAPL,2004-01-02,{shares},{basis}")
    (folder / "lots.csv").write_text("\n".join(rows) + "\n")
    (folder / "model.csv").write_text("ticker,weight\n" + "".join(f"{t},{1 / len(NAMES)!r}\n" for t in NAMES))
    (folder / "policy.tailor").write_text(policy)
    (folder / "account.yaml").write_text(f"account: concentrated\ntype: taxable\nas_of: {START}\n"
                                         f"cash: {cash}\nlots: lots.csv\n")


def run(folder: Path, cadence: str, policy: str = POLICY) -> list[Progress]:
    """What each step left: lots, cash and the day's closes."""
    write_concentrated(folder, policy)
    spec = write_spec(folder, f"start: {START}\nend: 2014-12-31\ncadence: {cadence}\npolicy: policy.tailor\n"
                      "account: account.yaml\nfast_path: off\n")
    steps: list[Progress] = []
    result = simulate(load_spec(spec), progress=steps.append)
    assert result.status == "complete" and not result.troubles
    return steps


def weight(step: Progress) -> Decimal:
    values = [(lot.ticker, lot.shares * step.prices[lot.ticker]) for lot in step.lots]
    return sum((v for t, v in values if t == "AAPL"), Decimal(0)) / (sum((v for _, v in values), step.cash))


@pytest.mark.parametrize(("cadence", "rebalances"), [("annual", 3), ("quarterly", 12)])
def test_a_27pct_position_reaches_its_cap_in_three_years(tmp_path: Path, cadence: str,
                                                         rebalances: int) -> None:
    steps = run(tmp_path, cadence)
    assert steps[0].day == START and len(steps) == rebalances + 1
    history = load_prices()
    rule = CapIR(id="glide", span=span(), subject="AAPL", tickers=("AAPL",), max_weight=0.10, min_weight=None,
                 years=3, long_term_only=False, start=START, start_weight=0.27)
    for step in steps:
        limit, _ = Cap.bounds_this_rebalance(rule, Decimal(1), step.day)
        assert weight(step) <= limit + Decimal("0.0001"), step.day  # type: ignore[operator]
    last = steps[-1]
    assert last.day >= date(2014, 12, 30) and weight(last) <= Decimal("0.1001")
    assert history.close_on(steps[-1].day, ("AAPL",))["AAPL"] > 100  # the path ran through the 7:1 split


def test_without_a_start_the_path_does_not_finish(tmp_path: Path) -> None:
    """The documented meaning of a path without a start: each rebalance closes a third of what is
    left, so three annual rebalances leave AAPL well above 10%."""
    steps = run(tmp_path, "annual", POLICY.replace(" starting 2011-12-30", ""))
    assert weight(steps[-1]) > Decimal("0.12")


def test_a_path_starting_after_the_first_step_is_refused(tmp_path: Path) -> None:
    write_concentrated(tmp_path, POLICY.replace("starting 2011-12-30", "starting 2012-03-01"))
    spec = write_spec(tmp_path, f"start: {START}\nend: 2012-12-31\ncadence: annual\npolicy: policy.tailor\n"
                      "account: account.yaml\n")
    with pytest.raises(TailorError) as raised:
        simulate(load_spec(spec))
    found = raised.value.diagnostics[0]
    assert found.code == "P415" and found.span is not None and (found.span.line, found.span.column) == (6, 1)
    assert "starts on 2012-03-01, after the rebalance date 2011-12-30" in found.message
