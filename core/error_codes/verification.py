"""V1xx (accounting checks) and V2xx (rule checks) of the independent verifier (solver/verify.py)."""

from core.error_codes.entry import ErrorCode, Family

_BUG = "A bug in tailor: please report it with the policy, the account files and result.json."


def _relaxed(gives_up: str) -> str:
    """The fix of a rule check: a bug in a rebalance; what giving the rule up means in a relaxed plan."""
    return f"{_BUG} In `tailor explain --relax`, the nearest plan {gives_up}."


_ABOUT = (
    "The independent verifier re-applies the optimizer's trades to the lots with exact decimal "
    "arithmetic and checks them, sharing nothing with the optimizer. When a check fails in `tailor "
    "rebalance`, the trades are refused: no trades.csv is written, result.json records the violations, "
    "and the command exits 1. There a V-code is a bug in tailor, never a problem with your inputs. "
    "`tailor explain --relax` uses the V2xx codes to name the rules its nearest feasible plan gives up; "
    "there they are expected.")

ACCOUNTING = Family("V1", "Verification: accounting", _ABOUT, (
    ErrorCode(
        "V101", "Lot oversold",
        "The trades sell (or give) more shares of a lot than it holds.",
        _BUG),
    ErrorCode(
        "V102", "Cash negative after trades",
        "Buying costs more than the cash available after the sales, deposits and withdrawals.",
        _BUG),
    ErrorCode(
        "V103", "Trade price is not the as-of price",
        "A trade is priced differently from the close the plan is priced at, or its ticker has no "
        "price.",
        _BUG),
    ErrorCode(
        "V104", "Shares not a positive multiple of 0.000001",
        "A trade's shares are zero, negative, or finer than a millionth of a share.",
        _BUG),
    ErrorCode(
        "V105", "Sale from an unknown lot",
        "A sale or gift names a lot the account does not have, or a lot of another ticker.",
        _BUG),
    ErrorCode(
        "V106", "Lots moved out in kind without a rule",
        "Lots leave the account in kind (as a gift), but no rule of the policy moves lots out.",
        _BUG),
))

