"""S1xx (solving a rebalance) and T1xx (policy test suites, `tailor test`)."""

from core.error_codes.entry import ErrorCode, Family

SOLVE = Family("S1", "Solve", (
    "Building and solving the model for an account and a policy: no plan was found, or a rule cannot "
    "apply to this account's lots."), (
    ErrorCode(
        "S101", "No trades satisfy the policy",
        "The optimizer proved that no set of trades keeps every rule of the policy for this account on "
        "this date: some rules conflict here.",
        "Run `tailor explain` with the same arguments: it names the smallest set of conflicting rules "
        "and how far each must give (`--relax` also shows the nearest plan). Then loosen one of them, "
        "or let a cap or an exclusion give way `as budget allows`."),
    ErrorCode(
        "S102", "No plan within the time limit",
        "The search reached its time limit before finding any plan. This says nothing about whether a "
        "plan exists.",
        "Raise `--time-limit`, or relax the rules that need whole-number decisions: minimum trade, "
        "whole shares, maximum positions."),
    ErrorCode(
        "S103", "No plan within the work limits",
        "The search ended at its work limits (which, unlike the time limit, do not depend on the "
        "machine), or on an LP the simplex could not decide, with neither a plan nor a proof that none "
        "exists. The search should find a plan whenever one exists.",
        "Please report the account and policy; meanwhile relax the minimum trade or whole shares."),
    ErrorCode(
        "S110", "Gift larger than the appreciated long-term lots",
        "A gift gives appreciated long-term lots (held over a year, worth more than their basis), and "
        "the account holds less of them, at the as-of prices, than the gift asks for.",
        "Lower the gift, or give cash instead."),
    ErrorCode(
        "S111", "Restricted lot not in the account",
        "`restrict selling lots …` names a lot id the account's lots file does not have.",
        "Use the lot ids of the lots file (the hint suggests the closest); remove lots already sold."),
    ErrorCode(
        "S112", "A household's taxable accounts state different tax profiles",
        "A household is one taxpayer and spouse filing one return: its taxable accounts' gains net on "
        "one Schedule D, so they share the rates, the year's realized gains and the carryforwards.",
        "Give every taxable account of the household the same `tax:` (the joint return's figures)."),
    ErrorCode(
        "S113", "A lot id in two accounts of a household",
        "The household's accounts are one model: each lot is named by its id in trades and "
        "explanations, so the ids must differ across the accounts.",
        "Give each lot of the household its own id (for example prefixed by the account)."),
    ErrorCode(
        "S114", "A cash flow in a household policy",
        "A deposit or withdrawal moves one account's cash; a household policy's cash rule does not say "
        "which account's.",
        "State the deposit or withdrawal in that account's own policy, or rebalance the accounts one by "
        "one."),
    ErrorCode(
        "S115", "Whole shares in a household model",
        "Whole-share trading is built for one account per model; a household's buys are split by "
        "account, and their share counts are not yet modelled.",
        "Trade fractional shares in the household, or rebalance the accounts one by one."),
    ErrorCode(
        "S116", "A household on a market without dividend history",
        "A household's asset location prices where each name's dividends are taxed, from their trailing "
        "twelve months in the bundled price history; a market snapshot (or a date the history does not "
        "cover by a year) carries none.",
        "Rebalance the household on the bundled price history, on a date at least a year after its start."),
    ErrorCode(
        "S117", "A target ETF that no account holds",
        "The target gives weight to an S&P 500 ETF (SPY, IVV, VOO) that no account holds. A model's "
        "universe holds an ETF only when an account does (otherwise every direct index could buy the "
        "index in one trade), so the ETF could be neither bought nor tracked.",
        "Hold some of the ETF in an account, or track its weight through the stocks (`target sp500` "
        "is the ETF looked through)."),
))

POLICY_TESTS = Family("T1", "Policy tests", (
    "Reading policy test suites (`*.test.yaml`, run by `tailor test`; docs/explain.md): each problem "
    "is reported with its position, and misspelt keys with a \"did you mean\". The suite's YAML is "
    "read as a policy's is, so YAML problems are P110–P113, P120 and P121."), (
    ErrorCode(
        "T100", "No such test file or folder",
        "A path given to `tailor test` does not exist.",
        "Give test files (`*.test.yaml`) or folders holding them."),
    ErrorCode(
        "T101", "Test file too large",
        "A test file is larger than 1 MB.",
        "Split the suite into several files."),
    ErrorCode(
        "T102", "Test file has the wrong shape or value",
        "The file is not a mapping with a non-empty `tests:` list, a test or `expect` is not a "
        "mapping, or a value is of the wrong kind: not a single value, a bound that is not a dollar "
        "amount, percentage or count as its expectation needs, a status other than optimal, feasible "
        "or infeasible, a non-positive `time_limit`, an `as_of` that is not a date.",
        "Follow the message; docs/explain.md lists every expectation and the values it takes."),
    ErrorCode(
        "T103", "Unknown key in a test",
        "A test, its `expect` or a bound has a key that is not part of the test format.",
        "Correct the key (the hint suggests the closest) or remove it."),
    ErrorCode(
        "T104", "Missing key in a test",
        "A test lacks one of `name`, `policy`, `account` and `expect`.",
        "Add the key the message names."),
    ErrorCode(
        "T105", "Two tests with the same name",
        "Tests are selected (`--run`) and reported by name, so names are unique within a file.",
        "Give each test its own name."),
    ErrorCode(
        "T106", "Bad `--run` pattern",
        "The pattern given to `--run` is not a valid Python regular expression.",
        "Fix the pattern (escape special characters such as `(` with `\\`)."),
    ErrorCode(
        "T107", "Amount with a thousands comma inside `{…}`",
        "In a flow mapping such as `{at_most: $10,000}`, YAML splits the amount at the comma, so the "
        "bound would be read wrong.",
        "Quote it (`at_most: \"$10,000\"`), write `$10k`, or put each bound on its own line."),
    ErrorCode(
        "T108", "No policy tests found",
        "The folders given to `tailor test` hold no `*.test.yaml` file (a file named directly is read "
        "whatever its name).",
        "Give the folder that holds the suites, or name the test files; suites end in `.test.yaml`."),
))
