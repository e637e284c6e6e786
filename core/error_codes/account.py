"""A1xx: account files, the as-of date, the account's target, and the options of a rebalance."""

from core.error_codes.entry import ErrorCode, Family

ACCOUNT = Family("A1", "Account files and run options", (
    "Loading an account: account.yaml, the lots, transactions and household files it names, its "
    "target model and as-of date, the options of `tailor rebalance` and `tailor explain`, and how the "
    "account fits the policy. Account files come from other systems, so nothing in them is trusted: "
    "every problem is located (file, line, column), all problems of a file are reported together, and "
    "a file that is not an account file is never quoted back. Formats and bounds: docs/solver.md, "
    "\"Account files\"."), (
    ErrorCode(
        "A101", "Account file cannot be read",
        "A file the account or household names (or account.yaml or household.yaml itself) is missing, "
        "is not a regular file (a folder, a pipe, a device), is too large (50 MB for a table, 1 MB for "
        "account.yaml), or cannot be read (permissions).",
        "Check the path, relative to account.yaml, and the file's permissions; split an account too "
        "large for one file."),
    ErrorCode(
        "A102", "Account file has the wrong structure",
        "account.yaml or a table it names is not laid out as tailor reads it: an unknown or missing key "
        "or column, a column without a name, a value beyond the named columns, a key that takes one "
        "value given a list, an empty file, a file that is not a table of this kind at all, JSON that "
        "is not a list of records, an unsupported file type, more than 200,000 rows or a line over "
        "10,000 characters. A column tailor does not read is refused, never dropped: it could hold data "
        "you expect to count.",
        "Rename or remove the key or column (the hint suggests the closest one tailor reads), or check "
        "that the file is the right one. Tables are .csv, .json or .parquet."),
    ErrorCode(
        "A103", "Invalid value in an account file",
        "A value is not what its field holds: not a number, not a date (YYYY-MM-DD, optionally with a "
        "time of day but no time zone), an empty or malformed ticker (over 16 characters, or with a "
        "space), an empty lot id, or a negative basis, price, cash amount or carryforward.",
        "Write numbers plainly (`1234.56`; `$` and thousands separators are fine) and dates as "
        "YYYY-MM-DD; give every lot an id and a ticker."),
    ErrorCode(
        "A104", "Shares not positive",
        "A lot or transaction has zero or negative shares.",
        "Record a sale by reducing the lot; short positions are not supported."),
    ErrorCode(
        "A105", "Duplicate lot id",
        "Two lots have the same id; the hint names the first.",
        "Give every lot its own id."),
    ErrorCode(
        "A106", "Unknown ticker in the lots",
        "A lot's ticker is not in the security master.",
        "Use the ticker as the security master lists it (the hint suggests the closest; "
        "`tailor data info` shows what is loaded)."),
    ErrorCode(
        "A107", "Dated after the as-of date",
        "A lot was acquired, or a transaction made, after the date the account is rebalanced on.",
        "Check the date in the file, or rebalance on a later as-of date."),
    ErrorCode(
        "A108", "No price for a held ticker",
        "The market data has no price for a held ticker on the as-of date (e.g. it was not trading "
        "yet), so the lot cannot be valued.",
        "Choose an as-of date with market data for every held ticker."),
    ErrorCode(
        "A109", "Tax rate not a fraction",
        "`short_term_rate`, `long_term_rate` and `carryforward_value` are fractions from 0 up to (not "
        "including) 1; 37 or 1.2 is refused rather than read as a percentage.",
        "Write 37% as `0.37`."),
    ErrorCode(
        "A110", "Transaction action not buy or sell",
        "A transaction's action is something other than buy or sell.",
        "Write `buy` or `sell`."),
    ErrorCode(
        "A111", "`--as-of` is not a date",
        "The date given on the command line is not a YYYY-MM-DD date.",
        "Write e.g. `--as-of 2021-04-21`."),
    ErrorCode(
        "A112", "Bad `--time-limit` or `--gap`",
        "The time limit must be a positive number of seconds and the gap a fraction from 0 up to (not "
        "including) 1.",
        "Give e.g. `--time-limit 60 --gap 0.001`."),
    ErrorCode(
        "A113", "No as-of date",
        "The account states no `as_of` and `--as-of` was not given. tailor never defaults the date: a "
        "wrong date values every lot at the wrong prices, silently.",
        "Add `as_of: YYYY-MM-DD` (the date the lots and cash are as of) to account.yaml, or pass "
        "`--as-of`; the hint names the dates the price data covers."),
    ErrorCode(
        "A114", "Two different as-of dates",
        "`--as-of` (or, in Python, the market passed in) differs from the `as_of` the account states.",
        "Give the date in one place: drop `--as-of` to use the account's date, or correct `as_of:` if "
        "the lots and cash are as of the other date."),
    ErrorCode(
        "A115", "Account's target model cannot be used",
        "The target model named by account.yaml's `target:` (relative to account.yaml) or by "
        "`--target` (relative to the current directory) is not found, is larger than 1 MB, or its rows "
        "are wrong; the problems in the file are listed too (D102, D105).",
        "Fix the path or the rows reported: a `ticker,weight` CSV whose weights add up to 1."),
    ErrorCode(
        "A116", "Two different target models",
        "`--target` and the account's `target:` name different models (files with different "
        "contents).",
        "Give the target in one place: drop `--target` to use the account's, or change `target:`."),
    ErrorCode(
        "A117", "Target rule locked against the account's target",
        "The account brings its own target model, but the policy's target rule is `locked`: a firm "
        "that locks its benchmark means it, so the account cannot replace it.",
        "Remove the account's target, or ask the owner of the policy layer that locks the target."),
    ErrorCode(
        "A118", "`--out` cannot be written",
        "The output folder is a file, lies under a file, or is not writable (checked before the solve, "
        "so nothing is written), or writing the results failed.",
        "Give a folder you may write to (it is created if missing); check its permissions and free "
        "space."),
    ErrorCode(
        "A119", "account.yaml is not plain YAML data",
        "account.yaml (or household.yaml) has a YAML syntax error, an alias (`*name`), a tag "
        "(`!!python/…`), a key that is not a plain word, nesting over 12 levels, or more than 5,000 "
        "entries in one list or mapping.",
        "Write plain `key: value` lines, and the `tax:` numbers indented under `tax:`."),
    ErrorCode(
        "A120", "Field given twice",
        "A key appears twice in account.yaml or household.yaml (both lines are named), or two columns of "
        "a table give the same field (`ticker` and `Symbol`). YAML alone would keep the last key silently.",
        "Keep one of them."),
    ErrorCode(
        "A121", "Number not finite or out of bounds",
        "A number is NaN or infinite, outside its bounds (e.g. more than 10 billion shares, a price "
        "above $10 million per share, an amount above $1 trillion), has more than 20 decimal places, or "
        "is longer than 100 characters.",
        "Check the units and the column; round shares to 6 places and money to the cent."),
    ErrorCode(
        "A122", "Account file is not UTF-8 text",
        "A file is UTF-16, UTF-32, Latin-1 or binary, or contains a control character; the first "
        "offending byte's line and column are named.",
        "Save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)."),
    ErrorCode(
        "A123", "Unreadable Parquet file",
        "A .parquet lots or transactions file cannot be read: it is corrupt, truncated, or not Parquet.",
        "Export the table again, or send it as CSV."),
    ErrorCode(
        "A124", "Sale without its realized gain",
        "The transactions record a sale without its realized gain (no `realized_gain` column, or an "
        "empty cell). The gain decides whether the sale was a loss, and so whether buying the name "
        "back is a wash sale; tailor does not guess it, as a guess of zero would switch wash-sale "
        "protection off for that name.",
        "Add each sale's realized gain (negative for a loss) from the custodian's realized gain/loss "
        "report; buys may leave it empty."),
    ErrorCode(
        "A125", "File path not allowed",
        "A file account.yaml names is outside account.yaml's folder (an absolute path, `..`, a "
        "symbolic link leading out), or its name is unusable (control characters, over 1,000 "
        "characters, a symbolic link loop). Account files are read from their own folder only, so an "
        "account file cannot make tailor read, and quote, another file.",
        "Copy the file into the account's folder (or below) and name it relative to account.yaml."),
    ErrorCode(
        "A126", "More problems not listed (note)",
        "A file has more than 25 problems; the first 25 are listed and the rest counted, so a broken "
        "large file is not printed back line by line.",
        "Fix the problems listed first: the rest are often the same mistake."),
    ErrorCode(
        "A127", "Unknown account type",
        "`type` in account.yaml is not taxable, ira or roth.",
        "Use one of the three; the hint suggests the closest."),
    ErrorCode(
        "A128", "Tax rates the netting cannot use",
        "The optimiser nets gains by Schedule D, which assumes the long-term rate is at most the "
        "short-term rate and a dollar of loss carried forward is worth less than the short-term rate "
        "(else carrying a loss would beat the $3,000 offset). The rates given break one of these: most "
        "often the two rates are swapped.",
        "Check which rate is which (`short_term_rate: 0.37`, `long_term_rate: 0.20`); state a "
        "`carryforward_value` below the short-term rate, or leave it out for the default."),
    ErrorCode(
        "A130", "Household trades without a household",
        "account.yaml gives `household_transactions` but names no `household` whose other accounts "
        "made them.",
        "Add `household: NAME`, or remove `household_transactions`."),
    ErrorCode(
        "A131", "The account's own trade in the household file",
        "A row of `household_transactions` was made by this account itself; the file holds the other "
        "accounts' trades.",
        "Move the account's own recent trades to its `transactions` file."),
    ErrorCode(
        "A132", "Household wash-sale scope without the household's trades",
        "The wash-sale rule has scope household and the account names a household, but gives no "
        "`household_transactions`: a loss sale or purchase in another account of the household could "
        "go unnoticed.",
        "Add `household_transactions: FILE` with the other accounts' trades of the last 30 days; a "
        "header alone states that there were none."),
    ErrorCode(
        "A133", "Household trades under an account-scope wash-sale rule",
        "account.yaml gives `household_transactions`, but the policy's wash-sale rule has scope "
        "account and would ignore them.",
        "Set `scope household` in the wash-sale rule, or remove `household_transactions`."),
    ErrorCode(
        "A134", "Holding period starts after the lot was acquired",
        "A lot's `holding_period_start` (the day a wash sale's tacked holding period starts, §1223(3)) "
        "is after its `acquired` date. Tacking includes the loss shares' holding period, so it starts "
        "on their acquisition date or the lot's own, whichever is earlier.",
        "Give the loss shares' acquisition date from the custodian's wash-sale adjustment, or leave the "
        "cell empty for a lot no wash sale adjusted."),
    ErrorCode(
        "A135", "Household file has the wrong structure",
        "household.yaml is not laid out as tailor reads it: an unknown or missing key (the household's "
        "`household`, `as_of`, `policy` and `accounts`; an account's `name`, `type`, `account`, "
        "`policy` and `max_contribution`), a key that takes one value given a list, `accounts` not a "
        "list of mappings or empty, an empty file. A key tailor does not read is refused, never "
        "dropped: it could hold a setting you expect to apply. Format: docs/households.md.",
        "Rename or remove the key (the hint suggests the closest one tailor reads)."),
    ErrorCode(
        "A136", "Unknown household account type",
        "An account's `type` in household.yaml is not taxable, traditional_ira, roth or held_away.",
        "Use one of the four; the hint suggests the closest. An account tailor must not trade (held "
        "at another firm) is `held_away`, whatever its tax type."),
    ErrorCode(
        "A137", "Account named twice in a household",
        "Two accounts of household.yaml have the same name, or name the same account.yaml. Trades, "
        "results and wash-sale matches name the account, so each name must be one account.",
        "Give each account its own name and its own account file."),
    ErrorCode(
        "A138", "Account file disagrees with the household file",
        "An account file names another household (`household:`), another account id (its "
        "`account:`, or its folder's name when it states none) than the household's `name` for it, or "
        "a tax type (`type:`) other than the household's type for it (taxable → taxable, "
        "traditional_ira → ira, roth → roth; a held-away account keeps its own).",
        "Make the two files agree: the household file is the list of accounts, the account file "
        "describes one of them."),
    ErrorCode(
        "A139", "Household trades given inside a household",
        "An account of household.yaml gives `household_transactions`: in a household, the other "
        "accounts' recent trades are read from their own `transactions` files, so a second copy "
        "could disagree with them.",
        "Remove `household_transactions` from the account file; give each account's recent trades "
        "in its own `transactions` file."),
    ErrorCode(
        "A140", "Trading setting on a held-away account",
        "A held-away account has a `max_contribution` or a `policy`: tailor never trades a held-away "
        "account nor moves cash into it, so either would be silently ignored.",
        "Remove the key from the held-away account, or give the account the type it is traded as."),
    ErrorCode(
        "A141", "A rule household mode cannot apply to one account",
        "`tailor household --mode household` solves the household in one model; an account's own policy "
        "is lowered onto that account's part of it (its lots, buys, cash and value), which the kinds "
        "an advisor states per account support: exclude, restrict buying, restrict selling, cap, budget, "
        "holding period, cash (a reserve, a deposit, a withdrawal) and trading's minimum trade and maximum "
        "turnover. Any other rule in an account's own policy (or a kind's clause with no meaning for one "
        "account, like a maximum number of positions) would be ignored there, so tailor refuses it.",
        "State the rule in the household policy, where it holds for the household as one, or use "
        "`--mode sleeves`, where each account runs alone under its own policy stack (docs/households.md)."),
    ErrorCode(
        "A142", "Household policies out of layer order",
        "An account's policy stack in a household (the household policy, then the account's own "
        "policy, each with what it extends) puts a layer under a lower one — an account policy above "
        "the household's, a model under the household policy — or the household policy is itself an "
        "account policy. Layers run firm → model → household → account, each narrowing the ones "
        "above.",
        "Give the household policy `layer household` (extending the firm's or a model), and each "
        "account's own policy `layer account`, extending the household policy or nothing above it."),
    ErrorCode(
        "A143", "A contribution between accounts in the sleeves",
        "The household file lets cash move into an account (`max_contribution`); the sleeve baseline "
        "rebalances each account alone and cannot move cash between them, so it refuses rather than "
        "ignore it.",
        "Use `--mode household`, which moves up to `max_contribution` into the account, or remove "
        "`max_contribution`."),
    ErrorCode(
        "A144", "--explain with the sleeves",
        "`tailor household --explain` explains the household's one plan (why each trade, why each "
        "overweight lot was kept, the accounts a wash sale across accounts involves); the sleeve "
        "baseline makes one plan per account, which `tailor explain` explains one at a time.",
        "Use `--mode household --explain`, or `tailor explain` on one account."),
    ErrorCode(
        "A145", "A household sent to the service names a file outside it",
        "A household sent to the HTTP service (`POST /v1/household`) is its household.yaml and the files "
        "it names, laid out in a private folder; a `policy` or `account` path leading out of that folder "
        "(`..`, an absolute path) would make the service read its own files, so it is refused before "
        "anything there is read.",
        "Send the file with the household and name it by its path among the files sent, e.g. "
        "`joint/account.yaml`, `policies/smith.tailor`."),
))
