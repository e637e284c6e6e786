"""The ledger between steps, on exact figures: corporate actions from the data, the tax year, trades
with costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.actions import apply_actions
from engine.ledger import Ledger, Rates, apply_plan, roll_year
from engine.spec import Costs
from market.prices import load_prices
from solver.lots import Lot
from solver.result import TradeLine

RATES = Rates(short_term=Decimal("0.37"), long_term=Decimal("0.20"), dividend=Decimal("0.15"))


def ledger(*lots: Lot, cash: str = "0") -> Ledger:
    return Ledger(day=None, year=2019, lots=lots, cash=Decimal(cash))


def lot(ticker: str, shares: str, basis: str, acquired: date = date(2018, 1, 2), lot_id: str = "") -> Lot:
    return Lot(lot_id=lot_id or f"{ticker}-1", ticker=ticker, acquired=acquired, shares=Decimal(shares),
               basis_per_share=Decimal(basis))


def test_a_dividend_is_credited_to_the_cent_on_its_ex_date() -> None:
    # JPM went ex-dividend $0.80 on 2019-07-03: 123.4567 shares × 0.80 = 98.76536 → $98.77 (half-even).
    start = ledger(lot("JPM", "100", "90"), lot("JPM", "23.4567", "95", lot_id="JPM-2"), cash="10.00")
    before = apply_actions(start, load_prices(), date(2019, 6, 28), date(2019, 7, 2), True)
    assert before.events == () and before.ledger.cash == Decimal("10.00")
    done = apply_actions(start, load_prices(), date(2019, 6, 28), date(2019, 7, 3), True)
    [event] = done.events
    assert (event.day, event.kind, event.per_share, event.amount) == (date(2019, 7, 3), "dividend",
                                                                     Decimal("0.8"), Decimal("98.77"))
    assert done.ledger.cash == Decimal("108.77") and done.ledger.dividends == Decimal("98.77")
    assert done.ledger.lots == start.lots and done.realized_short_term == done.realized_long_term == 0
    assert done.ledger.tax(RATES) == Decimal("98.77") * Decimal("0.15")  # taxed at the dividend rate


def test_a_split_multiplies_shares_and_divides_the_basis() -> None:
    # AAPL split 4:1 effective 2020-08-31.
    start = ledger(lot("AAPL", "10.5", "300.1"), lot("MSFT", "3", "150"))
    done = apply_actions(start, load_prices(), date(2020, 8, 28), date(2020, 8, 31), True)
    aapl = done.ledger.lots[0]
    assert (aapl.shares, aapl.basis_per_share) == (Decimal(42), Decimal("75.025"))
    assert aapl.acquired == date(2018, 1, 2)
    assert aapl.cost_basis == start.lots[0].cost_basis and done.ledger.lots[1] == start.lots[1]
    assert [(e.kind, e.ticker, e.note) for e in done.events] == [("split", "AAPL", "4:1")]


def test_a_share_class_distribution_is_received_as_cash_with_the_basis_split_by_value() -> None:
    # GOOGL holders received one GOOG share per share on 2014-04-03; the data records its value, 567.9717.
    start = ledger(lot("GOOGL", "10", "400", acquired=date(2012, 1, 3)))
    done = apply_actions(start, load_prices(), date(2014, 4, 2), date(2014, 4, 3), True)
    [event] = done.events
    assert event.kind == "distribution" and event.amount == Decimal("5679.72")
    kept = done.ledger.lots[0].cost_basis
    close = Decimal("571.5")
    assert abs(kept - Decimal(4000) * close / (close + Decimal("567.9717"))) < Decimal("1e-30")
    # The part that left is sold at its value on the ex-date: a long-term gain on its share of the basis.
    assert abs(done.realized_long_term - (Decimal("5679.717") - (Decimal(4000) - kept))) < Decimal("1e-30")
    assert done.realized_short_term == 0 and done.ledger.dividends == 0


def test_a_payout_the_price_could_not_have_paid_is_replaced_by_the_fall() -> None:
    # KSU 2000-07-13 records 181.00 per share against a 93.75 close that fell to 6.25.
    start = ledger(lot("KSU", "100", "50"))
    done = apply_actions(start, load_prices(), date(2000, 7, 12), date(2000, 7, 13), True)
    [event] = done.events
    assert event.per_share == Decimal("87.5") and event.amount == Decimal("8750.00")
    assert "recorded 181" in event.note


def test_actions_on_days_nobody_holds_the_name_are_ignored() -> None:
    start = ledger(lot("MSFT", "1", "100"))
    done = apply_actions(start, load_prices(), date(2019, 7, 1), date(2019, 7, 3), True)
    assert done.events == () and done.ledger.cash == 0


def test_the_tax_year_rolls_with_schedule_d_carryforwards() -> None:
    year = ledger().model_copy(update={"realized_short_term": Decimal("-10000"),
                                       "realized_long_term": Decimal("2000"), "dividends": Decimal("500")})
    rolled, closed = roll_year(year, RATES, 2020)
    # −10,000 short-term nets with +2,000 long-term to an 8,000 short-term loss: $3,000 offsets
    # ordinary income, $5,000 carries forward short-term.
    assert (closed.carry_out_short_term, closed.carry_out_long_term) == (Decimal(5000), 0)
    assert closed.tax == Decimal("-1110.00") + Decimal("75.00")
    assert (rolled.year, rolled.realized_short_term, rolled.dividends) == (2020, 0, 0)
    assert (rolled.carry_short_term, rolled.carry_long_term) == (Decimal(5000), 0)
    # Next year a long-term gain first absorbs the carried short-term loss.
    later = rolled.model_copy(update={"realized_long_term": Decimal("7000")})
    assert later.tax(RATES) == Decimal("2000") * Decimal("0.20")


def test_trades_move_lots_cash_and_gains_net_of_costs() -> None:
    start = ledger(lot("MSFT", "10", "100", acquired=date(2019, 1, 2)), cash="1000")
    trades = (TradeLine(action="sell", ticker="MSFT", shares=Decimal("4"), price=Decimal("90"),
                        amount=Decimal("360"), lot_id="MSFT-1", acquired=date(2019, 1, 2),
                        cost_basis=Decimal("400"), realized_gain=Decimal("-40"), term="short"),
              TradeLine(action="buy", ticker="AAPL", shares=Decimal("2.5"), price=Decimal("200"),
                        amount=Decimal("500")))
    done = apply_plan(start, trades, Decimal("100"), date(2019, 6, 3), Costs(spread_bp=Decimal(10),
                                                                             fee=Decimal("1")), True,
                      adjustments=())
    # Costs: sell 360 × 10 bp + $1 = $1.36; buy 500 × 10 bp + $1 = $1.50.
    assert done.costs == Decimal("2.86") and done.line_costs == (Decimal("1.36"), Decimal("1.50"))
    assert done.ledger.cash == Decimal("1000") + 100 + 360 - 500 - Decimal("2.86")
    assert done.realized_short_term == Decimal("-41.36") and done.harvested == Decimal("41.36")
    msft, aapl = done.ledger.lots
    assert msft.shares == 6 and aapl.acquired == date(2019, 6, 3) and aapl.cost_basis == Decimal("501.50")
    assert [(t.action, t.ticker, t.realized_gain) for t in done.ledger.transactions] == [
        ("sell", "MSFT", Decimal("-41.36")), ("buy", "AAPL", 0)]
