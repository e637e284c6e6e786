"""The verifier's wash sales across a household's accounts, on hand-computed cases (as of 2020-03-23:
the window is 2020-02-22 to 2020-04-22), and its independence from the optimiser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from solver.account import Account, Transaction
from solver.household import Household, HouseholdAccount
from solver.lots import Lot, Trade
from solver.verify_household import cross_account_violations, household_wash_sales
from tests.verify.test_independence import forbidden, imported, source

AS_OF = date(2020, 3, 23)
KIND = {"taxable": "taxable", "ira": "traditional_ira", "roth": "roth"}


def lot(lot_id: str, ticker: str, acquired: date, shares: int, basis: str) -> Lot:
    return Lot(lot_id=lot_id, ticker=ticker, acquired=acquired, shares=Decimal(shares),
               basis_per_share=Decimal(basis))


def recorded(on: date, ticker: str, action: str, shares: int, price: str, gain: str = "0") -> Transaction:
    return Transaction(on=on, ticker=ticker, action=action, shares=Decimal(shares), price=Decimal(price),
                       realized_gain=Decimal(gain))


def member(name: str, account_type: str, lots: tuple[Lot, ...] = (), trades: tuple[Transaction, ...] = (),
           held_away: bool = False) -> HouseholdAccount:
    account = Account(account_id=name, household_id="smith", account_type=account_type, lots=lots,
                      transactions=trades)
    return HouseholdAccount(name=name, kind="held_away" if held_away else KIND[account_type], account=account)


def household(*members: HouseholdAccount) -> Household:
    return Household(household_id="smith", as_of=AS_OF, policy="household.tailor", accounts=members)


def sell(held: Lot, shares: int, price: str) -> Trade:
    return Trade(action="sell", ticker=held.ticker, shares=Decimal(shares), price=Decimal(price),
                 lot_id=held.lot_id, acquired=held.acquired, basis_per_share=held.basis_per_share)


def buy(ticker: str, shares: int, price: str) -> Trade:
    return Trade(action="buy", ticker=ticker, shares=Decimal(shares), price=Decimal(price))


XOM_2019 = lot("J1", "XOM", date(2019, 6, 3), 100, "80")
IRA_BUY = lot("I1", "XOM", date(2020, 3, 16), 40, "34.49")
DAY = {"joint": [sell(XOM_2019, 100, "30")], "roth": [buy("XOM", 30, "30")]}  # joint harvests, Roth buys


def figures(matches: list) -> list[tuple[str, str, str, Decimal, Decimal, bool]]:
    return [(m.loss_account, m.replacement_account, m.replacement, m.shares, m.loss_disallowed, m.permanent)
            for m in matches]


def test_an_ira_purchase_and_a_roth_buy_today_lose_the_loss_for_good() -> None:
    """Joint sells 100 XOM bought at $80 for $30 today: $50 a share. The IRA bought 40 XOM a week ago
    and the Roth buys 30 today: 40 × $50 = $2,000 and 30 × $50 = $1,500 are lost for good; the last 30
    shares' loss ($1,500) stands."""
    ira_buy = recorded(date(2020, 3, 16), "XOM", "buy", 40, "34.49")
    smith = household(member("joint", "taxable", (XOM_2019,)), member("ira", "ira", (IRA_BUY,), (ira_buy,)),
                      member("roth", "roth"))
    matches = household_wash_sales(smith, DAY)
    assert figures(matches) == [("joint", "ira", "lot I1", 40, Decimal(2000), True),
                                ("joint", "roth", "bought now", 30, Decimal(1500), True)]
    first = cross_account_violations(matches)[0]
    assert first.code == "V237" and "joint sells XOM" in first.message
    assert "ira acquires XOM (lot I1)" in first.message
    assert "40 shares' loss of 2000.00 is disallowed, lost for good" in first.message


def test_the_accounts_own_recent_shares_match_first_and_are_no_violation() -> None:
    """Joint also bought 10 XOM on 2020-03-02: the earliest replacement, in its own (taxable) account,
    takes 10 shares ($500, deferred); the IRA's 40 and the Roth's 30 follow; 20 shares' loss stands."""
    own = lot("J2", "XOM", date(2020, 3, 2), 10, "45")
    smith = household(member("joint", "taxable", (XOM_2019, own)), member("ira", "ira", (IRA_BUY,)),
                      member("roth", "roth"))
    matches = household_wash_sales(smith, DAY)
    assert figures(matches) == [("joint", "joint", "lot J2", 10, Decimal(500), False),
                                ("joint", "ira", "lot I1", 40, Decimal(2000), True),
                                ("joint", "roth", "bought now", 30, Decimal(1500), True)]
    assert len(cross_account_violations(matches)) == 2