RULES = Family("V2", "Verification: rules", _ABOUT, (
    ErrorCode(
        "V201", "A different target was tracked",
        "The target the optimizer tracked differs from the target the verifier rebuilds from the "
        "policy, the account and the market.",
        _BUG),
    ErrorCode(
        "V202", "Excluded name bought",
        "The trades buy a name the policy excludes.",
        _relaxed("buys an excluded name")),
    ErrorCode(
        "V203", "Excluded name still held",
        "An exclusion that sells immediately leaves shares of an excluded name in the account.",
        _relaxed("keeps the excluded name; `sell as budget allows` makes that the policy's choice")),
    ErrorCode(
        "V204", "Restricted name bought",
        "The trades buy a name under `restrict buying`, or, under `restrict buying outside target`, a "
        "name with no weight in the tracked target.",
        _relaxed("buys a name whose buying is restricted")),
    ErrorCode(
        "V205", "Restricted name or lot sold",
        "The trades sell a security or lot under `restrict selling`.",
        _relaxed("sells a restricted name or lot")),
    ErrorCode(
        "V206", "Weight above its cap",
        "After the trades, a name or group weighs more than its cap allows in this rebalance (on a "
        "glide path, this year's step; under `as budget allows`, no more than before).",
        _relaxed("leaves the name above its cap; `as budget allows` makes that the policy's choice")),
    ErrorCode(
        "V207", "Short-term lot sold under a long-term-only cap",
        "A cap that sells only long-term lots sells a short-term one.",
        _relaxed("sells a short-term lot of the capped name")),
    ErrorCode(
        "V208", "Gains budget exceeded",
        "The gains (or estimated tax) realized this tax year, with these trades, exceed the budget.",
        _relaxed("realizes more than the budget; raise it if that plan is acceptable")),
    ErrorCode(
        "V209", "Tracking error above its limit",
        "The tracking error after the trades, computed exactly, exceeds the limit by more than a basis "
        "point.",
        _relaxed("tracks the target less closely than the limit")),
    ErrorCode(
        "V210", "Active weight outside its band",
        "After the trades, a name's or group's weight differs from its target weight by more than its "
        "band allows.",
        _relaxed("leaves the name outside its band")),
    ErrorCode(
        "V211", "Cash flow differs from the policy's",
        "The cash the trades add or raise is not the policy's deposit less its withdrawal.",
        _relaxed("deposits or withdraws a different amount")),
    ErrorCode(
        "V212", "Cash below the reserve",
        "The cash left after the trades is below the reserve the policy keeps.",
        _relaxed("keeps less cash than the reserve")),
    ErrorCode(
        "V213", "Trade below the minimum trade",
        "A buy or sell of a name is smaller than the minimum trade, and is not the sale of the whole "
        "position.",
        _relaxed("makes a trade below the minimum")),
    ErrorCode(
        "V214", "Fractional shares under whole shares",
        "A trade is not in whole shares, and is not the sale of a whole position's fractional "
        "remainder.",
        _relaxed("trades fractional shares")),
    ErrorCode(
        "V215", "Turnover above its limit",
        "The sales amount to more of the account's value than the turnover limit.",
        _relaxed("sells more than the turnover limit")),
    ErrorCode(
        "V216", "More positions than allowed",
        "The account holds more names after the trades than the maximum number of positions.",
        _relaxed("holds more names than the limit")),
    ErrorCode(
        "V217", "Bought within the wash-sale window of a loss sale",
        "A name (or one substantially identical to it) is bought within the wash-sale window after a "
        "recent sale of it at a loss, which would disallow the loss.",
        _relaxed("buys back a name sold at a loss within the window")),
    ErrorCode(
        "V218", "Loss sale within the window of a purchase",
        "A lot is sold at a loss within the wash-sale window after a purchase of the same (or a "
        "substantially identical) name, which would disallow the loss, in a case the share-for-share "
        "matching does not settle: a purchase of another ticker of its group, one beyond 30 days "
        "under a longer window, or a name also sold at a loss within the window.",
        _relaxed("sells at a loss shortly after buying")),
    ErrorCode(
        "V219", "Loss sale while its group is bought",
        "A lot is sold at a loss in the same rebalance that buys the same or a substantially "
        "identical name.",
        _relaxed("sells at a loss while buying the same name")),
    ErrorCode(
        "V220", "Weight below its floor",
        "After the trades, a name or group weighs less than its minimum (`cap … at least`) allows in "
        "this rebalance (on a glide path, this year's step; under `as budget allows`, no less than "
        "before).",
        _relaxed("leaves the name below its minimum")),
    ErrorCode(
        "V230", "Gain realized that the holding period rule holds back",
        "A lot is sold at a gain that is short-term under `no short-term gains`, or that turns "
        "long-term within the deferral window.",
        _relaxed("realizes a short-term gain the rule holds back")),
    ErrorCode(
        "V231", "Transition allowance exceeded",
        "The net gains realized this tax year exceed what the transition allows this year.",
        _relaxed("realizes more gains than this year's transition allows")),
    ErrorCode(
        "V232", "Gift of a lot that is not appreciated and long-term",
        "A gift gives a lot held a year or less, or one worth no more than its basis, whose gift "
        "removes no embedded gain.",
        _relaxed("gives a lot the gift rule would not")),
    ErrorCode(
        "V233", "Gift amount differs",
        "The shares given are worth more or less than the gift asks for, beyond a share's rounding.",
        _relaxed("gives a different amount")),
    ErrorCode(
        "V234", "Glide path without a limit on the day",
        "A cap's glide path starts after the plan's date, or started before it from a weight the rule "
        "does not record, so the verifier cannot compute the limit of the day and refuses the plan "
        "(the optimizer refuses such a rule before solving: P415, P416).",
        "Give the path a start on or before the plan's date and its starting weight (`from 27%`)."),
    ErrorCode(
        "V235", "Wash sale's disallowed loss not accounted for",
        "A lot is sold at a loss with fewer replacement shares bought within 30 days than shares "
        "sold, and the plan's realized gains or estimated tax count the loss the matched shares may "
        "not claim (Treas. Reg. §1.1091-1(c)).",
        _relaxed("counts a loss a wash sale disallows")),
    ErrorCode(
        "V236", "Dividend yield outside its limit",
        "After the trades, the portfolio's trailing dividend yield (a year's dividends on the shares "
        "held, over the value with cash) is below the `dividend yield` floor or above its ceiling, or "
        "the price history has no dividends for the year to the plan's date to check it with.",
        _relaxed("yields less (or more) than the dividend yield rule asks")),
    ErrorCode(
        "V237", "Wash sale across the household's accounts",
        "One account of the household sells a security at a loss and another buys the same or a "
        "substantially identical one within 30 days before or after (IRC §1091 reaches the taxpayer "
        "and spouse in every account). The matched shares' loss is disallowed: deferred into the "
        "replacement's basis when it is in a taxable account, lost for good when it is in an IRA or a "
        "Roth (Rev. Rul. 2008-5). The check sees every account's trades of the day together, which a "
        "rebalance of one account cannot.",
        "Rebalance the household as one (issue 14), or keep the other account from buying the name "
        "for 31 days after the loss sale (a replacement of another sector or a different index)."),
    ErrorCode(
        "V238", "Cash moved between a household's accounts beyond what the household file allows",
        "A household plan moves cash between its accounts only as household.yaml allows: no more into "
        "an account than its `max_contribution`, none into or out of a held-away account, and every "
        "dollar received given by another account (the amounts add up to zero, to the cent).",
        "This is a defect of the optimiser, not of the inputs: report the household and its plan."),
))
