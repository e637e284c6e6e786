"""The tailor policy language: surface syntaxes, AST, layering and diagnostics."""
