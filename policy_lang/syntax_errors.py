"""Syntax errors as product: a catalogue of common mistakes, matched with lark's `match_examples`
(same parser state, same kind of token), each with a message and a fix. Anything the catalogue does
not know gets "unexpected X; expected one of …" in words, not terminal names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from policy_lang.diagnostics import Diagnostic, Span, error
from policy_lang.suggest import did_you_mean

if TYPE_CHECKING:
    from lark import Lark

# label: (code, message, hint, examples that fail the same way)
CATALOGUE: dict[str, tuple[str, str, str, list[str]]] = {
    "subject": ("P103", "expected what the rule is about",
                "name upper-case tickers (MO, PM), `category tobacco`, `sector \"Energy\"`, "
                "`industry \"…\"` or `sub-industry \"…\"`",
                ["exclude aapl\n", "exclude tobacco\n", "cap msft at 5%\n", "restrict buying tsla\n",
                 "exclude\n", "cap at 5%\n"]),
    "unquoted_name": ("P104", "sector, industry and sub-industry names must be quoted",
                      "write e.g. `sector \"Energy\"` or `sub-industry \"Tobacco\"`",
                      ["exclude sector Energy\n", "cap sector Energy at 10%\n",
                       "exclude sub-industry Tobacco\n", "exclude industry Banks\n"]),
    "cap_at": ("P105", "a cap needs `at`, `at least` or `between`",
               "write `cap AAPL at 10%`, `cap AAPL at least 2%` or `cap AAPL between 2% and 10%`",
               ["cap AAPL 10%\n", "cap sector \"Energy\" 30%\n", "cap AAPL max 10%\n"]),
    "tracking": ("P106", "tracking error takes `at most X%` and/or `band …` clauses",
                 "write `tracking error at most 1.5%` or `tracking error band AAPL -2% to +2%`",
                 ["tracking error 2%\n", "tracking error\n", "tracking error max 2%\n"]),
    "dividend_yield": ("P128", "a dividend yield rule needs `at least`, `at most` or `between`",
                       "write `dividend yield at least 2.5%`, `dividend yield at most 0.5%` or "
                       "`dividend yield between 1.5% and 3%`",
                       ["dividend yield 2.5%\n", "dividend yield\n", "dividend yield min 2%\n",
                        "dividend yield above 2%\n"]),
    "budget": ("P107", "say which gains the budget counts",
               "write `budget long-term gains $20k per year` (or short-term gains, net gains, tax)",
               ["budget $20k\n", "budget $20k per year\n", "budget gains $5k\n"]),
    "harvest": ("P108", "write the harvest threshold after `losses over`",
                "e.g. `harvest losses over 5% and $1,000`",
                ["harvest losses 5%\n", "harvest 5%\n", "harvest losses\n"]),
    "wash_sale": ("P109", "a wash sale rule takes clauses",
                  "e.g. `wash sale window 30 days scope household group GOOG, GOOGL`",
                  ["wash sale\n", "wash sale 30 days\n", "wash sale household\n"]),
    "transition": ("P114", "unknown transition",
                   "write `transition immediate`, `transition over 3 years` or "
                   "`transition within tax budget $20k per year`",
                   ["transition 3 years\n", "transition gradual\n", "transition\n"]),
    "restrict": ("P115", "say whether buying or selling is restricted",
                 "write `restrict buying …` or `restrict selling …`",
                 ["restrict AAPL\n", "restrict buy AAPL\n", "restrict\n"]),
    "locked_position": ("P116", "`locked` goes before the rule, not after it",
                        "write e.g. `locked exclude category tobacco`",
                        ["exclude MO locked\n", "cap AAPL at 10% locked\n"]),
    "reason_unquoted": ("P117", "the reason after `because` must be a quoted string",
                        "write e.g. `because \"client request 2024-03\"`",
                        ["exclude MO because family values\n", "exclude MO because\n"]),
    "trailing_comma": ("P118", "a list cannot end with a comma", "remove the last comma",
                       ["exclude MO, PM,\n", "restrict buying AAPL,\n"]),
    "unclosed_string": ("P119", "this string is not closed", "add the closing `\"` on the same line",
                        ["policy \"abc\n", "exclude sector \"Energy\n", "exclude MO because \"x\n"]),
    "percent_space": ("P123", "write the unit right after the number",
                      "e.g. `10%`, `150bps`, `$20,000` — no space before % or bps",
                      ["cap AAPL at 10 %\n", "tracking error at most 2 %\n"]),
    "header_late": ("P124", "header lines (policy, layer, extends) must come before the rules",
                    "move this line to the top of the file",
                    ["exclude MO\npolicy \"x\"\n", "exclude MO\nextends \"a.tailor\"\n",
                     "exclude MO\nlayer account\n"]),
    "label_colon": ("P125", "a rule label needs a colon", "write `rule no-tobacco: exclude category tobacco`",
                    ["rule no-tobacco exclude MO\n", "rule exclude MO\n"]),
    "tilt_weight": ("P126", "a tilt needs an active weight", "write e.g. `tilt sector \"Energy\" -2%`",
                    ["target sp500 tilt AAPL\n", "target sp500 tilt sector \"Energy\"\n"]),
    "indented": ("P127", "unexpected rule: an indented line continues the statement above",
                 "start each rule at the beginning of a line",
                 ["exclude MO\n  exclude PM\n", "cap AAPL at 10%\n  cap MSFT at 5%\n"]),
}

_FRIENDLY = {
    "TICKER": "a ticker (AAPL)", "STRING": "a quoted string", "WORD": "a name",
    "PERCENT": "a percentage", "BPS": "basis points", "MONEY": "a dollar amount",
    "SHARES": "shares", "YEARS": "years", "DAYS": "days", "DATE": "a date", "NUMBER": "a number",
    "_NL": "end of line", "$END": "end of file", "LOCKED": "`locked`",
    "TIER": "a tier (core, extended, broad)",
}


def _describe_terminal(name: str, parser: Lark) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name.lower()
    return f"`{pattern.value}`" if isinstance(pattern, PatternStr) else name.lower()


def _statement_keywords() -> list[str]:
    from policy_lang.parser import rule_kinds
    return [kind.keyword.split()[0] for kind in rule_kinds().values()] + ["rule", "locked"]


def _plain_state(exc: UnexpectedInput) -> UnexpectedInput:
    """Lark reports some errors with a ParserState and others with its state number; match_examples
    compares (and logs with %d) the state, so use the number everywhere."""
    state = getattr(exc, "state", None)
    if state is not None and hasattr(state, "position"):
        exc.state = state.position
    return exc


def describe_syntax_error(exc: UnexpectedInput, source: str, file: str, parser: Lark) -> Diagnostic:
    line = exc.line if exc.line and exc.line > 0 else max(source.count("\n"), 1)
    column = exc.column if exc.column and exc.column > 0 else 1
    width = 1
    found = "end of file"
    if isinstance(exc, UnexpectedToken) and exc.token.type in ("_NL", "$END"):
        found = "end of line" if exc.token.type == "_NL" else found
    elif isinstance(exc, UnexpectedToken | UnexpectedCharacters) and not isinstance(exc, UnexpectedEOF):
        start = exc.token.start_pos if isinstance(exc, UnexpectedToken) else exc.pos_in_stream
        word = re.match(r'"|[^\s,"]+', source[start or 0:])
        if word:  # the whole word, not only the part the lexer could read (`E` of `Energy`)
            found, width = f"`{word.group(0)}`", len(word.group(0))
    span = Span.point(file, line, column, width)

    if isinstance(exc, UnexpectedCharacters) and found == '`"`':
        code, message, hint, _ = CATALOGUE["unclosed_string"]
        return error(code, message, span, hint)

    def parse_example(text: str) -> None:
        try:
            parser.parse(text)
        except UnexpectedInput as failed:
            raise _plain_state(failed) from None

    label = _plain_state(exc).match_examples(parse_example, {k: v[3] for k, v in CATALOGUE.items()},
                                             token_type_match_fallback=True, use_accepts=True)
    if label is not None:
        code, message, hint, _ = CATALOGUE[label]
        return error(code, f"{message} (found {found})", span, hint)

    if isinstance(exc, UnexpectedToken) and exc.token.type == "WORD" and column == 1:
        hint = did_you_mean(str(exc.token), _statement_keywords()) or (
            "a statement starts with: " + ", ".join(dict.fromkeys(_statement_keywords())))
        return error("P101", f"unknown statement `{exc.token}`", span, hint)

    if isinstance(exc, UnexpectedCharacters) and column == 1:
        return error("P101", f"a statement cannot start with {found}", span,
                     "a statement starts with: " + ", ".join(dict.fromkeys(_statement_keywords())))
    expected = sorted(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
    names = sorted({_describe_terminal(name, parser) for name in expected})
    hint = ("expected " + (", ".join(names[:10]) + (", …" if len(names) > 10 else ""))) if names else None
    return error("P102", f"unexpected {found}", span, hint)
