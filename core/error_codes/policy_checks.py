"""P3xx (names), P4xx (values and contradictions) and P5xx (layering): what checking a parsed policy
against the security master, and merging its layers, finds."""

from core.error_codes.entry import ErrorCode, Family

NAMES = Family("P3", "Names in a policy", (
    "A name in the policy does not resolve: a ticker, a GICS sector, industry or sub-industry, a "
    "screen category or a preset unknown to the security master or to tailor, or a file a rule names "
    "that cannot be used. P302, P310 and P311 are warnings: the policy is legal, but probably not what "
    "was meant. Files named in a rule are found beside the file that declares the rule."), (
    ErrorCode(
        "P301", "Unknown ticker",
        "A ticker is not in the security master (the S&P 500 members in the shipped data) and is not "
        "one of the index ETFs SPY, IVV and VOO.",
        "Correct the spelling: the hint suggests the closest tickers (APPL → AAPL). `tailor data info` "
        "shows what the security master holds."),
    ErrorCode(
        "P302", "Ticker outside the security master in a wash-sale group (warning)",
        "A ticker in a group of substantially identical securities is not in the security master. "
        "That is fine for an ETF or a name held elsewhere: the group still counts it.",
        "Nothing, if the name is meant; otherwise correct its spelling (the hint suggests one)."),
    ErrorCode(
        "P303", "Unknown GICS sector",
        "The sector is not one of the GICS sectors in the security master.",
        "Use the sector's exact GICS name, in quotes; the hint suggests the closest or lists them."),
    ErrorCode(
        "P304", "Unknown GICS industry",
        "The industry is not one of the GICS industries in the security master.",
        "Use the industry's exact GICS name, in quotes; the hint suggests the closest."),
    ErrorCode(
        "P305", "Unknown GICS sub-industry",
        "The sub-industry is not one of the GICS sub-industries in the security master.",
        "Use the sub-industry's exact GICS name, in quotes; the hint suggests the closest."),
    ErrorCode(
        "P306", "Unknown preferences preset",
        "`preferences` names a preset tailor does not have. The presets are balanced, tax_sensitive, "
        "tight_tracking and low_turnover.",
        "Use one of the presets, or give the weights yourself: `preferences tax 2 tracking 1 cost 1`."),
    ErrorCode(
        "P307", "Unknown screen category",
        "The screen category (e.g. `tobacco`) is not one the shipped ESG screens define.",
        "Use one of the categories the hint lists or suggests."),
    ErrorCode(
        "P308", "Model file cannot be used",
        "The target's model file (`target model \"file.csv\"`) is not found beside the policy file "
        "that declares it, or its rows are wrong; the problems inside the file are reported as well "
        "(D102, D105).",
        "Fix the path (relative to the declaring policy file) or the rows reported in the file: a "
        "`ticker,weight` CSV whose weights add up to 1."),
    ErrorCode(
        "P309", "Ticker file cannot be used",
        "The file of tickers a rule names (`restrict buying held away file \"…\"`) is not found beside "
        "the declaring policy file, is larger than 1 MB, or has no `ticker` column.",
        "Fix the path (relative to the declaring policy file), or give the file a first line naming "
        "its columns, including `ticker`."),
    ErrorCode(
        "P310", "Subject matches no security (warning)",
        "The sector, industry, sub-industry or screen category exists, but no security in the master "
        "belongs to it, so the rule has no effect.",
        "Check the name, or remove the rule."),
    ErrorCode(
        "P311", "Subject matches nothing in the target model (warning)",
        "None of the rule's names is in the target model, so the rule has no effect on a portfolio "
        "that tracks this model.",
        "Check the rule and the model; remove the rule if it is not needed."),
    ErrorCode(
        "P312", "No GICS classification to find competitors by",
        "`restrict buying competitors of …` finds an employer's competitors through its GICS "
        "sub-industry (or industry, or sector); the name given is an index ETF, which has no "
        "classification.",
        "Name the employer's own ticker, or list the names not to buy: `restrict buying TSLA, NVDA`."),
))

