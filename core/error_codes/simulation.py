"""M1xx: simulations through the price history (`tailor simulate`, docs/simulate.md)."""

from core.error_codes.entry import ErrorCode, Family

SIMULATION = Family("M1", "Simulation", (
    "A simulation spec is read and checked before its first step (M100–M107); a run that stops or is "
    "resumed (M120, M121); days that produce no plan are recorded and the run goes on or stops as the "
    "spec says (M130–M132); an internal error stops it with what it computed written (M140). "
    "`tailor transition`, built on simulations, checks its options and start first (M150–M152); reports "
    "over a simulated or recorded period check their inputs first (M160–M162)."), (
    ErrorCode(
        "M100", "Spec is not plain YAML data",
        "The simulation spec has a YAML syntax error, an alias, a tag, nesting too deep, or a key given "
        "twice.",
        "Write the spec as plain `key: value` YAML (docs/simulate.md shows one)."),
    ErrorCode(
        "M101", "Spec or policy file unreadable",
        "The spec, or the policy it names, is missing, unreadable, too large or not UTF-8 text.",
        "Check the path (relative to the spec's folder) and the file's encoding."),
    ErrorCode(
        "M102", "Spec key unknown, missing or of the wrong shape",
        "A key tailor does not read (\"did you mean\"), a required key missing, a list or mapping where "
        "one value belongs, or a cash flow without its amount or date.",
        "Use the keys docs/simulate.md lists; give each cash flow an amount and `on` or `every`."),
    ErrorCode(
        "M103", "Spec value not valid",
        "A value is not a date, a number, a fraction below 1, or one of the choices its key allows "
        "(cadence, fast path, risk-model refresh, where tax is paid from, what to do on an infeasible "
        "day).",
        "Correct the value; the hint lists the choices."),
    ErrorCode(
        "M104", "Dates outside the history",
        "The start or end is outside the price history (the start needs 60 trading days of returns "
        "before it for the risk model), the end comes before the start, or a cash flow falls outside "
        "the simulation.",
        "Choose dates within the range the message names."),
    ErrorCode(
        "M105", "Starting account not usable",
        "The spec gives both `account` and `cash`, or neither; or the account is not as of the start, "
        "or holds a lot acquired after it.",
        "Give one of the two; start the simulation on the account's `as_of`."),
    ErrorCode(
        "M106", "Policy rule acts on every step",
        "A cash rule that deposits or withdraws, or a gift rule, would act on every rebalance of the "
        "simulation.",
        "Move deposits and withdrawals to the spec's `cash_flows`; simulate gifts as withdrawals."),
    ErrorCode(
        "M107", "Key read only with another setting",
        "A key that only another setting reads is given without it (`bands` without `fast_path: "
        "bands`, `account_type` without `cash`, `from`/`until` without `every`).",
        "Remove the key, or set the setting that reads it."),
    ErrorCode(
        "M120", "Checkpoint cannot be resumed",
        "`--resume` found a checkpoint that cannot be read, or that belongs to another spec, or whose "
        "spec, policy, account or market data changed since it was written.",
        "Start the simulation again in an empty folder, or restore the inputs it ran with."),
    ErrorCode(
        "M121", "Unfinished run in the output folder",
        "`--out` holds a run that did not finish, and `--resume` was not given: starting over would "
        "overwrite it.",
        "Add `--resume` to continue it, or choose another folder."),
    ErrorCode(
        "M130", "A day without a verified plan",
        "On this step the rebalance found no verified plan: the policy was infeasible on that day (the "
        "conflicting rules are named), or no plan came within the limits. Recorded in `troubles`.",
        "Loosen one of the named rules, or let the run skip such days (`on_infeasible: skip`)."),
    ErrorCode(
        "M131", "A day's plan refused by the verifier",
        "The verifier refused the plan of this step; it was recorded and never applied.",
        "Please report the spec: a plan the optimizer returns should verify."),
    ErrorCode(
        "M132", "A day's plans never left cash for their costs",
        "After trading costs, every plan of the step left negative cash, even with its largest buy "
        "cut. Recorded; the step is skipped.",
        "Keep a cash reserve in the policy, or lower `costs` in the spec."),
    ErrorCode(
        "M140", "Internal error during a simulation",
        "An unexpected error on some day stopped the run; the steps before it are written and a "
        "checkpoint kept.",
        "Please report it with the spec; `--resume` continues once it is fixed."),
    ErrorCode(
        "M150", "Transition report cannot start there",
        "`tailor transition` replays the account from its start date for the years asked: the start is "
        "after the account's date, the account held none of its lots that day, it states no date and no "
        "--start is given, or the years asked run past the end of the price history (2021-04-21).",
        "Give a --start on or before the account's date that leaves the years asked inside the history "
        "(e.g. --start 2015-01-02 --years 5), or shorten --years."),
    ErrorCode(
        "M151", "Scenario changes a locked rule",
        "A generated scenario replaces the base policy's transition rule (and its tracking weight), and "
        "the base policy locks that rule: a scenario may not change it, as a lower layer may not.",
        "Give a base policy that does not lock the rule (--policy), keep the base's tracking weight "
        "(--tracking-weight base), or compare policies as written with --scenario NAME=FILE."),
    ErrorCode(
        "M152", "Transition option not valid",
        "An option of `tailor transition` has a value it cannot use: a cadence that does not exist, years "
        "or a name count that is not a whole number in range, a tax budget that is not a positive dollar "
        "amount, a tracking weight outside (0, 10000], a --scenario not written NAME=POLICY or named "
        "twice, or no scenario left to compare.",
        "Correct the option as the message says (`tailor transition --help` lists them)."),
    ErrorCode(
        "M160", "Simulation folder not usable for a report",
        "The folder holds no simulation.json, holds a run still going (or killed), or was written by "
        "another spec than the one given with it (the spec, its policy, its account or the data differ).",
        "Give the spec a simulation ran and the folder `tailor simulate SPEC --out DIR` wrote from it."),
    ErrorCode(
        "M161", "Recorded period not valid",
        "periods.csv or trades.csv is missing, lacks a column, holds a value that is not a date or a "
        "number, a date that is not a trading day of the history, a trade on a day that is not a period, "
        "or a sale from a lot the account does not hold then.",
        "Correct the file at the line and column shown; docs/taxes_saved.md gives the columns."),
    ErrorCode(
        "M162", "Report option not valid",
        "A report's option is out of range (a fee that is not 0–10,000 basis points), no period was "
        "given, or one folder was given twice.",
        "Correct the option; `tailor report taxes-saved --help` lists them."),
))
