"""P2xx: quantities, the fields of a rule, and the structure of a YAML policy."""

from core.error_codes.entry import ErrorCode, Family

FIELDS = Family("P2", "Policy fields and structure", (
    "A policy parses, but a value or the arrangement of its parts is wrong: a quantity without its "
    "unit, a YAML field that is unknown, missing or of the wrong shape, fields that do not go "
    "together, a clause or header given twice. P220–P226 are the layout of a YAML policy: a mapping "
    "with `policy`, `layer`, `extends` and a `rules` list, each rule a mapping under its kind."), (
    ErrorCode(
        "P201", "Not a quantity",
        "A value that should be a number with its unit cannot be read as one (e.g. `ten percent`, "
        "`10 pct`).",
        "Write a number with its unit: `10%`, `150bps`, `$20k`, `500 shares`, `3 years`, `31 days`, or "
        "an ISO date such as `2024-01-31`."),
    ErrorCode(
        "P202", "Not a calendar date",
        "A date is written YYYY-MM-DD, but no such day exists (`2024-02-30`).",
        "Write a real date as YYYY-MM-DD."),
    ErrorCode(
        "P203", "Wrong or missing unit",
        "The number's unit does not fit where it is used (a cap in dollars, a budget in percent), or "
        "a unit is needed and the number has none: `10` could mean 10% or $10.",
        "Use the unit the hint names, e.g. `10%` for a weight, `$20,000` for an amount."),
    ErrorCode(
        "P204", "Unknown YAML field",
        "A YAML mapping (the policy's top level, a rule, a tilt or a band) has a key tailor does not "
        "read. It is refused rather than ignored: a misspelt key, ignored, would silently drop part of "
        "a rule.",
        "Correct the key (the hint suggests the closest one, or lists the fields) or remove it."),
    ErrorCode(
        "P205", "Missing value",
        "Something required is absent: a rule without the field it needs (`cap` without `max` or "
        "`min`, `restrict_selling` without a subject or `lots`), a rule without a subject, a subject "
        "key with no value, a ticker list or group with no tickers, `preferences` with neither a "
        "preset nor weights.",
        "Add what the message names; the hint shows an example."),
    ErrorCode(
        "P206", "Wrong YAML shape",
        "A field holds a list or a mapping where a single value belongs, or a single value where a "
        "list of tickers, a list of ticker lists (`groups`) or a list of mappings (`tilts`, `bands`) "
        "belongs.",
        "Write the field in the shape the message shows, e.g. `groups: [[GOOG, GOOGL]]`."),
    ErrorCode(
        "P207", "Not true or false",
        "A yes-or-no field (e.g. `locked`, `long_term_only`, `whole_shares`) holds something else.",
        "Write `true` or `false`."),
    ErrorCode(
        "P208", "Not one of the allowed values",
        "A field that takes one of a fixed set of words (a benchmark, a mode, a scope, a tier, a "
        "level, a layer, a preset name) holds another word.",
        "Use one of the values the hint lists; it suggests the closest one."),
    ErrorCode(
        "P209", "Fields that do not go together",
        "A rule gives fields that exclude each other, or a field that applies only with another: two "
        "subjects in one rule, `tier` without a `category`, more than one form of `restrict_buying`, "
        "`level` without `competitors_of`, `years` or `starting` without `mode: over_years`, `budget` "
        "without `mode: tax_budget`, a cap's `from` without `starting`.",
        "Write one rule per subject, and keep only the fields of the form you mean."),
    ErrorCode(
        "P210", "Not a ticker symbol or category name",
        "Tickers are upper-case symbols (`MO`, `BRK.B`) and screen categories lower-case words "
        "(`tobacco`, `fossil_fuels`); a company name or a lower-case ticker is neither.",
        "Write the symbol or the category's name; put company names in the rule's `reason`."),
    ErrorCode(
        "P211", "Model file without `benchmark: model`",
        "A target's `model` file goes with `benchmark: model`, and `benchmark: model` needs a `model` "
        "file: one was given without the other.",
        "Write `benchmark: model` and `model: path/to/weights.csv`, or drop `model`."),
    ErrorCode(
        "P212", "Clause given twice",
        "A DSL rule gives one of its clauses twice (`over 3 years … over 2 years`, two percentage "
        "thresholds on a harvest rule), so it is unclear which one holds.",
        "Keep one of them."),
    ErrorCode(
        "P213", "Header line given twice",
        "A `policy`, `layer` or `extends` line appears twice in one file.",
        "Keep one header line of each kind; `extends` lists several files on one line, separated by "
        "commas."),
    ErrorCode(
        "P214", "Unknown layer",
        "`layer` names something other than firm, model, household or account.",
        "Use one of the four layers; the hint suggests the closest."),
    ErrorCode(
        "P220", "YAML policy is not a mapping",
        "The top level of a YAML policy is a list or a single value, not a mapping of `policy`, "
        "`layer`, `extends` and `rules` (a common slip: the file starts with the rules list).",
        "Start the file with e.g. `policy: My policy` and put the rules under `rules:`."),
    ErrorCode(
        "P221", "`rules` is not a list",
        "`rules` holds a single value or a mapping; it is a list, each entry starting with `- `.",
        "Write each rule as a list entry, e.g. `- exclude: {ticker: MO}`."),
    ErrorCode(
        "P222", "Rule is not a mapping",
        "An entry of `rules` is a single value or a list; each rule is a mapping whose key names its "
        "kind.",
        "Write e.g. `- exclude: {ticker: MO}`; the hint lists the kinds."),
    ErrorCode(
        "P223", "Not exactly one kind key in a rule",
        "A rule's mapping names no kind, or several (`exclude` and `cap` in one entry). Besides its "
        "kind, a rule may only have `id`, `reason` and `locked`.",
        "Split it into one list entry per rule."),
    ErrorCode(
        "P224", "Unknown rule kind",
        "The rule's key is not a rule kind tailor knows.",
        "Correct the kind (the hint suggests the closest one, or lists them all)."),
    ErrorCode(
        "P225", "Rule kind without fields",
        "The kind key holds a single value or a list; it takes a mapping of fields "
        "(`exclude: MO` instead of `exclude: {ticker: MO}`).",
        "Write the fields as a mapping; the hint shows an example and lists the kind's fields."),
    ErrorCode(
        "P226", "Invalid rule id",
        "A rule id is lower-case letters, digits, `-` and `_`, starting with a letter, so that it can "
        "be written in either syntax and in other layers.",
        "Write e.g. `id: no-tobacco`."),
))