VALUES = Family("P4", "Values and contradictions", (
    "Each value of a rule is checked against what it can mean (a weight between 0% and 100%, a "
    "window of at least 30 days, …), and the merged policy for rules that can never hold together "
    "(P410–P413, naming both rules). P415–P418 are found when the policy meets a rebalance date "
    "(a glide path's start, the dividends of the year to that date). P451–P455 are warnings: legal, "
    "but probably a mistake."), (
    ErrorCode(
        "P401", "Value out of range",
        "A weight outside 0%–100% (−100% to +100% for an active weight or a band), a dollar amount "
        "above $1 trillion, a whole number outside its range (e.g. a glide path of 1 to 30 years), or "
        "a harvest threshold of 100% or more, which no loss can reach, or a dividend-yield limit outside "
        "0%–25%.",
        "Use a value in the range the hint gives."),
    ErrorCode(
        "P402", "Empty range",
        "A cap's minimum is above its maximum, a tracking-error band's lower end is above its upper "
        "end, or a dividend yield's minimum is above its maximum: nothing can satisfy it.",
        "Swap the two numbers."),
    ErrorCode(
        "P403", "Negative amount or weight",
        "A dollar amount (a budget, a cash reserve, a gift, a minimum trade) or a preference weight is "
        "negative.",
        "Use $0 (or a weight of 0) for none."),
    ErrorCode(
        "P404", "Not a whole number",
        "A number of years or days (a glide path, a transition, a deferral, a wash-sale window) has a "
        "fractional part.",
        "Write a whole number."),
    ErrorCode(
        "P405", "Empty lot id",
        "`restrict selling lots` lists an empty lot id.",
        "Use the lot ids of the account's lots file."),
    ErrorCode(
        "P406", "Glide path without a maximum",
        "`over N years` moves a position down to its cap over several years; a cap with only a "
        "minimum has nothing to glide down to.",
        "Give a maximum, e.g. `cap AAPL at 10% over 3 years`, or drop `over`."),
    ErrorCode(
        "P407", "Wash-sale window shorter than 30 days",
        "The tax rules' wash-sale window is 30 days either side of a loss sale; a shorter window would "
        "let trades through that disallow the loss.",
        "Use 30 days or more."),
    ErrorCode(
        "P408", "Group of one ticker",
        "A group of substantially identical securities needs at least two tickers; a single name is "
        "already identical to itself.",
        "List two or more tickers, e.g. `group GOOG, GOOGL`, or remove the group."),
    ErrorCode(
        "P409", "All preference weights zero",
        "With the tax, tracking and cost weights all zero the optimizer has nothing to optimise.",
        "Give at least one positive weight."),
    ErrorCode(
        "P410", "Minimum above a cap",
        "A minimum weight on some names is above a cap on the same names (or on a group holding them, "
        "such as their sector): both can never hold.",
        "Lower the minimum or raise the cap; the message names both rules."),
    ErrorCode(
        "P411", "Exclusion must sell what a restriction forbids selling",
        "An exclusion that sells immediately and a `restrict selling` rule cover the same names: the "
        "names must be sold and may never be sold.",
        "Write the exclusion with `sell as budget allows`, or drop one of the rules."),
    ErrorCode(
        "P412", "Minimum weights above 100%",
        "The minimum weights on single names add up to more than the whole account.",
        "Lower the minimums."),
    ErrorCode(
        "P413", "Minimum weight on an excluded name",
        "A minimum weight is set on a name that is excluded. It is an error when the exclusion sells "
        "immediately; a warning when it sells as budget allows, since the name may stay held for a "
        "while.",
        "Drop one of the two rules."),
    ErrorCode(
        "P414", "Glide path start without a glide path",
        "`starting DATE` dates a glide path (`over N years`), and the rule has none: a cap without "
        "`over` holds at once, so it has nothing to start.",
        "Add the path's length (`cap AAPL at 10% over 3 years starting 2024-01-15`) or drop `starting`."),
    ErrorCode(
        "P415", "Glide path starts after the rebalance date",
        "A glide path (`cap … over N years starting DATE`, `transition over N years starting DATE`) "
        "starts after the day being rebalanced or the first step of a simulation: before its start the "
        "path has no limit to hold.",
        "Start the path on or before that day, or rebalance (start the simulation) on or after the "
        "path's start."),
    ErrorCode(
        "P416", "Glide path's starting weight unknown",
        "A cap's glide path started before the day being rebalanced, and the policy does not say what "
        "the capped weight was on its start date, so the limit of the day cannot be computed. The weight "
        "is measured only when the first rebalance (or simulation step) falls on the start date itself.",
        "Write the weight on the start date: `cap AAPL at 10% over 3 years starting 2024-01-15 from 27%`."),
    ErrorCode(
        "P417", "Dividend-yield floor above every name's yield",
        "`dividend yield at least X%` asks more than any security yields over the twelve months to the "
        "rebalance date, so no portfolio can reach it, however it is invested. The message names the "
        "highest-yielding name and its yield.",
        "Lower the floor to at most the yield the message gives (the S&P 500 as a whole yields about "
        "1.4% in April 2021)."),
    ErrorCode(
        "P418", "Dividend-yield floor only names the policy forbids can reach",
        "Every name that yields as much as the floor may not be bought under the policy (an exclusion, "
        "a buy restriction, a wash-sale window) and the account holds none of them, so the floor cannot "
        "hold. The message names the highest-yielding names kept out and the best yield left.",
        "Lower the floor to the yield the message gives, or let the account buy some of those names."),
    ErrorCode(
        "P451", "Very loose tracking error (warning)",
        "A tracking error limit above 10% is unusual for an account that tracks an index; typical "
        "limits are 0.5% to 3%.",
        "Check the number (1.5%, not 15%); nothing is needed if it is meant."),
    ErrorCode(
        "P452", "Deposit and withdrawal in one cash rule (warning)",
        "The cash rule both deposits and withdraws; only their difference reaches the account.",
        "Net them into one: a deposit of the difference, or a withdrawal."),
    ErrorCode(
        "P453", "Gift of $0 (warning)",
        "A gift of nothing does nothing.",
        "Remove the rule, or give the amount."),
    ErrorCode(
        "P454", "Minimum weight on a name that may not be bought (warning)",
        "Buying the name is restricted, so its minimum weight can only be met by shares already held.",
        "Check that the account holds enough, or drop one of the two rules."),
    ErrorCode(
        "P455", "Tilt toward an excluded name (warning)",
        "The target overweights a name (or group) that is excluded, so the tilt cannot be reached.",
        "Remove the tilt."),
))

