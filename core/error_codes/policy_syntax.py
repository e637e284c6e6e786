"""P0xx (reading a policy file) and P1xx (policy syntax)."""

from core.error_codes.entry import ErrorCode, Family

FILES = Family("P0", "Policy files", (
    "Reading a policy file before its contents are parsed: its name, its bytes, a git revision, and "
    "whether there is anything to check."), (
    ErrorCode(
        "P001", "Not a policy file name",
        "tailor chooses the syntax by the file's suffix: `.tailor` for the text DSL, `.yaml` or `.yml` "
        "for YAML. The file named has neither, so tailor cannot tell how to read it.",
        "Rename the file to end in `.tailor` or `.yaml`, or check that you passed the policy and not "
        "another file."),
    ErrorCode(
        "P002", "Policy is not UTF-8 text",
        "The policy contains bytes that are not UTF-8 text, or NUL bytes: it was saved in another "
        "encoding (UTF-16, Latin-1) or it is not a text file at all. The message names the first bad "
        "byte's position.",
        "Save the file as UTF-8 in your editor (a byte order mark is fine), or pass the right file."),
    ErrorCode(
        "P003", "A git:REV:path reference cannot be read",
        "A policy named as `git:REV:path` (as `tailor diff` accepts) is read with `git show`. The name "
        "is not of that form, or git could not show that path at that revision (an unknown revision, a "
        "path the commit does not hold, a folder outside a repository); git's own message is the hint.",
        "Write it as `git:REV:path`, e.g. `git:HEAD~1:policies/clients/executive.tailor`, with a "
        "revision that exists and the path as it was at that revision."),
    ErrorCode(
        "P004", "Policy file not found",
        "No file exists at the path given.",
        "Check the path (relative to the current directory) and its spelling."),
    ErrorCode(
        "P005", "No policy files to check",
        "`tailor check` found no `.tailor` or `.yaml` policy among the files and folders given. Policy "
        "test suites (`*.test.yaml`) are not policies and are skipped.",
        "Pass policy files, or a folder that holds them; run test suites with `tailor test`."),
    ErrorCode(
        "P006", "Empty policy file",
        "The file is empty or holds only comments. tailor does not read it as a policy of defaults: an "
        "empty file is usually a mistake (a failed export, the wrong file), and a default policy would "
        "trade the account with none of the client's rules.",
        "Write the policy: at least a `policy \"name\"` line (`policy: name` in YAML), an `extends` or "
        "some rules."),
))

