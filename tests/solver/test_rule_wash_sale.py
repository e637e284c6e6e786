"""wash sales: no buy after a recent loss sale, never a loss sale and a buy at once; a loss sale after
a recent buy disallows the matched shares' loss (tests/solver/test_wash_sale_share_for_share.py)."""

from datetime import date
from decimal import Decimal

from compiler.rules.exclude import ExcludeIR
from compiler.rules.wash_sale import WashSaleIR
from solver.account import Account, Transaction
from solver.lots import Lot
from solver.market import Market
from tests.solver.conftest import defaults, run, span, with_lots

RULE = WashSaleIR(id="wash_sale", span=span(3), window_days=30, scope="account", groups=())


def test_recent_loss_sale_blocks_the_buy(legacy_account: Account, market: Market) -> None:
    wanted = next(t.ticker for t in run(legacy_account, market).outcome.buys)
    sale = Transaction(on=date(2021, 4, 9), ticker=wanted, action="sell", shares=Decimal(10),
                       price=Decimal(100), realized_gain=Decimal(-400))
    account = legacy_account.model_copy(update={"transactions": (*legacy_account.transactions, sale)})
    assert not run(account, market, RULE).outcome.bought([wanted])
    short_window = RULE.model_copy(update={"window_days": 10})  # the sale was 12 days ago
    assert run(account, market, short_window).outcome.bought([wanted])


def test_loss_lot_is_not_sold_and_rebought(legacy_account: Account, market: Market) -> None:
    """NVDA is underweight and the default buys it; a lot bought at $700 is at a loss. Harvesting it
    while buying NVDA back would be a wash sale."""
    wanted = next(t.ticker for t in run(legacy_account, market).outcome.buys)
    loser = Lot(lot_id="LOSER", ticker=wanted, acquired=date(2020, 1, 2), shares=Decimal(20),
                basis_per_share=market.price(wanted) * Decimal("1.3"))
    account = with_lots(legacy_account, loser)
    others = [r for r in defaults() if r.kind != "wash_sale"]
    free = run(account, market, *others, with_defaults=False).outcome
    assert free.sold([wanted]) and free.bought([wanted])  # harvest and rebuy: tax saved, exposure kept
    kept = run(account, market, RULE).outcome
    loss_sold = any(s.gain < 0 for s in kept.sold([wanted]))
    assert not (loss_sold and kept.bought([wanted]))


XOM_LOSER = Lot(lot_id="XOM-2014", ticker="XOM", acquired=date(2014, 6, 2), shares=Decimal(3000),
                basis_per_share=Decimal(100))


def test_an_exclusion_sells_a_name_bought_days_ago(legacy_account: Account, market: Market) -> None:
    """XOM is excluded, and 10 of its shares were bought 20 days ago and are a lot of this account.
    Selling every XOM lot, the new one included, leaves no replacement shares: the 2014 lot's loss
    is no wash sale, so the exclusion holds together with the wash-sale rule."""
    recent = Lot(lot_id="XOM-NEW", ticker="XOM", acquired=date(2021, 4, 1), shares=Decimal(10),
                 basis_per_share=Decimal("57.97"))
    no_xom = ExcludeIR(id="no-xom", span=span(4), subject="XOM", tickers=("XOM",), sell="immediately")
    plan = run(with_lots(legacy_account, XOM_LOSER, recent), market, RULE, no_xom)
    sold = {s.trade.lot_id for s in plan.outcome.sold(["XOM"])}
    assert sold >= {"XOM-2014", "XOM-NEW"} and plan.outcome.shares_after.get("XOM", 0) == 0
    assert any(s.gain < 0 for s in plan.outcome.sold(["XOM"])) and not plan.outcome.bought(["XOM"])
    assert plan.result.verified


def test_an_exclusion_sells_a_sliver_bought_days_ago_too(legacy_account: Account, market: Market) -> None:
    """As above, with a sliver of XOM bought in the window too: 0.000001 shares ($0.00006), as a wash
    sale's basis adjustment leaves behind when it splits a replacement lot. The model cannot see it
    (under its tolerance), but the verifier does: left unsold, the sliver is excluded stock still
    held (V203) and replacement stock that makes the 2014 lot's loss a wash sale (V218; in the daily
    simulation of tests/engine, 9 steps' plans were refused so). A position sold but for less than
    half a cent is sold whole, the sliver included."""
    recent = Lot(lot_id="XOM-NEW", ticker="XOM", acquired=date(2021, 4, 1), shares=Decimal(10),
                 basis_per_share=Decimal("57.97"))
    sliver = Lot(lot_id="XOM-SLIVER", ticker="XOM", acquired=date(2021, 4, 2), shares=Decimal("0.000001"),
                 basis_per_share=Decimal("58.10"))
    no_xom = ExcludeIR(id="no-xom", span=span(4), subject="XOM", tickers=("XOM",), sell="immediately")
    plan = run(with_lots(legacy_account, XOM_LOSER, recent, sliver), market, RULE, no_xom)
    sold = {s.trade.lot_id: s.trade.shares for s in plan.outcome.sold(["XOM"])}
    assert sold["XOM-SLIVER"] == Decimal("0.000001") and set(sold) >= {"XOM-2014", "XOM-NEW"}
    assert plan.outcome.shares_after.get("XOM", 0) == 0
    assert plan.result.verified, plan.result.violations