LAYERS = Family("P5", "Layering", (
    "Merging a policy with the layers it extends (firm → model → household → account): a lower layer "
    "may tighten any rule, but loosen only rules that are not `locked`."), (
    ErrorCode(
        "P501", "Locked rule loosened or changed",
        "A lower layer loosens or changes a rule that a layer above it has `locked`; the lock is "
        "inherited by every layer below. The message names both places.",
        "Keep the locked rule as it is, or tighten it; to loosen it, ask the owner of the layer that "
        "locks it."),
    ErrorCode(
        "P502", "Two rules with the same id in one file",
        "Rules are matched across layers by id (rules of a kind without a subject, by kind), so one "
        "file cannot have two rules with the same id.",
        "Merge the two rules, or give one an explicit id: `rule NAME: …`."),
    ErrorCode(
        "P503", "Layer extends one that is not above it",
        "Layers run firm → model → household → account, and a policy may extend only layers above its "
        "own: a model policy cannot extend a household policy, nor another model policy.",
        "Extend only layers above this one, or correct a file's `layer` line."),
    ErrorCode(
        "P504", "`extends` cycle",
        "Following `extends` leads back to a file already being read.",
        "Remove the `extends` that closes the cycle."),
    ErrorCode(
        "P505", "Extended policy not found",
        "A file named in `extends` does not exist. Paths are relative to the extending file.",
        "Correct the path; the hint suggests a policy file of a close name in that folder."),
    ErrorCode(
        "P506", "Too many levels of `extends`",
        "The chain of `extends` is more than 8 levels deep; firm → model → household → account needs "
        "four.",
        "Shorten the chain."),
))
