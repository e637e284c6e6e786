"""Syntax errors as product: a catalogue of common mistakes, matched with lark's `match_examples`
(same parser state, same kind of token), each with a message and a fix. Anything the catalogue does
not know gets "unexpected X; expected one of …" in words, not terminal names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from core.diagnostics import Diagnostic, Span, error
from core.suggest import did_you_mean
from policy_lang.syntax import RuleKinds, SyntaxErrorExample

if TYPE_CHECKING:
    from lark import Lark

# label: (code, message, hint, examples that fail the same way). Errors of one rule kind's own syntax
# are the kind's (`syntax_errors` on its class); `catalogue` joins them to these.
CATALOGUE: dict[str, SyntaxErrorExample] = {
    "subject": ("P103", "expected what the rule is about",
                "name upper-case tickers (MO, PM), `category tobacco`, `sector \"Energy\"`, "
                "`industry \"…\"` or `sub-industry \"…\"`",
                ["exclude aapl\n", "exclude tobacco\n", "cap msft at 5%\n", "restrict buying tsla\n",
                 "exclude\n", "cap at 5%\n"]),
    "unquoted_name": ("P104", "sector, industry and sub-industry names must be quoted",
                      "write e.g. `sector \"Energy\"` or `sub-industry \"Tobacco\"`",
                      ["exclude sector Energy\n", "cap sector Energy at 10%\n",
                       "exclude sub-industry Tobacco\n", "exclude industry Banks\n"]),
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


def _statement_keywords(kinds: RuleKinds) -> list[str]:
    return [kind.keyword.split()[0] for kind in kinds.values()] + ["rule", "locked"]


def _plain_state(exc: UnexpectedInput) -> UnexpectedInput:
    """Lark reports some errors with a ParserState and others with its state number; match_examples
    compares (and logs with %d) the state, so use the number everywhere."""
    state = getattr(exc, "state", None)
    if state is not None and hasattr(state, "position"):
        exc.state = state.position
    return exc


def describe_syntax_error(exc: UnexpectedInput, source: str, file: str, parser: Lark,
                          kinds: RuleKinds) -> Diagnostic:
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

    catalogue = {**CATALOGUE, **{label: entry for kind in kinds.values()
                                 for label, entry in kind.syntax_errors.items()}}
    label = _plain_state(exc).match_examples(parse_example, {k: v[3] for k, v in catalogue.items()},
                                             token_type_match_fallback=True, use_accepts=True)
    if label is not None:
        code, message, hint, _ = catalogue[label]
        return error(code, f"{message} (found {found})", span, hint)

    if isinstance(exc, UnexpectedToken) and exc.token.type == "WORD" and column == 1:
        hint = did_you_mean(str(exc.token), _statement_keywords(kinds)) or (
            "a statement starts with: " + ", ".join(dict.fromkeys(_statement_keywords(kinds))))
        return error("P101", f"unknown statement `{exc.token}`", span, hint)

    if isinstance(exc, UnexpectedCharacters) and column == 1:
        return error("P101", f"a statement cannot start with {found}", span,
                     "a statement starts with: " + ", ".join(dict.fromkeys(_statement_keywords(kinds))))
    expected = sorted(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
    names = sorted({_describe_terminal(name, parser) for name in expected})
    hint = ("expected " + (", ".join(names[:10]) + (", …" if len(names) > 10 else ""))) if names else None
    return error("P102", f"unexpected {found}", span, hint)
