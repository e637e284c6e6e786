"""The taxes-saved report's incremental method on hand-computed cases (the issue's IBM example
literally), its fees and running totals, and the book's shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.taxes_saved import (
    Rates,
    StepInput,
    account_figures,
    account_report,
    accrued_fee,
    book_report,
    plain_rebalance,
    sale_of,
    step_figures,
)
from solver.lots import Lot

DAY = date(2020, 3, 16)
RATES = Rates(short_term=Decimal("0.37"), long_term=Decimal("0.20"))
D = Decimal


def lot(lot_id: str, ticker: str, shares: str, basis: str, acquired: date = date(2020, 1, 2)) -> Lot:
    return Lot(lot_id=lot_id, ticker=ticker, acquired=acquired, shares=D(shares), basis_per_share=D(basis))


def ibm_step(acquired: date = date(2020, 1, 2), sold: str = "300", day: date = DAY) -> StepInput:
    """$1,000,000 invested: IBM 400 shares at $100 (4%, bought at $125: a $10,000 loss), OTHER 9,600
    shares at $100 (96%, no gain). The target is IBM 3%, OTHER 97%; the account sells IBM down to 1%
    (300 shares) and keeps the proceeds invested (in OTHER)."""
    ibm = lot("IBM-1", "IBM", "400", "125", acquired)
    other = lot("OTHER-1", "OTHER", "9600", "100")
    return StepInput(
        day=day,
        lots=(ibm, other),
        prices={"IBM": D(100), "OTHER": D(100)},
        target={"IBM": D("0.03"), "OTHER": D("0.97")},
        held_after={"IBM": D(400) - D(sold), "OTHER": D(9600)},
        invested=D(1_000_000),
        value=D(1_000_000),
        sales=(sale_of(ibm, D(sold), D(100), day),) if sold != "0" else (),
    )


def test_the_ibm_example_counts_only_the_loss_from_3_to_1_percent() -> None:
    step = ibm_step()
    [plain] = plain_rebalance(step)  # 4% → 3%: $10,000 of IBM, 100 shares, a $2,500 loss
    assert (plain.ticker, plain.shares, plain.gain) == ("IBM", D(100), D(-2500))
    figures = step_figures(step, RATES)
    assert figures["losses"] == 7500 and figures["plain_losses"] == 2500  # 4% → 1% against 4% → 3%
    assert figures["losses_beyond_plain"] == 5000  # 3% → 1%: 200 shares × $25
    assert figures["tax_saved"] == D("1850.00")  # short-term: 37% of $5,000
    assert figures["gains_deferred"] == 0 and figures["tax_deferred"] == 0


def test_a_long_term_loss_is_valued_at_the_long_term_rate() -> None:
    figures = step_figures(ibm_step(acquired=date(2018, 1, 2)), RATES)
    assert figures["losses_beyond_plain"] == 5000 and figures["tax_saved"] == D("1000.00")


def test_keeping_a_loss_the_plain_rebalance_would_sell_counts_against_the_account() -> None:
    figures = step_figures(ibm_step(sold="0"), RATES)
    assert figures["losses_beyond_plain"] == -2500 and figures["tax_saved"] == D("-925.00")


def test_a_gain_the_plain_rebalance_would_realize_first_in_first_out_is_deferred() -> None:
    """AAA: 150 shares at $100 = 15% against a 10% target. The plain rebalance sells 50 shares, the
    oldest lot first: 30 from 2015 at $40 (a long-term gain of $1,800), then 20 of the 2020 lot at $90
    (a short-term gain of $200). The account sells nothing."""
    old, new = lot("A-2015", "AAA", "30", "40", date(2015, 5, 1)), lot("A-2020", "AAA", "120", "90")
    rest = lot("B-1", "BBB", "850", "100")
    step = StepInput(
        day=DAY,
        lots=(new, old, rest),
        prices={"AAA": D(100), "BBB": D(100)},
        target={"AAA": D("0.10"), "BBB": D("0.90")},
        held_after={"AAA": D(150), "BBB": D(850)},
        invested=D(100_000),
        value=D(100_000),
        sales=(),
    )
    sales = plain_rebalance(step)
    assert [(s.lot_id, s.shares, s.gain, s.term) for s in sales] == [
        ("A-2015", D(30), D(1800), "long"),
        ("A-2020", D(20), D(200), "short"),
    ]
    figures = step_figures(step, RATES)
    assert figures["gains_deferred"] == 2000
    assert figures["tax_deferred"] == D("434.00")  # 20% × 1,800 + 37% × 200


def test_the_plain_rebalance_keeps_the_accounts_names_and_sells_a_name_outside_the_target_whole() -> None:
    """The target's weights are renormalised over the names held: a target name the account never
    held does not make the held ones overweight. GONE has left the target and is sold whole."""
    held = (lot("A", "AAA", "500", "100"), lot("G", "GONE", "100", "50"))
    step = StepInput(
        day=DAY,
        lots=held,
        prices={"AAA": D(100), "GONE": D(50)},
        target={"AAA": D("0.5"), "ZZZ": D("0.5")},
        held_after={"AAA": D(500)},
        invested=D(55_000),
        value=D(55_000),
        sales=(),
    )
    [sale] = plain_rebalance(step)  # AAA: 50,000 held, target 55,000 (100% of the held target): no sale
    assert (sale.ticker, sale.shares, sale.gain) == ("GONE", D(100), D(0))


def test_fees_accrue_by_calendar_days_and_running_totals_restart_each_year() -> None:
    assert accrued_fee(D(1_000_000), D(20), date(2020, 1, 1), date(2020, 12, 31)) == D(
        "2000.00"
    )  # 365 days
    assert accrued_fee(D(1_000_000), D(20), date(2020, 3, 13), date(2020, 3, 16)) == D("16.44")  # 3 days
    assert accrued_fee(D(1_000_000), D(20), None, date(2020, 3, 16)) == 0
    # The third step, in 2021, sells the lot after more than a year: long-term, 20% of $5,000.
    first, second, third = (
        ibm_step(sold="0"),
        ibm_step(day=date(2020, 12, 31)),
        ibm_step(day=date(2021, 1, 4)),
    )
    rows = account_figures([first, second, third], RATES, D(20))
    assert [r.fee for r in rows] == [0, D("1589.04"), D("21.92")]  # 290 days, then 4 days of $1M at 20 bp
    # The first step keeps the loss the plain rebalance sells (100 shares: −$925). The second sells 300
    # shares; the plain rebalance sold its 100 at the first step already, so all $7,500 counts ($2,775).
    assert [r.tax_value for r in rows] == [D("-925.00"), D("2775.00"), D("1000.00")]
    assert [r.tax_value_ytd for r in rows] == [D("-925.00"), D("1850.00"), D("1000.00")]
    assert [r.fee_ytd for r in rows] == [0, D("1589.04"), D("21.92")]
    assert rows[-1].tax_value_total == D("2850.00") and rows[-1].fee_total == D("1610.96")
    report = account_report("ibm", [first, second, third], RATES, D(20))
    assert [(y.year, y.tax_value, y.fee, y.exceeds_fee) for y in report.years] == [
        (2020, D("1850.00"), D("1589.04"), True),
        (2021, D("1000.00"), D("21.92"), True),
    ]
    assert report.exceeds_fee and report.tax_value == D("2850.00")


def test_the_book_counts_accounts_and_dollars_whose_tax_value_exceeds_fees() -> None:
    def one(name: str, sold: str, value: int) -> object:
        steps = [
            StepInput(**{**vars(ibm_step(sold="0")), "value": D(value)}),
            StepInput(**{**vars(ibm_step(sold=sold, day=date(2020, 12, 31))), "value": D(value)}),
        ]
        return account_report(name, steps, RATES, D(100))

    # 290 days at 100 bp: $7,945.21 of fees on $1M; keeping, then selling 300 shares is worth −925 + 2,775.
    small, large, none = (
        one("small", "300", 100_000),
        one("large", "300", 1_000_000),
        one("none", "0", 300_000),
    )
    assert (
        small.fees == D("794.52") and small.exceeds_fee and not large.exceeds_fee and not none.exceeds_fee
    )
    book = book_report([small, large, none])
    assert book.share_of_accounts == round(1 / 3, 6) and book.share_of_dollars == round(100 / 1400, 6)
    assert book.exceeding == ("small",)


def test_an_excess_the_account_keeps_is_counted_once_not_at_every_step() -> None:
    """AAA stays at 15% against a 10% target for three steps: the plain rebalance's sale of the excess
    (a $2,000 gain deferred) counts at the first step only."""
    old, new = lot("A-2015", "AAA", "30", "40", date(2015, 5, 1)), lot("A-2020", "AAA", "120", "90")
    rest = lot("B-1", "BBB", "850", "100")
    steps = [StepInput(day=day, lots=(new, old, rest), prices={"AAA": D(100), "BBB": D(100)},
                       target={"AAA": D("0.10"), "BBB": D("0.90")}, held_after={"AAA": D(150), "BBB": D(850)},
                       invested=D(100_000), value=D(100_000), sales=())
             for day in (date(2020, 3, 16), date(2020, 3, 17), date(2020, 3, 18))]
    rows = account_figures(steps, RATES, D(0))
    assert [r.gains_deferred for r in rows] == [D(2000), 0, 0] and rows[-1].tax_value_total == D("434.00")
