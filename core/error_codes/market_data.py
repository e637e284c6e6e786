"""D1xx: the market data — security master, prices, index membership and weights, risk models and
model-weight files."""

from core.error_codes.entry import ErrorCode, Family

MARKET_DATA = Family("D1", "Market data", (
    "The shipped market data (docs/data.md) cannot answer a question: a date outside its history, a "
    "name it does not know, a model-weights file that cannot be read. The data files are validated "
    "when loaded, so a damaged file stops the run instead of pricing it wrongly."), (
    ErrorCode(
        "D101", "No price data for the date",
        "The date is outside the price history (the message names the dates covered), or a ticker had "
        "not started trading by that date (the hint names its first price).",
        "Choose a date within the history, and for a later listing a date after its first price."),
    ErrorCode(
        "D102", "Unknown ticker in the market data",
        "A ticker is not in the security master or has no price history (the shipped price file lacks "
        "BF.B); in a model-weights file, the line is named.",
        "Correct the ticker (the hint suggests the closest); exclude a name without prices, or hold it "
        "outside the optimised account."),
    ErrorCode(
        "D103", "Unknown name in the market data",
        "A sector, industry, sub-industry, screen category, screen tier or index weighting scheme asked "
        "of the market data is not one it knows.",
        "Use one of the names the hint lists or suggests."),
    ErrorCode(
        "D104", "Shipped data file fails validation",
        "A market-data file tailor ships has the wrong columns or types, empty values, prices or split "
        "factors that are not positive, duplicate or unordered dates, or a split factor that is no "
        "recognisable ratio: it was damaged or edited.",
        "Restore the file from git, or fix the rows the message names."),
    ErrorCode(
        "D105", "Model-weights file is malformed",
        "A model file (a target's `ticker,weight` CSV) is missing, larger than 1 MB, lacks the header "
        "`ticker,weight`, has a line without exactly two fields, lists a ticker twice or none at all, "
        "has a weight that is not a non-negative number, or has weights that do not add up to 1 "
        "(100%). Each problem points into the file.",
        "Write `ticker,weight` on the first line, then one row per name with a fraction (0.05) or a "
        "percentage (5%), adding up to 1."),
    ErrorCode(
        "D106", "Date outside the index membership history",
        "The S&P 500 membership data covers a range of dates (to its last recorded change); the date "
        "is outside it.",
        "Choose a date in the range the message names."),
    ErrorCode(
        "D107", "Too little history for a risk model",
        "A risk model is estimated from at least 60 trading days of returns before the as-of date; "
        "there are fewer before this date.",
        "Choose a later date (the hint names the first usable one)."),
    ErrorCode(
        "D108", "Exclusions remove the whole target",
        "After the excluded names are removed, no name with a positive weight is left in the target, so "
        "there is nothing to track.",
        "Exclude fewer names, or choose another target."),
    ErrorCode(
        "D109", "As-of date is not a trading day (warning)",
        "The as-of date is a weekend or market holiday, so the plan is priced at the close of the last "
        "trading day before it (`priced_as_of` in result.json).",
        "Nothing, if that close is meant; otherwise give a trading day."),
    ErrorCode(
        "D110", "Market snapshot file problem",
        "A market snapshot's file is missing, unreadable, too large (100 KB for snapshot.yaml, 10 MB "
        "and 50,000 rows per table), not UTF-8, or named outside the snapshot's folder; or "
        "snapshot.yaml is not plain YAML, has a key tailor does not read (\"did you mean\"), or lacks "
        "`as_of`, `prices` or `sources`.",
        "Fix the file the message names; the format is in docs/data.md, \"Market snapshots\"."),
    ErrorCode(
        "D111", "Market snapshot table columns",
        "A snapshot table has a column tailor does not read (\"did you mean\"), lacks a required "
        "column, names one field twice, or has a line with more values than columns.",
        "Give the header the format names: `ticker,close`, `ticker,weight`, `ticker,name,sub_industry`."),
    ErrorCode(
        "D112", "Bad value in a market snapshot",
        "A date, close, weight, ticker or name in the snapshot is not one: a close that is not a "
        "number, NaN, infinity, zero or negative, above $10,000,000 or with more than 6 decimal "
        "places; weights outside [0, 1] or not summing to 1 (±0.0001).",
        "Correct the value at the line and column named."),
    ErrorCode(
        "D113", "Security listed twice in a market snapshot",
        "A ticker appears twice in one snapshot table (after `BRK-B` is normalised to `BRK.B`), or an "
        "addition in `securities.csv` is a security the master already has (no silent "
        "reclassification).",
        "Keep one line per security; drop additions the master already knows."),
    ErrorCode(
        "D114", "No price in the market snapshot",
        "A name the rebalance needs has no close in the snapshot: a held lot (named, at its line in the "
        "lots file), a name with a target weight, an added security, or a name of a target model.",
        "Add the name's close to the snapshot's prices, or remove it from the target."),
    ErrorCode(
        "D115", "Account date differs from the snapshot's",
        "The account's `as_of` (or `--as-of`) names another date than the market snapshot's `as_of`: "
        "lots and cash would be valued at another day's closes.",
        "Use the snapshot of the account's date, or drop the other date."),
    ErrorCode(
        "D116", "No index weights for the target",
        "The policy tracks `sp500` or `sp500_equal`, but the snapshot has no `target` file and the "
        "account has no target model of its own, so there is nothing to track on that date.",
        "Add `target: target.csv` (the index weights of the day) to the snapshot, or give the account "
        "its own target (`target:` in account.yaml or `--target`)."),
    ErrorCode(
        "D117", "Risk model older than the prices (warning)",
        "The snapshot is dated after the bundled history, so the risk model is estimated through the "
        "history's last day: the message says how many days old it is and how many priced names it "
        "has no estimate for (those get no factor exposure and the largest specific variance).",
        "Nothing, if that is acceptable; the age is recorded in result.json (`market`)."),
    ErrorCode(
        "D120", "Date window ends before it starts",
        "Splits were asked for between two dates (`PriceHistory.splits_between`, `apply_splits`) whose "
        "end comes before their start.",
        "Pass the earlier date as the start."),
    ErrorCode(
        "D121", "No dividend history for a dividend-yield rule",
        "A `dividend yield` rule measures each name's dividends over the twelve months to the as-of "
        "date, and the market data has none for them: the date is within the first year of the bundled "
        "history (which starts 1999-11-01), or the plan is priced from a market snapshot, which records "
        "closes but no dividends.",
        "Rebalance on a date the bundled history covers with a full year before it (2000-10-31 to "
        "2021-04-21), or drop the dividend yield rule for this run."),
    ErrorCode(
        "D122", "An index ETF without index weights to look through",
        "Tracking error measures an S&P 500 ETF (SPY, IVV, VOO) as the stocks it holds: the ETF's weight "
        "times each constituent's index weight on the as-of date. The market has no index weights on "
        "that date (a market snapshot without a `target` file), so the ETF cannot be looked through; "
        "tailor refuses rather than count it as risk-free or as one unknown stock.",
        "Add `target: target.csv` (the index's weights on the snapshot's date) to the snapshot."),
))