def test_a_recorded_loss_sale_is_washed_by_a_buy_today_after_the_history_took_its_share() -> None:
    """Joint sold 10 FANG on 2020-03-09 for a $1,056.70 loss ($105.67 a share). The spouse's account
    (held away, taxable) bought 3 FANG on 2020-03-12: history, matched first and not reported. The IRA
    buys 4 FANG today: 4 × $105.67 = $422.68 lost for good; 3 shares' loss stands."""
    sold = recorded(date(2020, 3, 9), "FANG", "sell", 10, "26.88", "-1056.70")
    smith = household(member("joint", "taxable", trades=(sold,)),
                      member("away", "taxable", trades=(recorded(date(2020, 3, 12), "FANG", "buy", 3, "20"),),
                             held_away=True),
                      member("ira", "ira"))
    matches = household_wash_sales(smith, {"ira": [buy("FANG", 4, "20")]})
    assert figures(matches) == [("joint", "ira", "bought now", 4, Decimal("422.68"), True)]


def test_a_held_away_loss_sale_is_deferred_into_a_taxable_buy() -> None:
    """The spouse's account sold 50 SLB at a $3,274.65 loss on 2020-03-12 ($65.493 a share); joint buys
    20 SLB today: 20 × $65.493 = $1,309.86, deferred into joint's new shares."""
    sold = recorded(date(2020, 3, 12), "SLB", "sell", 50, "14.42", "-3274.65")
    smith = household(member("joint", "taxable"), member("away", "taxable", trades=(sold,), held_away=True))
    matches = household_wash_sales(smith, {"joint": [buy("SLB", 20, "11")]})
    assert figures(matches) == [("away", "joint", "bought now", 20, Decimal("1309.86"), False)]
    (violation,) = cross_account_violations(matches)
    assert "deferred into the basis of joint's shares" in violation.message


def test_the_window_is_30_days_either_side_and_only_taxable_losses_count() -> None:
    """A loss sale 31 days before the day is outside its window; an IRA's loss sale is no loss for tax;
    a gain is no loss; another ticker is no replacement unless a group makes it identical."""
    goog = lot("J3", "GOOG", date(2019, 6, 3), 10, "1200")
    smith = household(member("joint", "taxable", (goog,),
                             (recorded(date(2020, 2, 21), "KHC", "sell", 10, "20", "-100"),)),
                      member("ira", "ira", (lot("I2", "MSFT", date(2019, 1, 2), 10, "200"),)))
    day = {"joint": [sell(goog, 10, "1100")],
           "ira": [sell(smith.member("ira").account.lots[0], 10, "135"), buy("KHC", 5, "24"),
                   buy("GOOGL", 4, "1100")]}
    assert household_wash_sales(smith, day) == []
    grouped = household_wash_sales(smith, day, groups=[("GOOG", "GOOGL")])
    assert figures(grouped) == [("joint", "ira", "bought now", 4, Decimal(400), True)]
    assert grouped[0].replacement_ticker == "GOOGL"


def test_a_lot_sold_at_a_loss_replaces_nothing() -> None:
    """A recent lot sold at a loss today is no replacement for another loss sale of the day (nor for
    its own: Rev. Rul. 56-602); the part of a recent lot the day keeps is."""
    recent = lot("J4", "XOM", date(2020, 3, 2), 10, "45")
    smith = household(member("joint", "taxable", (XOM_2019, recent)))
    both = household_wash_sales(smith, {"joint": [sell(XOM_2019, 100, "30"), sell(recent, 10, "30")]})
    assert both == []
    part = household_wash_sales(smith, {"joint": [sell(XOM_2019, 100, "30")]})
    assert figures(part) == [("joint", "joint", "lot J4", 10, Decimal(500), False)]
    assert cross_account_violations(part) == []


def test_the_check_imports_nothing_of_the_optimiser() -> None:
    todo, seen = ["solver.verify_household"], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        tree = source(module)
        imports = imported(list(tree.body)) if tree is not None else set()
        assert not [m for m in imports if forbidden(m)], module
        todo += sorted(imports)
    assert "solver.verify_law" in seen