SYNTAX = Family("P1", "Policy syntax", (
    "The text of a policy cannot be read. In the DSL, common mistakes have their own codes (P103–P109, "
    "P114–P119, P123–P127), recognised by comparison with examples of the same mistake; anything else "
    "is P101 or P102, with what was expected in words. P110–P113 and P120 are YAML that is not plain, "
    "bounded data; they and the size limits P121–P122 apply to policy test files (`*.test.yaml`) too."), (
    ErrorCode(
        "P101", "Unknown statement",
        "A line starts with a word that begins no statement (often a misspelt keyword, such as "
        "`exlude`), or with a character no statement can start with.",
        "Start each statement with a rule keyword (`exclude`, `cap`, `restrict`, `budget`, …), "
        "`rule NAME:` or `locked`; the hint suggests the closest keyword or lists them all."),
    ErrorCode(
        "P102", "Unexpected word or symbol",
        "The parser met something it cannot use at this point of the statement, and it is none of the "
        "common mistakes tailor recognises.",
        "Compare the statement with its form in docs/language.md; the hint lists, in words, what may "
        "come at this point."),
    ErrorCode(
        "P103", "Missing subject",
        "A rule must say what it is about, and what follows its keyword is no subject. Tickers are "
        "upper case (`MO`, not `mo`); other subjects have a keyword (`category tobacco`).",
        "Name upper-case tickers (`MO, PM`), `category tobacco`, `sector \"Energy\"`, "
        "`industry \"…\"` or `sub-industry \"…\"`."),
    ErrorCode(
        "P104", "Unquoted sector, industry or sub-industry",
        "GICS names are written in quotes, as they contain spaces and capitals.",
        "Write e.g. `sector \"Energy\"` or `sub-industry \"Tobacco\"`."),
    ErrorCode(
        "P105", "Cap without `at`",
        "A cap states its limit with `at` (a maximum), `at least` (a minimum) or `between` (both).",
        "Write `cap AAPL at 10%`, `cap AAPL at least 2%` or `cap AAPL between 2% and 10%`."),
    ErrorCode(
        "P106", "Tracking error without a limit or band",
        "`tracking error` takes an `at most X%` limit and/or `band` clauses; a bare number or another "
        "word is not one of them.",
        "Write `tracking error at most 1.5%` or `tracking error band AAPL -2% to +2%`."),
    ErrorCode(
        "P107", "Budget without a measure",
        "A budget says which gains it counts: long-term gains, short-term gains, net gains, or the "
        "estimated tax.",
        "Write e.g. `budget long-term gains $20k per year` or `budget tax $5,000 per year`."),
    ErrorCode(
        "P108", "Harvest threshold without `losses over`",
        "A harvest rule gives its threshold after `losses over`.",
        "Write e.g. `harvest losses over 5% and $1,000`."),
    ErrorCode(
        "P109", "Wash sale rule without clauses",
        "A wash sale rule consists of clauses: a window, a scope, groups of substantially identical "
        "tickers.",
        "Write e.g. `wash sale window 30 days scope household group GOOG, GOOGL`."),
    ErrorCode(
        "P110", "YAML syntax error",
        "The YAML cannot be parsed (indentation, a missing colon, an unclosed quote), or it contains a "
        "character YAML does not allow. The position is where the parser gave up, which may be just "
        "after the mistake.",
        "Check indentation, colons and quotes around the position named."),
    ErrorCode(
        "P111", "YAML alias or tag",
        "Aliases (`*name`) and tags (`!!python/…`, `!custom`) are refused: a policy is plain data. An "
        "alias lets a few bytes expand into an enormous document, and a tag asks a reader to build "
        "objects.",
        "Write the value out in full, and remove the `!tag`."),
    ErrorCode(
        "P112", "Mapping key is not a plain word",
        "A key of a YAML mapping is itself a list or a mapping.",
        "Use plain words as keys, e.g. `ticker:`."),
    ErrorCode(
        "P113", "Key given twice in a YAML mapping",
        "The same key appears twice in one mapping. YAML alone would silently keep the last one, "
        "dropping the first without a word.",
        "Keep one of them."),
    ErrorCode(
        "P114", "Unknown transition",
        "A transition is immediate, over a number of years, or within a tax budget per year.",
        "Write `transition immediate`, `transition over 3 years` or "
        "`transition within tax budget $20k per year`."),
    ErrorCode(
        "P115", "Restrict without buying or selling",
        "`restrict` is followed by `buying` or `selling`, which say what is restricted.",
        "Write `restrict buying …` or `restrict selling …`."),
    ErrorCode(
        "P116", "`locked` after the rule",
        "`locked` is written before the rule it locks.",
        "Write e.g. `locked exclude category tobacco`."),
    ErrorCode(
        "P117", "Unquoted reason",
        "The reason after `because` is a quoted string.",
        "Write e.g. `because \"client request 2024-03\"`."),
    ErrorCode(
        "P118", "Trailing comma in a list",
        "A list of tickers ends with a comma, so a name seems to be missing.",
        "Remove the last comma, or add the missing name."),
    ErrorCode(
        "P119", "Unclosed string",
        "A quoted string has no closing quote on its line.",
        "Add the closing `\"` on the same line."),
    ErrorCode(
        "P120", "YAML nested too deeply",
        "The YAML is nested more than 12 levels deep; a policy needs only a few (rules → rule → fields). "
        "Deep nesting is refused before it is read, as it could exhaust the reader.",
        "Flatten the document: see the YAML examples in docs/language.md."),
    ErrorCode(
        "P121", "Policy too large",
        "A policy exceeds a size limit: a file over 1 MB, a line over 10,000 characters, more than 5,000 "
        "rules in one file, more than 5,000 entries in one YAML list or mapping, or a ticker file "
        "listing more than 5,000 tickers. A policy is a short, human-written file; anything far larger "
        "is a mistake.",
        "Split the policy into layers (`extends`), or long lists into referenced files."),
    ErrorCode(
        "P122", "String too long",
        "A quoted string or YAML value is longer than 4,000 characters.",
        "Shorten it; a long explanation belongs in a document the reason refers to."),
    ErrorCode(
        "P123", "Space between a number and its unit",
        "Percentages and basis points are written with their unit attached: `10%`, `150bps`.",
        "Remove the space: write `10%`, `150bps`, `$20,000`."),
    ErrorCode(
        "P124", "Header line after the rules",
        "The header lines (`policy`, `layer`, `extends`) come before the rules.",
        "Move the line to the top of the file."),
    ErrorCode(
        "P125", "Rule label without a colon",
        "A label names a rule and ends with a colon before the rule itself.",
        "Write e.g. `rule no-tobacco: exclude category tobacco`."),
    ErrorCode(
        "P126", "Tilt without an active weight",
        "A tilt of the target says how far to over- or underweight its subject.",
        "Write e.g. `tilt sector \"Energy\" -2%`."),
    ErrorCode(
        "P127", "Indented rule",
        "An indented line continues the statement above it, so an indented rule reads as part of the "
        "previous one.",
        "Start each rule at the beginning of its line."),
    ErrorCode(
        "P128", "Dividend yield without its bound",
        "A `dividend yield` rule says how the portfolio's yield is limited: `at least`, `at most` or "
        "`between … and …`.",
        "Write e.g. `dividend yield at least 2.5%`, `dividend yield at most 0.5%` or "
        "`dividend yield between 1.5% and 3%`."),
))
